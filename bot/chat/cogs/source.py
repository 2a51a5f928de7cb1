"""/source and the "Find source" message command: where a passage, article or quote comes from.

A discord.py extension (`setup`); the cog adds its message command to the tree when loaded.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.chat.cooldown import Cooldown
from bot.chat.render.text import choice, shorten
from bot.chat.render.source import source_embed
from bot.chat.replies import NO_MENTIONS
from bot.presentation import format_date
from index.search.lookup import ARTICLE_PREFIX, SourceAnswer, SourceLookup

if TYPE_CHECKING:
    from bot.chat.client import NewsBot

log = logging.getLogger(__name__)

MAX_QUERY_CHARS = 1000
_PASSAGE_PREFIX = re.compile(r"^p[0-9a-f]{0,12}$")


def message_text(message: discord.Message) -> str:
    """The text of a message to trace: its content, else the text of its embeds."""
    if message.content.strip():
        return message.content
    parts = []
    for embed in message.embeds:
        parts.extend(p for p in (embed.title, embed.description) if p)
    return "\n".join(parts)


class SourceCog(commands.Cog, name="Source"):
    """Source lookup by passage id, article title or quote."""

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot
        self.menu = app_commands.ContextMenu(name="Find source", callback=self.find_source)

    async def cog_load(self) -> None:
        """Add the "Find source" message command (a context menu cannot be a cog attribute)."""
        self.bot.tree.add_command(self.menu)

    async def cog_unload(self) -> None:
        """Remove the "Find source" message command."""
        self.bot.tree.remove_command(self.menu.name, type=self.menu.type)

    async def lookup(self, query: str, guild_id: int | None) -> tuple[SourceAnswer, str]:
        """Resolve a query among what this place sees, in a thread; returns the answer and the versions used."""
        def run() -> tuple[SourceAnswer, str]:
            view = self.bot.view(guild_id)
            return SourceLookup(view).lookup(query), view.version

        return await self.bot.run_blocking(run)

    async def _respond(self, interaction: discord.Interaction, query: str, ephemeral: bool, note: str = "") -> None:
        """Cooldown, defer, look up, reply."""
        guild = interaction.guild_id
        wait = self.bot.cooldown.try_acquire(interaction.user.id, self.bot.settings_of(guild).cooldown_seconds, guild)
        if wait:
            await interaction.response.send_message(Cooldown.message(wait), ephemeral=True,
                                                    allowed_mentions=NO_MENTIONS)
            return
        await interaction.response.defer(thinking=True, ephemeral=ephemeral)
        answer, version = await self.lookup(query, guild)
        embed = source_embed(answer, self.bot.library.corpus_dir, version)
        await interaction.edit_original_response(content=note or None, embed=embed, allowed_mentions=NO_MENTIONS)

    @app_commands.command(name="source", description="Where does this come from? A passage id, a title or a quote")
    @app_commands.describe(query="A passage id (p…), an article title, or a quote pasted from anywhere")
    async def source(self, interaction: discord.Interaction, query: str) -> None:
        """Full attribution of a passage or article, or the place a quote comes from."""
        text = " ".join(query.split())
        if len(re.findall(r"[^\W_]+", text)) == 0:
            await interaction.response.send_message(
                "Give a passage id (like `p1a2b3c4d5`), an article title, or a quote of at least a few words.",
                ephemeral=True, allowed_mentions=NO_MENTIONS)
            return
        if len(text) > MAX_QUERY_CHARS:
            await interaction.response.send_message(
                f"That is {len(text)} characters; the limit is {MAX_QUERY_CHARS}. Paste just the sentence or "
                "two you want to trace.", ephemeral=True, allowed_mentions=NO_MENTIONS)
            return
        await self._respond(interaction, text, ephemeral=False)

    @source.autocomplete("query")
    async def source_autocomplete(self, interaction: discord.Interaction,
                                  current: str) -> list[app_commands.Choice[str]]:
        """Passage ids shown to this user recently, then article titles matching what was typed (of this place)."""
        catalog = await self.bot.catalog(interaction.guild_id)
        typed = " ".join(current.split())
        choices: list[app_commands.Choice[str]] = []
        if not typed or _PASSAGE_PREFIX.match(typed.lower()):
            recent = await self.bot.run_blocking(self.bot.feedback.recent_passages, interaction.user.id, 10,
                                                 interaction.guild_id)
            choices += [choice(f"{pid}: a passage shown to you", pid) for pid in recent
                        if pid.startswith(typed.lower())][:5]
        wanted = typed.casefold()
        for article in catalog.articles:
            if len(choices) >= 25:
                break
            if wanted in article.title.casefold():
                when = format_date(article.published)
                choices.append(choice(f"{article.title} ({article.outlet}, {when})", f"{ARTICLE_PREFIX}{article.id}"))
        if len(typed.split()) >= 4 and len(typed) <= 100 and len(choices) < 25:
            choices.insert(0, choice(f"Find this quote: “{typed}”", typed))
        return choices[:25]

    async def find_source(self, interaction: discord.Interaction, message: discord.Message) -> None:
        """The "Find source" message command: trace the text of any message, privately."""
        text = " ".join(message_text(message).split())
        if not re.search(r"[^\W_]", text):
            await interaction.response.send_message("This message has no text to trace.", ephemeral=True,
                                                    allowed_mentions=NO_MENTIONS)
            return
        note = ""
        if len(text) > MAX_QUERY_CHARS:
            text = shorten(text, MAX_QUERY_CHARS)
            note = f"The message is long: only its first {MAX_QUERY_CHARS} characters were traced."
        await self._respond(interaction, text, ephemeral=True, note=note)


async def setup(bot: NewsBot) -> None:
    """Extension entry point: add the cog."""
    await bot.add_cog(SourceCog(bot))
