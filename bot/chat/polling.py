"""The bot's feed schedule: while `newsbot run` is up, poll the feeds of the libraries this process serves.

Every `tick` seconds (and once at start) it polls (`index.feeds.polling.poll_library`,
in a worker thread, one library after another) the libraries this process is
responsible for:

- the base corpus, by the process that serves shard 0 (every process of an unsharded bot);
- each server's own collection, by the process whose shards hold that server
  (`(guild_id >> 22) % shard_count`, Discord's rule), and only for servers that have feeds.

So with `newsbot run --shards` no two processes poll the same library; and were they to
(a `newsbot refresh --watch` beside the bot), the refresh lock and the due times in
`state.sqlite` still let only one of them fetch a feed. A poll with nothing due costs one
small read per library; a busy index (a refresh is running) is tried again at the next
tick; the event loop never waits on it. The clock is injected (`clock`), so tests move
time forward instead of sleeping.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from corpus.errors import CorpusError
from corpus.sources.fetch import Fetcher
from index.errors import NewsIndexError
from index.feeds.polling import PollOutcome, poll_library, utc_clock
from index.feeds.store import FeedStore
from index.refresh.stopping import StopFlag

if TYPE_CHECKING:
    from bot.chat.client import NewsBot

log = logging.getLogger(__name__)

TICK_SECONDS = 60.0  # how often due times are checked (a feed is fetched at most this late)
SERVERS_RECHECK_SECONDS = 600.0  # how often the list of servers with feeds is read again from disk


class FeedPolling:
    """The schedule of one bot process.

    Args:
        bot: the bot (its collections, settings, shards and guilds).
        clock: now, in UTC.
        tick: seconds between two checks.
    """

    def __init__(self, bot: NewsBot, clock: Callable[[], datetime] = utc_clock, tick: float = TICK_SECONDS) -> None:
        self.bot = bot
        self.clock = clock
        self.tick = tick
        self.fetcher = Fetcher(bot.settings.feed_config().policy)  # one for the process: its host delay holds
        self.polls = 0
        self.last: list[tuple[int | None, PollOutcome]] = []
        self._task: asyncio.Task | None = None
        self._wake = asyncio.Event()
        self._stopping = StopFlag()  # set on close: a poll's fetches and refresh stop within a batch
        self._servers: set[int] = set()
        self._servers_read = float("-inf")

    @property
    def enabled(self) -> bool:
        """False when NEWSBOT_REFRESH_MINUTES is 0 (feeds are fetched only by /refresh)."""
        return self.bot.settings.refresh_minutes > 0

    def start(self) -> None:
        """Start polling in the background (nothing when the schedule is off)."""
        if self.enabled and self._task is None:
            self._task = asyncio.create_task(self.run(), name="newsbot-feed-schedule")

    def stop(self) -> None:
        """Stop polling; a poll running in its thread stops at its next feed or embedding batch (a refresh it ran
        is recorded as interrupted, nothing published; what it saved is indexed by the next refresh)."""
        self._stopping.set()
        if self._task is not None:
            self._task.cancel()
            self._task = None

    def wake(self) -> None:
        """Check due times now instead of at the next tick (after a feed was added)."""
        self._servers_read = float("-inf")
        self._wake.set()

    async def run(self) -> None:
        """Poll, wait a tick (or a `wake`), poll again, until stopped."""
        while True:
            try:
                await self.poll_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - the schedule must outlive any one poll's failure
                log.exception("feed poll failed")
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self.tick)
            except asyncio.TimeoutError:
                pass
            self._wake.clear()

    async def poll_once(self) -> list[tuple[int | None, PollOutcome]]:
        """One poll of every library this process is responsible for; returns (server or None, outcome) for each
        library that did something."""
        now = self.clock()
        done: list[tuple[int | None, PollOutcome]] = []
        for server_id in await self.bot.run_blocking(self.targets):
            library = self.bot.collections.library(server_id, use=False)  # polling keeps nothing in memory
            try:
                outcome = await self.bot.run_blocking(poll_library, library, now, fetcher=self.fetcher,
                                                      progress=self._stopping.progress(None))
            except (NewsIndexError, CorpusError, OSError) as exc:
                log.warning("feed poll of %s failed: %s", library.index_dir, getattr(exc, "message", exc))
                continue
            if outcome.due or outcome.report is not None or outcome.busy or outcome.error:
                done.append((server_id, outcome))
                for line in outcome.lines():
                    log.info("feed schedule (%s): %s", "base" if server_id is None else f"server {server_id}", line)
            if outcome.report is not None and outcome.report.stats is not None and server_id is None:
                asyncio.ensure_future(self.bot.catalog())  # warm the base's new catalogue (a server's: on its next use)
        self.polls += 1
        self.last = done
        return done

    # -- which libraries ---------------------------------------------------------------------------
    def serves_shard(self, shard: int) -> bool:
        """True when this process runs that shard (always, unsharded)."""
        count = getattr(self.bot, "shard_count", None)
        ids = getattr(self.bot, "shard_ids", None)
        if not count or count <= 1:
            return True
        return ids is None or shard in ids

    def serves_guild(self, guild_id: int) -> bool:
        """True when this process runs the shard that holds the server (Discord: `(id >> 22) % shard_count`)."""
        count = getattr(self.bot, "shard_count", None) or 1
        return self.serves_shard((guild_id >> 22) % count)

    def targets(self) -> list[int | None]:
        """The libraries to poll: None (the base) when this process serves shard 0, then the servers it holds that
        have feeds. Blocking (reads the servers' state databases every `SERVERS_RECHECK_SECONDS`)."""
        out: list[int | None] = [None] if self.serves_shard(0) else []
        if time.monotonic() - self._servers_read > SERVERS_RECHECK_SECONDS:
            self._servers_read = time.monotonic()
            collections = self.bot.collections
            self._servers = {s for s in collections.server_ids() if _has_feeds(collections.server_dir(s) / "index")}
        out += sorted(s for s in self._servers if self.serves_guild(s))
        return out


def _has_feeds(index_dir: Path) -> bool:
    """True when a server's collection has feeds (without loading its library)."""
    if not (index_dir / "state.sqlite").exists():
        return False
    with FeedStore(index_dir) as store:
        return bool(store.urls())
