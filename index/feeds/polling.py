"""A feed poll: fetch the library's due feeds (conditionally), save new entries' articles, refresh only if any.

One poll of one library (the base corpus or a server's collection), the same for the
bot's schedule (`bot.chat.polling`) and `newsbot refresh --watch`:

1. Nothing due (`index.feeds.schedule`, times in the library's `state.sqlite`) and no
   saved articles waiting: return at once (one small read; no lock, no request).
2. Under the refresh lock (`index.store.lock`, shared by every process over the index),
   claim the due feeds: their next due time moves on, so another process (a shard, a
   `--watch` beside the bot) does not fetch them too; the lock is released at once.
   A busy lock (a refresh is running) means: try again at the next tick.
3. Fetch each claimed feed with `If-None-Match` / `If-Modified-Since` through
   `corpus.sources.fetch` (its address checks, size and time limits, per-host delay);
   a 304 costs nothing more. New entries' articles are saved into the corpus folder
   (`corpus.sources.feeds`); each feed's state is recorded (`index.feeds.store`).
4. Only when an article was saved (or one saved earlier still waits), run the ordinary
   `Library.refresh` (lock, plan, patch, atomic switch, history, with the actor given,
   "schedule" by default), without fetching feeds again.

A manual refresh (`/refresh`, `newsbot refresh`) fetches every feed of the library
inside its own run through `fetch_recorded`, which records the same per-feed state.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from corpus.folder.scan import reader_signature
from corpus.sources.feeds import FeedConfig, FeedFetch, FeedOutcome, ingest_feeds
from corpus.sources.fetch import Fetcher
from index.errors import IndexBusy, NewsIndexError
from index.feeds.schedule import earliest
from index.feeds.store import FeedStore
from index.store.lock import RefreshLock
from index.store.state import StateStore
from index.store.writers import Progress

if TYPE_CHECKING:
    from index.library import Library
    from index.refresh.refresh import RefreshReport

log = logging.getLogger(__name__)

SCHEDULE_ACTOR = "schedule"
Clock = Callable[[], datetime]


def utc_clock() -> datetime:
    """The real clock, in UTC (tests inject their own)."""
    return datetime.now(timezone.utc)


def interval_of(config: FeedConfig) -> timedelta:
    """The schedule's interval (`NEWSBOT_REFRESH_MINUTES`; zero: fetched only by hand)."""
    return timedelta(minutes=config.interval_minutes)


@dataclass(frozen=True)
class PollOutcome:
    """What one poll of one library did.

    Attributes:
        due: feeds that were due and fetched (0: nothing to do).
        feeds: what fetching them did (None when none was fetched).
        report: the refresh that indexed what was saved (None: nothing new, or it could not run).
        busy: why the poll or its refresh waits for the next tick (another refresh held the lock).
        error: why the refresh failed (the saved articles wait for the next refresh).
    """

    due: int = 0
    feeds: FeedOutcome | None = None
    report: RefreshReport | None = None
    busy: str | None = None
    error: str | None = None

    @property
    def saved(self) -> int:
        """Articles saved into the corpus folder by this poll."""
        return len(self.feeds.saved) if self.feeds else 0

    def lines(self) -> list[str]:
        """Human lines: the feeds' line, then the refresh's summary (or why it waits)."""
        out = [self.feeds.line()] if self.feeds else []
        if self.busy:
            out.append(f"waiting: {self.busy}")
        if self.error:
            out.append(f"the refresh failed: {self.error}")
        if self.report is not None:
            out += self.report.summary_lines()
        return out


def known_urls(library: Library) -> Callable[[], set[str]]:
    """A function giving the canonical URLs of the library's corpus (from the last scan's records)."""
    def read() -> set[str]:
        with StateStore(library.index_dir) as state:
            records = state.file_records(reader_signature())
        return {ref.url for record in records.values() for ref in record.refs if ref.url}
    return read


def fetch_recorded(library: Library, store: FeedStore, now: datetime, urls: tuple[str, ...],
                   fetcher: Fetcher | None = None, progress: Progress | None = None,
                   known: Collection[str] | Callable[[], Collection[str]] | None = None) -> FeedOutcome:
    """Fetch these feeds of the library conditionally, save new articles, and record each feed's state."""
    config = library.feeds
    interval = interval_of(config)

    def record(fetch: FeedFetch) -> None:
        store.record(fetch, now, interval)

    outcome = ingest_feeds(config, library.corpus_dir, progress=progress,
                           known_urls=known if known is not None else known_urls(library),
                           fetcher=fetcher or Fetcher(config.policy), validators=store.validators, on_fetch=record,
                           urls=urls)
    if outcome.saved:
        store.set_pending(True)
    return outcome


def fetch_all(library: Library, progress: Progress | None, known: Collection[str], fetcher: Fetcher | None = None,
              clock: Clock = utc_clock) -> FeedOutcome:
    """Every feed of the library, now (a manual refresh's feed step; called under its refresh lock)."""
    with FeedStore(library.index_dir) as store:
        store.sync_configured(library.feeds.urls)
        return fetch_recorded(library, store, clock(), store.urls(), fetcher, progress, known)


def poll_library(library: Library, now: datetime, *, fetcher: Fetcher | None = None, actor: str = SCHEDULE_ACTOR,
                 progress: Progress | None = None) -> PollOutcome:
    """One poll of the library at `now` (see the module docstring). Blocking: the bot runs it in a thread.

    Never raises for a feed's fault or a busy index; an index that cannot be written (read-only) or a
    refresh that fails is reported in the outcome.
    """
    interval = interval_of(library.feeds)
    if interval <= timedelta(0) or not library.index_dir.parent.exists():
        return PollOutcome()
    with FeedStore(library.index_dir) as store:
        store.sync_configured(library.feeds.urls)
        due = [r.url for r in store.due(now, interval)]
        pending = store.pending
        if not due and not pending:
            return PollOutcome()
        feeds = None
        if due:
            try:
                with RefreshLock(library.index_dir, actor, "feed poll"):
                    due = [r.url for r in store.due(now, interval)]  # again, now that no one else can claim them
                    store.claim(due, now, interval)
            except IndexBusy as exc:
                return PollOutcome(busy=exc.message)
            except NewsIndexError as exc:  # read-only index: nothing can be saved or indexed here
                log.warning("feed poll of %s skipped: %s", library.index_dir, exc.message)
                return PollOutcome(error=exc.message)
            if due:
                feeds = fetch_recorded(library, store, now, tuple(due), fetcher, progress)
                log.info("feed poll of %s: %s", library.index_dir, feeds.line())
        if not store.pending:
            return PollOutcome(due=len(due), feeds=feeds)
        try:
            report = library.refresh(progress=progress, fetch_feeds=False, actor=actor)
        except IndexBusy as exc:
            return PollOutcome(due=len(due), feeds=feeds, busy=exc.message)
        except NewsIndexError as exc:
            log.error("the refresh after a feed poll failed: %s", exc.message)
            return PollOutcome(due=len(due), feeds=feeds, error=exc.message)
        store.set_pending(False)
        return PollOutcome(due=len(due), feeds=feeds, report=report)


def next_poll(libraries: list[Library], now: datetime) -> datetime | None:
    """The soonest moment any of these libraries has a feed due (None: none ever is; `now`: one is due, or saved
    articles wait for a refresh)."""
    soonest: datetime | None = None
    for library in libraries:
        interval = interval_of(library.feeds)
        if interval <= timedelta(0) or not library.index_dir.parent.exists():
            continue
        with FeedStore(library.index_dir) as store:
            store.sync_configured(library.feeds.urls)
            dues = [record.due_at() for record in store.feeds()]
            if store.pending:
                return now
        due = earliest(dues, now, interval)
        if due is not None:
            soonest = due if soonest is None else min(soonest, due)
    return soonest
