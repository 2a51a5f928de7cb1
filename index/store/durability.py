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
from index.store.layout import CURRENT, TMP_PREFIX, VERSIONS, current_version, fsync_dir, list_versions, set_current
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
    """Make sure the serving version is on disk; fall back to the previous one if it is not.

    Call while holding the refresh lock. Returns the version serving afterwards (None: no index).
    """
    if not (index_dir / CURRENT).exists():
        return None
    wait_for_flushes()
    name = current_version(index_dir)
    folder = index_dir / VERSIONS / name
    if is_durable(folder):
        return name
    try:
        manifest = Manifest.load(folder)
        manifest.verify(folder)
    except NewsIndexError as exc:
        return _fall_back(index_dir, name, exc.message)
    make_durable(folder)
    log.info("index version %s checked in full and flushed to disk", name)
    return name


def _fall_back(index_dir: Path, broken: str, why: str) -> str:
    for name in reversed([n for n in list_versions(index_dir) if n < broken]):
        folder = index_dir / VERSIONS / name
        try:
            if not is_durable(folder):
                Manifest.load(folder).verify(folder)
                make_durable(folder)
        except NewsIndexError:
            continue
        set_current(index_dir, name)
        os.replace(index_dir / VERSIONS / broken, index_dir / VERSIONS / f"{TMP_PREFIX}broken-{broken}")
        log.error("index version %s did not reach the disk before the machine stopped (%s); serving %s again — "
                  "run `newsbot refresh` to bring it up to date", broken, why, name)
        return name
    raise IndexCorrupt(f"index version {broken} is damaged ({why}) and no earlier version is intact — "
                         "run `newsbot build` to rebuild the index")
