"""Answering a question on Discord: search (off the event loop), compose, record, and the message to send.

One `Answering` per bot (`NewsBot.answering`), used by `/ask`, mentions and DMs
(the Ask cog) and by the "More results" button of any earlier answer, so the
button works without reaching into a cog.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import discord

from bot.chat.render.answer import answer_embeds, question_line
from bot.chat.replies import NO_MENTIONS
from bot.chat.views.answer import answer_view
from bot.feedback import AnswerRecord
from bot.presentation import Answer, compose_answer
from bot.timewindows import empty_window, scope_question
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


def answer_message(answer: Answer, answer_id: int, more: bool, shown: int, anyway: bool = False) -> dict:
    """Keyword arguments of a send/edit call for an answer: content, embeds, buttons, never pinging anyone.

    Args:
        answer_id: the answer's number in the state database (its buttons carry it).
        more: more passages may exist (offer "More results").
        shown: passages of this answer shown before (the next "More results" skips them and these).
        anyway: show the passages even though the answer is not confident (the user asked).
    """
    low = anyway and not answer.confident
    return {"content": question_line(answer.question, low), "embeds": answer_embeds(answer, anyway),
            "view": answer_view(answer_id, answer, more, shown + len(answer.items), anyway),
            "allowed_mentions": NO_MENTIONS}


class Answering:
    """Questions to recorded answers, for one bot (its search service, settings and feedback store)."""

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot

    async def answer(self, request: Request, user: discord.abc.User, guild_id: int | None, channel_id: int | None,
                     skip: int = 0, anyway: bool = False) -> tuple[Answer, int, bool]:
        """Search in a thread, compose, record; returns (answer, answer number, whether more may exist).

        Args:
            skip: passages already shown for this question (the "More results" offset).
            The question's time words ("last week") restrict the dates unless the request's filters name
            dates (`bot.timewindows`); "today" is the bot's (`NewsBot.today`).
            anyway: the passages will be shown even if the answer is not confident.

        Raises:
            NewsIndexError, CorpusError: the index cannot be read (the caller tells the user).
        """
        bot = self.bot
        settings = bot.settings

        today = bot.today()

        def search():  # noqa: ANN202 - runs in a worker thread (dateparser's first use loads its language data)
            scoped = scope_question(request.question, request.filters, today)
            view = bot.view(guild_id)
            found = view.search(scoped.text, k=request.k + skip, per_article=settings.per_article,
                                filters=scoped.filters)
            return found, empty_window(scoped.window, scoped.filters, bool(found.hits), view.nearest_dates)

        result, window = await bot.run_blocking(search)
        answer = compose_answer(result, skip=skip, filters_note=request.note(), window=window,
                                question=request.question)
        shown = [item.passage_id for item in answer.items] if (answer.confident or anyway) else []
        answer_id = await bot.run_blocking(bot.feedback.record_answer, request.question, request.as_record(),
                                           request.k, result.index_version, shown, user.id, guild_id, channel_id)
        return answer, answer_id, len(result.hits) >= request.k + skip

    async def more(self, interaction: discord.Interaction, answer_id: int, shown: int) -> None:
        """The next passages after the first `shown` of answer `answer_id`, privately to whoever clicked.

        An answer no longer on record gets a private "ask again"; one with no
        further passage says so. Errors of the search propagate to the caller
        (for a button, discord.py logs them).
        """
        bot = self.bot
        record = await bot.run_blocking(bot.feedback.answer, answer_id)
        if record is None:
            await interaction.response.send_message("This answer is too old to extend: ask again with /ask.",
                                                    ephemeral=True, allowed_mentions=NO_MENTIONS)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        answer, new_id, more = await self.answer(Request.from_record(record), interaction.user,
                                                 interaction.guild_id, interaction.channel_id, skip=shown,
                                                 anyway=True)
        if answer.empty:
            await interaction.edit_original_response(content="No further passage answers this question.",
                                                     allowed_mentions=NO_MENTIONS)
            return
        await interaction.edit_original_response(**answer_message(answer, new_id, more, shown, True))
