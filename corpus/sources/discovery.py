"""Which feed a link means: the link itself when it is RSS/Atom, else the feed an HTML page links to.

Sites announce their feeds in the page head, the way browsers and feed readers
find them ("feed autodiscovery"):

    <link rel="alternate" type="application/rss+xml" href="/feed.xml" title="…">

`feed_links` reads those from a page (a pure function: the standard library's
HTML parser, tolerant of the markup found in the wild; hrefs resolved against
the page's address and its `<base href>`); `find_feed` fetches a link through
`corpus.sources.fetch` (so the same address checks, size and time limits
apply) and returns a preview of the feed (the first of a page's links that is RSS or Atom): its title, entry count and newest
entries, which a moderator confirms before the feed is added.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin

from corpus.errors import CorpusError
from corpus.sources.feeds import FEED_ACCEPT, NotAFeed, ParsedFeed, parse_feed
from corpus.sources.fetch import Fetcher
from corpus.text import clean_line

FEED_TYPES = ("application/rss+xml", "application/atom+xml")
NEWEST_SHOWN = 5


@dataclass(frozen=True)
class FeedLink:
    """A feed a page announces: its absolute address, MIME type and title (may be empty)."""

    url: str
    type: str
    title: str = ""


class _LinkParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str, str]] = []
        self.base: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k.lower(): (v or "") for k, v in attrs}
        if tag == "base" and values.get("href") and self.base is None:
            self.base = values["href"].strip()
        if tag != "link":
            return
        rels = values.get("rel", "").lower().split()
        kind = values.get("type", "").lower().split(";")[0].strip()
        if "alternate" in rels and kind in FEED_TYPES and values.get("href", "").strip():
            self.links.append((values["href"].strip(), kind, clean_line(values.get("title", ""))))


def feed_links(html: bytes | str, page_url: str) -> list[FeedLink]:
    """The RSS/Atom feeds an HTML page announces with `<link rel="alternate" type="application/rss+xml|atom+xml">`,
    in page order, without repeats; relative hrefs resolved against `<base href>` and `page_url`.

    Only http(s) addresses are returned (a `javascript:` or `data:` href is ignored).
    """
    text = html.decode("utf-8", "replace") if isinstance(html, bytes) else html
    parser = _LinkParser()
    parser.feed(text)
    parser.close()
    base = urljoin(page_url, parser.base) if parser.base else page_url
    found: list[FeedLink] = []
    for href, kind, title in parser.links:
        url = urljoin(base, href)
        if url.split(":", 1)[0].lower() in ("http", "https") and all(f.url != url for f in found):
            found.append(FeedLink(url, kind, title))
    return found


@dataclass(frozen=True)
class EntryPreview:
    """One entry as a preview shows it: title, date as the feed writes it, link."""

    title: str
    published: str
    link: str


@dataclass(frozen=True)
class FeedPreview:
    """What a moderator sees before adding a feed.

    Attributes:
        url: the feed's own address (what is stored and polled).
        asked: the address that was given (a page when the feed was found through it).
        title: the feed's title ("" when it has none).
        entries: how many entries it lists now.
        newest: up to `NEWEST_SHOWN` entries, newest first.
        version: the format, as feedparser names it (`rss20`, `atom10`, …).
    """

    url: str
    asked: str
    title: str
    entries: int
    newest: tuple[EntryPreview, ...]
    version: str

    @property
    def found_on_page(self) -> bool:
        """True when the link given was a page and the feed was found in its head."""
        return self.url != self.asked


def newest_entries(feed: ParsedFeed, limit: int = NEWEST_SHOWN) -> tuple[EntryPreview, ...]:
    """The feed's newest entries (by their published or updated time; the feed's order for undated ones)."""
    def when(pair: tuple[int, dict]) -> tuple[float, int]:
        position, entry = pair
        stamp = entry.get("published_parsed") or entry.get("updated_parsed")
        return (calendar.timegm(stamp) if stamp else float("-inf"), -position)

    ordered = sorted(enumerate(feed.entries), key=when, reverse=True)
    dated = any(e.get("published_parsed") or e.get("updated_parsed") for e in feed.entries)
    chosen = [e for _, e in (ordered if dated else list(enumerate(feed.entries)))][:limit]
    return tuple(EntryPreview(clean_line(e.get("title") or "") or "(untitled)",
                              str(dict.get(e, "published") or dict.get(e, "updated") or ""),
                              str(e.get("link") or "")) for e in chosen)


def find_feed(fetcher: Fetcher, url: str) -> FeedPreview:
    """Fetch `url`; when it is RSS/Atom, preview it; when it is an HTML page, preview the first feed it links.

    Raises:
        FetchError: the link (or the feed a page links) cannot be fetched: bad address, private address,
            HTTP error, too large, too slow.
        NotAFeed: neither a feed nor a page that links one, or none of the feeds it links is RSS or Atom; the
            message says what to give instead.
    """
    asked = url.strip()
    page = fetcher.get(asked, accept=FEED_ACCEPT + ", text/html;q=0.8")
    try:
        feed = parse_feed(page.body, page.url)
        feed_url = asked
    except NotAFeed:
        links = feed_links(page.body, page.url) if _looks_html(page.content_type, page.body) else []
        if not links:
            what = "a web page that links no RSS or Atom feed" if _looks_html(page.content_type, page.body) else \
                f"not an RSS or Atom feed (it is {page.content_type.split(';')[0] or 'of no stated type'})"
            raise NotAFeed(asked, f"this is {what}",
                           "give the feed's own address (sites often have one at /feed, /rss or /atom.xml, or a "
                           "feed icon that links it)") from None
        feed_url, feed = _first_readable(fetcher, links)
    return FeedPreview(url=feed_url, asked=asked, title=feed.title or "", entries=len(feed.entries),
                       newest=newest_entries(feed), version=feed.version)


def _first_readable(fetcher: Fetcher, links: list[FeedLink]) -> tuple[str, ParsedFeed]:
    """The first feed of the page's links that is RSS or Atom (a site may announce a stale or broken one first).

    Raises:
        FetchError, NotAFeed: none is; the error is the first link's.
    """
    first: CorpusError | None = None
    for link in links:
        try:
            linked = fetcher.get(link.url, accept=FEED_ACCEPT)
            return link.url, parse_feed(linked.body, linked.url, f"the page links {link.url} as its feed, but that is "
                                                                 "not RSS or Atom; give the feed's own address")
        except CorpusError as exc:
            first = first or exc
    assert first is not None
    raise first


def _looks_html(content_type: str, body: bytes) -> bool:
    if "html" in content_type.lower():
        return True
    head = body[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<head" in head
