"""The Discord client: a `commands.Bot` holding the library and settings it is given.

Everything the cogs need (library, settings, cooldown, feedback store,
catalogue, the answering path, the running refresh) hangs off this object, so
a cog or a button callback reaches it as `interaction.client`; cogs never
reach into each other. The API base and gateway it talks to are its own too
(`bot.chat.endpoints`): nothing here changes discord.py for the whole process,
and nothing here reads the environment.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import date, datetime, timezone
from typing import Any, TypeVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.chat.answering import Answering
from bot.chat.authority import Operators, may_change_base
from bot.chat.catalog import Catalog, CatalogCache
from bot.chat.checks import NotModerator, interaction_is_moderator
from bot.chat.cogs import EXTENSIONS
from bot.chat.cooldown import Cooldown
from bot.chat.endpoints import Endpoints, RoutedHTTPClient
from bot.chat.following import Following
from bot.chat.polling import FeedPolling
from bot.chat.progress import Refreshing
from bot.chat.render.text import choice
from bot.chat.replies import NO_MENTIONS, send_private
from bot.chat.sync import SyncReport, SyncState, forget_guild, sync_commands
from bot.feedback import FeedbackStore
from bot.server_settings import ServerSettings, ServerSettingsStore, server_view
from bot.settings import Settings
from corpus.errors import CorpusError
from index.errors import NewsIndexError
from index.collections import Collections, SearchView
from index.library import Library
from index.search.timeframe import local_today

log = logging.getLogger(__name__)

T = TypeVar("T")
RELOAD_SECONDS = 2.0  # how soon a version switched by another process is served here
PURGE_SECONDS = 12 * 3600.0


def bot_intents() -> discord.Intents:
    """Only non-privileged intents: slash commands, plus messages that mention the bot and DMs."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.dm_messages = True
    return intents


class NewsBot(commands.Bot):
    """newsbot on Discord: /ask, /source, /sources, /stats, /refresh, /corpus, mentions and DMs.

    Args:
        library: the index versions and corpus it answers from.
        settings: everything configurable (its `api_base` and `gateway_url` become `endpoints`).
        options: passed to `commands.Bot` (e.g. `connector`, `proxy`).
    """

    def __init__(self, library: Library, settings: Settings, **options: Any) -> None:
        # a text-only bot: no warnings about the voice libraries it does not need
        discord.VoiceClient.warn_nacl = False
        discord.VoiceClient.warn_dave = False
        self.endpoints = Endpoints.from_settings(settings)  # before discord.py builds its state: see _get_state
        super().__init__(command_prefix=commands.when_mentioned, intents=bot_intents(), help_command=None,
                         allowed_mentions=NO_MENTIONS, **options)
        self.library = library
        self.settings = settings
        self.collections = Collections(library, loaded=settings.loaded_servers)
        self.operators = Operators.of(settings.owner_ids, settings.home_server_ids)
        self.server_settings: ServerSettingsStore | None = None
        self.cooldown = Cooldown(settings.cooldown_seconds)
        self.catalogs = CatalogCache()
        self.feedback: FeedbackStore | None = None
        self.sync_state: SyncState | None = None
        self.sync_report = SyncReport()
        self.answering = Answering(self)
        self.refreshing = Refreshing()
        self.polling = FeedPolling(self)  # started once online (`on_ready`): the index is ready by then
        self.following = Following(self)  # follows: posts after every version switch (bot.chat.following)
        self.started = time.monotonic()
        # the current time, aware; tests replace it to ask as of a fixed day
        self.now: Callable[[], datetime] = lambda: datetime.now(timezone.utc)
        self._housekeeping: asyncio.Task | None = None
        self.tree.on_error = self.on_app_command_error  # type: ignore[method-assign]

    # -- start-up ---------------------------------------------------------------------
    def _get_state(self, **options: Any) -> Any:
        """Give the bot its own routed HTTP client, before discord.py's state and command tree take it.

        discord.py calls this once from `Client.__init__`, right after making
        `self.http`; the connection state (made here) and the command tree (made
        next) keep a reference to `self.http`, so it is replaced first.
        """
        self.http = RoutedHTTPClient.like(self.http, self.endpoints)
        return super()._get_state(**options)

    async def setup_hook(self) -> None:
        """Open the state database, load the cogs (`EXTENSIONS`), then register commands where they changed.

        Raises:
            discord.ext.commands.ExtensionError: a cog failed to load (a bug: start-up stops).
        """
        self.feedback = FeedbackStore(self.settings.index_dir)
        self.sync_state = SyncState(self.settings.index_dir)
        self.server_settings = ServerSettingsStore(self.settings.index_dir, ServerSettings.defaults(self.settings))
        self.following.start()
        for name in EXTENSIONS:
            await self.load_extension(name)
        self._housekeeping = asyncio.create_task(self.keep_house(), name="newsbot-housekeeping")
        self.sync_report = await sync_commands(self, self.tree, self.sync_state, self.settings.guild_ids,
                                               self.settings.sync_commands, self.endpoints.api_base)

    async def on_ready(self) -> None:
        """Log where the bot is, once connected, start the feed schedule (`bot.chat.polling`) and load the article
        catalogue for autocomplete."""
        log.info("connected as %s (id %s) to %d server(s)", self.user, self.user.id if self.user else "?",
                 len(self.guilds))
        try:
            await self.catalog()  # loads the index first: its start-up check holds the refresh lock a moment
        except (NewsIndexError, CorpusError) as exc:
            log.error("the index cannot be read: %s", exc.message)
        finally:
            self.polling.start()  # after that check, so the first poll does not find the index busy

    async def on_message(self, message: discord.Message) -> None:
        """No prefix commands: mentions and DMs are handled by the Ask cog's listener."""

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        """The bot left (or was removed from) a server: its collection is archived, and deleted after
        NEWSBOT_LEFT_SERVER_DAYS unless the bot comes back. Discord drops the commands registered there, so
        the record of them is forgotten (they are registered again when the bot comes back)."""
        if guild.id in self.settings.guild_ids and self.sync_state is not None and self.application_id is not None:
            forget_guild(self.sync_state, self.endpoints.api_base, self.application_id, guild.id)
        archived = await self.run_blocking(self.collections.archive, guild.id)
        if archived is not None:
            log.info("left server %s: its collection is archived in %s (deleted after %d days)", guild.id, archived,
                     self.settings.left_server_days)

    async def on_guild_join(self, guild: discord.Guild) -> None:
        """Joined a server: bring back its archived collection, if the bot had left it recently, and register
        the commands again in a server of DISCORD_GUILD_IDS (Discord dropped them when the bot was removed)."""
        restored = await self.run_blocking(self.collections.restore_archived, guild.id)
        if restored is not None:
            log.info("rejoined server %s: its archived collection is back", guild.id)
        if guild.id in self.settings.guild_ids and self.sync_state is not None:
            await sync_commands(self, self.tree, self.sync_state, self.settings.guild_ids, self.settings.sync_commands,
                                self.endpoints.api_base, only_guild=guild.id)

    async def keep_house(self, every: float = RELOAD_SECONDS) -> None:
        """Every few seconds: serve versions another process switched to (several shards over one index);
        twice a day: delete collections archived longer than NEWSBOT_LEFT_SERVER_DAYS."""
        last_purge = 0.0
        while True:
            try:
                await self.run_blocking(self.collections.reload_changed)
                if time.monotonic() - last_purge > PURGE_SECONDS:
                    last_purge = time.monotonic()
                    gone = await self.run_blocking(self.collections.purge_archived, self.settings.left_server_days)
                    for server_id in gone:
                        log.info("deleted the archived collection of server %s (left over %d days ago)", server_id,
                                 self.settings.left_server_days)
            except (NewsIndexError, CorpusError, OSError) as exc:
                log.warning("housekeeping: %s", getattr(exc, "message", exc))
            await asyncio.sleep(every)

    async def close(self) -> None:
        """Stop housekeeping, disconnect, then release the state database."""
        if self._housekeeping is not None:
            self._housekeeping.cancel()
        self.polling.stop()
        self.following.stop()
        await super().close()
        for store in (self.feedback, self.sync_state, self.server_settings, self.following.store):
            if store is not None:
                store.close()
        self.collections.close()

    # -- shared services ----------------------------------------------------------------
    def settings_of(self, guild_id: int | None) -> ServerSettings:
        """A server's settings (the `.env` defaults in a DM or before the state database is open)."""
        if self.server_settings is None:
            return ServerSettings.defaults(self.settings)
        return self.server_settings.get(guild_id)

    def today(self) -> date:
        """Today in the bot's time zone (`NEWSBOT_TIMEZONE`): what "yesterday" or "last week" in a question count from."""
        return local_today(self.settings.zone(), self.now())

    def view(self, guild_id: int | None) -> SearchView:
        """What a place answers from, with its settings (`bot.server_settings.server_view`); blocking.

        Raises:
            IndexMissing, IndexCorrupt, ModelMismatch: the base index cannot be used as it is.
        """
        return server_view(self.collections, self.settings, guild_id, self.settings_of(guild_id))

    async def run_blocking(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run embedding, search or database work in a thread, so heartbeats and other users never wait."""
        return await asyncio.to_thread(fn, *args, **kwargs)

    async def catalog(self, guild_id: int | None = None) -> Catalog:
        """Articles and counts a place sees (the base corpus for None)."""
        view = await self.run_blocking(self.view, guild_id)
        return await self.catalogs.get(view)

    async def outlet_choices(self, current: str, guild_id: int | None = None) -> list[app_commands.Choice[str]]:
        """Autocomplete for every `outlet` option: the outlets a place sees, with their article counts."""
        catalog = await self.catalog(guild_id)
        wanted = current.casefold().strip()
        return [choice(f"{name} ({n} articles)", name) for name, n in catalog.outlets if wanted in name.casefold()][:25]

    # -- who may do what -------------------------------------------------------------------
    async def is_operator(self, user: discord.abc.User) -> bool:
        """The user is one of the operator's people wherever they are: in NEWSBOT_OWNER_IDS, or the
        application's owner or a member of its team, as Discord reports them."""
        if user.id in self.operators.owner_ids:
            return True
        try:
            return await self.is_owner(user)
        except discord.HTTPException as exc:
            log.warning("could not ask Discord who owns the application: %s", exc)
            return False

    def is_server_moderator(self, interaction: discord.Interaction) -> bool:
        """Manage Server, or this server's moderator role (`/settings moderator_role`, default from .env)."""
        return interaction_is_moderator(interaction, self.settings_of(interaction.guild_id).moderator_role_id)

    async def may_moderate(self, interaction: discord.Interaction) -> bool:
        """May run moderator commands here: this server's moderators, and the operator's people."""
        return self.is_server_moderator(interaction) or await self.is_operator(interaction.user)

    async def may_change_base(self, interaction: discord.Interaction) -> bool:
        """May change the base corpus from here (see `bot.chat.authority`)."""
        return may_change_base(interaction.user.id, interaction.guild_id, self.is_server_moderator(interaction),
                               await self.is_operator(interaction.user), self.operators)

    # -- one place for errors -------------------------------------------------------------
    async def on_app_command_error(self, interaction: discord.Interaction,
                                   error: app_commands.AppCommandError) -> None:
        """Tell the user what went wrong, privately; log what they cannot fix."""
        original = getattr(error, "original", error)
        if isinstance(error, NotModerator):
            text = str(error)
        elif isinstance(error, app_commands.NoPrivateMessage):
            text = "This command works only in a server, not in direct messages."
        elif isinstance(error, app_commands.CheckFailure):
            text = str(error) or "You may not use this command here."
        elif isinstance(original, (NewsIndexError, CorpusError)):
            text = f"The index cannot answer right now: {original.message}"
            log.error("command %s failed: %s", interaction.command and interaction.command.name, original.message)
        else:
            text = "Something went wrong on the bot's side; the error was logged for the operator."
            log.error("command %s failed", interaction.command and interaction.command.name, exc_info=original)
        await send_private(interaction, text)


class ShardedNewsBot(NewsBot, commands.AutoShardedBot):
    """newsbot over several gateway connections (shards), as Discord requires from 2,500 servers on.

    discord.py's `AutoShardedBot` runs this process's shards (`shard_ids` of `shard_count`, or all of them);
    other processes may run the others over the same index directory: one refresh at a time across
    processes (the index's lock), and each process serves a version another switched to within
    `RELOAD_SECONDS` (`NewsBot.keep_house`). Everything else is `NewsBot`'s.
    """
