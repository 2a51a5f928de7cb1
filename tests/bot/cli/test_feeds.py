"""`newsbot feeds add | list | remove` and `newsbot refresh --watch`, in-process against a local site on 127.0.0.1."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.cli.main import main
from bot.cli.refresh import watch
from corpus.sources.feeds import FeedConfig
from corpus.sources.fetch import FetchPolicy
from index.library import Library
from tests.support.e2e import copy_index
from tests.support.fakes import HashEncoder
from tests.support.local_site import article_page, local_site

DAY = "Mon, 30 Nov 2026 09:00:00 GMT"
OTTERS = ("Otters return to the city canal after forty years", [
    "A family of otters has been filmed in the city canal for the first time in forty years, the wildlife trust said.",
    "Volunteers said the clean water had brought back fish and, with them, the otters."])
BRIDGE = ("Harbour swing bridge to close for six weeks", [
    "The old swing bridge over the harbour will close for repairs for six weeks from Monday, the council said.",
    "Ferries will run every twenty minutes while the bridge is shut."])


def serve(site, stories, path: str = "/harbour/rss.xml") -> str:  # noqa: ANN001
    items = []
    for n, (title, paragraphs) in enumerate(stories):
        link = site.add(f"/news/{n}.html", article_page(title, paragraphs, site="Harbour Post"))
        items.append((title, link, DAY))
    return site.feed(path, "Harbour Post", items)


@pytest.mark.model
def test_cli_feeds_add_list_watch_remove(seed_corpus: Path, seed_index: Path, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    paths = ["--corpus", str(seed_corpus), "--index", str(copy_index(seed_index, tmp_path / "idx"))]
    monkeypatch.setenv("NEWSBOT_HOST_DELAY_MS", "0")
    with local_site() as site:
        feed = serve(site, [OTTERS])
        page = site.add("/harbour/", '<html><head><link rel="alternate" type="application/atom+xml" href="/x.atom">'
                                     '<link rel="alternate" type="application/rss+xml" href="rss.xml"></head></html>')
        site.add("/x.atom", "not a feed at all", "text/plain")
        plain = site.add("/plain.html", article_page("A story", ["Some text of a story."]))

        assert main(["feeds", "list", *paths]) == 0
        assert capsys.readouterr().out.startswith("no feeds for the shared corpus")
        assert main(["feeds", "add", feed, "--yes", *paths]) == 2
        assert "private or local address" in capsys.readouterr().err
        monkeypatch.setenv("NEWSBOT_ALLOW_PRIVATE_URLS", "true")
        assert main(["feeds", "add", plain, "--yes", *paths]) == 2
        assert "this is a web page that links no RSS or Atom feed" in capsys.readouterr().err
        assert main(["feeds", "add", site.base + "/harbour/rss.xml", *paths]) == 2, "no terminal, no --yes"
        assert "add --yes to confirm" in capsys.readouterr().err

        # the page announces a broken "Atom" feed first: the first of its links that is a feed is taken
        assert main(["feeds", "add", page, "--yes", *paths]) == 0
        out = capsys.readouterr().out
        assert out.startswith(f"Harbour Post\n  feed {feed} (found on {page})\n  1 entries (rss20); newest:\n")
        assert "added the feed “Harbour Post” to the shared corpus: polled every 30 minute(s)" in out
        assert main(["feeds", "add", feed, "--yes", *paths]) == 2
        assert "is already polled here" in capsys.readouterr().err
        assert main(["feeds", "list", *paths]) == 0
        assert capsys.readouterr().out == f"Harbour Post <{feed}> — not fetched yet · due now · 0 entries · 0 saved\n"

        assert main(["refresh", "--watch", "--iterations", "1", *paths]) == 0
        out = capsys.readouterr().out
        assert "base: feeds: 1 new article(s) saved from 1 feed(s)" in out and "added 1, updated 0" in out, out
        # the watch kept a standby copy of what it published for its next refresh, and removed it on leaving
        assert [p.name for p in (Path(paths[3]) / "versions").iterdir() if p.name.startswith(".")] == []
        assert main(["refresh", "--watch", "--iterations", "1", *paths]) == 0
        assert capsys.readouterr().out == "", "not due again for 30 minutes: the schedule is read back from the state db"
        assert main(["feeds", "list", "--json", *paths]) == 0
        [state] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        assert state["articles_saved"] == 1 and state["failures"] == 0 and state["etag"] and state["next_due"]

        assert main(["feeds", "remove", "harbour post", "--yes", *paths]) == 0
        assert "removed the feed “Harbour Post”" in capsys.readouterr().out
        assert main(["feeds", "remove", "harbour post", "--yes", *paths]) == 2
        assert "no feed here matches it" in capsys.readouterr().err
        assert main(["history", *paths]) == 0
        history = capsys.readouterr().out
        assert "feeds remove by cli:" in history and "feeds add by cli:" in history and "refresh by schedule" in history
    assert main(["refresh", "--watch", "--dry-run", *paths]) == 2
    assert "cannot be combined with --dry-run" in capsys.readouterr().err
    monkeypatch.setenv("NEWSBOT_REFRESH_MINUTES", "0")
    assert main(["refresh", "--watch", *paths]) == 2
    assert "NEWSBOT_REFRESH_MINUTES=0 turns the feed schedule off" in capsys.readouterr().err
    monkeypatch.setenv("NEWSBOT_REFRESH_MINUTES", "-5")
    assert main(["feeds", "list", *paths]) == 2
    assert "NEWSBOT_REFRESH_MINUTES=-5 must be between 0 and 10080" in capsys.readouterr().err


def test_watch_sleeps_until_the_next_due_feed_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "seed.txt").write_text("Title: Seed\nOutlet: Seed Post\n\nA seed article about gardening in spring.\n")
    with local_site() as site:
        feed = serve(site, [OTTERS])
        library = Library(corpus, tmp_path / "index", HashEncoder(), feeds=FeedConfig(
            urls=(feed,), policy=FetchPolicy(allow_private=True, host_delay=0.0), interval_minutes=30))
        library.build()
        now = [datetime(2026, 11, 30, 10, 0, tzinfo=timezone.utc)]
        slept: list[float] = []

        def sleep(seconds: float) -> None:
            slept.append(seconds)
            if len(slept) == 2:
                serve(site, [OTTERS, BRIDGE])
            if len(slept) == 3:
                raise KeyboardInterrupt
            now[0] += timedelta(seconds=seconds)

        out = io.StringIO()
        assert watch(lambda: [("base", library)], out, clock=lambda: now[0], sleep=sleep, tick=3600.0) == 0
        lines = out.getvalue().splitlines()
        assert slept == [1800.0, 1800.0, 1800.0], "it sleeps until the next feed is due"
        assert [r.status for r in site.seen("/harbour/rss.xml")] == [200, 304, 200]
        assert sum("feeds: 1 new article(s) saved" in line for line in lines) == 2
        assert any("unchanged (304)" in line for line in lines)
        assert lines[-1].startswith("stopped watching (Ctrl+C)")
        assert [e.actor for e in library.history() if e.kind == "refresh"] == ["schedule", "schedule"]


def test_bench_feeds_runs_and_reports_per_hour(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench-feeds", "--feeds", "3", "--rounds", "2"]) == 0
    out = capsys.readouterr().out
    assert "due round (every feed answered 304)" in out and ", 3 request(s)" in out
    assert "per hour:" in out and "6 HTTP requests, each answered 304" in out
