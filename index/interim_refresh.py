"""INTERIM refresh for the bot branch: a full rebuild reported in the shape of the real refresh.

The `refresh` branch implements the incremental, cross-process-locked
`Library.refresh(progress, dry_run, actor) -> RefreshReport`; this module only
gives the bot that same interface until it is merged, and is then deleted.
It rebuilds through `Library.build` (which reuses unchanged vectors) under an
in-process lock, and compares fingerprints before and after to report what
was added, updated and removed.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from corpus.article import Article
from corpus.loader import load_corpus
from index.builder import BuildStats, Progress
from index.errors import IndexBusy

if TYPE_CHECKING:
    from index.library import Library

_LOCKS: dict[Path, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()
SHOWN = 5


@dataclass
class RefreshPlan:
    """What a refresh changes, by article."""

    added: list[Article] = field(default_factory=list)
    updated: list[Article] = field(default_factory=list)
    removed: list[Article] = field(default_factory=list)
    unchanged: int = 0
    skipped: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)


@dataclass
class RefreshReport:
    """The outcome of a refresh: the plan, the build's figures (None for a dry run), who asked."""

    plan: RefreshPlan
    stats: BuildStats | None
    dry_run: bool = False
    actor: str | None = None

    def summary_lines(self) -> list[str]:
        """Human-readable summary: counts with the first few titles, and every skip reason."""
        p = self.plan
        lines = []
        for verb, articles in (("added", p.added), ("updated", p.updated), ("removed", p.removed)):
            names = ", ".join(f"“{a.title}” ({a.outlet})" for a in articles[:SHOWN])
            more = f" and {len(articles) - SHOWN} more" if len(articles) > SHOWN else ""
            lines.append(f"{verb} {len(articles)}" + (f": {names}{more}" if articles else ""))
        lines.append(f"unchanged {p.unchanged}")
        lines.append(f"skipped {len(p.skipped)}" + (":" if p.skipped else ""))
        lines.extend(f"  {reason}" for reason in p.skipped[:10])
        if len(p.skipped) > 10:
            lines.append(f"  and {len(p.skipped) - 10} more (see the bot's log)")
        if p.duplicates:
            lines.append(f"duplicates {len(p.duplicates)} (first copy kept)")
        if self.stats is not None:
            s = self.stats
            lines.append(f"index {s.version}: {s.passages} passages ({s.embedded} embedded, {s.reused} reused)")
        if self.dry_run:
            lines.append("dry run: nothing was changed")
        return lines


def _lock_for(index_dir: Path) -> threading.Lock:
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(index_dir.resolve(), threading.Lock())


def plan_changes(before: list[Article], after: list[Article]) -> tuple[list[Article], list[Article], list[Article], int]:
    """(added, updated, removed, unchanged count) between two article lists, by id and fingerprint."""
    old = {a.id: a for a in before}
    new = {a.id: a for a in after}
    added = [a for a in after if a.id not in old]
    updated = [a for a in after if a.id in old and old[a.id].fingerprint != a.fingerprint]
    removed = [a for a in before if a.id not in new]
    return added, updated, removed, len(after) - len(added) - len(updated)


def refresh_by_rebuild(library: Library, progress: Progress | None = None, dry_run: bool = False,
                       actor: str | None = None) -> RefreshReport:
    """Rebuild the index from the corpus folder and report the differences.

    Raises:
        IndexBusy: another refresh of this index is running in this process.
    """
    lock = _lock_for(library.index_dir)
    if not lock.acquire(blocking=False):
        raise IndexBusy(f"a refresh of {library.index_dir} is already running — wait for it to finish")
    try:
        before = library.service.articles() if library.has_index else []
        if dry_run:
            report = load_corpus(library.corpus_dir)
            if progress:
                progress("read", report.files_read, report.files_read)
            stats = None
        else:
            report, stats = library.build(progress=progress)
        added, updated, removed, unchanged = plan_changes(before, report.articles)
        plan = RefreshPlan(added, updated, removed, unchanged, [p.message for p in report.problems],
                           [f"{dup.source} (same as {kept.source})" for dup, kept in report.duplicates])
        return RefreshReport(plan, stats, dry_run, actor)
    finally:
        lock.release()
