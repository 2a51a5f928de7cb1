"""Messages of `/feeds …` and the feeds field of `/stats`: a feed's preview, the list of feeds with their state.

Text from feeds (titles, addresses, errors) is escaped so it shows literally, and everything
is fitted to Discord's limits (`bot.chat.render.budget`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import discord

from bot.chat.render.budget import fit_embed
from bot.chat.render.source import join_lines
from bot.chat.render.text import (DESCRIPTION_LIMIT, FIELD_VALUE_LIMIT, TITLE_LIMIT, encode_url, escape,
                                  escape_title, fit_text)
from corpus.sources.discovery import FeedPreview
from index.feeds.store import FeedRecord, status_line

FEED_COLOUR = discord.Colour.orange()
FORMATS = {"rss20": "RSS 2.0", "rss10": "RSS 1.0", "rss090": "RSS 0.90", "rss091u": "RSS 0.91", "rss091n": "RSS 0.91",
           "rss092": "RSS 0.92", "rss093": "RSS 0.93", "rss094": "RSS 0.94", "atom10": "Atom 1.0", "atom03": "Atom 0.3"}


def preview_embed(preview: FeedPreview, schedule: str) -> discord.Embed:
    """The feed a link leads to: title, address, format, entry count and newest entries."""
    embed = discord.Embed(title=fit_text(preview.title or preview.url, TITLE_LIMIT, escape_title),
                          url=encode_url(preview.url), colour=FEED_COLOUR)
    lines = [f"• {fit_text(e.title, 150)}" + (f" ({escape(e.published[:40])})" if e.published else "")
             for e in preview.newest]
    embed.description = ("**Newest entries**\n" + join_lines(lines, DESCRIPTION_LIMIT - 40)) if lines else \
        "The feed lists no entries right now."
    embed.add_field(name="Feed", value=fit_text(preview.url, 500))
    embed.add_field(name="Entries", value=str(preview.entries))
    embed.add_field(name="Format", value=FORMATS.get(preview.version, preview.version or "unknown"))
    if preview.found_on_page:
        embed.add_field(name="Found on", value=fit_text(preview.asked, 500), inline=False)
    embed.set_footer(text=f"Nothing is saved until you confirm. Then it is {schedule}; new entries' articles are "
                          "added without a /refresh.")
    return fit_embed(embed)


def feeds_embed(feeds: Sequence[FeedRecord], now: datetime, interval: timedelta, where: str) -> discord.Embed:
    """Every feed of a corpus with its state (last fetch, last success, error, failures, next due, counts)."""
    embed = discord.Embed(title=f"Feeds of {where}", colour=FEED_COLOUR)
    if not feeds:
        embed.description = "No feed yet. `/feeds add url:` adds one (a feed's address, or a page that links its feed)."
        return fit_embed(embed)
    lines = [fit_text(feed_line(f, now, interval), 600) for f in feeds]
    embed.description = join_lines(lines, DESCRIPTION_LIMIT - 60, "… and {n} more feeds")
    every = f"every {int(interval.total_seconds() // 60)} min" if interval > timedelta(0) else "only by /refresh"
    embed.set_footer(text=f"Polled {every}; a failing feed waits twice as long after each failure (at most a day). "
                          "Times in UTC.")
    return fit_embed(embed)


def feed_line(feed: FeedRecord, now: datetime, interval: timedelta) -> str:
    """One feed's state, escaped, with its last fetch."""
    line = escape(status_line(feed, now, interval))
    return ("⚠️ " if feed.failures else "• ") + line


def stats_value(feeds: Sequence[FeedRecord], now: datetime, interval: timedelta) -> str:
    """The `/stats` field: how many feeds, failing ones first, each with its state."""
    if not feeds:
        return "none (`/feeds add` adds one)"
    failing = sum(1 for f in feeds if f.failures)
    head = f"{len(feeds)} feed(s)" + (f", {failing} failing" if failing else "") + \
        (f", polled every {int(interval.total_seconds() // 60)} min" if interval > timedelta(0) else ", polled by /refresh")
    ordered = sorted(feeds, key=lambda f: (not f.failures,))
    return join_lines([head] + [fit_text(feed_line(f, now, interval), 300) for f in ordered], FIELD_VALUE_LIMIT - 20,
                      "… and {n} more (`/feeds list`)")
