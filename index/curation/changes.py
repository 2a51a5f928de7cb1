"""What corpus changes are made of: their previews, outcomes, refusals, and how they read in the history.

Kept apart from `index.curation.operations` (which makes the changes) so the bot and
the command line can render them without the machinery.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from corpus.article import Article
from corpus.errors import CorpusError
from corpus.folder.planning import ArticleRef
from corpus.sources.uploads import CheckedUpload
from index.refresh.refresh import RefreshReport
from index.store.state import HistoryEntry


class AlreadyInCorpus(CorpusError):
    """The page is in the corpus already; `existing` are its copies (update it instead of adding it twice)."""

    def __init__(self, url: str, existing: tuple[ArticleRef, ...]) -> None:
        self.existing = existing
        first = existing[0]
        super().__init__(Path(first.file), f"{url} is already in the corpus as “{first.title}”",
                         "update it (fetch it again and replace the saved copy) instead of adding it twice")


class NotInCorpus(CorpusError):
    """No article (or no removed article) matches what was asked for.

    `path` is the folder looked in, or None when the articles were looked up by id or title (the
    message is then only what was wrong and what to do, with no location before it).
    """

    def __init__(self, path: Path | str | None, problem: str, fix: str) -> None:
        self._anywhere = path is None
        super().__init__(path if path is not None else ".", problem, fix)

    @property
    def message(self) -> str:
        """`problem — fix`, after the folder's name when one was looked in."""
        return f"{self.problem} — {self.fix}" if self._anywhere else super().message


@dataclass(frozen=True)
class Preview:
    """What an addition would bring, before anything is written.

    Attributes:
        articles: the articles read (one for a page; one or more for a file).
        passages: how many passages they will be cut into.
        url: the address given, for a page.
        upload: the checked file, for a file.
        existing: copies already in the corpus (same canonical URL or id).
    """

    articles: tuple[Article, ...]
    passages: int
    url: str | None = None
    upload: CheckedUpload | None = None
    existing: tuple[ArticleRef, ...] = ()

    @property
    def article(self) -> Article:
        """The first (for a page, the only) article."""
        return self.articles[0]


@dataclass(frozen=True)
class Change:
    """A change made to the corpus and the refresh that followed it.

    Attributes:
        summary: one line for people: what changed, and where the files went.
        paths: files written or moved.
        report: the refresh that indexed the change, or None when it could not run.
        refresh_error: why the refresh did not run (the change is kept; the next refresh indexes it).
    """

    summary: str
    paths: tuple[Path, ...] = ()
    report: RefreshReport | None = None
    refresh_error: str | None = None

    def lines(self) -> list[str]:
        """The change, then the refresh summary (or why it did not run)."""
        tail = self.report.summary_lines() if self.report else [f"not indexed yet: {self.refresh_error}"]
        return [self.summary, *tail]


def pick_article(articles: list[Article], query: str, where: str) -> Article:
    """An article by `a:<id>`, bare id, exact title, or a title fragment that names just one.

    Raises:
        NotInCorpus: nothing matches (the message suggests the closest titles, with their ids), or several do
            (it lists them with their ids).
    """
    text = " ".join(query.split())
    key = text[2:] if text.startswith("a:") else text
    for article in articles:
        if article.id == key:
            return article
    folded = key.casefold()
    exact = [a for a in articles if a.title.casefold() == folded]
    matches = exact or [a for a in articles if folded and folded in a.title.casefold()]
    unique = {a.id: a for a in matches}
    if len(unique) == 1:
        return next(iter(unique.values()))
    if not unique:
        close = _closest(articles, key)
        fix = (f"did you mean {_listed(close)}? Give the id, or more of the title" if close else
               "check the spelling, or give the article's id")
        raise NotInCorpus(None, f"no article {where} matches {text!r}", fix)
    raise NotInCorpus(None, f"{len(unique)} articles {where} match {text!r}",
                      f"give the id of the one you mean: {_listed(list(unique.values()))}")


SUGGESTIONS = 3  # closest titles named when nothing matches
LISTED = 5  # matching articles named when several match


def _closest(articles: list[Article], key: str) -> list[Article]:
    """The articles whose titles are closest to `key` (approximate matching; none when nothing is close)."""
    from rapidfuzz import fuzz, process, utils

    if not key.strip():
        return []
    by_id = {a.id: a for a in articles}
    found = process.extract(key, {a.id: a.title for a in by_id.values()}, scorer=fuzz.WRatio,
                            processor=utils.default_process, limit=SUGGESTIONS, score_cutoff=60)
    return [by_id[article_id] for _, _, article_id in found]


def _listed(articles: list[Article]) -> str:
    """`“Title” (id), “Title” (id) or 2 more` (titles shortened)."""
    names = [f"“{_short(a.title)}” ({a.id})" for a in articles[:LISTED]]
    more = len(articles) - len(names)
    if more:
        return ", ".join(names) + f" or {more} more"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _short(title: str, width: int = 60) -> str:
    return title if len(title) <= width else title[: width - 1].rstrip() + "…"


def history_line(entry: HistoryEntry) -> str:
    """`#12 2024-05-01T10:00:00+00:00 corpus remove by alice: removed “…” (u…): a.txt → removed/a.txt (file)`."""
    who = entry.actor or "unknown"
    if entry.kind.startswith(("corpus ", "feeds ")):
        detail = entry.summary.splitlines()[0] if entry.summary else entry.status
    else:
        change = f"{entry.version_before or '-'} → {entry.version_after or '-'}"
        detail = f"{entry.status}; {change}"
        if entry.kind != "rollback":
            detail += (f"; added {entry.added}, updated {entry.updated}, removed {entry.removed}, "
                       f"skipped {entry.skipped}")
    return f"#{entry.id} {entry.started_at} {entry.kind} by {who}: {detail}"
