"""Moderators' changes to the corpus: add a page or a file, remove an article, restore it, and their history.

Shared by `/corpus …` on Discord and `newsbot corpus …` on the command line,
so both check, save and record exactly the same way. Nothing here bypasses the
refresh machinery: a change only moves files in the corpus folder (pages are
fetched with `corpus.sources.fetch`, extracted with `corpus.readers.html`, saved with
`corpus.sources.records`; files are read by the refresh's own readers), is recorded in
the index's history (who, when, what), and is then indexed by the ordinary
incremental `Library.refresh`.

A change moves files while holding the refresh lock, so it never races a
refresh that is scanning the folder; the lock is released before the refresh
it triggers takes it again.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from corpus.article import Article, canonical_url
from corpus.chunking import chunk_article
from corpus.errors import CorpusError
from corpus.sources.fetch import Fetcher, FetchPolicy
from corpus.readers.html import article_from_html
from corpus.folder.planning import ArticleRef, deduplicate
from corpus.sources.records import save_record
from corpus.folder.removal import Moved, RemovedArticle, remove_article, removed_articles, restore_article
from corpus.folder.scan import reader_signature, scan_corpus
from corpus.sources.uploads import check_upload, save_upload
from index.refresh.build import Progress
from index.curation.changes import AlreadyInCorpus, Change, NotInCorpus, Preview, pick_article
from index.errors import IndexBusy, NewsIndexError
from index.store.layout import pointed_version
from index.library import Library
from index.store.lock import RefreshLock
from index.refresh.refresh import indexed_articles
from index.refresh.stopping import Interrupted
from index.store.state import HistoryEntry, StateStore

log = logging.getLogger(__name__)

PAGES_DIR = "added"
DEFAULT_MAX_UPLOAD_BYTES = 2_000_000


@dataclass
class CorpusManager:
    """The corpus operations over one library.

    Attributes:
        policy: how pages are fetched (http(s) only, private addresses refused unless allowed, limits).
        max_upload_bytes: the largest file accepted.
    """

    library: Library
    policy: FetchPolicy = field(default_factory=FetchPolicy)
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    fetcher: Fetcher | None = None

    def __post_init__(self) -> None:
        # one fetcher for the manager's life: its per-host delay then holds across previews too
        self.fetcher = self.fetcher or Fetcher(self.policy)

    @property
    def corpus_dir(self) -> Path:
        """The library's corpus folder."""
        return self.library.corpus_dir

    # -- looking -----------------------------------------------------------------------------------
    def corpus_refs(self) -> list[ArticleRef]:
        """Every article in the folder now (reading only files changed since the last scan); none while the
        folder does not exist yet (a server's collection before its first article)."""
        if not self.corpus_dir.is_dir():
            return []
        with StateStore(self.library.index_dir) as state:
            cached = state.file_records(reader_signature())
        return scan_corpus(self.corpus_dir, cached).refs

    def copies_of(self, article: Article, url: str | None = None) -> tuple[ArticleRef, ...]:
        """Articles in the folder with the same id or canonical URL."""
        urls = {canonical_url(u) for u in (url, article.url) if u}
        return tuple(r for r in self.corpus_refs() if r.id == article.id or (r.url and r.url in urls))

    def preview_url(self, url: str) -> Preview:
        """Fetch and extract a page; nothing is written.

        Raises:
            FetchError: not http(s), a private or local address (unless allowed), too large, too slow, HTTP error.
            UnextractableHtml, EmptyBody: the page holds no article text.
        """
        url = url.strip()
        page = self.fetcher.get(url)
        article = article_from_html(page.body, url, url=page.url)
        return Preview((article,), self._passages([article]), url=url, existing=self.copies_of(article, url))

    def preview_file(self, name: str, data: bytes) -> Preview:
        """Check a file with the corpus readers; nothing is written.

        Raises:
            UploadRejected: too large, unsupported type, empty, or any unreadable record (all listed).
        """
        upload = check_upload(name, data, self.max_upload_bytes)
        refs = self.corpus_refs()
        ids = {a.id for a in upload.articles}
        urls = {canonical_url(a.url) for a in upload.articles if a.url}
        existing = tuple(r for r in refs if r.id in ids or (r.url and r.url in urls))
        return Preview(upload.articles, self._passages(upload.articles), upload=upload, existing=existing)

    def _passages(self, articles: tuple[Article, ...] | list[Article]) -> int:
        return sum(len(chunk_article(a, self.library.encoder.count_tokens, self.library.chunking)) for a in articles)

    def find_indexed(self, query: str) -> Article:
        """The indexed article named by an id (`a:<id>` from autocomplete, or bare), or by its title.

        Raises:
            NotInCorpus: nothing matches, or a title matches several articles.
        """
        return pick_article(self.library.service.articles(), query, "in the index")

    def find_removed(self, query: str) -> RemovedArticle:
        """The removed article named by an id or title (see `find_indexed`)."""
        removed = removed_articles(self.corpus_dir)
        article = pick_article([r.article for r in removed], query, "among the removed articles")
        return next(r for r in removed if r.article.id == article.id)

    # -- changing ------------------------------------------------------------------------------------
    def add(self, preview: Preview, actor: str, update: bool = False, progress: Progress | None = None) -> Change:
        """Save a previewed page or file into the corpus folder, record it, then refresh.

        Args:
            update: for a page already in the corpus: move its saved copies to `removed/` and save the fresh one.

        Raises:
            AlreadyInCorpus: a page already in the corpus, without `update`.
            IndexBusy: a refresh is running (nothing was written).
        """
        self.corpus_dir.mkdir(parents=True, exist_ok=True)  # a server's collection starts with its first article
        with RefreshLock(self.library.index_dir, actor, "corpus change"):
            if preview.upload is not None:
                path = save_upload(self.corpus_dir, preview.upload)
                moved: list[Moved] = []
                kind, what = "corpus add", f"added the file {_rel(path, self.corpus_dir)} " \
                                           f"({_count(preview.articles, 'article')})"
            else:
                existing = self.copies_of(preview.article, preview.url)
                if existing and not update:
                    raise AlreadyInCorpus(preview.url or preview.article.url or "", existing)
                moved = [remove_article(self.corpus_dir, Path(r.file), r.id, r.title) for r in _by_file(existing)]
                path = save_record(self.corpus_dir / PAGES_DIR, preview.article, added_by=actor,
                                   fetched_from=preview.url or "")
                kind = "corpus update" if moved else "corpus add"
                what = (f"{'updated' if moved else 'added'} “{preview.article.title}” from {preview.url} as "
                        f"{_rel(path, self.corpus_dir)}" + ("; the old copy moved to removed/" if moved else ""))
            counts = {"updated": 1} if moved else {"added": len(preview.articles)}
            self._record(kind, actor, what, counts, {"files": [str(path)] + [str(m.target) for m in moved],
                                                     "articles": [[a.id, a.title] for a in preview.articles]})
        log.info("%s by %s: %s", kind, actor, what)
        return self._refreshed(what, (path,), actor, progress)

    def remove(self, article_id: str, actor: str, progress: Progress | None = None) -> Change:
        """Move an article (every copy indexed as it) to `removed/`, record it, then refresh.

        Raises:
            NotInCorpus: no file in the folder holds it.
            IndexBusy: a refresh is running (nothing was moved).
        """
        with RefreshLock(self.library.index_dir, actor, "corpus change"):
            refs = self.corpus_refs()
            dedup = deduplicate(refs, prefer=indexed_articles(self.library.index_dir).keys())  # as the refresh does
            folded = {d.id for d in dedup.duplicates if d.kept_id == article_id}
            targets = [r for r in refs if r.id == article_id or r.id in folded]
            if not targets:
                raise NotInCorpus(self.corpus_dir, f"no file in the corpus folder holds the article {article_id}",
                                  "run a refresh: the index may be older than the folder")
            moved = [remove_article(self.corpus_dir, Path(r.file), r.id, r.title) for r in _by_file(targets)]
            title = next((r.title for r in targets if r.id == article_id), targets[0].title)
            what = f"removed “{title}” ({article_id}): " + "; ".join(m.describe(self.corpus_dir) for m in moved)
            self._record("corpus remove", actor, what, {"removed": 1},
                         {"article": [article_id, title], "moves": [[str(m.source), str(m.target)] for m in moved]})
        log.info("corpus remove by %s: %s", actor, what)
        return self._refreshed(what, tuple(m.target for m in moved), actor, progress)

    def restore(self, article_id: str, actor: str, progress: Progress | None = None) -> Change:
        """Move a removed article back to where it was, record it, then refresh.

        Raises:
            NotInCorpus: no removed article has this id.
            RemovalError: a different file now sits where it was.
            IndexBusy: a refresh is running (nothing was moved).
        """
        with RefreshLock(self.library.index_dir, actor, "corpus change"):
            found = [r for r in removed_articles(self.corpus_dir) if r.article.id == article_id]
            if not found:
                raise NotInCorpus(self.corpus_dir, f"no removed article has the id {article_id}",
                                  "see `/corpus history` for what was removed")
            moved = [restore_article(self.corpus_dir, r.file, article_id, r.article.title)
                     for r in {r.file: r for r in found}.values()]
            title = found[0].article.title
            what = f"restored “{title}” ({article_id}): " + "; ".join(m.describe(self.corpus_dir) for m in moved)
            self._record("corpus restore", actor, what, {"added": 1},
                         {"article": [article_id, title], "moves": [[str(m.source), str(m.target)] for m in moved]})
        log.info("corpus restore by %s: %s", actor, what)
        return self._refreshed(what, tuple(m.target for m in moved), actor, progress)

    def history(self, limit: int = 20) -> list[HistoryEntry]:
        """Refreshes, rollbacks and corpus changes, newest first."""
        return self.library.history(limit)

    # -- helpers -------------------------------------------------------------------------------------
    def _record(self, kind: str, actor: str, what: str, counts: dict[str, int], details: dict) -> None:
        index_dir = self.library.index_dir
        version = pointed_version(index_dir)
        with StateStore(index_dir) as state:
            entry = state.start(kind, actor, version, os.getpid())
            state.finish(entry, "ok", version, counts, summary=[what], details=details)

    def _refreshed(self, what: str, paths: tuple[Path, ...], actor: str, progress: Progress | None) -> Change:
        try:
            report = self.library.refresh(progress=progress, fetch_feeds=False, actor=actor)
        except IndexBusy as exc:
            return Change(what, paths, refresh_error=f"{exc.message} (it indexes this change too, or the next one will)")
        except (NewsIndexError, CorpusError) as exc:
            log.error("refresh after a corpus change failed: %s", exc.message)
            return Change(what, paths, refresh_error=f"the refresh failed: {exc.message}")
        except Interrupted as exc:  # Ctrl+C: the change is made, only its indexing stopped; say both
            raise Interrupted(f"{what}; then the refresh was {exc.args[0] if exc.args else 'interrupted'} — "
                              "`newsbot refresh` indexes the change") from None
        return Change(what, paths, report=report)


def _rel(path: Path, root: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path(root).resolve()))
    except ValueError:
        return str(path)


def _count(items: tuple | list, noun: str) -> str:
    return f"{len(items)} {noun}" + ("" if len(items) == 1 else "s")


def _by_file(refs: list[ArticleRef] | tuple[ArticleRef, ...]) -> list[ArticleRef]:
    """One ref per (file, id): a file holding the same record twice is handled in one move."""
    return list({(r.file, r.id): r for r in refs}.values())

