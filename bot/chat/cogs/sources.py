"""/sources (the article list, paginated with buttons) and /stats."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.chat.catalog import Catalog
from bot.chat.client import NO_MENTIONS
from bot.chat.render.listing import sources_page
from bot.chat.render.source import IndexStats, sources_embed, stats_embed
from bot.chat.views.answer import sources_view
from corpus.outlets import outlet_key

if TYPE_CHECKING:
    from bot.chat.client import NewsBot


class SourcesCog(commands.Cog, name="Sources"):
    """What the corpus holds."""

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot

    async def stats(self, catalog: Catalog) -> IndexStats:
        """Figures for /stats and the /sources footer."""
        counts = await self.bot.run_blocking(self.bot.feedback.counts)
        admin = self.bot.get_cog("Admin")
        return IndexStats(len(catalog.articles), catalog.passages, len(catalog.outlets), catalog.model,
                          catalog.version, catalog.built_at, bool(admin and admin.running),  # type: ignore[attr-defined]
                          counts["helpful"], counts["wrong_source"])

    async def page_message(self, page: int, outlet: str) -> dict:
        """Keyword arguments of a send/edit call for one page."""
        catalog = await self.bot.catalog()
        listing = sources_page(catalog.articles, page, outlet)
        key = outlet_key(listing.outlet_name) if outlet else ""
        footer = (await self.stats(catalog)).footer()
        return {"embed": sources_embed(listing, footer), "view": sources_view(listing.page, listing.pages, key),
                "allowed_mentions": NO_MENTIONS}

    @app_commands.command(name="sources", description="The articles in the corpus, newest first")
    @app_commands.describe(outlet="Only articles from this outlet", page="Page number (10 articles per page)")
    async def sources(self, interaction: discord.Interaction, outlet: str | None = None,
                      page: app_commands.Range[int, 1, 100_000] = 1) -> None:
        """Show one page of the article list."""
        await interaction.response.send_message(**await self.page_message(page, outlet or ""))

    @sources.autocomplete("outlet")
    async def outlet_autocomplete(self, interaction: discord.Interaction,
                                  current: str) -> list[app_commands.Choice[str]]:
        """Outlets of the corpus with their article counts."""
        return await self.bot.outlet_choices(current)

    async def turn_page(self, interaction: discord.Interaction, page: int, outlet_key_: str) -> None:
        """A ◀ / ▶ click: edit the list message in place."""
        catalog = await self.bot.catalog()
        outlet = next((name for name, _ in catalog.outlets if outlet_key(name) == outlet_key_), "") if outlet_key_ else ""
        await interaction.response.edit_message(**await self.page_message(page, outlet))

    @app_commands.command(name="stats", description="Articles, passages, model and last refresh of the index")
    async def stats_command(self, interaction: discord.Interaction) -> None:
        """Index figures."""
        catalog = await self.bot.catalog()
        await interaction.response.send_message(embed=stats_embed(await self.stats(catalog)),
                                                allowed_mentions=NO_MENTIONS)
