"""Answers given and the feedback users leave on them, in the index's state database.

An answer is recorded when it is sent, so a button only has to carry the
answer's number and a passage id (Discord allows 100 characters of custom id):
the question, filters and index version behind a click are looked up here.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TextIO

from index.store.state import connect_state, state_path

VERDICTS = ("helpful", "wrong_source")

SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    id INTEGER PRIMARY KEY AUTOINCREMENT, created_at TEXT NOT NULL, question TEXT NOT NULL,
    filters TEXT NOT NULL DEFAULT '{}', k INTEGER NOT NULL, index_version TEXT NOT NULL,
    user_id INTEGER, guild_id INTEGER, channel_id INTEGER, passage_ids TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS answers_user ON answers(user_id, id);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
    user_id INTEGER NOT NULL, user_name TEXT NOT NULL,
    verdict TEXT NOT NULL CHECK (verdict IN ('helpful', 'wrong_source')),
    passage_id TEXT NOT NULL, article_id TEXT, question TEXT NOT NULL, index_version TEXT NOT NULL,
    answer_id INTEGER REFERENCES answers(id), guild_id INTEGER, channel_id INTEGER,
    UNIQUE (user_id, answer_id, passage_id)
);
"""

_EXPORT_COLUMNS = ("id", "created_at", "updated_at", "verdict", "user_id", "user_name", "passage_id", "article_id",
                   "question", "index_version", "answer_id", "guild_id", "channel_id")


DMS = -1  # `server=DMS`: the records of direct messages only


def _in_server(server: int | None) -> tuple[str, tuple]:
    """The WHERE clause (and its parameters) that keeps one server's records (`DMS`: DMs'); none for all."""
    if server == DMS:
        return "WHERE guild_id IS NULL", ()
    return ("WHERE guild_id = ?", (server,)) if server is not None else ("", ())


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class AnswerRecord:
    """What was asked and answered, as needed to record feedback or show more results."""

    id: int
    question: str
    filters: dict
    k: int
    index_version: str
    user_id: int | None
    passage_ids: tuple[str, ...]


class FeedbackStore:
    """Thread-safe access to the `answers` and `feedback` tables (call it via `asyncio.to_thread`)."""

    def __init__(self, index_dir: Path) -> None:
        self.path = state_path(index_dir)
        self._db = connect_state(index_dir, SCHEMA, shared=True)
        self._lock = threading.Lock()

    def close(self) -> None:
        """Release the database."""
        with self._lock:
            self._db.close()

    def record_answer(self, question: str, filters: dict, k: int, index_version: str, passage_ids: list[str],
                      user_id: int | None = None, guild_id: int | None = None,
                      channel_id: int | None = None) -> int:
        """Store an answer about to be sent; returns its number (carried by its buttons)."""
        with self._lock:
            cur = self._db.execute(
                "INSERT INTO answers (created_at, question, filters, k, index_version, user_id, guild_id, channel_id,"
                " passage_ids) VALUES (?,?,?,?,?,?,?,?,?)",
                (_now(), question, json.dumps(filters, sort_keys=True), k, index_version, user_id, guild_id,
                 channel_id, json.dumps(passage_ids)))
            return int(cur.lastrowid)

    def answer(self, answer_id: int) -> AnswerRecord | None:
        """An answer by number, or None when unknown (e.g. the state file was deleted)."""
        with self._lock:
            row = self._db.execute("SELECT * FROM answers WHERE id = ?", (answer_id,)).fetchone()
        if row is None:
            return None
        return AnswerRecord(row["id"], row["question"], json.loads(row["filters"]), row["k"], row["index_version"],
                            row["user_id"], tuple(json.loads(row["passage_ids"])))

    def recent_passages(self, user_id: int, limit: int = 10, guild_id: int | None = None) -> list[str]:
        """Passage ids recently shown to a user in one place (a server, or DMs for None), newest first.

        For `/source` autocomplete: a server never suggests what was shown in another.
        """
        with self._lock:
            rows = self._db.execute("SELECT passage_ids FROM answers WHERE user_id = ? AND guild_id IS ? "
                                    "ORDER BY id DESC LIMIT 20", (user_id, guild_id)).fetchall()
        out: list[str] = []
        for row in rows:
            for pid in json.loads(row["passage_ids"]):
                if pid not in out:
                    out.append(pid)
        return out[:limit]

    def record_feedback(self, answer: AnswerRecord, passage_id: str, verdict: str, user_id: int, user_name: str,
                        article_id: str | None = None, guild_id: int | None = None,
                        channel_id: int | None = None) -> bool:
        """Store a verdict on one passage of an answer; a second click by the same user replaces the first.

        Returns:
            True when this changed an earlier verdict of the same user.

        Raises:
            ValueError: unknown verdict.
        """
        if verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, got {verdict!r}")
        now = _now()
        with self._lock:
            before = self._db.execute(
                "SELECT verdict FROM feedback WHERE user_id = ? AND answer_id = ? AND passage_id = ?",
                (user_id, answer.id, passage_id)).fetchone()
            self._db.execute(
                "INSERT INTO feedback (created_at, updated_at, user_id, user_name, verdict, passage_id, article_id,"
                " question, index_version, answer_id, guild_id, channel_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"
                " ON CONFLICT (user_id, answer_id, passage_id) DO UPDATE SET verdict = excluded.verdict,"
                " updated_at = excluded.updated_at, user_name = excluded.user_name",
                (now, now, user_id, user_name, verdict, passage_id, article_id, answer.question, answer.index_version,
                 answer.id, guild_id, channel_id))
        return before is not None and before["verdict"] != verdict

    def iter_feedback(self, server: int | None = None) -> Iterator[dict]:
        """Every feedback record (of one server when `server` is given), oldest first, as plain dicts (the export
        format)."""
        where, params = _in_server(server)
        with self._lock:
            rows = self._db.execute(f"SELECT {', '.join(_EXPORT_COLUMNS)} FROM feedback {where} ORDER BY id",
                                    params).fetchall()
        for row in rows:
            yield {c: row[c] for c in _EXPORT_COLUMNS}

    def export(self, out: TextIO, server: int | None = None) -> int:
        """Write every feedback record (of one server when given) as one JSON object per line; returns how many."""
        n = 0
        for record in self.iter_feedback(server):
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            n += 1
        return n

    def counts(self, server: int | None = None) -> dict[str, int]:
        """Feedback records per verdict (both verdicts always present), of one server when given."""
        where, params = _in_server(server)
        with self._lock:
            rows = self._db.execute(f"SELECT verdict, count(*) AS n FROM feedback {where} GROUP BY verdict",
                                    params).fetchall()
        found = {r["verdict"]: int(r["n"]) for r in rows}
        return {v: found.get(v, 0) for v in VERDICTS}

    def most_flagged(self, limit: int = 5, server: int | None = None) -> list[tuple[str, int]]:
        """Passages most often marked "wrong source" (in one server when given), for whoever curates the corpus."""
        where, params = _in_server(server)
        clause = (where + " AND" if where else "WHERE") + " verdict = 'wrong_source'"
        with self._lock:
            rows = self._db.execute(f"SELECT passage_id, count(*) AS n FROM feedback {clause} "
                                    "GROUP BY passage_id ORDER BY n DESC, passage_id LIMIT ?",
                                    (*params, limit)).fetchall()
        return [(r["passage_id"], int(r["n"])) for r in rows]
