"""RSS/Atom feeds into the corpus folder: fetch each feed, then each new entry's page, save it as a record.

A feed is fetched conditionally (`fetch_feed`: the `ETag` / `Last-Modified` of its last
download go back as `If-None-Match` / `If-Modified-Since`), so an unchanged feed costs one
304 and is not parsed; the validators and what each fetch did (`FeedFetch`) are the caller's
to remember (`index.feeds.store`). When to fetch is not decided here (`index.feeds.schedule`).

Why feedparser: RSS 0.9x/1.0/2.0 and Atom, their dates, authors and the
malformed feeds found in the wild are a long tail that a hand-written parser
would get wrong. Pages go through the same extraction as saved HTML files
(`corpus.readers.html`), and each article is saved as a JSON Lines record (see
`corpus.sources.records`), so the corpus stays reproducible from the folder alone.

What the feed says of an entry is used where the page says nothing, through the
same clean-ups as every reader: its authors (RSS 2.0 `<author>`, several
`dc:creator`, Atom `<author>`; `corpus.people`), its date as written, in the
publisher's own time zone (`pubDate`, `dc:date`, Atom `published`/`updated`;
`corpus.dates`, never feedparser's UTC reading), and the feed's title as the
outlet when the page has no site name (`corpus.outlets`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path

from corpus.article import article_id, canonical_url
from corpus.errors import CorpusError
from corpus.sources.fetch import FetchError, Fetcher, FetchPolicy
from corpus.readers.html import article_from_html
from corpus.sources.records import save_record
from corpus.text import clean_line

log = logging.getLogger(__name__)

FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class FeedConfig:
    """Which feeds a refresh reads and how.

    Attributes:
        urls: RSS/Atom feed addresses.
        policy: timeouts, size limit, private-address rule and politeness delay of every fetch.
        max_entries: newest entries read per feed per refresh.
        folder: sub-folder of the corpus where fetched articles are saved.
        interval_minutes: how often the schedule fetches each feed (`NEWSBOT_REFRESH_MINUTES`; 0: only a
            manual refresh fetches them).
    """

    urls: tuple[str, ...] = ()
    policy: FetchPolicy = field(default_factory=FetchPolicy)
    max_entries: int = 50
    folder: str = "feeds"
    interval_minutes: int = 30


NEW, UNCHANGED, FAILED = "fetched", "unchanged", "failed"


@dataclass(frozen=True)
class FeedFetch:
    """What fetching one feed did.

    Attributes:
        url: the feed's address, as configured.
        status: `fetched` (the feed was downloaded and read), `unchanged` (the server answered 304 to the
            conditional request: nothing downloaded or parsed) or `failed` (see `error`).
        etag, last_modified: the validators to send next time (None: the server sent none).
        title: the feed's title (None when not read this time).
        entries: entries the feed lists (0 when unchanged or failed).
        saved: paths of the articles saved into the corpus folder.
        already_known: entries whose article is already in the corpus (or was removed by a moderator).
        problems: entries that failed (and notes on saved articles), each with what to do.
        error: why the feed itself could not be read (`failed` only).
    """

    url: str
    status: str
    etag: str | None = None
    last_modified: str | None = None
    title: str | None = None
    entries: int = 0
    saved: tuple[str, ...] = ()
    already_known: int = 0
    problems: tuple[CorpusError, ...] = ()
    error: CorpusError | None = None


@dataclass(frozen=True)
class FeedOutcome:
    """What fetching the feeds did, for the refresh summary.

    Attributes:
        fetches: each feed's `FeedFetch`, in the order fetched.
    """

    feeds: int = 0
    saved: tuple[str, ...] = ()
    already_known: int = 0
    problems: tuple[CorpusError, ...] = ()
    fetches: tuple[FeedFetch, ...] = ()

    @property
    def unchanged(self) -> int:
        """Feeds the server said were not modified (HTTP 304)."""
        return sum(f.status == UNCHANGED for f in self.fetches)

    def line(self) -> str:
        """`feeds: 3 new article(s) saved from 2 feed(s), 10 already in the corpus, 1 unchanged (304), 1 failed,
        1 note`.

        Notes are warnings about articles that were saved (a date left out, say); failures were skipped.
        """
        failed = sum(not p.warning for p in self.problems)
        notes = len(self.problems) - failed
        unchanged = self.unchanged
        return (f"feeds: {len(self.saved)} new article(s) saved from {self.feeds} feed(s), "
                f"{self.already_known} already in the corpus" + (f", {unchanged} unchanged (304)" if unchanged else "")
                + (f", {failed} failed" if failed else "") + (f", {notes} note(s)" if notes else ""))

    @classmethod
    def of(cls, fetches: list[FeedFetch] | tuple[FeedFetch, ...]) -> FeedOutcome:
        """The outcome of these fetches together (a failed feed's error counts as one problem)."""
        problems: list[CorpusError] = []
        for fetch in fetches:
            problems += [fetch.error] if fetch.error is not None else []
            problems += fetch.problems
        return cls(feeds=len(fetches), saved=tuple(p for f in fetches for p in f.saved),
                   already_known=sum(f.already_known for f in fetches), problems=tuple(problems),
                   fetches=tuple(fetches))


class NotAFeed(FetchError):
    """What was fetched is not an RSS or Atom feed (nor, for discovery, a page that links one)."""


@dataclass(frozen=True)
class ParsedFeed:
    """A feed as feedparser read it.

    Attributes:
        url: where it was fetched from (after redirects).
        title: the feed's title, cleaned (None when it has none).
        version: feedparser's name of the format (`rss20`, `atom10`, …).
        entries: feedparser's entries, in the feed's order.
    """

    url: str
    title: str | None
    version: str
    entries: tuple = ()


def parse_feed(body: bytes, url: str, fix: str = "check the address: it must be an RSS or Atom feed") -> ParsedFeed:
    """Read `body` as RSS or Atom with feedparser.

    A malformed feed feedparser can still read ("bozo" with entries) is accepted; a valid feed with no
    entries is accepted too.

    Raises:
        NotAFeed: neither RSS nor Atom (an HTML page, JSON, an error page); `fix` is its advice.
    """
    import feedparser  # imported here: only what reads feeds pays for it

    parsed = feedparser.parse(body)
    version = parsed.get("version") or ""
    if not parsed.entries and (parsed.get("bozo") or not version):
        why = f" ({parsed.get('bozo_exception')})" if parsed.get("bozo") and version else ""
        raise NotAFeed(url, f"this is not an RSS or Atom feed{why}", fix)
    return ParsedFeed(url=url, title=clean_line(parsed.feed.get("title") or "") or None, version=version,
                      entries=tuple(parsed.entries))


def entry_authors(entry: dict) -> list[str]:
    """The entry's author strings, raw, for `corpus.people`: each `name`, else the `<author>` text.

    feedparser splits RSS 2.0's `address (Name)` into an e-mail and a name, keeps every
    `dc:creator` and Atom `<author>`; an author given only as an e-mail address names nobody.
    """
    found: list[str] = []
    for author in entry.get("authors") or []:
        name = (author.get("name") or "").strip() if isinstance(author, dict) else ""
        if name:
            found.append(name)
    if not found and entry.get("author"):
        found.append(str(entry["author"]))
    return found


def entry_dates(entry: dict) -> list[str]:
    """The entry's dates as the feed writes them (`pubDate`, `dc:date`, Atom `published`, then `updated`).

    The raw strings, not feedparser's `*_parsed` values: those are converted to UTC, which moves
    an evening article of a publisher west of Greenwich to the next day.
    """
    values = (dict.get(entry, key) for key in ("published", "updated"))  # dict.get: no feedparser key aliasing
    return [value for value in values if isinstance(value, str) and value.strip()]


def _saved_ids(folder: Path) -> set[str]:
    if not folder.is_dir():
        return set()
    return {p.name[: -len(".jsonl")] for p in folder.rglob("*.jsonl") if not p.name.startswith(".")}


class KnownArticles:
    """What is already in the corpus, worked out only when a feed actually brought entries.

    Why lazy: an idle poll (every feed answered 304) must not walk the corpus folder.

    Args:
        urls: canonical URLs already in the corpus, or a function that returns them (called once, on first need).
    """

    def __init__(self, config: FeedConfig, corpus_dir: Path,
                 urls: Collection[str] | Callable[[], Collection[str]] = ()) -> None:
        self._config = config
        self._corpus_dir = Path(corpus_dir)
        self._source = urls
        self._urls: set[str] | None = None
        self._ids: set[str] | None = None

    @property
    def urls(self) -> set[str]:
        """Canonical URLs in the corpus (grows as articles are saved)."""
        if self._urls is None:
            self._urls = set(self._source() if callable(self._source) else self._source)
        return self._urls

    @property
    def ids(self) -> set[str]:
        """Ids of the articles saved from feeds, including those a moderator removed (they stay out)."""
        if self._ids is None:
            folder = self._config.folder
            # articles a moderator removed (moved to removed/, see corpus.folder.removal) count as known
            self._ids = _saved_ids(self._corpus_dir / folder) | _saved_ids(self._corpus_dir / "removed" / folder)
        return self._ids


def fetch_feed(feed_url: str, config: FeedConfig, corpus_dir: Path, fetcher: Fetcher, known: KnownArticles,
               etag: str | None = None, last_modified: str | None = None) -> FeedFetch:
    """Fetch one feed (conditionally, with the validators of the last fetch) and save its new entries' articles.

    An unchanged feed (HTTP 304) costs one request and nothing is parsed or saved. Never raises for the
    feed's or an entry's fault: a failure is in the result (`status` `failed`, `error`), an entry that fails
    is one of its `problems`.
    """
    try:
        page = fetcher.get(feed_url, accept=FEED_ACCEPT, etag=etag, last_modified=last_modified)
    except FetchError as exc:
        return FeedFetch(feed_url, FAILED, etag, last_modified, error=exc)
    if page.not_modified:
        return FeedFetch(feed_url, UNCHANGED, page.etag, page.last_modified)
    try:
        parsed = parse_feed(page.body, feed_url, "check the feed's address (NEWSBOT_FEEDS or /feeds add)")
    except NotAFeed as exc:
        # validators of a page that is not a feed are not kept: the next try downloads it again
        return FeedFetch(feed_url, FAILED, error=exc)
    saved: list[str] = []
    problems: list[CorpusError] = []
    already = 0
    target = Path(corpus_dir) / config.folder
    for entry in parsed.entries[: config.max_entries]:
        link = (entry.get("link") or "").strip()
        if not re.match(r"^https?://\S+$", link):
            problems.append(FetchError(feed_url, f"the entry {entry.get('title', '')[:60]!r} has no http(s) link",
                                       "nothing to do: the entry is skipped"))
            continue
        try:
            url = canonical_url(link)
            if url in known.urls or article_id(url, "") in known.ids:
                already += 1
                continue
            article_page = fetcher.get(link)
            article = article_from_html(article_page.body, link, url=article_page.url, fallback={
                "title": clean_line(entry.get("title") or "") or None,
                "authors": entry_authors(entry), "published": entry_dates(entry), "outlet": parsed.title})
        except CorpusError as exc:
            problems.append(exc)
            continue
        except Exception as exc:  # noqa: BLE001 - odd input from a third party costs one entry, never the refresh
            log.exception("feed %s: entry %s failed", feed_url, link)
            problems.append(FetchError(link, f"the entry could not be read ({type(exc).__name__}: "
                                             f"{str(exc)[:160]})", "nothing to do: the entry is skipped"))
            continue
        if article.id in known.ids or (article.url and canonical_url(article.url) in known.urls):
            already += 1
            continue
        problems.extend(article.notes)  # warnings only: the article is saved (without what was left out)
        path = save_record(target, article, feed=feed_url)
        known.ids.add(article.id)
        known.urls.update({url, canonical_url(article.url)} if article.url else {url})
        saved.append(str(path))
        log.info("saved %s from feed %s to %s", link, feed_url, path)
    return FeedFetch(feed_url, NEW, page.etag, page.last_modified, title=parsed.title, entries=len(parsed.entries),
                     saved=tuple(saved), already_known=already, problems=tuple(problems))


Validators = Callable[[str], "tuple[str | None, str | None]"]


def ingest_feeds(config: FeedConfig, corpus_dir: Path, progress: Progress | None = None,
                 known_urls: Collection[str] | Callable[[], Collection[str]] = (), fetcher: Fetcher | None = None,
                 validators: Validators | None = None, on_fetch: Callable[[FeedFetch], None] | None = None,
                 urls: tuple[str, ...] | None = None) -> FeedOutcome:
    """Fetch the feeds and save their new entries' articles into the corpus folder.

    A feed or page that fails is reported and skipped; the others go on.

    Args:
        known_urls: canonical URLs already in the corpus (their pages are not fetched again), or a function
            giving them (called only once a feed brings entries).
        validators: url → (ETag, Last-Modified) of its last fetch, for conditional requests.
        on_fetch: called with each feed's result as soon as it is known (to record the feed's state).
        urls: the feeds to fetch (default: `config.urls`).
    """
    fetcher = fetcher or Fetcher(config.policy)
    urls = config.urls if urls is None else urls
    known = KnownArticles(config, corpus_dir, known_urls)
    fetches: list[FeedFetch] = []
    for number, feed_url in enumerate(urls, start=1):
        if progress:
            progress("fetching", number - 1, len(urls))
        etag, modified = validators(feed_url) if validators else (None, None)
        fetch = fetch_feed(feed_url, config, corpus_dir, fetcher, known, etag, modified)
        fetches.append(fetch)
        if on_fetch is not None:
            on_fetch(fetch)
    if progress:
        progress("fetching", len(urls), len(urls))
    outcome = FeedOutcome.of(fetches)
    for problem in outcome.problems:
        log.warning("feed: %s", problem.message)
    return outcome
