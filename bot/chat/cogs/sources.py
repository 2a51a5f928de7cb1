"""/sources (the article list, paginated with buttons) and /stats.

A discord.py extension: `setup` adds the cog and registers the list's page
buttons. The list itself is rendered by `bot.chat.views.sources`, which the
buttons use too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.chat.render.source import stats_embed
from bot.chat.replies import NO_MENTIONS
from bot.chat.views.sources import SourcesPageButton, index_stats, sources_message

if TYPE_CHECKING:
    from bot.chat.client import NewsBot

BUTTONS = (SourcesPageButton,)


class SourcesCog(commands.Cog, name="Sources"):
    """What the corpus holds."""

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot

    @app_commands.command(name="sources", description="The articles in the corpus, newest first")
    @app_commands.describe(outlet="Only articles from this outlet", page="Page number (10 articles per page)")
    async def sources(self, interaction: discord.Interaction, outlet: str | None = None,
                      page: app_commands.Range[int, 1, 100_000] = 1) -> None:
        """Show one page of the article list."""
        await interaction.response.send_message(**await sources_message(self.bot, page, outlet or "",
                                                                         interaction.guild_id))

    @sources.autocomplete("outlet")
    async def outlet_autocomplete(self, interaction: discord.Interaction,
                                  current: str) -> list[app_commands.Choice[str]]:
        """Outlets this place sees, with their article counts."""
        return await self.bot.outlet_choices(current, interaction.guild_id)

    @app_commands.command(name="stats", description="Articles, passages, model and last refresh of the index")
    async def stats_command(self, interaction: discord.Interaction) -> None:
        """Index figures (and whether a refresh is running: `bot.refreshing`)."""
        catalog = await self.bot.catalog(interaction.guild_id)
        stats = await index_stats(self.bot, catalog, interaction.guild_id)
        await interaction.response.send_message(embed=stats_embed(stats),
                                                allowed_mentions=NO_MENTIONS)


async def setup(bot: NewsBot) -> None:
    """Extension entry point: add the cog and route clicks on the list's page buttons (also on old messages)."""
    await bot.add_cog(SourcesCog(bot))
    bot.add_dynamic_items(*BUTTONS)


async def teardown(bot: NewsBot) -> None:
    """Extension exit (on unload or close): stop routing the page buttons."""
    bot.remove_dynamic_items(*BUTTONS)
