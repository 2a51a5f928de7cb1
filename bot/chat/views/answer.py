"""Buttons under an answer that keep working after a restart: their custom ids carry everything they need.

discord.py's `DynamicItem` matches a custom id against a template, so a click
on a message sent days ago (before a restart) is still routed. A feedback
button carries the answer's number and the passage id; the question, filters
and index version are read back from the state database. Both buttons are
registered by the Ask cog's extension (`bot.chat.cogs.ask.setup`).
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

import discord

from bot.chat.replies import NO_MENTIONS
from bot.presentation import Answer

if TYPE_CHECKING:
    from bot.chat.client import NewsBot

log = logging.getLogger(__name__)

VERDICT_CODES = {"ok": "helpful", "bad": "wrong_source"}


class FeedbackButton(discord.ui.DynamicItem[discord.ui.Button], template=r"nb:fb:(?P<v>ok|bad):(?P<a>\d+):(?P<p>p[0-9a-f]{1,12})"):
    """"Helpful" / "Wrong source" on one passage of one answer (custom id `nb:fb:<ok|bad>:<answer>:<passage>`)."""

    def __init__(self, verdict: str, answer_id: int, passage_id: str, rank: int, row: int | None = None) -> None:
        helpful = verdict == "ok"
        label = f"Helpful ({rank})" if helpful else f"Wrong source ({rank})"
        super().__init__(discord.ui.Button(
            label=label, row=row, custom_id=f"nb:fb:{verdict}:{answer_id}:{passage_id}",
            style=discord.ButtonStyle.success if helpful else discord.ButtonStyle.secondary))
        self.verdict, self.answer_id, self.passage_id, self.rank = verdict, answer_id, passage_id, rank

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button,
                             match: re.Match[str]) -> FeedbackButton:
        """The button behind a click, rebuilt from its custom id (the rank from its label)."""
        rank = int(m.group(1)) if (m := re.search(r"\((\d+)\)", item.label or "")) else 0
        return cls(match["v"], int(match["a"]), match["p"], rank)

    async def callback(self, interaction: discord.Interaction) -> None:
        """Record the verdict (once per user, answer and passage; a new click replaces it)."""
        bot: NewsBot = interaction.client  # type: ignore[assignment]
        store = bot.feedback
        record = await bot.run_blocking(store.answer, self.answer_id)
        if record is None:
            await interaction.response.send_message("This answer is no longer on record; nothing was saved.",
                                                    ephemeral=True, allowed_mentions=NO_MENTIONS)
            return

        def article_of() -> str | None:
            found = bot.view(interaction.guild_id).passage(self.passage_id)
            return found[1].id if found else None

        article_id = await bot.run_blocking(article_of)
        changed = await bot.run_blocking(
            store.record_feedback, record, self.passage_id, VERDICT_CODES[self.verdict], interaction.user.id,
            str(interaction.user), article_id, interaction.guild_id, interaction.channel_id)
        what = "was helpful" if self.verdict == "ok" else "came from the wrong source"
        note = " (your earlier verdict was replaced)" if changed else ""
        await interaction.response.send_message(f"Thanks: noted that passage `{self.passage_id}` {what}{note}.",
                                                ephemeral=True, allowed_mentions=NO_MENTIONS)


class MoreButton(discord.ui.DynamicItem[discord.ui.Button], template=r"nb:more:(?P<a>\d+):(?P<s>\d+)"):
    """Shows the next passages of an answer (custom id `nb:more:<answer>:<passages shown so far>`)."""

    def __init__(self, answer_id: int, shown: int, row: int | None = None, label: str = "More results") -> None:
        super().__init__(discord.ui.Button(label=label, style=discord.ButtonStyle.primary, row=row,
                                           custom_id=f"nb:more:{answer_id}:{shown}"))
        self.answer_id, self.shown = answer_id, shown

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button,
                             match: re.Match[str]) -> MoreButton:
        """The button behind a click, rebuilt from its custom id (keeping its label)."""
        return cls(int(match["a"]), int(match["s"]), label=item.label or "More results")

    async def callback(self, interaction: discord.Interaction) -> None:
        """Answer the click through the bot's `Answering` (the same path as `/ask`)."""
        bot: NewsBot = interaction.client  # type: ignore[assignment]
        await bot.answering.more(interaction, self.answer_id, self.shown)


def answer_view(answer_id: int, answer: Answer, more: bool, shown: int, shown_anyway: bool = False) -> discord.ui.View:
    """Feedback buttons, two results per row, then "More results" when more may exist.

    A reply that admits "nothing reliable" has no feedback buttons, only an
    offer to show the closest passages anyway.
    """
    view = discord.ui.View(timeout=None)
    cards = answer.items[:8] if (answer.confident or shown_anyway) else ()
    for i, item in enumerate(cards):
        view.add_item(FeedbackButton("ok", answer_id, item.passage_id, item.rank, i // 2))
        view.add_item(FeedbackButton("bad", answer_id, item.passage_id, item.rank, i // 2))
    if cards and more:
        view.add_item(MoreButton(answer_id, shown, min(4, (len(cards) + 1) // 2)))
    elif not cards and answer.items:
        view.add_item(MoreButton(answer_id, 0, 0, label="Show the closest passages anyway"))
    return view
