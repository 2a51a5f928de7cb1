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
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from corpus.chunking import ChunkConfig
from corpus.errors import CorpusError
from corpus.sources.feeds import FeedOutcome
from corpus.folder.planning import IndexedArticle, RefreshPlan, plan_refresh
from corpus.folder.scan import materialise, reader_signature, scan_corpus
from index.refresh.build import BuildStats, ExtraWriter, Progress, build_version
from index.store.durability import ensure_durable, flush_in_background, make_durable
from index.encoder import Encoder
from index.errors import IndexCorrupt, IndexMissing, NewsIndexError
from index.refresh.patch import patch_unusable, patch_version
from index.store.layout import (CURRENT, clean_partial_versions, current_version, list_versions, prune_versions,
                          set_current, version_path)
from index.store.lock import RefreshLock
from index.store.manifest import Manifest
from index.store.metadata import MetadataStore
from index.store.state import RecordsMemo, StateStore

log = logging.getLogger(__name__)

# fetches the feeds into the corpus folder: (progress, canonical URLs already in the corpus) → outcome
FeedIngest = Callable[["Progress | None", "set[str]"], FeedOutcome]


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
        return {i: IndexedArticle(i, fp, title, source, also) for i, fp, title, source, also in store.article_states()}
    finally:
        store.close()


def refresh_index(corpus_dir: Path, index_dir: Path, encoder: Encoder, config: ChunkConfig = ChunkConfig(), *,
                  progress: Progress | None = None, dry_run: bool = False, ingest: FeedIngest | None = None,
                  actor: str | None = None, keep_versions: int = 3,
                  extra_writers: Mapping[str, ExtraWriter] | None = None, rescan: bool = False,
                  memo: RecordsMemo | None = None) -> RefreshReport:
    """Bring the index in line with the corpus folder (see the module docstring).

    Args:
        ingest: fetches feeds into the folder first (not called on a dry run).
        actor: who asked (a Discord user, `cli`), for the history and the lock.
        keep_versions: complete versions kept for rollback, the serving one included.
        rescan: parse every file again instead of trusting unchanged files' records.
        memo: the last scan's file records kept in memory by a long-lived caller.

    Raises:
        IndexBusy: another refresh, build or rollback is running.
        UnreadableFile: the corpus folder does not exist.
    """
    started = time.perf_counter()
    with RefreshLock(index_dir, actor, "dry run" if dry_run else "refresh"), StateStore(index_dir) as state:
        state.mark_interrupted()
        clean_partial_versions(index_dir)
        ensure_durable(index_dir)
        before = current_version(index_dir) if (index_dir / CURRENT).exists() else None
        entry = state.start("dry run" if dry_run else "refresh", actor, before, os.getpid())
        try:
            report = _refresh(corpus_dir, index_dir, encoder, config, state, progress, dry_run, ingest,
                              keep_versions, extra_writers, rescan, memo, before, started)
        except BaseException as exc:
            state.finish(entry, "failed", before, seconds=time.perf_counter() - started,
                         summary=[getattr(exc, "message", None) or str(exc) or type(exc).__name__])
            raise
        status = "dry run" if dry_run else ("ok" if report.stats else "nothing to do")
        plan = report.plan
        state.finish(entry, status, report.version, report.counts(), report.seconds, report.summary_lines(),
                     {"added": [[e.id, e.title] for e in plan.new], "updated": [[e.id, e.title] for e in plan.changed],
                      "removed": [[e.id, e.title] for e in plan.removed]})
    if report.stats is not None and report.full_build_reason is None:
        flush_in_background(version_path(index_dir, report.version))  # a patched version: see index.store.durability
    return report


def _refresh(corpus_dir: Path, index_dir: Path, encoder: Encoder, config: ChunkConfig, state: StateStore,
             progress: Progress | None, dry_run: bool, ingest: FeedIngest | None, keep_versions: int,
             extra_writers: Mapping[str, ExtraWriter] | None, rescan: bool, memo: RecordsMemo | None,
             before: str | None, started: float) -> RefreshReport:
    signature = reader_signature()
    generation = state.records_generation()
    if rescan:
        cached = {}
    elif memo is not None and (memo.generation, memo.reader) == (generation, signature):
        cached = memo.records
    else:
        cached = state.file_records(signature)
    feeds = None
    if ingest is not None and not dry_run:
        feeds = ingest(progress, {r.url for record in cached.values() for r in record.refs if r.url})
    scan = scan_corpus(corpus_dir, cached, progress=(lambda d, t: progress("read", d, t)) if progress else None)
    if progress and not scan.files_total:
        progress("read", 0, 0)
    indexed = indexed_articles(index_dir) if before else {}
    problems = list(scan.problems) + (list(feeds.problems) if feeds else [])
    plan = plan_refresh(scan.refs, indexed, problems)
    log.info("refresh plan: %s (%d file(s), %d parsed)", plan.counts_line(), scan.files_total, scan.files_read)

    def report(stats: BuildStats | None, version: str, reason: str | None = None) -> RefreshReport:
        return RefreshReport(plan=plan, stats=stats, version=version, seconds=time.perf_counter() - started,
                             dry_run=dry_run, previous_version=before, feeds=feeds, full_build_reason=reason)

    if dry_run:
        return report(None, before or "")
    generation = state.save_file_records(signature, scan.records, cached, corpus_dir)
    if memo is not None:
        memo.generation, memo.reader, memo.records = generation, signature, scan.records
    if before is not None and not plan.has_changes:
        return report(None, before)

    reason = patch_unusable(version_path(index_dir, before), encoder, config) if before else "no index yet"
    to_embed = {e.id for e in (*plan.new, *plan.changed)}
    wanted = [r for r in plan.kept if reason is not None or r.id in to_embed]
    articles, lost = materialise(wanted, scan.parsed)
    if lost:
        plan = _without_lost(plan, lost, set(articles))
    also = plan.also_published_by
    articles = {i: replace(a, also_published_by=also.get(i, ())) for i, a in articles.items()}
    if reason is None:
        changed_ids = [e.id for e in plan.changed if e.id in articles]
        stats = patch_version(
            index_dir, version_path(index_dir, before), encoder, config,
            drop=changed_ids + [e.id for e in plan.removed],
            add=[articles[e.id] for e in (*plan.new, *plan.changed) if e.id in articles],
            relabel={e.id: (e.source, also.get(e.id, ())) for e in plan.relabelled},
            progress=progress, extra_writers=extra_writers)
    else:
        log.info("building the new index version in full: %s", reason)
        stats = build_version([articles[r.id] for r in plan.kept if r.id in articles], encoder, index_dir, config,
                              progress=progress, extra_writers=dict(extra_writers or {}))
        make_durable(version_path(index_dir, stats.version))  # flushed by the build: this only marks it
    pruned = prune_versions(index_dir, keep_versions, background=True)
    if pruned:
        log.info("removed old index version(s) %s (keeping %d)", ", ".join(pruned), keep_versions)
    return report(stats, stats.version, reason)


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
        current = current_version(index_dir)
        names = list_versions(index_dir)
        if to is not None:
            if to not in names:
                raise IndexMissing(f"there is no index version {to!r}; versions kept: {', '.join(names)}")
            candidates = [to]
        else:
            candidates = [n for n in reversed(names) if n < current]
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
