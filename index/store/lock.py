"""One refresh at a time across processes, with a lock that a crash cannot leave stuck.

Why `flock` on `INDEX_DIR/refresh.lock`: the kernel releases the lock when
its holder dies, however it dies (`kill -9` included), so there is no stale
lock to detect or break by hand. The file also records who holds it, so a
second moderator is told who is refreshing and since when. (Locks are per
open file, so two refreshes in one process exclude each other too.)
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
from pathlib import Path

from index.errors import IndexBusy
from index.store.access import require_writable, writing
from index.store.state import utc_now

log = logging.getLogger(__name__)

LOCK_FILE = "refresh.lock"


class RefreshLock:
    """Exclusive, non-blocking; use as a context manager or with acquire/release."""

    def __init__(self, index_dir: Path, actor: str | None = None, what: str = "refresh") -> None:
        self.path = Path(index_dir) / LOCK_FILE
        self.actor = actor
        self.what = what
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise at once.

        Raises:
            IndexBusy: another refresh, build or rollback holds it; the message says whose.
            IndexReadOnly: the index folder cannot be written (nothing that needs the lock can run).
        """
        what = f"a {self.what}"
        require_writable(self.path.parent, what)
        with writing(self.path.parent, what):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _describe(fd)
            os.close(fd)
            raise IndexBusy(f"a {holder} is already running on this index; the bot keeps answering from the "
                            "current version meanwhile — try again when it has finished") from None
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"what": self.what, "actor": self.actor, "pid": os.getpid(),
                                  "host": socket.gethostname(), "since": utc_now()}).encode(), 0)
        self._fd = fd

    def release(self) -> None:
        """Let the next refresh run (the holder record is cleared first)."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    @property
    def held(self) -> bool:
        """True while this object holds the lock."""
        return self._fd is not None

    def __enter__(self) -> RefreshLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _describe(fd: int) -> str:
    """`refresh started 2024-05-01T10:00:00+00:00 by alice (process 123)`, as far as the record tells."""
    try:
        data = json.loads(os.pread(fd, 4096, 0).decode() or "{}")
    except (OSError, ValueError):
        data = {}
    parts = [str(data.get("what") or "refresh")]
    if data.get("since"):
        parts.append(f"started {data['since']}")
    if data.get("actor"):
        parts.append(f"by {data['actor']}")
    if data.get("pid"):
        parts.append(f"(process {data['pid']} on {data.get('host', '?')})")
    return " ".join(parts)
