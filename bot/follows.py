"""Follows (`/follow`), what each has posted, and how far each process got, in the index's state database.

Tables (opened through `index.store.state.connect_state`, like `bot.feedback`):

- `follows`: a saved query, where it was made (server or DM, channel, and the thread opened for it) and by
  whom; `problem` holds why the last post failed (channel gone, permission lost), shown by `/following`.
- `follow_posts`: one row per (follow, article) ever chosen for a follow, written *before* the message is
  sent (state `pending`, then `sent` with the message id). The primary key makes posting idempotent by
  article id: after a crash between recording and sending, the article is not chosen again (at most once:
  an article whose message did not go out before a crash is not retried).
- `follow_progress` and `follow_seen`: per collection (`scope`: 0 for the base corpus, else the server id)
  and per *consumer* (the set of shards one process serves, `"all"` unsharded), the version last processed
  and the (article id, fingerprint) pairs it held, so a restart processes a switch that happened while the
  bot was down, and never one it already handled. Keyed per consumer because each shard process posts for
  its own servers' follows only.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from index.search.follows import Posted
from index.store.state import connect_state

BASE_SCOPE = 0  # `scope` of the base corpus (a server's scope is its id)

SCHEMA = """
CREATE TABLE IF NOT EXISTS follows (
    id INTEGER PRIMARY KEY AUTOINCREMENT, created_at TEXT NOT NULL, query TEXT NOT NULL,
    guild_id INTEGER, channel_id INTEGER NOT NULL, thread_id INTEGER,
    user_id INTEGER NOT NULL, user_name TEXT NOT NULL, problem TEXT, problem_at TEXT
);
CREATE INDEX IF NOT EXISTS follows_guild ON follows(guild_id);
CREATE TABLE IF NOT EXISTS follow_posts (
    follow_id INTEGER NOT NULL, article_id TEXT NOT NULL, url TEXT, text_key TEXT NOT NULL,
    passage_id TEXT NOT NULL, passage_text TEXT NOT NULL, index_version TEXT NOT NULL, recorded_at TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent')), message_id INTEGER,
    PRIMARY KEY (follow_id, article_id)
);
CREATE TABLE IF NOT EXISTS follow_progress (
    scope INTEGER NOT NULL, consumer TEXT NOT NULL, version TEXT NOT NULL, processed_at TEXT NOT NULL,
    PRIMARY KEY (scope, consumer)
);
CREATE TABLE IF NOT EXISTS follow_seen (
    scope INTEGER NOT NULL, consumer TEXT NOT NULL, article_id TEXT NOT NULL, fingerprint TEXT NOT NULL,
    PRIMARY KEY (scope, consumer, article_id)
);
"""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Follow:
    """One follow.

    Attributes:
        guild_id: the server (None: made in a DM, for its maker; answered from the base corpus only).
        channel_id: where it was made (a DM's channel for a DM follow).
        thread_id: the thread the bot opened for it (None: it posts in `channel_id`).
        posts: articles posted for it so far.
        problem: why the last post failed (None: fine).
    """

    id: int
    query: str
    guild_id: int | None
    channel_id: int
    thread_id: int | None
    user_id: int
    user_name: str
    created_at: str
    posts: int = 0
    problem: str | None = None

    @property
    def target_id(self) -> int:
        """The channel (or thread) its posts go to."""
        return self.thread_id or self.channel_id


@dataclass(frozen=True)
class PendingPost:
    """A post recorded before its message is sent."""

    article_id: str
    passage_id: str
    posted: Posted


class FollowStore:
    """Thread-safe access to the follow tables (call it via `asyncio.to_thread`)."""

    def __init__(self, index_dir: Path) -> None:
        self._db = connect_state(index_dir, SCHEMA, shared=True)
        self._lock = threading.Lock()

    def close(self) -> None:
        """Release the database."""
        with self._lock:
            self._db.close()

    # -- follows ------------------------------------------------------------------------------
    def add(self, query: str, guild_id: int | None, channel_id: int, user_id: int, user_name: str,
            thread_id: int | None = None) -> Follow:
        """Save a follow; returns it with its id."""
        with self._lock:
            cur = self._db.execute(
                "INSERT INTO follows (created_at, query, guild_id, channel_id, thread_id, user_id, user_name) "
                "VALUES (?,?,?,?,?,?,?)", (_now(), query, guild_id, channel_id, thread_id, user_id, user_name))
            follow_id = int(cur.lastrowid)
        found = self.get(follow_id)
        assert found is not None
        return found

    def _select(self, where: str, params: Sequence) -> list[Follow]:
        rows = self._db.execute(
            "SELECT f.*, (SELECT count(*) FROM follow_posts p WHERE p.follow_id = f.id AND p.state = 'sent') AS posts "
            f"FROM follows f {where} ORDER BY f.id", tuple(params)).fetchall()
        return [Follow(r["id"], r["query"], r["guild_id"], r["channel_id"], r["thread_id"], r["user_id"],
                       r["user_name"], r["created_at"], r["posts"], r["problem"]) for r in rows]

    def get(self, follow_id: int) -> Follow | None:
        """A follow by id."""
        with self._lock:
            found = self._select("WHERE f.id = ?", (follow_id,))
        return found[0] if found else None

    def in_server(self, guild_id: int) -> list[Follow]:
        """Every follow of a server, oldest first."""
        with self._lock:
            return self._select("WHERE f.guild_id = ?", (guild_id,))

    def of_dm(self, user_id: int) -> list[Follow]:
        """A member's follows made by DM, oldest first."""
        with self._lock:
            return self._select("WHERE f.guild_id IS NULL AND f.user_id = ?", (user_id,))

    def for_scope(self, scope: int) -> list[Follow]:
        """The follows a switch of this collection may concern: all of them for the base corpus (a server's
        follows see it unless the server turned it off, DM follows see only it), a server's own otherwise."""
        with self._lock:
            if scope == BASE_SCOPE:
                return self._select("", ())
            return self._select("WHERE f.guild_id = ?", (scope,))

    def scopes(self) -> set[int]:
        """Collections that have follows to post for: the base when any follow exists, and each server with one."""
        with self._lock:
            rows = self._db.execute("SELECT DISTINCT guild_id FROM follows").fetchall()
        if not rows:
            return set()
        return {BASE_SCOPE} | {r["guild_id"] for r in rows if r["guild_id"] is not None}

    def remove(self, follow_id: int) -> bool:
        """Delete a follow and the record of its posts; False when there was none."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                cur = self._db.execute("DELETE FROM follows WHERE id = ?", (follow_id,))
                self._db.execute("DELETE FROM follow_posts WHERE follow_id = ?", (follow_id,))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return cur.rowcount > 0

    def set_problem(self, follow_id: int, problem: str | None) -> None:
        """Mark (or clear, None) why the follow's last post failed."""
        with self._lock:
            self._db.execute("UPDATE follows SET problem = ?, problem_at = ? WHERE id = ?",
                             (problem, _now() if problem else None, follow_id))

    # -- posts ------------------------------------------------------------------------------------
    def posted(self, follow_id: int) -> list[Posted]:
        """What a follow has posted (or recorded for posting), oldest first."""
        with self._lock:
            rows = self._db.execute("SELECT article_id, url, text_key, passage_text FROM follow_posts "
                                    "WHERE follow_id = ? ORDER BY recorded_at, rowid", (follow_id,)).fetchall()
        return [Posted(r["article_id"], r["url"], r["text_key"], r["passage_text"]) for r in rows]

    def record(self, follow_id: int, posts: Iterable[tuple[str, Posted]], version: str) -> list[str]:
        """Record posts about to be sent, as (passage id, what is posted); returns the article ids recorded now
        (one already recorded for this follow is left out: it is never posted twice)."""
        recorded = []
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for passage_id, p in posts:
                    cur = self._db.execute(
                        "INSERT OR IGNORE INTO follow_posts (follow_id, article_id, url, text_key, passage_id, "
                        "passage_text, index_version, recorded_at) VALUES (?,?,?,?,?,?,?,?)",
                        (follow_id, p.article_id, p.url, p.text_key, passage_id, p.passage_text, version, _now()))
                    if cur.rowcount:
                        recorded.append(p.article_id)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return recorded

    def mark_sent(self, follow_id: int, article_ids: Iterable[str], message_id: int) -> None:
        """The message holding these posts went out."""
        with self._lock:
            self._db.executemany("UPDATE follow_posts SET state = 'sent', message_id = ? WHERE follow_id = ? "
                                 "AND article_id = ?", [(message_id, follow_id, a) for a in article_ids])

    def forget(self, follow_id: int, article_ids: Iterable[str]) -> None:
        """Drop recorded posts whose message certainly did not go out (Discord refused it)."""
        with self._lock:
            self._db.executemany("DELETE FROM follow_posts WHERE follow_id = ? AND article_id = ? AND "
                                 "state = 'pending'", [(follow_id, a) for a in article_ids])

    # -- progress -----------------------------------------------------------------------------------
    def progress(self, scope: int, consumer: str) -> str | None:
        """The version of a collection last processed by this consumer (None: never; '' : it had none)."""
        with self._lock:
            row = self._db.execute("SELECT version FROM follow_progress WHERE scope = ? AND consumer = ?",
                                   (scope, consumer)).fetchone()
        return row["version"] if row else None

    def seen(self, scope: int, consumer: str) -> dict[str, str]:
        """Article id → fingerprint of the version last processed."""
        with self._lock:
            rows = self._db.execute("SELECT article_id, fingerprint FROM follow_seen WHERE scope = ? AND "
                                    "consumer = ?", (scope, consumer)).fetchall()
        return {r["article_id"]: r["fingerprint"] for r in rows}

    def mark_processed(self, scope: int, consumer: str, version: str, states: Iterable[tuple[str, str]]) -> None:
        """Record a collection's version (and its articles' fingerprints) as processed, in one transaction:
        after this, its articles are no longer new to this consumer."""
        current = dict(states)
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                old = {r["article_id"]: r["fingerprint"] for r in self._db.execute(
                    "SELECT article_id, fingerprint FROM follow_seen WHERE scope = ? AND consumer = ?",
                    (scope, consumer))}
                self._db.executemany("DELETE FROM follow_seen WHERE scope = ? AND consumer = ? AND article_id = ?",
                                     [(scope, consumer, a) for a in old.keys() - current.keys()])
                self._db.executemany("INSERT OR REPLACE INTO follow_seen (scope, consumer, article_id, fingerprint) "
                                     "VALUES (?,?,?,?)", [(scope, consumer, a, f) for a, f in current.items()
                                                          if old.get(a) != f])
                self._db.execute("INSERT OR REPLACE INTO follow_progress (scope, consumer, version, processed_at) "
                                 "VALUES (?,?,?,?)", (scope, consumer, version, _now()))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
