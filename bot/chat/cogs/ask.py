"""/ask, mentions and DMs: the question → search (off the event loop) → answer cards with buttons."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.presentation import Answer, compose_answer
from bot.chat.client import NO_MENTIONS
from bot.chat.cooldown import Cooldown
from bot.feedback import AnswerRecord
from bot.inputs import InputError, check_range, clean_question, parse_day, resolve_outlets, strip_mentions
from bot.chat.render.answer import answer_embeds, question_line
from bot.chat.views.answer import answer_view
from index.search.service import Filters

if TYPE_CHECKING:
    from bot.chat.client import NewsBot

log = logging.getLogger(__name__)

MAX_RESULTS = 5  # cards per message: more would not fit Discord's 6,000 characters readably


@dataclass(frozen=True)
class Request:
    """A question with its options, checked, from a slash command or a message."""

    question: str
    k: int
    filters: Filters = Filters()

    def as_record(self) -> dict:
        """The filters as stored with the answer (to show more results later)."""
        f = self.filters
        return {"outlets": list(f.outlets), "since": f.since.isoformat() if f.since else None,
                "until": f.until.isoformat() if f.until else None}

    @staticmethod
    def from_record(record: AnswerRecord) -> Request:
        """The request behind a stored answer."""
        f = record.filters
        filters = Filters(tuple(f.get("outlets") or ()), date.fromisoformat(f["since"]) if f.get("since") else None,
                          date.fromisoformat(f["until"]) if f.get("until") else None)
        return Request(record.question, record.k, filters)

    def note(self) -> str:
        """`CNN articles since 2023-01-01`, for "nothing found" replies ('' without filters)."""
        f = self.filters
        if not f.active:
            return ""
        parts = [(", ".join(f.outlets) + " articles") if f.outlets else "articles"]
        if f.since:
            parts.append(f"since {f.since.isoformat()}")
        if f.until:
            parts.append(f"until {f.until.isoformat()}")
        return " ".join(parts)


@contextlib.asynccontextmanager
async def typing_indicator(channel: discord.abc.Messageable) -> AsyncIterator[None]:
    """"newsbot is typing…" while a mention is answered; never fails the answer (e.g. without permission)."""
    typing = channel.typing()
    try:
        await typing.__aenter__()
    except discord.HTTPException:
        typing = None
    try:
        yield
    finally:
        if typing is not None:
            await typing.__aexit__(None, None, None)


class AskCog(commands.Cog, name="Ask"):
    """Answers questions with attributed passages."""

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot

    # -- the shared path -------------------------------------------------------------------
    async def answer(self, request: Request, user: discord.abc.User, guild_id: int | None, channel_id: int | None,
                     skip: int = 0, anyway: bool = False) -> tuple[Answer, int, bool]:
        """Search in a thread, compose, record; returns (answer, answer number, whether more may exist).

        Args:
            skip: passages already shown for this question (the "More results" offset).
            anyway: the passages will be shown even if the answer is not confident.
        """
        settings = self.bot.settings

        def search():  # noqa: ANN202 - runs in a worker thread
            return self.bot.service().search(request.question, k=request.k + skip, per_article=settings.per_article,
                                             filters=request.filters)

        result = await self.bot.run_blocking(search)
        answer = compose_answer(result, skip=skip, filters_note=request.note())
        shown = [item.passage_id for item in answer.items] if (answer.confident or anyway) else []
        answer_id = await self.bot.run_blocking(self.bot.feedback.record_answer, request.question,
                                                request.as_record(), request.k, result.index_version, shown,
                                                user.id, guild_id, channel_id)
        return answer, answer_id, len(result.hits) >= request.k + skip

    def message_parts(self, answer: Answer, answer_id: int, more: bool, shown: int, anyway: bool = False) -> dict:
        """Keyword arguments of a send/edit call for an answer (never pinging anyone).

        Args:
            shown: passages of this answer shown before (the next "More results" skips them and these).
            anyway: show the passages even though the answer is not confident (the user asked).
        """
        low = anyway and not answer.confident
        return {"content": question_line(answer.question, low), "embeds": answer_embeds(answer, anyway),
                "view": answer_view(answer_id, answer, more, shown + len(answer.items), anyway),
                "allowed_mentions": NO_MENTIONS}

    async def _outlets(self, requested: str | None) -> tuple[str, ...]:
        """The outlet filter, checked against the corpus (an unknown outlet is an input error)."""
        if not requested or not requested.strip():
            return ()
        catalog = await self.bot.catalog()
        return resolve_outlets([requested], (name for name, _ in catalog.outlets))

    # -- /ask ------------------------------------------------------------------------------------
    @app_commands.command(name="ask", description="Answer a question from the news corpus, with sources")
    @app_commands.describe(question="Your question (up to 300 characters)",
                           outlet="Only articles from this outlet",
                           since="Only articles published on or after this day (YYYY-MM-DD)",
                           until="Only articles published on or before this day (YYYY-MM-DD)",
                           results="How many passages to show (1-5)")
    async def ask(self, interaction: discord.Interaction, question: str, outlet: str | None = None,
                  since: str | None = None, until: str | None = None,
                  results: app_commands.Range[int, 1, MAX_RESULTS] | None = None) -> None:
        """Validate, take the user's turn, defer, then answer."""
        try:
            text = clean_question(question)
            day_from, day_to = parse_day(since, "`since`"), parse_day(until, "`until`")
            check_range(day_from, day_to)
            outlets = await self._outlets(outlet)
        except InputError as exc:
            await interaction.response.send_message(str(exc), ephemeral=True, allowed_mentions=NO_MENTIONS)
            return
        wait = self.bot.cooldown.try_acquire(interaction.user.id)
        if wait:
            await interaction.response.send_message(Cooldown.message(wait), ephemeral=True,
                                                    allowed_mentions=NO_MENTIONS)
            return
        await interaction.response.defer(thinking=True)
        k = results or min(self.bot.settings.results_per_answer, MAX_RESULTS)
        request = Request(text, k, Filters(outlets, day_from, day_to))
        answer, answer_id, more = await self.answer(request, interaction.user, interaction.guild_id,
                                                    interaction.channel_id)
        await interaction.edit_original_response(**self.message_parts(answer, answer_id, more, 0))

    @ask.autocomplete("outlet")
    async def outlet_autocomplete(self, interaction: discord.Interaction,
                                  current: str) -> list[app_commands.Choice[str]]:
        """Outlets of the corpus, with their article counts."""
        return await self.bot.outlet_choices(current)

    # -- "more results" --------------------------------------------------------------------------
    async def more(self, interaction: discord.Interaction, answer_id: int, shown: int) -> None:
        """The next passages for an earlier answer, privately to whoever clicked."""
        record = await self.bot.run_blocking(self.bot.feedback.answer, answer_id)
        if record is None:
            await interaction.response.send_message("This answer is too old to extend: ask again with /ask.",
                                                    ephemeral=True, allowed_mentions=NO_MENTIONS)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        request = Request.from_record(record)
        answer, new_id, more = await self.answer(request, interaction.user, interaction.guild_id,
                                                 interaction.channel_id, skip=shown, anyway=True)
        if answer.empty:
            await interaction.edit_original_response(content="No further passage answers this question.",
                                                     allowed_mentions=NO_MENTIONS)
            return
        await interaction.edit_original_response(**self.message_parts(answer, new_id, more, shown, True))

    # -- mentions and DMs --------------------------------------------------------------------------
    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """A message that mentions the bot (or any DM) is a question; the answer replies to it."""
        me = self.bot.user
        if me is None or message.author.bot or message.author.id == me.id:
            return
        own_role = message.guild.self_role if message.guild else None
        addressed = message.guild is None or me in message.mentions or (
            own_role is not None and own_role in message.role_mentions)
        if not addressed:
            return
        ids = {me.id} | ({own_role.id} if own_role else set())
        try:
            question = clean_question(strip_mentions(message.content, ids))
        except InputError as exc:
            await self._reply(message, content=str(exc))
            return
        wait = self.bot.cooldown.try_acquire(message.author.id)
        if wait:
            await self._reply(message, content=Cooldown.message(wait))
            return
        k = min(self.bot.settings.results_per_answer, MAX_RESULTS)
        try:
            async with typing_indicator(message.channel):
                answer, answer_id, more = await self.answer(Request(question, k), message.author,
                                                            message.guild.id if message.guild else None,
                                                            message.channel.id)
        except Exception:  # noqa: BLE001 - the user must hear back; details go to the log
            log.exception("answering a mention failed")
            await self._reply(message, content="Something went wrong on the bot's side; the error was logged.")
            return
        await self._reply(message, **self.message_parts(answer, answer_id, more, 0))

    async def _reply(self, message: discord.Message, **kwargs: object) -> None:
        """Reply to a message without pinging its author; post plainly if the message is gone."""
        kwargs.setdefault("allowed_mentions", NO_MENTIONS)
        try:
            await message.reply(mention_author=False, **kwargs)  # type: ignore[arg-type]
        except discord.HTTPException as exc:
            if exc.status == 400:  # the message was deleted meanwhile: answer in the channel
                try:
                    await message.channel.send(**kwargs)  # type: ignore[arg-type]
                    return
                except discord.HTTPException as again:
                    exc = again
            log.warning("could not reply in channel %s: %s", message.channel.id, exc)
