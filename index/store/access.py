"""Whether this process may write the index folder, and the one error every writer gives when it may not.

An index can be served from a read-only place (a read-only mount, a folder another user owns, a copy
on a shared disk): reading it writes nothing (`index.library.Library` skips the start-up clean-up,
`index.store.state` opens its database read-only). Everything that writes — a refresh, a build, a
rollback, a corpus change — checks first (`require_writable`), and a write that fails anyway for lack of
permission is turned into the same error (`writing`), so the user reads one line naming the folder, not
a traceback from the lock file or SQLite.

The check is `os.access(…, W_OK)`, which the kernel answers for the real process: it says False on a
read-only mount even for root (EROFS), and True for root on a folder without write bits (root may
write there). Tests replace `writable` to play a read-only folder without needing a read-only mount.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from index.errors import NewsIndexError

_DENIED = {errno.EROFS, errno.EACCES, errno.EPERM}


class IndexReadOnly(NewsIndexError):
    """The index folder cannot be written, and the command needs to write it."""


def existing(path: Path) -> Path:
    """`path`, or its nearest ancestor that exists (where a missing folder would be created)."""
    path = Path(path).absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def writable(folder: Path) -> bool:
    """True when this process may create and change files in `folder` (or create `folder`)."""
    place = existing(folder)
    return os.access(place, os.W_OK | os.X_OK)


def _why_not(folder: Path) -> str:
    """"read-only file system" or "permission denied", as far as the system tells."""
    try:
        if os.statvfs(existing(folder)).f_flag & os.ST_RDONLY:
            return "read-only file system"
    except OSError:
        return ""
    return "permission denied"


def open_read_only(path: Path, shared: bool = False) -> sqlite3.Connection:
    """An existing SQLite database opened for reading only, never writing anything beside it.

    With a writer about (its `-shm` file is there) `mode=ro`, which shares the writer's view of the
    write-ahead log; else `immutable=1`, which reads the file as it is and creates nothing beside it
    (`mode=ro` alone would create the `-wal` and `-shm` files a WAL database is read through).

    Raises:
        sqlite3.Error: the file cannot be opened either way.
    """
    path = Path(path).absolute()
    uri = f"file:{quote(str(path))}"
    shm = path.with_name(path.name + "-shm")
    for options in (("?mode=ro",) if shm.exists() else ()) + ("?mode=ro&immutable=1",):
        db = sqlite3.connect(uri + options, uri=True, check_same_thread=not shared, timeout=30.0,
                             isolation_level=None)
        try:
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.Error:
            db.close()
            if options.endswith("immutable=1"):
                raise
            continue
        return db
    raise AssertionError("unreachable")


def read_only_error(folder: Path, what: str, reason: str = "", kind: str = "index") -> IndexReadOnly:
    """The one message: which folder, why (when known), what needed it, and what to do.

    Args:
        kind: "index" (the index folder) or "corpus" (the corpus folder a corpus change moves files in).
    """
    why = f" ({reason})" if reason else ""
    flag = "--index (NEWSBOT_INDEX_DIR)" if kind == "index" else "--corpus (NEWSBOT_CORPUS_DIR)"
    return IndexReadOnly(f"the {kind} folder {existing(folder)} is not writable{why}, and {what} writes there — "
                         f"make it writable, or point {flag} at a writable copy; `newsbot ask` and "
                         "`newsbot sources` read it as it is")


def require_writable(folder: Path, what: str, kind: str = "index") -> None:
    """Refuse before anything is written.

    Raises:
        IndexReadOnly: `folder` (or the ancestor it would be created in) is not writable by this process.
    """
    if not writable(folder):
        raise read_only_error(folder, what, _why_not(folder), kind=kind)


def denied(exc: BaseException) -> bool:
    """True for an error that means "you may not write here": read-only file system, permission."""
    if isinstance(exc, OSError):
        return exc.errno in _DENIED
    if isinstance(exc, sqlite3.OperationalError):
        text = str(exc).lower()
        return "readonly" in text or "read-only" in text or "unable to open database" in text
    return False


@contextmanager
def writing(folder: Path, what: str) -> Iterator[None]:
    """Turn a write refused by the system inside the block into `IndexReadOnly` (other errors pass).

    Raises:
        IndexReadOnly: a write in `folder` was refused (read-only file system, no permission).
    """
    try:
        yield
    except (OSError, sqlite3.OperationalError) as exc:
        if denied(exc) and (isinstance(exc, OSError) or not writable(folder)):
            raise read_only_error(folder, what, os.strerror(exc.errno) if isinstance(exc, OSError) and exc.errno
                                  else "") from None
        raise
