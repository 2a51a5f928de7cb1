"""The `/sources` article list as a message, and its ◀ / ▶ buttons (which keep working after a restart).

`sources_message` renders one page for the bot; `SourcesCog` sends it and
`SourcesPageButton` edits it in place, so a click needs no cog. `index_stats`
gives the figures of the list's footer and of `/stats`. The button is
registered by the Sources cog's extension (`bot.chat.cogs.sources.setup`).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

import discord

from bot.chat.catalog import Catalog
from bot.chat.render.feeds import stats_value
from bot.chat.render.listing import sources_page
from bot.chat.render.source import IndexStats, sources_embed
from bot.chat.replies import NO_MENTIONS
from bot.feedback import DMS
from corpus.article import Article
from corpus.outlets import outlet_key
from index.feeds.manage import FeedManager

if TYPE_CHECKING:
    from bot.chat.client import NewsBot


async def index_stats(bot: NewsBot, catalog: Catalog, guild_id: int | None = None) -> IndexStats:
    """Figures of what a place sees, whether a `/refresh` is running, the feedback given there, and the state of
    the feeds that keep it fresh (the shared corpus's, and the server's own)."""
    counts = await bot.run_blocking(bot.feedback.counts, DMS if guild_id is None else guild_id)
    feeds = await bot.run_blocking(_feed_fields, bot, guild_id)
    return IndexStats(len(catalog.articles), catalog.passages, len(catalog.outlets), catalog.model,
                      catalog.version, catalog.built_at, bot.refreshing.running,
                      counts["helpful"], counts["wrong_source"], feeds)


def _feed_fields(bot: NewsBot, guild_id: int | None) -> tuple[tuple[str, str], ...]:
    """(field name, value) for the shared corpus's feeds and, in a server that has some, its own; blocking."""
    now = bot.polling.clock()
    fields = []
    places = [(None, "Feeds (shared corpus)")] + ([(guild_id, "Feeds (this server)")] if guild_id is not None else [])
    for server_id, name in places:
        if server_id is not None and not bot.collections.server_dir(server_id).is_dir():
            continue
        manager = FeedManager(bot.collections.library(server_id, use=False))
        feeds = manager.feeds()
        if feeds or server_id is None:
            fields.append((name, stats_value(feeds, now, manager.interval)))
    return tuple(fields)


async def sources_message(bot: NewsBot, page: int, outlet: str, guild_id: int | None = None) -> dict:
    """Keyword arguments of a send/edit call for one page of what a place sees (`outlet`: a name, or '' for all).

    A page past the end shows the last one (see `sources_page`). Raises what
    reading the catalogue raises (`NewsIndexError`, `CorpusError`).
    """
    catalog = await bot.catalog(guild_id)
    listing = sources_page(catalog.articles, page, outlet)
    # the catalogue holds no bodies; the page's own articles are read whole (their paragraph counts)
    listing = replace(listing, articles=await bot.run_blocking(_whole, bot, guild_id, listing.articles))
    key = outlet_key(listing.outlet_name) if outlet else ""
    footer = (await index_stats(bot, catalog, guild_id)).footer()
    return {"embed": sources_embed(listing, footer), "view": sources_view(listing.page, listing.pages, key),
            "allowed_mentions": NO_MENTIONS}


def _whole(bot: NewsBot, guild_id: int | None, articles: tuple[Article, ...]) -> tuple[Article, ...]:
    """`articles` read again with their bodies from the place's view (one left as it is if it just vanished)."""
    meta = bot.view(guild_id).meta
    return tuple(meta.article(a.id) or a for a in articles)


class SourcesPageButton(discord.ui.DynamicItem[discord.ui.Button],
                        template=r"nb:src:(?P<page>\d+):(?P<dir>prev|next):(?P<outlet>[a-z0-9]{0,60})"):
    """◀ / ▶ on a `/sources` page (custom id `nb:src:<page>:<prev|next>:<outlet key>`)."""

    def __init__(self, page: int, direction: str, outlet: str, disabled: bool = False) -> None:
        label = "◀ Previous" if direction == "prev" else "Next ▶"
        super().__init__(discord.ui.Button(label=label, style=discord.ButtonStyle.secondary, disabled=disabled,
                                           custom_id=f"nb:src:{page}:{direction}:{outlet[:60]}"))
        self.page, self.outlet = page, outlet

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button,
                             match: re.Match[str]) -> SourcesPageButton:
        """The button behind a click, rebuilt from its custom id."""
        return cls(int(match["page"]), match["dir"], match["outlet"])

    async def callback(self, interaction: discord.Interaction) -> None:
        """Edit the list message in place to the page this button names."""
        bot: NewsBot = interaction.client  # type: ignore[assignment]
        outlet = ""
        if self.outlet:
            catalog = await bot.catalog(interaction.guild_id)
            outlet = next((name for name, _ in catalog.outlets if outlet_key(name) == self.outlet), "")
        await interaction.response.edit_message(**await sources_message(bot, self.page, outlet, interaction.guild_id))


def sources_view(page: int, pages: int, outlet_key: str) -> discord.ui.View:
    """Previous / next buttons (disabled at the ends)."""
    view = discord.ui.View(timeout=None)
    view.add_item(SourcesPageButton(page - 1, "prev", outlet_key, disabled=page <= 1))
    view.add_item(SourcesPageButton(page + 1, "next", outlet_key, disabled=page >= pages))
    return view
