"""Flushing a published version to disk off the refresh's critical path, and recovering if it never got there.

Why: at 100,000 passages a version is about 500 MB, and this class of disk
flushes ~250 MB/s, so an fsync before the switch alone would cost two seconds
of every refresh. Readers never need the flush: a version's files are complete
(written, checksummed in its manifest) before its folder is renamed into place
and `CURRENT` (itself fsynced) points at it, and a killed process loses nothing
that is in the page cache. Only a power loss or kernel crash can lose unflushed
data, so:

- after the switch a background thread fsyncs the version's files and then
  writes a `.durable` marker into it;
- a refresh waits for the previous one's flush before starting, so at most the
  newest version is ever unflushed and the one before it always is flushed;
- on start (and before each refresh), a serving version without the marker is
  checked in full against its manifest's checksums; if it is intact it is
  flushed and marked, if not (its data never reached the disk) the previous
  version is served again and the log says so.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from index.errors import IndexCorrupt, NewsIndexError
from index.store.layout import CURRENT, TMP_PREFIX, VERSIONS, fallback_order, fsync_dir, pointed_version, set_current
from index.store.manifest import Manifest

log = logging.getLogger(__name__)

MARKER = ".durable"

_pending: dict[str, threading.Thread] = {}
_pending_lock = threading.Lock()


def is_durable(folder: Path) -> bool:
    """True once every file of the version is known to be on disk."""
    return (folder / MARKER).exists()


def make_durable(folder: Path) -> None:
    """fsync every file of a version, then write its marker (itself fsynced)."""
    for path in folder.iterdir():
        if path.is_file() and path.name != MARKER:
            with path.open("rb") as f:
                os.fsync(f.fileno())
    marker = folder / MARKER
    with marker.open("wb") as f:
        os.fsync(f.fileno())
    fsync_dir(folder)


def flush_in_background(folder: Path) -> None:
    """Start flushing a just-published version; `wait_for_flushes` joins it."""
    def run() -> None:
        try:
            make_durable(folder)
        except OSError as exc:  # the version may be pruned meanwhile; recovery verifies it anyway
            log.warning("could not flush index version %s to disk: %s", folder.name, exc)

    thread = threading.Thread(target=run, name=f"flush-{folder.name}")
    with _pending_lock:
        _pending[str(folder)] = thread
    thread.start()


def wait_for_flushes() -> None:
    """Block until every background flush of this process is done."""
    with _pending_lock:
        threads = list(_pending.values())
        _pending.clear()
    for thread in threads:
        thread.join()


def ensure_durable(index_dir: Path) -> str | None:
    """Make sure the serving version is on disk and intact; fall back to the newest intact one if it is not.

    The version `CURRENT` names is checked cheaply (sizes and sampled checksums, `Manifest.load`) on
    every call, and in full when it lacks the durability marker. One that is missing, damaged or never
    flushed is replaced by the newest intact version (full checksums; see `layout.fallback_order`):
    `CURRENT` points at that one, the broken folder is moved aside, and the log says so.

    Call while holding the refresh lock. Returns the version serving afterwards (None: no index).

    Raises:
        IndexCorrupt: the version named is unusable and no other version is intact.
    """
    if not (index_dir / CURRENT).exists():
        return None
    wait_for_flushes()
    name = pointed_version(index_dir) or ""
    folder = index_dir / VERSIONS / name
    if not name or not folder.is_dir():
        return _fall_back(index_dir, name, f"is missing ({index_dir / CURRENT} names it)")
    try:
        manifest = Manifest.load(folder)
        if is_durable(folder):
            return name
        manifest.verify(folder)
    except NewsIndexError as exc:
        what = "is damaged" if is_durable(folder) else "did not reach the disk before the machine stopped"
        return _fall_back(index_dir, name, f"{what} ({exc.message})")
    make_durable(folder)
    log.info("index version %s checked in full and flushed to disk", name)
    return name


def newest_intact(index_dir: Path, broken: str, mark: bool = True) -> str | None:
    """The version to serve instead of `broken`: the first of `layout.fallback_order` that passes every
    file's full checksum; None when none does.

    Args:
        mark: flush and mark it durable when it was not yet (False: write nothing, for readers).
    """
    for name in fallback_order(index_dir, broken):
        folder = index_dir / VERSIONS / name
        try:
            Manifest.load(folder).verify(folder)
            if mark and not is_durable(folder):
                make_durable(folder)
        except (NewsIndexError, OSError) as exc:
            log.warning("index version %s is not intact either: %s", name, getattr(exc, "message", exc))
            continue
        return name
    return None


def _fall_back(index_dir: Path, broken: str, what: str) -> str:
    """Serve the newest intact version instead of `broken`, which `what` ("is missing (…)", "is damaged (…)")."""
    name = newest_intact(index_dir, broken)
    if name is None:
        raise IndexCorrupt(f"index version {broken or '(none)'} {what}, and no other version is intact — "
                           "run `newsbot build` to rebuild the index")
    set_current(index_dir, name)
    if broken and (index_dir / VERSIONS / broken).is_dir():
        os.replace(index_dir / VERSIONS / broken, index_dir / VERSIONS / f"{TMP_PREFIX}broken-{broken}")
    log.error("index version %s %s; serving %s instead, the newest intact version — run `newsbot refresh` to "
              "bring it up to date", broken or "(none)", what, name)
    return name
