"""State that outlives index versions, in `INDEX_DIR/state.sqlite`: the one module that opens that file.

- `history`: every refresh, dry run and rollback: who, when, what changed, and
  how it ended, so moderators can see what happened to the corpus. A row is
  written as `running` when a refresh starts and completed when it ends, so a
  refresh killed mid-way shows up as `interrupted` instead of vanishing.
- `corpus_files`: what the last scan learnt about each corpus file (see
  `corpus.folder.scan`), so unchanged files are not parsed again.

The bot keeps its own tables in the same file (`bot.feedback`: answers and
feedback; `bot.chat.sync`: command registrations), opened with `connect_state`
and their own schema.

Why SQLite in WAL mode: writes are tiny and rare, the file is inspectable by
hand, and several processes (the bot, the CLI) may open it at once: readers go
on while one writes, and a busy timeout waits out short write locks.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from corpus.folder.planning import ArticleRef
from corpus.folder.scan import FileRecord
from index.store.access import open_read_only, writable

log = logging.getLogger(__name__)

STATE_FILE = "state.sqlite"

SCHEMA = """
CREATE TABLE IF NOT EXISTS history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL, actor TEXT, started_at TEXT NOT NULL, finished_at TEXT, status TEXT NOT NULL,
    version_before TEXT, version_after TEXT,
    added INTEGER NOT NULL DEFAULT 0, updated INTEGER NOT NULL DEFAULT 0, removed INTEGER NOT NULL DEFAULT 0,
    unchanged INTEGER NOT NULL DEFAULT 0, duplicates INTEGER NOT NULL DEFAULT 0, skipped INTEGER NOT NULL DEFAULT 0,
    embedded INTEGER NOT NULL DEFAULT 0, seconds REAL NOT NULL DEFAULT 0,
    summary TEXT NOT NULL DEFAULT '', details TEXT NOT NULL DEFAULT '{}', pid INTEGER
);
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS corpus_files (
    path TEXT PRIMARY KEY, reader TEXT NOT NULL, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
    ctime_ns INTEGER NOT NULL, inode INTEGER NOT NULL, recorded_ns INTEGER NOT NULL,
    refs TEXT NOT NULL, problems TEXT NOT NULL
);
"""

RUNNING = "running"
INTERRUPTED = "interrupted"


def state_path(index_dir: Path) -> Path:
    """Where the state database of an index directory lives."""
    return Path(index_dir) / STATE_FILE


def connect_state(index_dir: Path, schema: str, shared: bool = False) -> sqlite3.Connection:
    """Open (creating if needed) the state database and make sure `schema`'s tables exist.

    In an index folder this process may not write (see `index.store.access`) the database is read
    into memory instead (`_connect_read_only`): reading works, and nothing is written beside it.

    Args:
        shared: the connection may be used from worker threads (callers serialise access with a lock).
    """
    path = state_path(index_dir)
    if not writable(path.parent) or (path.exists() and not os.access(path, os.W_OK)):
        return _connect_read_only(path, schema, shared)
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, check_same_thread=not shared, timeout=30.0, isolation_level=None)
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA busy_timeout=30000")
    db.executescript(schema)
    return db


def _connect_read_only(path: Path, schema: str, shared: bool) -> sqlite3.Connection:
    """A copy in memory of the state database that cannot be written where it is (see `connect_state`).

    Reading sees everything stored (history, scan records, the bot's tables); writes go to the copy
    only and are gone when the process ends, which the log says once per file. So the bot answers from
    a read-only index (its answer records and feedback then last as long as the process), while every
    command that changes the index is refused before it writes (`index.store.access.require_writable`).
    """
    db = sqlite3.connect(":memory:", check_same_thread=not shared, isolation_level=None)
    if path.exists():
        try:
            stored = open_read_only(path)
            try:
                stored.backup(db)
            finally:
                stored.close()
        except sqlite3.Error as exc:
            log.warning("state database %s cannot be read (%s): starting from an empty one in memory", path, exc)
    db.row_factory = sqlite3.Row
    db.executescript(schema)
    if str(path) not in _READ_ONLY_WARNED:
        _READ_ONLY_WARNED.add(str(path))
        log.info("%s is read-only: what this process records there (answers, feedback, settings) is kept in "
                    "memory and lost when it ends", path)
    return db


_READ_ONLY_WARNED: set[str] = set()


def utc_now() -> str:
    """ISO timestamp in UTC, to the second."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class HistoryEntry:
    """One refresh, dry run or rollback, as `/corpus history` shows it.

    `status` is `ok`, `nothing to do`, `failed`, `running` or `interrupted`;
    `summary` holds the human lines of the refresh summary.
    """

    id: int
    kind: str
    actor: str | None
    started_at: str
    finished_at: str | None
    status: str
    version_before: str | None
    version_after: str | None
    added: int
    updated: int
    removed: int
    unchanged: int
    duplicates: int
    skipped: int
    embedded: int
    seconds: float
    summary: str
    details: dict


class StateStore:
    """The index directory's long-lived state; open, use, close (also a context manager)."""

    def __init__(self, index_dir: Path) -> None:
        self.path = state_path(index_dir)
        self._db = connect_state(index_dir, SCHEMA)

    def close(self) -> None:
        """Release the database."""
        self._db.close()

    def __enter__(self) -> StateStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- history ---------------------------------------------------------------------------------

    def start(self, kind: str, actor: str | None, version_before: str | None, pid: int) -> int:
        """Record that a refresh (or rollback) began; returns its history id."""
        cur = self._db.execute("INSERT INTO history (kind, actor, started_at, status, version_before, pid) "
                               "VALUES (?,?,?,?,?,?)", (kind, actor, utc_now(), RUNNING, version_before, pid))
        return int(cur.lastrowid)

    def finish(self, entry_id: int, status: str, version_after: str | None, counts: dict[str, int] | None = None,
               seconds: float = 0.0, summary: list[str] | None = None, details: dict | None = None) -> None:
        """Complete a history row with how it ended."""
        counts = counts or {}
        self._db.execute(
            "UPDATE history SET finished_at=?, status=?, version_after=?, added=?, updated=?, removed=?, "
            "unchanged=?, duplicates=?, skipped=?, embedded=?, seconds=?, summary=?, details=? WHERE id=?",
            (utc_now(), status, version_after, counts.get("added", 0), counts.get("updated", 0),
             counts.get("removed", 0), counts.get("unchanged", 0), counts.get("duplicates", 0),
             counts.get("skipped", 0), counts.get("embedded", 0), round(seconds, 3),
             "\n".join(summary or []), json.dumps(details or {}, ensure_ascii=False), entry_id))

    def mark_interrupted(self, found_by: str = "", removed: list[str] | tuple[str, ...] = ()) -> int:
        """Rows still `running` belong to runs that died: call only while holding the refresh lock.

        Args:
            found_by: what found them (a refresh, `startup check`, `history check`), for their summary.
            removed: the partial versions removed meanwhile, for their summary.
        """
        note = "interrupted: the process ended before the run finished" + (f" (found by a {found_by})" if found_by
                                                                            else "")
        if removed:
            note += f"; its partial version {', '.join(removed)} was removed"
        note += "; the version serving before kept serving"
        cur = self._db.execute("UPDATE history SET status=?, finished_at=?, summary=CASE WHEN summary = '' THEN ? "
                               "ELSE summary END WHERE status=?", (INTERRUPTED, utc_now(), note, RUNNING))
        if cur.rowcount:
            log.warning("%d earlier refresh(es) were interrupted before they finished; "
                        "the index they started from kept serving", cur.rowcount)
        return int(cur.rowcount)

    def history(self, limit: int = 20) -> list[HistoryEntry]:
        """The most recent entries, newest first."""
        rows = self._db.execute("SELECT * FROM history ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return [HistoryEntry(id=r["id"], kind=r["kind"], actor=r["actor"], started_at=r["started_at"],
                             finished_at=r["finished_at"], status=r["status"], version_before=r["version_before"],
                             version_after=r["version_after"], added=r["added"], updated=r["updated"],
                             removed=r["removed"], unchanged=r["unchanged"], duplicates=r["duplicates"],
                             skipped=r["skipped"], embedded=r["embedded"], seconds=r["seconds"],
                             summary=r["summary"], details=json.loads(r["details"] or "{}")) for r in rows]

    # --- file records ----------------------------------------------------------------------------

    def file_records(self, reader: str) -> dict[str, FileRecord]:
        """Cached scan records made by the same readers."""
        rows = self._db.execute("SELECT path, size, mtime_ns, ctime_ns, inode, recorded_ns, refs, problems "
                                "FROM corpus_files WHERE reader = ?", (reader,)).fetchall()
        out = {}
        for path, size, mtime_ns, ctime_ns, inode, recorded_ns, refs, problems in rows:
            out[path] = FileRecord(path, size, mtime_ns, ctime_ns, inode, recorded_ns,
                                   tuple(ArticleRef(*x) for x in json.loads(refs)),
                                   tuple(json.loads(problems)) if problems != "[]" else ())
        return out

    def records_generation(self) -> int:
        """A number that changes whenever any process stores file records (so in-memory copies can be trusted)."""
        row = self._db.execute("SELECT value FROM kv WHERE key = 'files_generation'").fetchone()
        return int(row[0]) if row else 0

    def save_file_records(self, reader: str, records: dict[str, FileRecord], previous: dict[str, FileRecord],
                          root: Path) -> int:
        """Store this scan's records: changed ones written, vanished ones under `root` dropped.

        Returns:
            the records generation after the save.
        """
        # the scan hands unchanged files' records back as the same objects: `is` spares comparing them all
        changed = [r for key, r in records.items() if (old := previous.get(key)) is not r and old != r]
        gone = [key for key in previous if key not in records and _under(key, root)]
        if not changed and not gone:
            return self.records_generation()
        self._db.execute("BEGIN")
        try:
            self._db.executemany(
                "INSERT OR REPLACE INTO corpus_files VALUES (?,?,?,?,?,?,?,?,?)",
                ((r.path, reader, r.size, r.mtime_ns, r.ctime_ns, r.inode, r.recorded_ns,
                  json.dumps([x.to_json() for x in r.refs], ensure_ascii=False),
                  json.dumps(list(r.problems), ensure_ascii=False)) for r in changed))
            self._db.executemany("DELETE FROM corpus_files WHERE path = ?", ((k,) for k in gone))
            self._db.execute("DELETE FROM corpus_files WHERE reader != ?", (reader,))  # made by older readers
            self._db.execute("INSERT INTO kv VALUES ('files_generation', 1) "
                             "ON CONFLICT(key) DO UPDATE SET value = value + 1")
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        return self.records_generation()


@dataclass
class RecordsMemo:
    """The file records of the last scan, kept in memory by a long-lived process (the bot).

    Trusted only while `generation` matches the store's, i.e. no other process saved records since.
    """

    generation: int = -1
    reader: str = ""
    records: dict[str, FileRecord] = field(default_factory=dict)


def _under(path: str, root: Path) -> bool:
    try:
        Path(path).relative_to(root)
    except ValueError:
        return False
    return True
