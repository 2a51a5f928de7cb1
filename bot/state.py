"""The bot's own state in INDEX_DIR/state.sqlite: it outlives index versions (feedback, command sync).

Why SQLite in WAL mode: writes are tiny and rare, the file is inspectable by
hand, and another process (the CLI exporting feedback) may read it while the
bot writes.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

STATE_FILE = "state.sqlite"


def state_path(index_dir: Path) -> Path:
    """Where the state database of an index directory lives."""
    return Path(index_dir) / STATE_FILE


def connect_state(index_dir: Path, schema: str) -> sqlite3.Connection:
    """Open (creating if needed) the state database and make sure `schema`'s tables exist.

    The connection may be used from worker threads; callers serialise access with a lock.
    """
    path = state_path(index_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, check_same_thread=False, timeout=10.0, isolation_level=None)
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA busy_timeout=10000")
    db.executescript(schema)
    return db
