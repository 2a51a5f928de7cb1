"""Where index versions live on disk and how the current one is switched.

    INDEX_DIR/
      CURRENT              name of the version in service (written atomically)
      versions/v0001-…/    one complete, immutable index version
      versions/.tmp-…/     a version being written (removed at next start if left)
      state.sqlite         state that outlives versions (feedback, history)

Why versions: a refresh writes a whole new version beside the one serving and
switches with one atomic rename, so readers only ever see a complete index and
a crash leaves the previous version intact.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
import uuid
from pathlib import Path

from index.errors import IndexCorrupt, IndexMissing

log = logging.getLogger(__name__)

CURRENT = "CURRENT"
VERSIONS = "versions"
TMP_PREFIX = ".tmp-"


def fsync_dir(path: Path) -> None:
    """Flush a directory entry so a rename inside it survives a crash."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes) -> None:
    """Write a file so that readers see the old or the new content, never a mix."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    with tmp.open("wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


STANDBY_TAG = "standby"  # scratch folders holding copies for a later refresh (`index.refresh.steps.StandbyCopies`)
_held_standby: set[str] = set()  # standby folders this process holds now (`hold_standby`); others are leftovers


def hold_standby(path: Path, held: bool = True) -> None:
    """Mark a standby folder as held by this process (kept by `clean_partial_versions`), or no longer held."""
    key = str(Path(path).resolve())
    if held:
        _held_standby.add(key)
    else:
        _held_standby.discard(key)


def new_tmp_version(index_dir: Path, tag: str = "") -> Path:
    """A fresh scratch folder for a version being written (`versions/.tmp-<pid>-[<tag>-]<random>`, created)."""
    versions = index_dir / VERSIONS
    versions.mkdir(parents=True, exist_ok=True)
    path = versions / f"{TMP_PREFIX}{os.getpid()}-{tag + '-' if tag else ''}{uuid.uuid4().hex[:8]}"
    path.mkdir()
    return path


def list_versions(index_dir: Path) -> list[str]:
    """Complete versions, oldest first."""
    versions = index_dir / VERSIONS
    if not versions.is_dir():
        return []
    return sorted(p.name for p in versions.iterdir() if p.is_dir() and p.name.startswith("v"))


def publish_version(index_dir: Path, tmp: Path) -> str:
    """Give a fully written scratch folder its final name and make it current.

    Returns:
        the version's name, `vNNNN-YYYYmmddTHHMMSS` (numbers ascending).

    Raises:
        OSError: the rename or the pointer write failed (the previous version keeps serving).
    """
    existing = list_versions(index_dir)
    number = int(existing[-1][1:5]) + 1 if existing else 1
    name = f"v{number:04d}-{time.strftime('%Y%m%dT%H%M%S')}"
    final = index_dir / VERSIONS / name
    os.replace(tmp, final)
    fsync_dir(final.parent)
    set_current(index_dir, name)
    return name


def set_current(index_dir: Path, name: str) -> None:
    """Point CURRENT at a version: the one atomic step of every switch."""
    if not (index_dir / VERSIONS / name).is_dir():
        raise IndexMissing(f"index version {name} does not exist in {index_dir}")
    write_atomic(index_dir / CURRENT, (name + "\n").encode())


def pointed_version(index_dir: Path) -> str | None:
    """What `CURRENT` names, whether or not that version exists (None: no pointer, nothing built yet).

    For callers that must work when the pointer is broken (rollback, recovery, history); others use
    `current_version`, which checks.
    """
    try:
        return (index_dir / CURRENT).read_text().strip()
    except FileNotFoundError:
        return None


def fallback_order(index_dir: Path, broken: str) -> list[str]:
    """The versions to serve instead of `broken`, best first: the older ones newest first, then any newer one.

    (A version older than the one named is what a rollback would serve; a newer one is only left after a
    rollback, and is still better than nothing.)
    """
    names = [n for n in list_versions(index_dir) if n != broken]
    return [n for n in reversed(names) if n < broken] + [n for n in reversed(names) if n > broken]


def current_version(index_dir: Path) -> str:
    """The name of the version in service.

    Raises:
        IndexMissing: nothing has been built yet.
        IndexCorrupt: CURRENT names a version that is gone.
    """
    pointer = index_dir / CURRENT
    if not pointer.exists():
        raise IndexMissing(f"no index in {index_dir} yet — run `newsbot build` (or `newsbot ask`, which builds it)")
    name = pointer.read_text().strip()
    if not name or not (index_dir / VERSIONS / name).is_dir():
        raise IndexCorrupt(f"{pointer} names version {name!r}, which is missing — run `newsbot rollback` "
                           "to serve the newest intact version or `newsbot build` to rebuild")
    return name


def version_path(index_dir: Path, name: str | None = None) -> Path:
    """Folder of a version (the current one by default).

    Raises:
        IndexMissing, IndexCorrupt: with no `name`, as `current_version`.
    """
    return index_dir / VERSIONS / (name or current_version(index_dir))


def clean_partial_versions(index_dir: Path) -> list[str]:
    """Remove scratch folders left by a crashed build; returns their names for the log."""
    versions = index_dir / VERSIONS
    if not versions.is_dir():
        return []
    removed, unfinished = [], []
    for path in versions.iterdir():
        if path.name.startswith(TMP_PREFIX):
            pid = path.name[len(TMP_PREFIX):].split("-", 1)[0]
            pruning = "-pruned-" in path.name
            # this process's background work, not a leftover (a restarted process may get the same pid: a
            # standby folder it does not hold is a leftover of the one before)
            kept = pruning or str(path.resolve()) in _held_standby
            if pid.isdigit() and _alive(int(pid)) and (int(pid) != os.getpid() or kept):
                continue  # a live process is still writing it (or deleting an old version, or copying ahead)
            shutil.rmtree(path, ignore_errors=True)
            (unfinished if pruning else removed).append(path.name)
    if removed:
        log.warning("removed %d partial index version(s) left by an interrupted build: %s",
                    len(removed), ", ".join(removed))
    if unfinished:
        log.info("finished deleting %d old index version(s) whose deletion was interrupted", len(unfinished))
    return removed + unfinished


def prune_versions(index_dir: Path, keep: int, background: bool = False) -> list[str]:
    """Delete the oldest complete versions beyond `keep`, never the current one.

    Each is first renamed to a scratch name (one atomic step, so it vanishes from the
    versions list at once); with `background`, the files are then deleted by a
    thread, off the refresh's critical path (a process exiting waits for it; one
    killed leaves a scratch folder that the next start removes).
    """
    current = (index_dir / CURRENT).read_text().strip() if (index_dir / CURRENT).exists() else None
    names = list_versions(index_dir)
    doomed = [n for n in names[: max(0, len(names) - keep)] if n != current]
    for name in doomed:
        # renamed first (atomic), so a crash mid-delete leaves a scratch folder, never a half version
        trash = index_dir / VERSIONS / f"{TMP_PREFIX}{os.getpid()}-pruned-{name}"
        os.replace(index_dir / VERSIONS / name, trash)
        if background:
            threading.Thread(target=shutil.rmtree, args=(trash, True), name=f"prune-{name}").start()
        else:
            shutil.rmtree(trash, ignore_errors=True)
    return doomed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
