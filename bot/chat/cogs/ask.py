"""/ask, mentions and DMs: the question → the bot's `Answering` → answer cards with buttons.

A discord.py extension: `setup` adds the cog and registers the persistent
buttons of answers (feedback, "More results").
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.chat.answering import MAX_RESULTS, Request, answer_message
from bot.chat.cooldown import Cooldown
from bot.chat.replies import NO_MENTIONS
from bot.chat.views.answer import FeedbackButton, MoreButton
from bot.inputs import InputError, check_range, clean_question, parse_day, resolve_outlets, strip_mentions
from index.search.service import Filters

if TYPE_CHECKING:
    from bot.chat.client import NewsBot

log = logging.getLogger(__name__)

BUTTONS = (FeedbackButton, MoreButton)


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

    async def _outlets(self, requested: str | None, guild_id: int | None) -> tuple[str, ...]:
        """The outlet filter, checked against what this place sees (an unknown outlet is an input error)."""
        if not requested or not requested.strip():
            return ()
        catalog = await self.bot.catalog(guild_id)
        return resolve_outlets([requested], (name for name, _ in catalog.outlets))

    def _channel_refusal(self, guild_id: int | None, channel_id: int | None) -> str | None:
        """Why the bot does not answer in this channel (`/settings channels`), or None when it does."""
        place = self.bot.settings_of(guild_id)
        if guild_id is None or place.answers_in(channel_id):
            return None
        where = " ".join(f"<#{c}>" for c in place.channel_ids)
        return f"In this server I answer questions in {where}. Ask there, or ask a moderator to change `/settings channels`."

    # -- /ask ------------------------------------------------------------------------------------
    @app_commands.command(name="ask", description="Answer a question from the news corpus, with sources")
    @app_commands.describe(question="Your question (up to 300 characters)",
                           outlet="Only articles from this outlet",
                           since="Only articles published on or after this day (YYYY-MM-DD); wins over time words",
                           until="Only articles published on or before this day (YYYY-MM-DD); wins over time words",
                           results="How many passages to show (1-5)")
    async def ask(self, interaction: discord.Interaction, question: str, outlet: str | None = None,
                  since: str | None = None, until: str | None = None,
                  results: app_commands.Range[int, 1, MAX_RESULTS] | None = None) -> None:
        """Validate, take the user's turn, defer, then answer."""
        guild = interaction.guild_id
        refusal = self._channel_refusal(guild, interaction.channel_id)
        if refusal:
            await interaction.response.send_message(refusal, ephemeral=True, allowed_mentions=NO_MENTIONS)
            return
        try:
            text = clean_question(question)
            day_from, day_to = parse_day(since, "`since`"), parse_day(until, "`until`")
            check_range(day_from, day_to)
            outlets = await self._outlets(outlet, guild)
        except InputError as exc:
            await interaction.response.send_message(str(exc), ephemeral=True, allowed_mentions=NO_MENTIONS)
            return
        place = self.bot.settings_of(guild)
        wait = self.bot.cooldown.try_acquire(interaction.user.id, place.cooldown_seconds, guild)
        if wait:
            await interaction.response.send_message(Cooldown.message(wait), ephemeral=True,
                                                    allowed_mentions=NO_MENTIONS)
            return
        await interaction.response.defer(thinking=True)
        k = results or min(place.results_per_answer, MAX_RESULTS)
        request = Request(text, k, Filters(outlets, day_from, day_to))
        answer, answer_id, more = await self.bot.answering.answer(request, interaction.user, interaction.guild_id,
                                                                  interaction.channel_id)
        await interaction.edit_original_response(**answer_message(answer, answer_id, more, 0))

    @ask.autocomplete("outlet")
    async def outlet_autocomplete(self, interaction: discord.Interaction,
                                  current: str) -> list[app_commands.Choice[str]]:
        """Outlets this place sees, with their article counts."""
        return await self.bot.outlet_choices(current, interaction.guild_id)

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
        guild = message.guild.id if message.guild else None
        if self._channel_refusal(guild, message.channel.id):
            return  # a mention where the server does not want answers: stay quiet
        ids = {me.id} | ({own_role.id} if own_role else set())
        try:
            question = clean_question(strip_mentions(message.content, ids))
        except InputError as exc:
            await self._reply(message, content=str(exc))
            return
        place = self.bot.settings_of(guild)
        wait = self.bot.cooldown.try_acquire(message.author.id, place.cooldown_seconds, guild)
        if wait:
            await self._reply(message, content=Cooldown.message(wait))
            return
        k = min(place.results_per_answer, MAX_RESULTS)
        try:
            async with typing_indicator(message.channel):
                answer, answer_id, more = await self.bot.answering.answer(
                    Request(question, k), message.author, guild, message.channel.id)
        except Exception:  # noqa: BLE001 - the user must hear back; details go to the log
            log.exception("answering a mention failed")
            await self._reply(message, content="Something went wrong on the bot's side; the error was logged.")
            return
        await self._reply(message, **answer_message(answer, answer_id, more, 0))

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


async def setup(bot: NewsBot) -> None:
    """Extension entry point: add the cog and route clicks on answer buttons (also on messages sent before)."""
    await bot.add_cog(AskCog(bot))
    bot.add_dynamic_items(*BUTTONS)


async def teardown(bot: NewsBot) -> None:
    """Extension exit (on unload or close): stop routing the answer buttons."""
    bot.remove_dynamic_items(*BUTTONS)
