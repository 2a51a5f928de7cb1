"""/refresh for moderators: re-read the corpus while answering from the current index, with live progress.

A discord.py extension (`setup`). Which refresh is running is the bot's
(`bot.refreshing`), so `/stats` can show it without asking this cog.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.chat.authority import base_refusal
from bot.chat.checks import moderator_only
from bot.chat.progress import RefreshTracker, format_elapsed, run_with_progress
from bot.chat.render.answer import CONTENT_LIMIT, shorten
from bot.chat.replies import NO_MENTIONS
from corpus.errors import CorpusError
from index.errors import IndexBusy, NewsIndexError

if TYPE_CHECKING:
    from bot.chat.client import NewsBot

log = logging.getLogger(__name__)


class AdminCog(commands.Cog, name="Admin"):
    """Moderator commands."""

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot

    @app_commands.command(name="refresh", description="Re-read the shared corpus folder and feeds (the bot's operators)")
    @app_commands.describe(dry_run="Only show what would change, without changing anything")
    @app_commands.guild_only()
    @moderator_only()
    async def refresh(self, interaction: discord.Interaction, dry_run: bool = False) -> None:
        """Run the library's refresh in a thread, editing the reply with progress and then the summary.

        One refresh at a time per bot: while `bot.refreshing` holds one, others are refused privately.
        It re-reads the base corpus (the operator's folder and feeds), so only the operator's people may run
        it (`bot.chat.authority`); a server's own articles are indexed as moderators change them.
        """
        if not await self.bot.may_change_base(interaction):
            await interaction.response.send_message(base_refusal("refresh", self.bot.operators), ephemeral=True,
                                                    allowed_mentions=NO_MENTIONS)
            return
        running = self.bot.refreshing.current
        if running is not None:
            await interaction.response.send_message(
                f"A refresh started by {running.actor} is still running "
                f"({format_elapsed(running.elapsed)} so far). Wait for its summary, then try again.",
                ephemeral=True, allowed_mentions=NO_MENTIONS)
            return
        with self.bot.refreshing.track(interaction.user.mention) as tracker:
            await interaction.response.send_message(tracker.text(), allowed_mentions=NO_MENTIONS)
            actor = f"{interaction.user} ({interaction.user.id})"
            log.info("refresh started by %s%s", actor, " (dry run)" if dry_run else "")
            task = await run_with_progress(self.bot, tracker, lambda text: self._edit(interaction, text),
                                           self.bot.library.refresh, progress=tracker, dry_run=dry_run, actor=actor)
            await self._edit(interaction, self._outcome(task, tracker))
            if not dry_run:
                asyncio.ensure_future(self.bot.catalog())  # warm the new version's catalogue

    def _outcome(self, task: asyncio.Future, tracker: RefreshTracker) -> str:
        """The final message for a finished refresh task."""
        try:
            report = task.result()
        except IndexBusy as exc:  # another process's (a shard's, the command line's): its message says whose
            return f"Nothing was refreshed: {exc.message}."
        except (NewsIndexError, CorpusError) as exc:
            log.error("refresh failed: %s", exc.message)
            return f"The refresh failed: {exc.message}\nThe bot keeps answering from the previous index."
        except Exception:  # noqa: BLE001 - report, keep serving
            log.exception("refresh failed")
            return "The refresh failed on the bot's side (see its log). The bot keeps answering from the previous index."
        log.info("refresh finished: %s", "; ".join(report.summary_lines()))
        return tracker.summary(report.summary_lines())

    async def _edit(self, interaction: discord.Interaction, text: str) -> None:
        """Edit the reply; after Discord's 15-minute token expiry, post in the channel instead."""
        text = shorten(text, CONTENT_LIMIT)
        try:
            await interaction.edit_original_response(content=text, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as exc:
            log.warning("could not edit the refresh message (%s); posting it instead", exc)
            channel = interaction.channel
            if isinstance(channel, discord.abc.Messageable):
                try:
                    await channel.send(text, allowed_mentions=NO_MENTIONS)
                except discord.HTTPException as again:
                    log.warning("could not post the refresh message either: %s", again)


async def setup(bot: NewsBot) -> None:
    """Extension entry point: add the cog."""
    await bot.add_cog(AdminCog(bot))
