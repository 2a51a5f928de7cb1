"""RSS/Atom feeds into the corpus folder: fetch each feed, then each new entry's page, save it as a record.

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
    """

    urls: tuple[str, ...] = ()
    policy: FetchPolicy = field(default_factory=FetchPolicy)
    max_entries: int = 50
    folder: str = "feeds"


@dataclass(frozen=True)
class FeedOutcome:
    """What fetching the feeds did, for the refresh summary."""

    feeds: int = 0
    saved: tuple[str, ...] = ()
    already_known: int = 0
    problems: tuple[CorpusError, ...] = ()

    def line(self) -> str:
        """`feeds: 3 new article(s) saved from 2 feed(s), 10 already in the corpus, 1 failed, 1 note`.

        Notes are warnings about articles that were saved (a date left out, say); failures were skipped.
        """
        failed = sum(not p.warning for p in self.problems)
        notes = len(self.problems) - failed
        return (f"feeds: {len(self.saved)} new article(s) saved from {self.feeds} feed(s), "
                f"{self.already_known} already in the corpus" + (f", {failed} failed" if failed else "")
                + (f", {notes} note(s)" if notes else ""))


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


def ingest_feeds(config: FeedConfig, corpus_dir: Path, progress: Progress | None = None,
                 known_urls: Collection[str] = (), fetcher: Fetcher | None = None) -> FeedOutcome:
    """Fetch every configured feed and save its new entries' articles into the corpus folder.

    A feed or page that fails is reported and skipped; the others go on.

    Args:
        known_urls: canonical URLs already in the corpus (their pages are not fetched again).
    """
    import feedparser  # imported here: only refreshes with feeds pay for it

    fetcher = fetcher or Fetcher(config.policy)
    target = Path(corpus_dir) / config.folder
    # articles a moderator removed (moved to removed/, see corpus.folder.removal) count as known: they stay out
    saved_ids = _saved_ids(target) | _saved_ids(Path(corpus_dir) / "removed" / config.folder)
    known = set(known_urls)
    saved: list[str] = []
    problems: list[CorpusError] = []
    already = 0
    for number, feed_url in enumerate(config.urls, start=1):
        if progress:
            progress("fetching", number - 1, len(config.urls))
        try:
            page = fetcher.get(feed_url, accept=FEED_ACCEPT)
        except FetchError as exc:
            problems.append(exc)
            continue
        parsed = feedparser.parse(page.body)
        if not parsed.entries:
            why = f" ({parsed.get('bozo_exception')})" if parsed.get("bozo") else ""
            if parsed.get("bozo") or not parsed.get("version"):
                problems.append(FetchError(feed_url, f"this is not an RSS or Atom feed{why}",
                                           "check the address in NEWSBOT_FEEDS"))
            continue
        feed_title = clean_line(parsed.feed.get("title") or "") or None
        for entry in parsed.entries[: config.max_entries]:
            link = (entry.get("link") or "").strip()
            if not re.match(r"^https?://\S+$", link):
                problems.append(FetchError(feed_url, f"the entry {entry.get('title', '')[:60]!r} has no http(s) link",
                                           "nothing to do: the entry is skipped"))
                continue
            try:
                url = canonical_url(link)
                if url in known or article_id(url, "") in saved_ids:
                    already += 1
                    continue
                page = fetcher.get(link)
                article = article_from_html(page.body, link, url=page.url, fallback={
                    "title": clean_line(entry.get("title") or "") or None,
                    "authors": entry_authors(entry), "published": entry_dates(entry), "outlet": feed_title})
            except CorpusError as exc:
                problems.append(exc)
                continue
            except Exception as exc:  # noqa: BLE001 - odd input from a third party costs one entry, never the refresh
                log.exception("feed %s: entry %s failed", feed_url, link)
                problems.append(FetchError(link, f"the entry could not be read ({type(exc).__name__}: "
                                                 f"{str(exc)[:160]})", "nothing to do: the entry is skipped"))
                continue
            if article.id in saved_ids or (article.url and canonical_url(article.url) in known):
                already += 1
                continue
            problems.extend(article.notes)  # warnings only: the article is saved (without what was left out)
            path = save_record(target, article, feed=feed_url)
            saved_ids.add(article.id)
            known.update({url, canonical_url(article.url)} if article.url else {url})
            saved.append(str(path))
            log.info("saved %s from feed %s to %s", link, feed_url, path)
    if progress:
        progress("fetching", len(config.urls), len(config.urls))
    for problem in problems:
        log.warning("feed: %s", problem.message)
    return FeedOutcome(feeds=len(config.urls), saved=tuple(saved), already_known=already, problems=tuple(problems))
