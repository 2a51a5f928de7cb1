"""/feeds add | remove | list: moderators manage the feeds that keep a corpus fresh.

Which corpus a command acts on is `bot.chat.targets`'s rule, as for `/corpus`: a home
server's moderators manage the base corpus's feeds; any other server's moderators their
server's own collection's (whose articles only that server sees); only the operator's
people may name the base from elsewhere. The work is `index.feeds.manage.FeedManager`'s
(the same as `newsbot feeds …`): `/feeds add` previews the feed a link leads to (the
link itself, or the feed its page announces) with Confirm / Cancel for the moderator who
asked; nothing is stored until Confirm. Every reply is ephemeral, mentions nobody, and every
change is logged and recorded in the history (`/corpus history`). A discord.py extension.
"""

from __future__ import annotations

import hashlib
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.chat.checks import NotModerator, moderator_only
from bot.chat.render.feeds import feeds_embed, preview_embed
from bot.chat.render.text import CONTENT_LIMIT, choice, shorten
from bot.chat.replies import NO_MENTIONS
from bot.chat.targets import CHOICES, Target, actor_of, change_target, target_or_refuse
from bot.chat.views.corpus import ConfirmView
from corpus.errors import CorpusError
from corpus.sources.discovery import FeedPreview
from index.errors import NewsIndexError
from index.feeds.manage import FeedManager

if TYPE_CHECKING:
    from bot.chat.client import NewsBot

log = logging.getLogger(__name__)

HASH_PREFIX = "feed:"  # autocomplete values name a feed by a hash of its address (addresses may pass 100 characters)



def feed_key(url: str) -> str:
    """The autocomplete value of a feed: `feed:` and 16 hex digits of its address's SHA-256."""
    return HASH_PREFIX + hashlib.sha256(url.encode()).hexdigest()[:16]


@app_commands.guild_only()
class FeedsCog(commands.GroupCog, group_name="feeds", group_description="Manage the feeds that keep the corpus fresh "
                                                                         "(moderators)"):
    """Add, remove and list feeds."""

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot
        super().__init__()

    def manager(self, target: Target) -> FeedManager:
        """The feed operations on the target's library, with the bot's clock and fetcher (`bot.polling`: the
        operator's fetch settings, one per-host delay for the process)."""
        return FeedManager(target.library, fetcher=self.bot.polling.fetcher, clock=self.bot.polling.clock)

    # -- /feeds add -------------------------------------------------------------------------------------
    @app_commands.command(name="add", description="Add an RSS/Atom feed, or the feed a page links to (moderators)")
    @app_commands.describe(url="The feed's address, or a news site's page that links its feed (http or https)",
                           corpus="Where its articles go (default: this server's articles; the shared corpus in the "
                                  "bot's home servers)")
    @app_commands.choices(corpus=CHOICES)
    @moderator_only()
    async def add(self, interaction: discord.Interaction, url: str, corpus: str | None = None) -> None:
        """Preview the feed the link leads to; Confirm stores it (polled from the next tick on)."""
        target = await target_or_refuse(self.bot, interaction, "feeds add", corpus)
        if target is None:
            return
        await interaction.response.defer(thinking=True, ephemeral=True)
        log.info("/feeds add by %s in %s: %s", actor_of(interaction), target.name, url)
        manager = self.manager(target)
        try:
            preview = await self.bot.run_blocking(manager.preview, url)
        except (CorpusError, NewsIndexError) as exc:
            log.info("/feeds add: %s refused: %s", url, exc.message)
            await self._say(interaction, f"Cannot add this feed: {_problem(exc)}")
            return

        async def confirmed(click: discord.Interaction) -> None:
            await self._confirmed(click, manager, preview, target)

        found = " (found on the page you gave)" if preview.found_on_page else ""
        view = ConfirmView(interaction.user.id, "/feeds add", "Confirm", confirmed, interaction)
        await interaction.edit_original_response(
            content=f"Add this feed{found} to {target.name}?", embed=preview_embed(preview, manager.schedule_text()),
            view=view, allowed_mentions=NO_MENTIONS)

    async def _confirmed(self, click: discord.Interaction, manager: FeedManager, preview: FeedPreview,
                         target: Target) -> None:
        try:
            await self.bot.run_blocking(manager.add, preview, actor_of(click))
        except NewsIndexError as exc:
            await click.response.edit_message(content=f"Nothing was changed: {exc.message}", view=None,
                                              allowed_mentions=NO_MENTIONS)
            return
        log.info("/feeds add: %s added %s to %s", actor_of(click), preview.url, target.name)
        self.bot.polling.wake()
        when = ("It is fetched within a minute, then " + manager.schedule_text() if self.bot.polling.enabled
                else "It is " + manager.schedule_text())
        await click.response.edit_message(
            content=shorten(f"Added the feed “{preview.title or preview.url}” to {target.name}. {when}; its new "
                            "entries' articles are added to the answers without a /refresh.", CONTENT_LIMIT),
            view=None, allowed_mentions=NO_MENTIONS)

    # -- /feeds remove ------------------------------------------------------------------------------------
    @app_commands.command(name="remove", description="Stop polling a feed; its saved articles stay (moderators)")
    @app_commands.describe(feed="The feed: start typing its title or address",
                           corpus="Whose feeds (default: this server's; the shared corpus in the bot's home servers)")
    @app_commands.choices(corpus=CHOICES)
    @moderator_only()
    async def remove(self, interaction: discord.Interaction, feed: str, corpus: str | None = None) -> None:
        """Remove the feed at once (nothing is deleted: the articles saved from it stay in the corpus)."""
        target = await target_or_refuse(self.bot, interaction, "feeds remove", corpus)
        if target is None:
            return
        await interaction.response.defer(thinking=True, ephemeral=True)
        manager = self.manager(target)
        try:
            record = await self.bot.run_blocking(self._remove, manager, feed, actor_of(interaction))
        except NewsIndexError as exc:
            await self._say(interaction, f"Nothing was changed: {exc.message}")
            return
        log.info("/feeds remove by %s in %s: %s", actor_of(interaction), target.name, record.url)
        await self._say(interaction, f"Removed the feed “{record.name}” from {target.name}: it is no longer polled. "
                                     f"The {record.articles_saved} article(s) saved from it stay (`/corpus remove` "
                                     "takes one out).")

    @staticmethod
    def _remove(manager: FeedManager, query: str, actor: str):  # noqa: ANN205 - FeedRecord
        if query.startswith(HASH_PREFIX):
            query = next((f.url for f in manager.feeds() if feed_key(f.url) == query), query)
        return manager.remove(query, actor)

    @remove.autocomplete("feed")
    async def remove_autocomplete(self, interaction: discord.Interaction,
                                  current: str) -> list[app_commands.Choice[str]]:
        """This corpus's feeds whose title or address contains what was typed (none for non-moderators)."""
        if not await self.bot.may_moderate(interaction):
            return []
        asked = getattr(interaction.namespace, "corpus", None)
        try:
            target = await change_target(self.bot, interaction, "feeds remove", asked)
        except NotModerator:
            return []
        feeds = await self.bot.run_blocking(self.manager(target).feeds)
        wanted = current.casefold().strip()
        return [choice(f"{f.title} ({f.url})" if f.title else f.url, feed_key(f.url)) for f in feeds
                if wanted in (f.title or "").casefold() or wanted in f.url.casefold()][:25]

    # -- /feeds list --------------------------------------------------------------------------------------
    @app_commands.command(name="list", description="The feeds and how each is doing (moderators)")
    @app_commands.describe(corpus="Whose feeds (default: this server's; the shared corpus in the bot's home servers)")
    @app_commands.choices(corpus=CHOICES)
    @moderator_only()
    async def list_feeds(self, interaction: discord.Interaction, corpus: str | None = None) -> None:
        """Each feed: last fetch, last success, last error, failures in a row, next due, entries, articles saved."""
        target = await target_or_refuse(self.bot, interaction, "feeds list", corpus)
        if target is None:
            return
        await interaction.response.defer(thinking=True, ephemeral=True)
        manager = self.manager(target)
        feeds = await self.bot.run_blocking(manager.feeds)
        await interaction.edit_original_response(embed=feeds_embed(feeds, manager.now(), manager.interval,
                                                                   target.name),
                                                 allowed_mentions=NO_MENTIONS)

    async def _say(self, interaction: discord.Interaction, text: str) -> None:
        await interaction.edit_original_response(content=shorten(text, CONTENT_LIMIT), embed=None, view=None,
                                                 allowed_mentions=NO_MENTIONS)


def _problem(exc: CorpusError | NewsIndexError) -> str:
    """`problem — fix` for a fetch or feed problem, the message for an index one."""
    if isinstance(exc, CorpusError):
        return f"{exc.problem} — {exc.fix}"
    return exc.message


async def setup(bot: NewsBot) -> None:
    """Extension entry point: add the `/feeds` command group."""
    await bot.add_cog(FeedsCog(bot))
