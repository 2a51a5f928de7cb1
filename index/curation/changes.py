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
    """No article (or no removed article) matches what was asked for."""


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
    """An article by `a:<id>`, bare id, exact title, or a title fragment that names just one."""
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
        raise NotInCorpus(Path("."), f"no article {where} matches {text!r}", "pick one from the suggestions")
    raise NotInCorpus(Path("."), f"{len(unique)} articles {where} match {text!r}",
                      "pick one from the suggestions, or give more of the title")



def history_line(entry: HistoryEntry) -> str:
    """`#12 2024-05-01T10:00:00+00:00 corpus remove by alice: removed “…” (u…): a.txt → removed/a.txt (file)`."""
    who = entry.actor or "unknown"
    if entry.kind.startswith("corpus "):
        detail = entry.summary.splitlines()[0] if entry.summary else entry.status
    else:
        change = f"{entry.version_before or '-'} → {entry.version_after or '-'}"
        detail = f"{entry.status}; {change}"
        if entry.kind != "rollback":
            detail += (f"; added {entry.added}, updated {entry.updated}, removed {entry.removed}, "
                       f"skipped {entry.skipped}")
    return f"#{entry.id} {entry.started_at} {entry.kind} by {who}: {detail}"
