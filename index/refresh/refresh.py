"""Refresh the index from the corpus folder (and feeds): plan, then patch or build, then switch.

The order of a refresh, all under the cross-process refresh lock:

1. clean up what a killed refresh left (scratch folders, `running` history rows);
2. fetch feeds into the corpus folder (skipped on a dry run: it changes nothing);
3. scan the folder, parsing only files changed since the last scan;
4. plan against the version in service: new, changed, unchanged, removed, duplicates, unreadable;
5. write a new version beside the serving one: a patch of it when the model
   and chunking are the same (only changed rows are written), else a full
   build; either way the extra index writers run and the switch is one atomic
   pointer write, so a crash at any moment leaves the previous version serving;
6. prune old versions beyond `keep_versions` and record the refresh in the history.

A full build (`build_index`, what `newsbot build` runs) takes the same path:
the same lock and history (kind "build"), the same scan (every file parsed
again) and file records, and a version written in full and published even
when nothing changed.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from corpus.article import Article
from corpus.chunking import ChunkConfig
from corpus.errors import CorpusError
from corpus.folder.planning import IndexedArticle, RefreshPlan, plan_refresh
from corpus.folder.scan import FileRecord, Scan, materialise, reader_signature, scan_corpus
from corpus.readers.loader import LoadReport
from corpus.sources.feeds import FeedOutcome
from index.encoder import Encoder
from index.errors import IndexCorrupt, IndexMissing, NewsIndexError
from index.refresh.build import BuildStats, build_version
from index.refresh.patch import patch_unusable, patch_version
from index.refresh.steps import CopyAhead, StandbyCopies
from index.refresh.stopping import Interrupted, StopFlag, stop_on_interrupt
from index.store.durability import ensure_durable, flush_in_background, make_durable
from index.store.layout import (CURRENT, current_version, fallback_order, list_versions, pointed_version,
                                prune_versions, set_current, version_path)
from index.store.lock import RefreshLock
from index.store.manifest import Manifest
from index.store.recovery import clean_up
from index.store.metadata import META_FILE, MetadataStore
from index.store.state import INTERRUPTED, RecordsMemo, StateStore
from index.store.dense import DenseConfig
from index.store.vectors import VECTORS_FILE
from index.store.writers import IndexWriter, Progress

log = logging.getLogger(__name__)

# fetches the feeds into the corpus folder: (progress, canonical URLs already in the corpus) → outcome
FeedIngest = Callable[["Progress | None", "set[str]"], FeedOutcome]

BUILD = "build"  # the history's kind (and the lock's) for `build_index`
CORPUS_DIR = "corpus_dir"  # the manifest's `extra` entry naming the corpus folder a version was written from
FULL_BUILD_ASKED = "a full build was asked for"  # the report's full_build_reason of a build over an index


@dataclass(frozen=True)
class RefreshReport:
    """What a refresh did (or, for a dry run, would do).

    Attributes:
        plan: the plan (see `corpus.folder.planning.RefreshPlan`); `plan.unreadable` includes failed feeds and pages.
        stats: the new version's build stats; None on a dry run or when nothing changed.
        version: the version serving now.
        seconds: wall time of the whole refresh.
        dry_run: True when nothing was changed on purpose.
        previous_version: the version serving before (None when there was none).
        feeds: what the feed fetch did (None when no feed was fetched).
        full_build_reason: why the version was fully rebuilt instead of patched (None for a patch).
        swap_seconds: time the caller's `Library` then took to load the new version and swap it in
            (searches kept being answered from the old one meanwhile).
    """

    plan: RefreshPlan
    stats: BuildStats | None
    version: str
    seconds: float
    dry_run: bool = False
    previous_version: str | None = None
    feeds: FeedOutcome | None = None
    full_build_reason: str | None = None
    swap_seconds: float = 0.0

    def summary_lines(self, limit: int = 10) -> list[str]:
        """Human lines: counts, every skipped input with its reason, duplicates, then the version.

        Args:
            limit: at most this many titles per list of articles (skipped inputs are always all listed).
        """
        plan = self.plan
        head = plan.counts_line()
        problems = list(plan.unreadable)
        if len(problems) == 1:
            head += f"; skipped 1: {problems[0].message}"
        elif problems:
            head += f"; skipped {len(problems)}:"
        lines = [("would be: " if self.dry_run else "") + head]
        lines += [f"  {p.message}" for p in problems] if len(problems) > 1 else []
        for label, entries in (("added", plan.new), ("updated", plan.changed), ("removed", plan.removed),
                               ("attribution updated", plan.relabelled)):
            lines += _listed(label, [e.describe() for e in entries], limit)
        lines += _listed("duplicate", [d.describe() for d in plan.duplicates], limit)
        if self.feeds is not None:
            lines.append(self.feeds.line())
        elif self.dry_run:
            lines.append("feeds: not fetched in a dry run")
        if self.dry_run:
            lines.append(f"dry run: nothing changed; index {self.version or '(none yet)'} keeps serving")
        elif self.stats is not None:
            how = f"rebuilt in full ({self.full_build_reason})" if self.full_build_reason else "patched"
            lines.append(f"index {self.stats.version}: {self.stats.articles} article(s), {self.stats.passages} "
                         f"passage(s), {self.stats.embedded} embedded, {self.stats.reused} reused, {how}, "
                         f"{self.seconds:.1f}s")
        else:
            lines.append(f"nothing to do: index {self.version} is up to date ({self.seconds:.2f}s)")
        return lines

    def counts(self) -> dict[str, int]:
        """The numbers kept in the history."""
        p = self.plan
        return {"added": len(p.new), "updated": len(p.changed), "removed": len(p.removed),
                "unchanged": len(p.unchanged) + len(p.relabelled), "duplicates": len(p.duplicates),
                "skipped": len(p.unreadable), "embedded": self.stats.embedded if self.stats else 0}


def _listed(label: str, items: list[str], limit: int) -> list[str]:
    lines = [f"{label}: {item}" for item in items[:limit]]
    if len(items) > limit:
        lines.append(f"{label}: … and {len(items) - limit} more")
    return lines


def indexed_articles(index_dir: Path) -> dict[str, IndexedArticle]:
    """What the serving version holds, by id (empty when there is no usable version)."""
    if not (index_dir / CURRENT).exists():
        return {}
    try:
        store = MetadataStore(version_path(index_dir))
    except NewsIndexError as exc:
        log.warning("cannot read the serving index version (%s): the refresh rebuilds it in full", exc)
        return {}
    try:
        make = IndexedArticle._make  # tuple.__new__, without the named constructor's Python frame
        return {state[0]: make(state) for state in store.article_states()}
    finally:
        store.close()


def refresh_index(corpus_dir: Path, index_dir: Path, encoder: Encoder, config: ChunkConfig = ChunkConfig(), *,
                  progress: Progress | None = None, dry_run: bool = False, ingest: FeedIngest | None = None,
                  actor: str | None = None, keep_versions: int = 3,
                  extra_writers: Mapping[str, IndexWriter] | None = None, rescan: bool = False,
                  memo: RecordsMemo | None = None, dense: DenseConfig = DenseConfig(),
                  standby: StandbyCopies | None = None) -> RefreshReport:
    """Bring the index in line with the corpus folder (see the module docstring).

    Args:
        progress: called with (stage, done, total).
        ingest: fetches feeds into the folder first (not called on a dry run).
        actor: who asked (a Discord user, `cli`), for the history and the lock.
        keep_versions: complete versions kept for rollback, the serving one included.
        extra_writers: name → writer of further index files (see `index.store.writers`).
        rescan: parse every file again instead of trusting unchanged files' records.
        memo: the last scan's file records kept in memory by a long-lived caller.
        dense: which dense index new versions get (`index.store.vectors.DenseConfig`).
        standby: a long-lived caller's `StandbyCopies`: its copy of the serving version's largest files is
            used by this refresh's patch, and a new one is started after a publish.

    Raises:
        IndexBusy: another refresh, build or rollback is running.
        UnreadableFile: the corpus folder does not exist.
    """
    job = _Job(corpus_dir, index_dir, encoder, config, "dry run" if dry_run else "refresh", progress=progress,
               ingest=ingest, keep_versions=keep_versions, extra_writers=extra_writers, rescan=rescan, memo=memo,
               dense=dense, standby=standby)
    return _run(job, actor).report


def build_index(corpus_dir: Path, index_dir: Path, encoder: Encoder, config: ChunkConfig = ChunkConfig(), *,
                progress: Progress | None = None, actor: str | None = None, keep_versions: int = 3,
                extra_writers: Mapping[str, IndexWriter] | None = None, reuse: bool = True,
                memo: RecordsMemo | None = None, dense: DenseConfig = DenseConfig()) -> tuple[LoadReport, RefreshReport]:
    """Write a new version from every file of the corpus folder (`newsbot build`), the way a refresh writes one.

    The same lock, scan (every file parsed again), plan, file records and history
    (kind "build") as `refresh_index`; the version is always written in full and
    always published, even when nothing changed. No feed is fetched.

    Args:
        reuse: reuse the serving version's vectors for unchanged text (False: embed everything again).
        Others: as `refresh_index`.

    Returns:
        What was read (as `corpus.readers.loader.load_corpus` reports it), and the refresh report;
        its `stats` are never None.

    Raises:
        IndexBusy: another refresh, build or rollback is running.
        UnreadableFile: the corpus folder does not exist.
    """
    job = _Job(corpus_dir, index_dir, encoder, config, BUILD, progress=progress, keep_versions=keep_versions,
               extra_writers=extra_writers, rescan=True, memo=memo, reuse=reuse, dense=dense)
    outcome = _run(job, actor or BUILD)
    return _load_report(outcome), outcome.report


@dataclass(frozen=True)
class _Job:
    """One refresh, dry run or build, as asked."""

    corpus_dir: Path
    index_dir: Path
    encoder: Encoder
    config: ChunkConfig
    kind: str  # "refresh", "dry run" or "build": the history's kind
    progress: Progress | None = None
    ingest: FeedIngest | None = None
    keep_versions: int = 3
    extra_writers: Mapping[str, IndexWriter] | None = None
    rescan: bool = False
    memo: RecordsMemo | None = None
    reuse: bool = True  # a full build may reuse the serving version's vectors
    dense: DenseConfig = DenseConfig()  # which dense index new versions get
    standby: StandbyCopies | None = None  # a long-lived caller's copies made ahead for its next patch

    @property
    def dry_run(self) -> bool:
        """Plan only: nothing fetched, written or switched."""
        return self.kind == "dry run"

    @property
    def full(self) -> bool:
        """A build: always a new version, written in full."""
        return self.kind == BUILD


@dataclass(frozen=True)
class _Outcome:
    """A finished job: its report, and what the scan read (a build reports it as a `LoadReport`)."""

    report: RefreshReport
    scan: Scan
    articles: Mapping[str, Article]


def _run(job: _Job, actor: str | None) -> _Outcome:
    """The job under the refresh lock, recorded in the history from start to end.

    Ctrl+C stops it within a batch in every thread (`index.refresh.stopping`): nothing is published,
    the history says `interrupted`, and `Interrupted` (a `KeyboardInterrupt`) says which version serves.
    """
    flag = StopFlag()
    job = replace(job, progress=flag.progress(job.progress))
    with stop_on_interrupt(flag):
        return _run_locked(job, actor)


def _run_locked(job: _Job, actor: str | None) -> _Outcome:
    started = time.perf_counter()
    index_dir = job.index_dir
    with RefreshLock(index_dir, actor, job.kind), StateStore(index_dir) as state:
        clean_up(index_dir, state, job.kind)
        try:
            before = ensure_durable(index_dir)  # the newest intact version, when CURRENT's is missing or damaged
        except IndexCorrupt as exc:
            log.warning("%s; writing a new version in full", exc.message)
            before = None
        entry = state.start(job.kind, actor, before, os.getpid())
        try:
            outcome = _refresh(job, state, before, started)
        except KeyboardInterrupt:
            now = pointed_version(index_dir)
            what = (f"interrupted (Ctrl+C): nothing was published, {before} keeps serving" if now == before and before
                    else f"interrupted (Ctrl+C): nothing was published" if now == before
                    else f"interrupted (Ctrl+C) after {now} was published")
            state.finish(entry, INTERRUPTED, now, seconds=time.perf_counter() - started, summary=[what])
            raise Interrupted(what) from None
        except BaseException as exc:
            state.finish(entry, "failed", before, seconds=time.perf_counter() - started,
                         summary=[getattr(exc, "message", None) or str(exc) or type(exc).__name__])
            raise
        _record(state, entry, outcome.report)
    report = outcome.report
    if report.stats is not None and report.full_build_reason is None:
        flush_in_background(version_path(index_dir, report.version))  # a patched version: see index.store.durability
    if report.stats is not None and job.standby is not None:
        job.standby.start(index_dir, version_path(index_dir, report.version))  # for the next refresh's patch
    return outcome


def _record(state: StateStore, entry: int, report: RefreshReport) -> None:
    """Complete the job's history row: status, counts, summary and the articles added, updated and removed."""
    status = "dry run" if report.dry_run else ("ok" if report.stats else "nothing to do")
    plan = report.plan
    state.finish(entry, status, report.version, report.counts(), report.seconds, report.summary_lines(),
                 {"added": [[e.id, e.title] for e in plan.new], "updated": [[e.id, e.title] for e in plan.changed],
                  "removed": [[e.id, e.title] for e in plan.removed]})


def _refresh(job: _Job, state: StateStore, before: str | None, started: float) -> _Outcome:
    """Scan, plan, and (unless a dry run or nothing changed) write and publish a new version."""
    signature = reader_signature()
    cached = _cached_records(job, state, signature)
    feeds = None
    if job.ingest is not None and not job.dry_run:
        feeds = job.ingest(job.progress, {r.url for record in cached.values() for r in record.refs if r.url})
    scan = _scan(job, cached)
    ahead = _copy_ahead(job, before, scan)
    try:
        return _plan_and_write(job, state, before, started, signature, cached, feeds, scan, ahead)
    finally:
        if ahead is not None and job.standby is not None and not ahead.adopted:
            job.standby.put_back(ahead)  # nothing was patched: still a copy of the serving version
        elif ahead is not None:
            ahead.close()


def _copy_ahead(job: _Job, before: str | None, scan: Scan) -> CopyAhead | None:
    """The serving version's largest files copied for a patch, when files changed and a patch is likely:
    the caller's standby copy when it has one of that version (`StandbyCopies`), else copied while the
    refresh plans (`CopyAhead`); None otherwise."""
    if before is None or job.dry_run or job.full or not scan.files_read:
        return None
    base = version_path(job.index_dir, before)
    if patch_unusable(base, job.encoder, job.config) is not None:
        return None
    waiting = job.standby.take(base) if job.standby is not None else None
    return waiting or CopyAhead(job.index_dir, base, (META_FILE, VECTORS_FILE))


def _plan_and_write(job: _Job, state: StateStore, before: str | None, started: float, signature: str,
                    cached: Mapping[str, FileRecord], feeds: FeedOutcome | None, scan: Scan,
                    ahead: CopyAhead | None) -> _Outcome:
    """Plan the scanned folder against the serving version, then (unless a dry run or nothing changed)
    write and publish a new version."""
    problems = list(scan.problems) + (list(feeds.problems) if feeds else [])
    plan = plan_refresh(scan.refs, indexed_articles(job.index_dir) if before else {}, problems)
    log.info("refresh plan: %s (%d file(s), %d parsed)", plan.counts_line(), scan.files_total, scan.files_read)

    def done(plan: RefreshPlan, stats: BuildStats | None, version: str, reason: str | None = None,
             articles: Mapping[str, Article] | None = None) -> _Outcome:
        report = RefreshReport(plan=plan, stats=stats, version=version, seconds=time.perf_counter() - started,
                               dry_run=job.dry_run, previous_version=before, feeds=feeds, full_build_reason=reason)
        return _Outcome(report, scan, articles or {})

    if job.dry_run:
        return done(plan, None, before or "")
    _save_records(job, state, signature, scan, cached)
    if before is not None and not plan.has_changes and not job.full:
        return done(plan, None, before)
    reason = _full_build_reason(job, before)
    plan, articles = _articles_to_write(plan, scan, embed_all=reason is not None)
    if reason is None:
        stats = _patch(job, plan, articles, before, ahead)
    else:
        stats = _build(job, plan, articles, reason)
    pruned = prune_versions(job.index_dir, job.keep_versions, background=True)
    if pruned:
        log.info("removed old index version(s) %s (keeping %d)", ", ".join(pruned), job.keep_versions)
    return done(plan, stats, stats.version, reason, articles)


def _cached_records(job: _Job, state: StateStore, signature: str) -> dict[str, FileRecord]:
    """What earlier scans recorded of each file: from the caller's memo while no other process saved since."""
    if job.rescan:
        return {}
    memo = job.memo
    if memo is not None and (memo.generation, memo.reader) == (state.records_generation(), signature):
        return memo.records
    return state.file_records(signature)


def _scan(job: _Job, cached: Mapping[str, FileRecord]) -> Scan:
    """Scan the corpus folder, reporting ("read", files done, files) as it goes."""
    progress = job.progress
    scan = scan_corpus(job.corpus_dir, cached, progress=(lambda d, t: progress("read", d, t)) if progress else None)
    if progress and not scan.files_total:
        progress("read", 0, 0)
    return scan


def _save_records(job: _Job, state: StateStore, signature: str, scan: Scan, cached: Mapping[str, FileRecord]) -> None:
    """Store this scan's file records (and keep them in the caller's memo)."""
    generation = state.save_file_records(signature, scan.records, dict(cached), job.corpus_dir)
    if job.memo is not None:
        job.memo.generation, job.memo.reader, job.memo.records = generation, signature, scan.records


def _full_build_reason(job: _Job, before: str | None) -> str | None:
    """Why the new version is written in full, or None when it can be a patch of the serving one."""
    if before is None:
        return "no index yet"
    if job.full:
        return FULL_BUILD_ASKED
    return patch_unusable(version_path(job.index_dir, before), job.encoder, job.config)


def _articles_to_write(plan: RefreshPlan, scan: Scan, embed_all: bool) -> tuple[RefreshPlan, dict[str, Article]]:
    """The full articles the new version needs (all of them for a full build, else only new and changed ones).

    Articles that could not be read back are left as they are indexed, and reported (see `_without_lost`).
    """
    to_embed = {e.id for e in (*plan.new, *plan.changed)}
    wanted = [r for r in plan.kept if embed_all or r.id in to_embed]
    articles, lost = materialise(wanted, scan.parsed)
    if lost:
        plan = _without_lost(plan, lost, set(articles))
    also = plan.also_published_by
    return plan, {i: replace(a, also_published_by=also.get(i, ())) for i, a in articles.items()}


def _patch(job: _Job, plan: RefreshPlan, articles: Mapping[str, Article], before: str,
           ahead: CopyAhead | None = None) -> BuildStats:
    """Publish the serving version patched with the plan's changes (in `ahead`'s folder, when given)."""
    also = plan.also_published_by
    changed_ids = [e.id for e in plan.changed if e.id in articles]
    return patch_version(
        job.index_dir, version_path(job.index_dir, before), job.encoder, job.config,
        drop=changed_ids + [e.id for e in plan.removed],
        add=[articles[e.id] for e in (*plan.new, *plan.changed) if e.id in articles],
        relabel={e.id: (e.source, also.get(e.id, ())) for e in plan.relabelled},
        progress=job.progress, extra_manifest=_provenance(job), extra_writers=job.extra_writers, dense=job.dense,
        ahead=ahead)


def _build(job: _Job, plan: RefreshPlan, articles: Mapping[str, Article], reason: str) -> BuildStats:
    """Publish a version written in full from every article the plan keeps, in folder order."""
    log.info("building the new index version in full: %s", reason)
    stats = build_version([articles[r.id] for r in plan.kept if r.id in articles], job.encoder, job.index_dir,
                          job.config, progress=job.progress, reuse_current=job.reuse, extra_manifest=_provenance(job),
                          extra_writers=dict(job.extra_writers or {}), dense=job.dense)
    make_durable(version_path(job.index_dir, stats.version))  # flushed by the build: this only marks it
    return stats


def _provenance(job: _Job) -> dict:
    """What the manifest records of where a version's articles come from (`CORPUS_DIR`, an absolute path)."""
    return {CORPUS_DIR: str(Path(job.corpus_dir).resolve())}


def _load_report(outcome: _Outcome) -> LoadReport:
    """A build's scan as `load_corpus` reports a folder: every article kept, problem met and copy dropped."""
    plan, scan, articles = outcome.report.plan, outcome.scan, outcome.articles
    kept = [articles[r.id] for r in plan.kept if r.id in articles]
    duplicates = [(scan.parsed[(d.id, d.source)], articles[d.kept_id]) for d in plan.duplicates
                  if (d.id, d.source) in scan.parsed and d.kept_id in articles]
    return LoadReport(articles=kept, problems=list(scan.problems), duplicates=duplicates,
                      files_read=scan.files_read, copies=list(plan.duplicates))


def _without_lost(plan: RefreshPlan, lost: list[CorpusError], found: set[str]) -> RefreshPlan:
    """Articles that could not be read back are left as they are indexed (never dropped), and reported."""
    return replace(plan, new=tuple(e for e in plan.new if e.id in found),
                   changed=tuple(e for e in plan.changed if e.id in found),
                   unchanged=plan.unchanged + tuple(e for e in plan.changed if e.id not in found),
                   unreadable=plan.unreadable + tuple(lost))


def rollback_index(index_dir: Path, encoder: Encoder, actor: str | None = None, to: str | None = None) -> str:
    """Serve the version before the current one (or `to`), after checking it in full; returns its name.

    Raises:
        IndexBusy: a refresh is running.
        IndexMissing: there is no earlier version (or `to` does not exist).
        IndexCorrupt: every candidate failed its integrity check.
    """
    started = time.perf_counter()
    with RefreshLock(index_dir, actor, "rollback"), StateStore(index_dir) as state:
        clean_up(index_dir, state, "rollback")
        current = pointed_version(index_dir)
        if current is None:
            current_version(index_dir)  # raises IndexMissing with its advice
        names = list_versions(index_dir)
        if to is not None:
            if to not in names:
                raise IndexMissing(f"there is no index version {to!r}; versions kept: {', '.join(names)}")
            candidates = [to]
        else:
            # the version before the current one; when CURRENT names a version that is gone, the newest kept
            candidates = ([n for n in reversed(names) if n < current] if current in names
                          else fallback_order(index_dir, current))
            if not candidates:
                raise IndexMissing(f"{current} is the oldest index version kept, there is nothing to roll back to "
                                   "(raise NEWSBOT_KEEP_VERSIONS to keep more)")
        entry = state.start("rollback", actor, current, os.getpid())
        failures = []
        for name in candidates:
            folder = version_path(index_dir, name)
            try:
                manifest = Manifest.load(folder)
                manifest.check_model(encoder.info)
                manifest.verify(folder)
            except NewsIndexError as exc:
                log.warning("not rolling back to %s: %s", name, exc.message)
                failures.append(f"{name}: {exc.message}")
                continue
            make_durable(folder)
            set_current(index_dir, name)
            log.info("rolled back from index version %s to %s", current, name)
            state.finish(entry, "ok", name, seconds=time.perf_counter() - started,
                         summary=[f"rolled back from {current} to {name}"])
            return name
        state.finish(entry, "failed", current, summary=failures)
        raise IndexCorrupt("no earlier index version passed its integrity check: " + "; ".join(failures)
                           + " — run `newsbot build` to rebuild")
