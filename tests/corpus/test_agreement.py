"""One article through all four intake formats (seed text, JSON Lines, a saved HTML page, an RSS feed entry
served from 127.0.0.1) gives the same record: title, outlet, authors, date and text."""

from __future__ import annotations

import json
from datetime import date
from html import escape
from pathlib import Path

from corpus.readers.loader import load_corpus, read_file
from corpus.sources.feeds import FeedConfig, ingest_feeds
from corpus.sources.fetch import FetchPolicy
from tests.support.local_site import local_site

TITLE = "Council approves new budget"
OUTLET = "Example News"
BYLINE = "Carla Mendes, Sr., and TYLER G. JONES"
AUTHORS = ("Carla Mendes Sr.", "Tyler G. Jones")
LOCAL_TIME = "2019-03-10T23:30:00-08:00"  # 11 March in UTC; the publisher's day is the 10th
RFC_822 = "Sun, 10 Mar 2019 23:30:00 -0800"
DAY = date(2019, 3, 10)
# as publishers' systems write it: soft hyphens, no-break spaces, a zero-width space, a decomposed accent
PARAGRAPHS = [
    "The city coun\u00adcil approved a new budget on Sunday after a long debate about spending on parks, "
    "libraries and public trans\u00adport, officials said.",
    "The budget raises spending on buses by ten\u00a0percent,\u200b the council said in a statement published "
    "after the vote late in the evening at the Cafe\u0301 Central.",
]
TEXT = ("The city council approved a new budget on Sunday after a long debate about spending on parks, libraries and "
        "public transport, officials said.\n\nThe budget raises spending on buses by ten percent, the council said "
        "in a statement published after the vote late in the evening at the Café Central.")
LOCAL = FetchPolicy(timeout=2.0, max_bytes=200_000, allow_private=True, host_delay=0.0)


def html_page(with_metadata: bool) -> str:
    head = (f"<meta property='og:site_name' content='{OUTLET}'><meta name='author' content='{BYLINE}'>"
            f"<meta property='article:published_time' content='{LOCAL_TIME}'>") if with_metadata else ""
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return (f"<html><head><meta charset='utf-8'><title>{TITLE}</title>{head}</head><body><nav>Home | World</nav>"
            f"<article><h1>{TITLE}</h1>{body}</article><footer>Copyright</footer></body></html>")


def rss(base: str) -> str:
    items = "".join(
        f"<item><title>{TITLE}</title><link>{base}{path}</link>"
        f"<author>{escape(f'newsroom@example.org ({BYLINE})')}</author><pubDate>{RFC_822}</pubDate></item>"
        for path in ("/bare.html", "/full.html"))
    return f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{OUTLET}</title>{items}</channel></rss>'


def attribution(article) -> tuple:  # noqa: ANN001
    return article.title, article.outlet, article.authors, article.published, article.text


def test_one_article_reads_the_same_through_every_format(tmp_path: Path) -> None:
    files = tmp_path / "files"
    files.mkdir()
    (files / "story.txt").write_text(f"date {LOCAL_TIME} By {BYLINE}, {OUTLET}\ntitle {TITLE}\n\n"
                                     + "\n\n".join(PARAGRAPHS), encoding="utf-8")
    (files / "story.jsonl").write_text(json.dumps({
        "title": TITLE, "outlet": OUTLET, "authors": f"By {BYLINE}", "published": LOCAL_TIME,
        "text": "\n\n".join(PARAGRAPHS)}) + "\n", encoding="utf-8")
    (files / "story.html").write_text(html_page(with_metadata=True), encoding="utf-8")
    records = {}
    for path in sorted(files.iterdir()):
        items = read_file(path)
        assert len(items) == 1, items
        records[path.suffix] = items[0]

    corpus = tmp_path / "corpus"
    with local_site() as site:
        site.add("/feed.xml", rss(site.base))
        site.add("/bare.html", html_page(with_metadata=False))  # what the feed says is all there is
        site.add("/full.html", html_page(with_metadata=True))
        outcome = ingest_feeds(FeedConfig(urls=(f"{site.base}/feed.xml",), policy=LOCAL), corpus)
    assert not outcome.problems and len(outcome.saved) == 2
    for saved in outcome.saved:  # read back from the corpus folder, as every refresh does
        [article] = read_file(Path(saved))
        records[Path(saved).name] = article

    expected = (TITLE, OUTLET, AUTHORS, DAY, TEXT)
    assert {name: attribution(a) for name, a in records.items()} == {name: expected for name in records}
    # one story, five copies: indexed once
    for saved in outcome.saved:
        Path(saved).rename(files / Path(saved).name)
    report = load_corpus(files)
    assert len(report.articles) == 1 and len(report.duplicates) == 4 and not report.problems


def test_a_feed_date_that_cannot_be_read_is_reported_and_the_article_saved(tmp_path: Path) -> None:
    feed = rss("{base}").replace(RFC_822, "3/7/2018")
    with local_site() as site:
        site.add("/feed.xml", feed.replace("{base}", site.base))
        site.add("/bare.html", html_page(with_metadata=False))
        site.add("/full.html", html_page(with_metadata=True))
        outcome = ingest_feeds(FeedConfig(urls=(f"{site.base}/feed.xml",), policy=LOCAL), tmp_path)
    assert len(outcome.saved) == 2
    [note] = outcome.problems  # the page without a date of its own; the other has the page's date
    assert note.warning and note.location == f"{site.base}/bare.html"
    assert "3/7/2018: could be 7 March or 3 July" in note.message
    assert outcome.line().endswith("0 already in the corpus, 1 note(s)")
    bare = json.loads(next(Path(p) for p in outcome.saved if "bare" in Path(p).read_text()).read_text())
    assert bare["published"] is None and bare["authors"] == list(AUTHORS)
