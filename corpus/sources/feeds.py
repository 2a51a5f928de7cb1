"""RSS/Atom feeds into the corpus folder: fetch each feed, then each new entry's page, save it as a record.

Why feedparser: RSS 0.9x/1.0/2.0 and Atom, their dates, authors and the
malformed feeds found in the wild are a long tail that a hand-written parser
would get wrong. Pages go through the same extraction as saved HTML files
(`corpus.readers.html`), and each article is saved as a JSON Lines record (see
`corpus.sources.records`), so the corpus stays reproducible from the folder alone.
"""

from __future__ import annotations

import calendar
import logging
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

from corpus.article import article_id, canonical_url
from corpus.errors import CorpusError
from corpus.sources.fetch import FetchError, Fetcher, FetchPolicy
from corpus.readers.html import article_from_html
from corpus.sources.records import save_record

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
        """`feeds: 3 new article(s) saved from 2 feed(s), 10 already in the corpus, 1 failed`."""
        failed = f", {len(self.problems)} failed" if self.problems else ""
        return (f"feeds: {len(self.saved)} new article(s) saved from {self.feeds} feed(s), "
                f"{self.already_known} already in the corpus{failed}")


def _entry_date(entry: dict) -> date | None:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    if not parsed:
        return None
    return datetime.fromtimestamp(calendar.timegm(parsed), tz=timezone.utc).date()


def _entry_authors(entry: dict) -> tuple[str, ...]:
    names = []
    for author in entry.get("authors") or []:
        name = (author.get("name") or "").strip()
        match = re.match(r"^\S+@\S+\s*\((.+)\)$", name)  # RSS 2.0 style: "mail@host (Name)"
        name = match.group(1) if match else name
        if name and "@" not in name:
            names.append(name)
    return tuple(dict.fromkeys(names))


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
        for entry in parsed.entries[: config.max_entries]:
            link = (entry.get("link") or "").strip()
            if not re.match(r"^https?://\S+$", link):
                problems.append(FetchError(feed_url, f"the entry {entry.get('title', '')[:60]!r} has no http(s) link",
                                           "nothing to do: the entry is skipped"))
                continue
            url = canonical_url(link)
            if url in known or article_id(url, "") in saved_ids:
                already += 1
                continue
            try:
                page = fetcher.get(link)
                article = article_from_html(page.body, link, url=page.url, fallback={
                    "title": " ".join((entry.get("title") or "").split()) or None,
                    "authors": _entry_authors(entry), "published": _entry_date(entry)})
            except CorpusError as exc:
                problems.append(exc)
                continue
            if article.id in saved_ids or (article.url and canonical_url(article.url) in known):
                already += 1
                continue
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
