"""The library: a corpus folder, its index directory and the search service over it.

This is the one object the CLI, the bot and the tests hold. It builds the index
when there is none, rebuilds it from the corpus, and swaps the new version in
only once it is complete, so searches keep being answered meanwhile.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace
from pathlib import Path

from collections.abc import Callable, Mapping

from corpus.chunking import ChunkConfig
from corpus.sources.feeds import FeedConfig, FeedOutcome
from corpus.readers.loader import LoadReport
from index.encoder import Encoder
from index.errors import IndexBusy, IndexCorrupt, NewsIndexError
from index.feeds.polling import fetch_all
from index.feeds.store import FeedStore
from index.refresh.build import BuildStats
from index.refresh.refresh import CORPUS_DIR, RefreshReport, build_index, refresh_index, rollback_index
from index.refresh.steps import StandbyCopies
from index.search.ranking import RetrievalConfig
from index.search.service import SearchService
from index.store.access import writable
from index.store.durability import newest_intact
from index.store.layout import CURRENT, pointed_version, version_path
from index.store.lexical import LexicalConfig, LexicalWriter
from index.store.recovery import recover
from index.store.sentences import SentenceWriter
from index.store.state import HistoryEntry, RecordsMemo, StateStore
from index.store.dense import DenseConfig
from index.store.writers import IndexWriter, Progress

log = logging.getLogger(__name__)


class Library:
    """Corpus + index + search service, with the model loaded once."""

    def __init__(self, corpus_dir: Path, index_dir: Path, encoder: Encoder,
                 chunking: ChunkConfig = ChunkConfig(), keep_versions: int = 3, feeds: FeedConfig | None = None,
                 extra_writers: Mapping[str, IndexWriter] | None = None,
                 retrieval: RetrievalConfig = RetrievalConfig(), lexical: LexicalConfig = LexicalConfig(),
                 dense: DenseConfig = DenseConfig()) -> None:
        self.corpus_dir = Path(corpus_dir)
        self.index_dir = Path(index_dir)
        self.encoder = encoder
        self.chunking = chunking
        self.keep_versions = keep_versions
        self.feeds = feeds or FeedConfig()
        self.retrieval = retrieval
        self.lexical = lexical
        self.dense = dense  # which dense index new versions get: flat, or approximate from a size on
        # every version carries its lexical index (hybrid retrieval), written before its manifest; the
        # sentences of its passages are embedded into the sentence store (highlights without a model pass)
        self.extra_writers: dict[str, IndexWriter] = {
            "lexical": LexicalWriter(lexical), "sentences": SentenceWriter(encoder, self.index_dir),
            **dict(extra_writers or {})}
        self._service: SearchService | None = None
        self._swap_lock = threading.Lock()
        self._recovered = False
        self._unusable: str | None = None  # a version CURRENT names that could not be served (see `_open`)
        self._records = RecordsMemo()
        self._standby: StandbyCopies | None = None  # see `keep_standby_copies`
        # called with the new version's name after every switch this process serves (refresh, build, rollback,
        # or a switch by another process seen by `reload_if_switched`), from the thread that swapped it in
        self.switch_listeners: list[Callable[[str], None]] = []

    def keep_standby_copies(self) -> None:
        """For a long-lived process (the bot, `refresh --watch`): after each refresh that publishes, copy the new
        version's largest files in the background, so that the next refresh's patch finds them made
        (`index.refresh.steps.StandbyCopies`: at a million passages 3 GB, ~2 s off each one-article refresh,
        at the cost of that much more disk between refreshes)."""
        if self._standby is None:
            self._standby = StandbyCopies()

    def wait_for_standby_copies(self) -> None:
        """Wait until the standby copy, if any, is complete (benchmarks: refreshes minutes apart)."""
        if self._standby is not None:
            self._standby.wait()

    def drop_standby_copies(self) -> None:
        """Remove the standby copy, if any (waiting for its copying to end)."""
        if self._standby is not None:
            self._standby.close()

    @property
    def has_index(self) -> bool:
        """True once a version has been published."""
        return (self.index_dir / CURRENT).exists()

    @property
    def service(self) -> SearchService:
        """The search service over the current version, loaded on first use.

        Raises:
            IndexMissing: nothing built yet (call `build` or `refresh` first).
            IndexCorrupt, ModelMismatch: the index cannot be used as it is.
        """
        with self._swap_lock:
            if self._service is None:
                self._recover()
                self._service = self._open()
            return self._service

    def _recover(self) -> None:
        """On first use, clean up after a killed refresh and check the serving version (it says so in the log).

        Skipped in an index folder this process may not write: reading it must write nothing, and the
        loading checks of `_open` still find a damaged version there.
        """
        if not self._recovered and self.index_dir.is_dir():
            self._recovered = True
            if not writable(self.index_dir):
                log.info("index %s is read-only: serving it as it is, without the start-up clean-up",
                         self.index_dir)
                return
            try:
                recover(self.index_dir, "startup check")
            except IndexBusy:
                pass  # a refresh is running: it checks the serving version itself

    def _open(self, previous: SearchService | None = None) -> SearchService:
        """The search service over the version `CURRENT` names, or the newest intact one when that one
        is missing or damaged (said in the log, with what to do); nothing is written.

        `previous`: the service being replaced, whose rows' articles a patched successor reuses
        (see `SearchService`).

        Raises:
            IndexMissing: nothing built yet.
            IndexCorrupt: no version is intact.
            ModelMismatch: the index was built with another model.
        """
        try:
            service = SearchService.open(self.index_dir, self.encoder, retrieval=self.retrieval, previous=previous)
        except IndexCorrupt as exc:
            named = pointed_version(self.index_dir) or ""
            name = newest_intact(self.index_dir, named, mark=False)
            if name is None:
                raise
            service = SearchService(version_path(self.index_dir, name), self.encoder, retrieval=self.retrieval)
            log.warning("%s cannot be served (%s); serving %s, the newest intact version, instead — "
                        "`newsbot rollback` makes it the current one, `newsbot build` rebuilds the index",
                        named or "the index version named in CURRENT", exc.message, name)
            self._unusable = named
        else:
            self._unusable = None
        return service

    def indexed_corpus(self) -> Path | None:
        """The corpus folder the serving version was written from (None: not recorded, a version written
        before it was; loads the version).

        Raises:
            IndexMissing, IndexCorrupt, ModelMismatch: as `service`.
        """
        recorded = self.service.manifest.extra.get(CORPUS_DIR)
        return Path(recorded) if recorded else None

    def other_corpus(self) -> Path | None:
        """The corpus folder the serving version was written from, when that is not this library's folder
        (a command given another `--corpus` than the index was built from); None when they agree or it is
        not recorded."""
        indexed = self.indexed_corpus()
        return indexed if indexed is not None and indexed != self.corpus_dir.resolve() else None

    def reload(self) -> SearchService:
        """Load the current version again (after another process switched it) and swap it in."""
        with self._swap_lock:
            serving = self._service
        fresh = self._open(previous=serving)
        with self._swap_lock:
            old, self._service = self._service, fresh
        if old is not None and old.folder != fresh.folder:
            log.info("now serving index version %s (was %s)", fresh.version, old.version)
        if old is None or old.folder != fresh.folder:
            for listener in list(self.switch_listeners):
                try:
                    listener(fresh.version)
                except Exception:  # a listener's fault never stops a switch
                    log.exception("a listener of index version switches failed")
        return fresh

    def reload_if_switched(self) -> str | None:
        """Swap in the version `CURRENT` names when another process switched it; returns it, or None.

        Cheap (reads one small file), so a serving process calls it every few seconds: several bot
        processes (shards) over one index directory all answer from a new version soon after its switch.
        Nothing is loaded when no version was loaded yet, and a pointer that cannot be read is left to
        the next full load to report.
        """
        with self._swap_lock:
            loaded = self._service
        if loaded is None:
            return None
        try:
            name = (self.index_dir / CURRENT).read_text().strip()
        except OSError:
            return None
        if not name or name == loaded.version or name == self._unusable:
            return None
        try:
            return self.reload().version
        except NewsIndexError as exc:
            log.warning("index version %s named by %s cannot be loaded yet (%s); still serving %s",
                        name, self.index_dir / CURRENT, exc.message, loaded.version)
            return None

    def build(self, progress: Progress | None = None, reuse: bool = True,
              actor: str | None = None) -> tuple[LoadReport, BuildStats]:
        """Read the whole corpus folder and publish a new index version of it, written in full.

        The same path as a refresh (`index.refresh.refresh.build_index`): the same lock,
        file records and history (kind "build"); no feed is fetched.

        Args:
            progress: called with (stage, done, total); stages "read", "chunked", "embedding",
                "sentences", "writing", "switching".
            reuse: reuse vectors of the current version for unchanged text.
            actor: who asked, for the history and the lock (default "build").

        Returns:
            What was read (articles, problems, duplicates, files), and the new version's stats.

        Raises:
            IndexBusy: a refresh, build or rollback is running.
            UnreadableFile: the corpus folder does not exist.
        """
        loaded, report = build_index(self.corpus_dir, self.index_dir, self.encoder, self.chunking,
                                     progress=progress, actor=actor, keep_versions=self.keep_versions,
                                     extra_writers=self.extra_writers, reuse=reuse, memo=self._records,
                                     dense=self.dense)
        assert report.stats is not None  # a build always publishes a version
        self.reload()
        return loaded, report.stats

    def refresh(self, progress: Progress | None = None, dry_run: bool = False, fetch_feeds: bool = True,
                actor: str | None = None, rescan: bool = False) -> RefreshReport:
        """Bring the index in line with the corpus folder (and the library's feeds).

        Only new and changed articles are embedded; the bot keeps answering from
        the serving version until the new one is complete, then swaps it in.

        Args:
            progress: called with (stage, done, total); stages "fetching", "read", "chunked",
                "embedding", "writing", "switching".
            dry_run: plan only: nothing is fetched, written or switched.
            fetch_feeds: fetch every feed of the library (NEWSBOT_FEEDS for the base, and those moderators
                added: `index.feeds`) into the corpus folder first, conditionally, recording each feed's state.
            actor: who asked, for the history (e.g. a Discord user name).
            rescan: parse every corpus file again instead of trusting unchanged files.

        Raises:
            IndexBusy: another refresh is running (the message says whose).
        """
        ingest = None
        if fetch_feeds and not dry_run and self.has_feeds():
            def ingest(p: Progress | None, known: set[str]) -> FeedOutcome:
                return fetch_all(self, p, known)
        report = refresh_index(self.corpus_dir, self.index_dir, self.encoder, self.chunking, progress=progress,
                               dry_run=dry_run, ingest=ingest, actor=actor, keep_versions=self.keep_versions,
                               extra_writers=self.extra_writers, rescan=rescan, memo=self._records,
                               dense=self.dense, standby=self._standby)
        if ingest is not None:  # what the feeds saved is indexed now: the schedule need not refresh for it
            with FeedStore(self.index_dir) as store:
                store.set_pending(False)
        with self._swap_lock:
            stale = self._service is not None and self._service.version != report.version
        if stale:
            started = time.perf_counter()
            self.reload()  # (not loaded yet: the first search loads the new version anyway)
            report = replace(report, swap_seconds=time.perf_counter() - started)
        if progress and not dry_run:
            progress("switching", 1, 1)
        return report

    def has_feeds(self) -> bool:
        """True when the library has feeds: NEWSBOT_FEEDS (the base), or feeds moderators added (`index.feeds`)."""
        if self.feeds.urls:
            return True
        if not (self.index_dir / "state.sqlite").exists():
            return False
        with FeedStore(self.index_dir) as store:
            return bool(store.urls())

    def rollback(self, to: str | None = None, actor: str | None = None) -> str:
        """Serve the previous index version again (or version `to`); returns the version now serving."""
        name = rollback_index(self.index_dir, self.encoder, actor=actor, to=to)
        self.reload()
        return name

    def history(self, limit: int = 20) -> list[HistoryEntry]:
        """The latest refreshes and rollbacks, newest first.

        A run that died without finishing is marked interrupted first, when no other run holds the
        lock and the folder may be written (see `index.store.recovery`).
        """
        if self.index_dir.is_dir() and writable(self.index_dir):
            try:
                recover(self.index_dir, "history check", check_serving=False)
            except IndexBusy:
                pass  # a run in progress shows as running
        if not self.index_dir.is_dir():
            return []
        with StateStore(self.index_dir) as state:
            return state.history(limit)
