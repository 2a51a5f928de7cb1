"""The library: a corpus folder, its index directory and the search service over it.

This is the one object the CLI, the bot and the tests hold. It builds the index
when there is none, rebuilds it from the corpus, and swaps the new version in
only once it is complete, so searches keep being answered meanwhile.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from corpus.chunking import ChunkConfig
from corpus.loader import LoadReport, load_corpus
from index.builder import BuildStats, Progress, build_version
from index.encoder import Encoder
from index.layout import CURRENT
from index.search import SearchService

log = logging.getLogger(__name__)


class Library:
    """Corpus + index + search service, with the model loaded once."""

    def __init__(self, corpus_dir: Path, index_dir: Path, encoder: Encoder,
                 chunking: ChunkConfig = ChunkConfig()) -> None:
        self.corpus_dir = Path(corpus_dir)
        self.index_dir = Path(index_dir)
        self.encoder = encoder
        self.chunking = chunking
        self._service: SearchService | None = None
        self._swap_lock = threading.Lock()

    @property
    def has_index(self) -> bool:
        """True once a version has been published."""
        return (self.index_dir / CURRENT).exists()

    @property
    def service(self) -> SearchService:
        """The search service over the current version, loaded on first use.

        Raises:
            IndexMissing: nothing built yet (call `ensure_index` first).
            IndexCorrupt, ModelMismatch: the index cannot be used as it is.
        """
        with self._swap_lock:
            if self._service is None:
                self._service = SearchService.open(self.index_dir, self.encoder)
            return self._service

    def reload(self) -> SearchService:
        """Load the current version again (after another process switched it) and swap it in."""
        fresh = SearchService.open(self.index_dir, self.encoder)
        with self._swap_lock:
            old, self._service = self._service, fresh
        if old is not None and old.folder != fresh.folder:
            log.info("now serving index version %s (was %s)", fresh.version, old.version)
        return fresh

    def build(self, progress: Progress | None = None, reuse: bool = True) -> tuple[LoadReport, BuildStats]:
        """Read the whole corpus folder and publish a new index version of it.

        Args:
            progress: called with (stage, done, total).
            reuse: reuse vectors of the current version for unchanged text.
        """
        report = load_corpus(self.corpus_dir)
        if progress:
            progress("read", report.files_read, report.files_read)
        stats = build_version(report.articles, self.encoder, self.index_dir, self.chunking,
                              progress=progress, reuse_current=reuse)
        self.reload()
        return report, stats

    def refresh(self, progress: Progress | None = None, dry_run: bool = False, actor: str | None = None):  # noqa: ANN201
        """Re-read the corpus and update the index; the current version keeps serving meanwhile.

        INTERIM (bot branch): a full rebuild behind the interface the refresh
        branch implements; replace with that implementation when merging.

        Raises:
            IndexBusy: another refresh is running.
        """
        from index.interim_refresh import refresh_by_rebuild

        return refresh_by_rebuild(self, progress=progress, dry_run=dry_run, actor=actor)

    def ensure_index(self, progress: Progress | None = None) -> tuple[LoadReport, BuildStats] | None:
        """Build the index from the corpus if there is none yet; returns what was built, if anything."""
        if self.has_index:
            return None
        log.info("no index in %s yet: building it from %s", self.index_dir, self.corpus_dir)
        return self.build(progress=progress)
