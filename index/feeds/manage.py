"""Moderators' feed changes: preview a link (the feed itself or the one its page links), add, remove, list.

Shared by `/feeds …` in Discord and `newsbot feeds …` on the command line, so both
check and record the same way: a feed is added only after its preview was shown
(`corpus.sources.discovery`: fetched through `corpus.sources.fetch`, so private
addresses, size and time limits apply), stored in the library's `state.sqlite`
(`index.feeds.store`), and every change is a row of the library's history (kinds
`feeds add` and `feeds remove`, who and what), which `/corpus history` and
`newsbot history` show. Adding a feed changes no index version: the schedule
fetches it at its next tick (it is due at once), through the ordinary refresh.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from corpus.sources.discovery import FeedPreview, find_feed
from corpus.sources.fetch import Fetcher
from index.feeds.polling import Clock, interval_of, utc_clock
from index.feeds.store import FeedExists, FeedRecord, FeedStore, UnknownFeed
from index.library import Library
from index.store.access import require_writable
from index.store.layout import pointed_version
from index.store.state import StateStore


@dataclass
class FeedManager:
    """The feed operations over one library (the base corpus or a server's collection).

    Attributes:
        fetcher: fetches previews (default: one with the library's fetch policy, kept for the manager's life).
        clock: now, in UTC (tests inject their own).
    """

    library: Library
    fetcher: Fetcher | None = None
    clock: Clock = field(default=utc_clock)

    def __post_init__(self) -> None:
        self.fetcher = self.fetcher or Fetcher(self.library.feeds.policy)

    def feeds(self) -> list[FeedRecord]:
        """The library's feeds and their state (NEWSBOT_FEEDS brought in step first); none for a server that has
        neither articles nor feeds yet (nothing is created for it)."""
        if not self.library.index_dir.parent.exists() and not self.library.feeds.urls:
            return []
        with FeedStore(self.library.index_dir) as store:
            store.sync_configured(self.library.feeds.urls)
            return store.feeds()

    def _existing(self, url: str) -> FeedRecord | None:
        return next((f for f in self.feeds() if f.url == url), None)

    def preview(self, url: str) -> FeedPreview:
        """Fetch the link and preview its feed (or the feed its page links to); nothing is stored.

        Raises:
            FeedExists: the feed is already polled here.
            FetchError: the link cannot be fetched (bad or private address, HTTP error, too large, too slow).
            NotAFeed: neither a feed nor a page that links one.
        """
        url = url.strip()
        self._refuse_existing(url)
        preview = find_feed(self.fetcher, url)
        if preview.url != url:
            self._refuse_existing(preview.url)
        return preview

    def _refuse_existing(self, url: str) -> None:
        existing = self._existing(url)
        if existing is not None:
            raise FeedExists(f"{existing.name} ({url}) is already polled here — nothing to do; the list of feeds "
                             "shows its state")

    def add(self, preview: FeedPreview, actor: str) -> FeedRecord:
        """Store a previewed feed (due at once) and record it in the history.

        Raises:
            FeedExists: it was added meanwhile.
            IndexReadOnly: the index folder cannot be written.
        """
        require_writable(self.library.index_dir.parent, "adding a feed")
        with FeedStore(self.library.index_dir) as store:
            store.sync_configured(self.library.feeds.urls)
            record = store.add(preview.url, preview.title, actor, self.clock())
        found = f" (found on {preview.asked})" if preview.found_on_page else ""
        self._record("feeds add", actor, f"added the feed “{preview.title or preview.url}” {preview.url}{found}, "
                                         f"{preview.entries} entries; {self.schedule_text()}")
        return record

    def remove(self, query: str, actor: str) -> FeedRecord:
        """Stop polling a feed named by its address or title, and record it; articles saved from it stay.

        Raises:
            UnknownFeed: no feed (or several) matches; the message lists the feeds.
            FeedExists: it is one of NEWSBOT_FEEDS (the operator's .env).
        """
        record = self.find(query)
        require_writable(self.library.index_dir, "removing a feed")
        with FeedStore(self.library.index_dir) as store:
            store.sync_configured(self.library.feeds.urls)
            store.remove(record.url)
        self._record("feeds remove", actor, f"removed the feed “{record.name}” {record.url} (its {record.articles_saved} "
                                            "saved article(s) stay in the corpus)")
        return record

    def find(self, query: str) -> FeedRecord:
        """The feed named by its address or (whole, any case) title.

        Raises:
            UnknownFeed: none or several match; the message lists the feeds.
        """
        wanted = query.strip()
        feeds = self.feeds()
        matches = [f for f in feeds if f.url == wanted] or [f for f in feeds if (f.title or "").casefold()
                                                              == wanted.casefold()]
        if len(matches) == 1:
            return matches[0]
        listed = "; ".join(f"{f.name} <{f.url}>" for f in feeds[:10]) or "none"
        how = "several feeds have this title, name it by its address" if matches else "no feed here matches it"
        raise UnknownFeed(f"{wanted!r}: {how} — the feeds here: {listed}")

    def schedule_text(self) -> str:
        """`polled every 30 minutes` or `polled only by /refresh (NEWSBOT_REFRESH_MINUTES=0)`."""
        minutes = self.library.feeds.interval_minutes
        return (f"polled every {minutes} minute(s)" if minutes > 0
                else "polled only by /refresh and `newsbot refresh` (NEWSBOT_REFRESH_MINUTES=0)")

    def now(self) -> datetime:
        """Now, by the manager's clock (UTC)."""
        return self.clock()

    @property
    def interval(self) -> timedelta:
        """The schedule's interval (`NEWSBOT_REFRESH_MINUTES`; zero: only by hand)."""
        return interval_of(self.library.feeds)

    def _record(self, kind: str, actor: str, what: str) -> None:
        index_dir = self.library.index_dir
        version = pointed_version(index_dir) if index_dir.is_dir() else None
        with StateStore(index_dir) as state:
            entry = state.start(kind, actor, version, os.getpid())
            state.finish(entry, "ok", version, summary=[what])
