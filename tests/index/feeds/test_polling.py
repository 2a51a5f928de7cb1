"""A feed poll against a local server on 127.0.0.1: conditional requests, refresh only when something came in,
backoff of a failing feed, state that survives a restart, and a manual refresh recording the same state."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from corpus.sources.feeds import FeedConfig
from corpus.sources.fetch import FetchPolicy
from index.feeds.polling import next_poll, poll_library
from index.feeds.store import FeedExists, FeedStore
from index.library import Library
from tests.support.fakes import HashEncoder
from tests.support.local_site import article_page, local_site

T0 = datetime(2026, 11, 30, 10, 0, tzinfo=timezone.utc)
LOCAL = FetchPolicy(allow_private=True, host_delay=0.0)
PARAS = {
    "otters": ["A family of otters has been filmed in the city canal for the first time in forty years, the wildlife "
               "trust said on Thursday.", "Volunteers said the clean water had brought back fish and the otters."],
    "bridge": ["The old swing bridge over the harbour will close for repairs for six weeks from Monday, the council "
               "said.", "Ferries will run every twenty minutes while the bridge is shut."],
    "choir": ["The town choir won the national championship on Saturday with a programme of sea shanties.",
              "It was the choir's first title in its ninety years."],
}
DAY = "Mon, 30 Nov 2026 09:00:00 GMT"


def make_library(tmp_path: Path, url: str, minutes: int = 30) -> Library:
    corpus = tmp_path / "corpus"
    corpus.mkdir(exist_ok=True)
    (corpus / "seed.txt").write_text("Title: Seed\nOutlet: Seed Post\nDate: 2024-01-01\n\nA seed article about "
                                     "gardening and the weather in spring.\n")
    return Library(corpus, tmp_path / "index", HashEncoder(),
                   feeds=FeedConfig(urls=(url,), policy=LOCAL, interval_minutes=minutes))


def serve_feed(site, stories: list[str]) -> str:  # noqa: ANN001
    items = []
    for name in stories:
        link = site.add(f"/news/{name}.html", article_page(f"Story about {name}", PARAS[name], site="Harbour Post"))
        items.append((f"Story about {name}", link, DAY))
    return site.feed("/feed.xml", "Harbour Post", items)


def history_kinds(library: Library) -> list[tuple[str, str | None, str]]:
    return [(e.kind, e.actor, e.status) for e in library.history()]


def state(library: Library):  # noqa: ANN201
    with FeedStore(library.index_dir) as store:
        return store.feeds()[0]


def test_a_poll_fetches_due_feeds_conditionally_and_refreshes_only_when_something_came_in(tmp_path: Path) -> None:
    with local_site() as site:
        url = serve_feed(site, ["otters"])
        library = make_library(tmp_path, url)
        library.build()
        first = poll_library(library, T0)
        assert first.due == 1 and first.saved == 1 and first.report is not None and first.report.stats is not None
        assert history_kinds(library)[0] == ("refresh", "schedule", "ok")
        assert "Story about otters" in [a.title for a in library.service.articles()]
        feed = state(library)
        assert feed.last_success == feed.last_fetch == T0.isoformat() and feed.failures == 0
        assert feed.entries_seen == 1 and feed.articles_saved == 1 and feed.title == "Harbour Post"
        assert feed.next_due == (T0 + timedelta(minutes=30)).isoformat()
        assert site.seen("/feed.xml")[0].if_none_match is None

        before = len(site.requests)
        assert poll_library(library, T0 + timedelta(minutes=29)).due == 0
        assert len(site.requests) == before, "nothing due: no request at all"

        entries = len(library.history())
        unchanged = poll_library(library, T0 + timedelta(minutes=30))
        assert unchanged.due == 1 and unchanged.saved == 0 and unchanged.report is None
        assert unchanged.feeds is not None and unchanged.feeds.unchanged == 1
        etag, modified = site.validators("/feed.xml")
        assert site.requests[before:] == [site.seen("/feed.xml")[-1]], "one request: the feed, answered 304"
        assert site.seen("/feed.xml")[-1].if_none_match == etag
        assert site.seen("/feed.xml")[-1].if_modified_since == modified
        assert site.seen("/feed.xml")[-1].status == 304
        assert len(library.history()) == entries, "no refresh for an unchanged feed"
        assert state(library).next_due == (T0 + timedelta(minutes=60)).isoformat()

        serve_feed(site, ["otters", "bridge"])
        changed = poll_library(library, T0 + timedelta(minutes=60))
        assert changed.saved == 1 and changed.report is not None
        assert [e.title for e in changed.report.plan.new] == ["Story about bridge"]
        assert site.hits.count("/news/otters.html") == 1, "a page already in the corpus is not fetched again"
        assert state(library).articles_saved == 2 and state(library).entries_seen == 2


def test_a_failing_feed_backs_off_doubling_up_to_a_day_and_recovers(tmp_path: Path) -> None:
    with local_site() as site:
        url = serve_feed(site, ["otters"])
        library = make_library(tmp_path, url)
        library.build()
        site.fail("/feed.xml", 500)
        now = T0
        waits = []
        for _ in range(8):
            outcome = poll_library(library, now)
            assert outcome.due == 1 and outcome.report is None
            feed = state(library)
            due = datetime.fromisoformat(feed.next_due)
            waits.append(due - now)
            assert poll_library(library, due - timedelta(seconds=1)).due == 0, "not fetched before its time"
            now = due
        assert waits == [timedelta(minutes=m) for m in (60, 120, 240, 480, 960)] + [timedelta(days=1)] * 3
        feed = state(library)
        assert feed.failures == 8 and "HTTP 500" in feed.last_error and feed.last_success is None

        site.fail("/feed.xml", None)
        recovered = poll_library(library, now)
        assert recovered.saved == 1 and recovered.report is not None
        feed = state(library)
        assert feed.failures == 0 and feed.last_error is None and feed.last_success == now.isoformat()
        assert feed.next_due == (now + timedelta(minutes=30)).isoformat()


def test_the_schedule_survives_a_restart_and_a_manual_refresh_records_the_same_state(tmp_path: Path) -> None:
    with local_site() as site:
        url = serve_feed(site, ["otters"])
        library = make_library(tmp_path, url)
        library.build()
        poll_library(library, T0)

        restarted = make_library(tmp_path, url)  # a new process: state only from state.sqlite
        assert next_poll([restarted], T0 + timedelta(minutes=1)) == T0 + timedelta(minutes=30)
        before = len(site.requests)
        assert poll_library(restarted, T0 + timedelta(minutes=10)).due == 0 and len(site.requests) == before

        serve_feed(site, ["otters", "choir"])
        report = restarted.refresh(actor="cli:test")  # a manual refresh fetches every feed, due or not
        assert report.feeds is not None and len(report.feeds.saved) == 1
        assert site.seen("/feed.xml")[-1].if_none_match is not None, "conditional there too"
        feed = state(restarted)
        assert feed.articles_saved == 2 and feed.last_fetch not in (None, T0.isoformat()), "recorded with the real clock"
        with FeedStore(restarted.index_dir) as store:
            assert not store.pending, "the manual refresh indexed what it saved"


def test_schedule_off_and_feeds_added_or_removed(tmp_path: Path) -> None:
    with local_site() as site:
        url = serve_feed(site, ["otters"])
        library = make_library(tmp_path, url, minutes=0)
        library.build()
        assert poll_library(library, T0).due == 0 and site.requests == []
        with FeedStore(library.index_dir) as store:
            store.sync_configured(library.feeds.urls)
            with pytest.raises(FeedExists, match="NEWSBOT_FEEDS"):
                store.add(url, "x", "mod", T0)
            with pytest.raises(FeedExists, match="remove it there"):
                store.remove(url)
            store.add(site.base + "/other.xml", "Other", "mod", T0)
            with pytest.raises(FeedExists, match="already polled here"):
                store.add(site.base + "/other.xml", "Other", "mod", T0)
            assert store.remove(site.base + "/other.xml") is not None and store.urls() == (url,)
            store.sync_configured(())
            assert store.urls() == (), "a feed dropped from NEWSBOT_FEEDS goes with its state"


def test_two_processes_polling_one_library_fetch_each_feed_once(tmp_path: Path) -> None:
    """Pollers racing over one index (shards, a `--watch` beside the bot): the lock and the claimed due times let
    only one of them fetch a feed; the other finds it claimed (or the lock busy) and fetches nothing."""
    import threading

    with local_site() as site:
        url = serve_feed(site, ["otters"])
        make_library(tmp_path, url).build()
        libraries = [make_library(tmp_path, url) for _ in range(4)]  # as four processes would open it
        start = threading.Barrier(len(libraries))
        outcomes = []

        def run(library: Library) -> None:
            start.wait()
            outcomes.append(poll_library(library, T0))

        threads = [threading.Thread(target=run, args=(library,)) for library in libraries]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(site.seen("/feed.xml")) == 1, "fetched once"
        assert sum(o.due for o in outcomes) == 1 and sum(o.saved for o in outcomes) == 1
        assert all(o.due or o.busy or not o.feeds for o in outcomes)


def test_a_poll_stopped_during_its_refresh_leaves_the_articles_for_the_next_poll(tmp_path: Path) -> None:
    """The bot closing mid-poll stops the refresh within a batch (nothing published); what was saved is indexed by
    the next poll even though no feed is due then."""
    from index.refresh.stopping import Interrupted

    with local_site() as site:
        url = serve_feed(site, ["otters"])
        library = make_library(tmp_path, url)
        library.build()
        before = library.service.version

        def stop_after_fetching(stage: str, done: int, total: int) -> None:
            if stage != "fetching":
                raise Interrupted("stopped")

        with pytest.raises(Interrupted):
            poll_library(library, T0, progress=stop_after_fetching)
        assert library.history()[0].status == "interrupted" and library.service.version == before
        with FeedStore(library.index_dir) as store:
            assert store.pending and store.feeds()[0].articles_saved == 1
        later = poll_library(library, T0 + timedelta(minutes=1))
        assert later.due == 0 and later.report is not None and later.report.stats is not None
        assert "Story about otters" in [a.title for a in library.service.articles()]
        with FeedStore(library.index_dir) as store:
            assert not store.pending
