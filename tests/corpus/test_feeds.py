"""Feeds and pages served from a local HTTP server on 127.0.0.1: fetched, extracted, saved, indexed; failures reported."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from corpus.sources.feeds import FeedConfig, ingest_feeds
from corpus.sources.fetch import FetchError, Fetcher, FetchPolicy
from corpus.readers.html import article_from_html
from corpus.readers.loader import load_corpus
from index.library import Library
from tests.support.fakes import HashEncoder


def page(title: str, body: list[str], author: str = "Jane Roe; John Doe", day: str = "2024-01-02",
         canonical: str | None = None, site: str = "Example News") -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in body)
    link = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    return (f"<html><head><title>{title} | {site}</title>{link}<meta property='og:site_name' content='{site}'>"
            f"<meta name='author' content='{author}'><meta property='article:published_time' content='{day}T10:00:00Z'>"
            f"</head><body><nav>Home | World | Sport</nav><article><h1>{title}</h1>{paragraphs}</article>"
            f"<footer>Copyright Example News</footer></body></html>")


LONG = ("A large storm hit the coast on Tuesday, leaving thousands of homes without power and flooding several "
        "towns along the shore, officials said.")
STORM = page("Big storm hits coast", [LONG, "Repair crews worked through the night to restore the lines, and the "
                                            "mayor said power should be back by Thursday for most residents.",
                                      "Schools in three districts stayed closed on Wednesday as roads remained "
                                      "under water and rescue teams checked on elderly residents."])
VOTE = page("Council approves new budget", ["The city council approved a new budget on Monday after a long "
                                            "debate about spending on parks, libraries and public transport.",
                                            "The budget raises spending on buses by ten percent, the council said "
                                            "in a statement published after the vote late in the evening."],
            author="Sam Lee", day="2024-01-03")


class Site:
    """What the local server serves: path → (status, content type, body, delay seconds)."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, str, bytes, float]] = {}
        self.hits: list[tuple[str, float]] = []

    def add(self, path: str, body: str | bytes, status: int = 200, ctype: str = "text/html; charset=utf-8",
            delay: float = 0.0) -> None:
        self.routes[path] = (status, ctype, body.encode() if isinstance(body, str) else body, delay)


@pytest.fixture()
def site() -> Iterator[tuple[Site, str]]:
    state = Site()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            state.hits.append((self.path, time.monotonic()))
            status, ctype, body, delay = state.routes.get(self.path, (404, "text/plain", b"not found", 0.0))
            if delay:
                time.sleep(delay)
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def rss(base: str, links: list[str]) -> str:
    items = "".join(f"<item><title>Entry {i}</title><link>{base}{link}</link>"
                    f"<pubDate>Tue, 02 Jan 2024 10:00:00 GMT</pubDate></item>" for i, link in enumerate(links))
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Example</title>{items}</channel></rss>'


LOCAL = FetchPolicy(timeout=2.0, max_bytes=200_000, allow_private=True, host_delay=0.0)


def test_feed_entries_are_saved_as_records_and_indexed(site, tmp_path: Path) -> None:  # noqa: ANN001
    state, base = site
    state.add("/feed.xml", rss(base, ["/storm.html", "/vote.html", "/missing.html"]), ctype="application/rss+xml")
    state.add("/storm.html", STORM)
    state.add("/vote.html", VOTE)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    library = Library(corpus, tmp_path / "idx", HashEncoder(), feeds=FeedConfig(urls=(f"{base}/feed.xml",), policy=LOCAL))
    report = library.refresh(actor="mod")
    assert report.feeds is not None and len(report.feeds.saved) == 2
    assert len(report.plan.new) == 2
    [failed] = report.plan.unreadable
    assert failed.location == f"{base}/missing.html" and "HTTP 404" in failed.message
    assert any(line.startswith("feeds: 2 new article(s) saved from 1 feed(s)") for line in report.summary_lines())
    saved = sorted(corpus.rglob("*.jsonl"))
    assert len(saved) == 2 and all(p.parent.parent == corpus / "feeds" for p in saved)
    record = json.loads([p for p in saved if "storm" in p.read_text()][0].read_text())
    assert record["title"] == "Big storm hits coast" and record["outlet"] == "Example News"
    assert record["authors"] == ["Jane Roe", "John Doe"] and record["published"] == "2024-01-02"
    assert record["text"].startswith(LONG) and "Home | World" not in record["text"]
    assert record["feed"] == f"{base}/feed.xml"
    # the corpus alone rebuilds the same articles: the folder stays the source of truth
    assert {a.title for a in load_corpus(corpus).articles} == {"Big storm hits coast", "Council approves new budget"}
    # the next refresh fetches the feed again but not the pages it already has
    state.hits.clear()
    again = library.refresh()
    assert again.feeds.already_known == 2 and not again.feeds.saved and again.stats is None
    assert sorted(p for p, _ in state.hits) == ["/feed.xml", "/missing.html"]


def test_private_addresses_are_refused_by_default(site, tmp_path: Path) -> None:  # noqa: ANN001
    state, base = site
    state.add("/feed.xml", rss(base, ["/storm.html"]))
    outcome = ingest_feeds(FeedConfig(urls=(f"{base}/feed.xml",)), tmp_path)
    [problem] = outcome.problems
    assert "private or local address 127.0.0.1" in problem.message and "NEWSBOT_ALLOW_PRIVATE_URLS" in problem.message
    assert not state.hits and not outcome.saved


def test_redirect_to_a_private_address_is_refused(site) -> None:  # noqa: ANN001
    state, base = site
    fetcher = Fetcher(FetchPolicy(allow_private=False))
    with pytest.raises(FetchError, match="private or local address"):
        fetcher.get("http://localhost:1/")
    with pytest.raises(FetchError, match="only http and https"):
        fetcher.get("file:///etc/passwd")


def test_size_limit_timeout_and_bad_feed(site, tmp_path: Path) -> None:  # noqa: ANN001
    state, base = site
    state.add("/big.xml", b"<rss>" + b"x" * 300_000 + b"</rss>", ctype="application/rss+xml")
    state.add("/slow.xml", rss(base, []), delay=1.5)
    state.add("/notafeed.xml", "just some text, not a feed")
    urls = (f"{base}/big.xml", f"{base}/slow.xml", f"{base}/notafeed.xml")
    policy = FetchPolicy(timeout=0.5, max_bytes=200_000, allow_private=True, host_delay=0.0)
    outcome = ingest_feeds(FeedConfig(urls=urls, policy=policy), tmp_path)
    by_url = {p.location: p.message for p in outcome.problems}
    assert "over the 200,000 byte limit" in by_url[f"{base}/big.xml"]
    assert "no answer within 0.5s" in by_url[f"{base}/slow.xml"]
    assert "not an RSS or Atom feed" in by_url[f"{base}/notafeed.xml"]


def test_politeness_delay_between_requests_to_one_host(site) -> None:  # noqa: ANN001
    state, base = site
    state.add("/a", "a")
    fetcher = Fetcher(FetchPolicy(allow_private=True, host_delay=0.2))
    for _ in range(3):
        fetcher.get(f"{base}/a")
    times = [t for _, t in state.hits]
    assert all(b - a >= 0.19 for a, b in zip(times, times[1:]))


def test_html_metadata_and_errors(tmp_path: Path) -> None:
    article = article_from_html(page("Big storm hits coast", [LONG, "Second paragraph of the story is here."],
                                     canonical="https://www.example.com/2024/01/02/storm.html"),
                                "saved.html")
    assert article.title == "Big storm hits coast" and article.outlet == "Example News"
    assert article.url == "https://www.example.com/2024/01/02/storm.html" and article.paragraph_count == 2
    assert article.authors == ("Jane Roe", "John Doe") and article.published.isoformat() == "2024-01-02"
    (tmp_path / "storm.html").write_text(page("Big storm hits coast", [LONG]), encoding="utf-8")
    (tmp_path / "empty.htm").write_text("<html><head><title>Login</title></head><body></body></html>", encoding="utf-8")
    report = load_corpus(tmp_path)
    assert [a.title for a in report.articles] == ["Big storm hits coast"]
    [problem] = report.problems
    assert problem.location.endswith("empty.htm") and "no article text" in problem.message


BARE = ("<html><head><title>{title}</title></head><body><article><h1>{title}</h1><p>A long first paragraph of the "
        "story, with enough words in it to count as the body of the article for the extractor, about {title}.</p>"
        "<p>A second paragraph of the story follows here.</p></article></body></html>")


def test_feed_authors_and_dates_as_the_feed_writes_them(site, tmp_path: Path) -> None:  # noqa: ANN001
    """RSS <author> is an e-mail address (the name in parentheses); several dc:creator are several people; the day is
    the publisher's own (feedparser's parsed dates are UTC, and read `2018/3/7` as 1 November)."""
    state, base = site
    items = [
        ("one", "<author>newsroom@example.org (Ada Byrne and Leo Marsh)</author>",
         "<pubDate>Sun, 10 Mar 2019 23:30:00 -0800</pubDate>"),
        ("two", "<dc:creator>Ada Byrne</dc:creator><dc:creator>LEO MARSH, JR.</dc:creator>",
         "<dc:date>2019-03-10T23:30:00-08:00</dc:date>"),
        ("three", "<author>ada@example.org</author>", "<pubDate>2018/3/7 08:15</pubDate>"),
    ]
    entries = "".join(f"<item><title>Story {name}</title><link>{base}/{name}.html</link>{who}{when}</item>"
                      for name, who, when in items)
    state.add("/feed.xml", '<?xml version="1.0"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">'
                           f"<channel><title>The Example Feed</title>{entries}</channel></rss>")
    for name, _, _ in items:
        state.add(f"/{name}.html", BARE.format(title=f"Story {name}"))
    outcome = ingest_feeds(FeedConfig(urls=(f"{base}/feed.xml",), policy=LOCAL), tmp_path)
    assert not outcome.problems and len(outcome.saved) == 3
    records = {r["title"]: r for r in (json.loads(Path(p).read_text()) for p in outcome.saved)}
    assert records["Story one"]["authors"] == ["Ada Byrne", "Leo Marsh"]
    assert records["Story two"]["authors"] == ["Ada Byrne", "Leo Marsh Jr."]
    assert records["Story three"]["authors"] == []  # an address names nobody
    assert [records[f"Story {n}"]["published"] for n in ("one", "two", "three")] == ["2019-03-10", "2019-03-10",
                                                                                        "2018-03-07"]
    assert {r["outlet"] for r in records.values()} == {"The Example Feed"}  # the page has no site name
