"""Each feed of a library and its state, in the library's `state.sqlite` (table `feeds`).

A library's feeds are the operator's `NEWSBOT_FEEDS` (the base corpus only; origin
`settings`, kept in step with `.env` by `sync_configured`) and those moderators added
(`/feeds add`, `newsbot feeds add`; origin `added`). Each row remembers what polite,
scheduled fetching needs and what `/stats` and `newsbot feeds list` show:

- `etag`, `last_modified`: the validators of the last download, sent back as
  `If-None-Match` / `If-Modified-Since` so an unchanged feed costs one 304;
- `last_fetch`, `last_success`, `last_error`, `failures` (consecutive), `next_due`
  (when the schedule fetches it next: `index.feeds.schedule`), so the schedule
  survives restarts and is shared by every process over the index;
- `entries_seen` (entries the feed listed when last read), `articles_saved` (articles
  saved from it since it was added).

Times are ISO 8601 in UTC. The file is opened through `index.store.state.connect_state`
(that module owns the file); the table is this module's.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from corpus.sources.feeds import FAILED, NEW, FeedFetch
from index.errors import NewsIndexError
from index.feeds.schedule import is_due, next_due
from index.store.state import connect_state

SCHEMA = """
CREATE TABLE IF NOT EXISTS feeds (
    url TEXT PRIMARY KEY, origin TEXT NOT NULL, title TEXT, added_by TEXT, added_at TEXT,
    etag TEXT, last_modified TEXT, last_fetch TEXT, last_success TEXT, last_error TEXT,
    failures INTEGER NOT NULL DEFAULT 0, next_due TEXT,
    entries_seen INTEGER NOT NULL DEFAULT 0, articles_saved INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS feed_flags (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

SETTINGS, ADDED = "settings", "added"
PENDING = "refresh_pending"  # articles were saved from feeds and no refresh has indexed them yet


class FeedExists(NewsIndexError):
    """The feed is already polled for this corpus (or is the operator's to remove); the message says what to do."""


class UnknownFeed(NewsIndexError):
    """No feed of this corpus matches what was named; the message lists them."""


def stamp(moment: datetime) -> str:
    """A UTC ISO 8601 time to the second, as stored."""
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@dataclass(frozen=True)
class FeedRecord:
    """One feed and its state (see the module docstring for each field)."""

    url: str
    origin: str
    title: str | None
    added_by: str | None
    added_at: str | None
    etag: str | None
    last_modified: str | None
    last_fetch: str | None
    last_success: str | None
    last_error: str | None
    failures: int
    next_due: str | None
    entries_seen: int
    articles_saved: int

    @property
    def name(self) -> str:
        """Its title, else its address."""
        return self.title or self.url

    def due_at(self) -> datetime | None:
        """When the schedule fetches it next (None: now, it was never fetched; or never, the schedule is off)."""
        return _parse(self.next_due)

    def as_json(self) -> dict:
        """Every field, for `newsbot feeds list --json`."""
        return dict(self.__dict__)


class FeedStore:
    """The feeds of one library (its index directory's `state.sqlite`); open, use, close (or `with`)."""

    def __init__(self, index_dir: Path) -> None:
        self._db = connect_state(Path(index_dir), SCHEMA)

    def close(self) -> None:
        """Release the database."""
        self._db.close()

    def __enter__(self) -> FeedStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- which feeds -------------------------------------------------------------------------------
    def sync_configured(self, urls: tuple[str, ...] | list[str]) -> None:
        """Make the `settings` feeds exactly `urls` (NEWSBOT_FEEDS): new ones added (due at once), ones no longer
        configured dropped with their state; feeds added by moderators are kept."""
        rows = {r["url"]: r["origin"] for r in self._db.execute("SELECT url, origin FROM feeds")}
        wanted = set(urls)
        stale = [u for u, origin in rows.items() if origin == SETTINGS and u not in wanted]
        fresh = [u for u in urls if u not in rows]
        if not stale and not fresh:
            return
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.executemany("DELETE FROM feeds WHERE url = ? AND origin = ?", ((u, SETTINGS) for u in stale))
            self._db.executemany("INSERT OR IGNORE INTO feeds (url, origin, added_by) VALUES (?, ?, ?)",
                                 ((u, SETTINGS, "NEWSBOT_FEEDS") for u in fresh))
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    def feeds(self) -> list[FeedRecord]:
        """Every feed, the operator's first, then in the order added."""
        rows = self._db.execute("SELECT * FROM feeds ORDER BY origin = 'added', added_at, rowid").fetchall()
        return [_record(r) for r in rows]

    def urls(self) -> tuple[str, ...]:
        """Every feed's address (as `feeds`)."""
        return tuple(r.url for r in self.feeds())

    def get(self, url: str) -> FeedRecord | None:
        """One feed by its address, or None."""
        row = self._db.execute("SELECT * FROM feeds WHERE url = ?", (url,)).fetchone()
        return _record(row) if row else None

    def add(self, url: str, title: str, actor: str, now: datetime) -> FeedRecord:
        """Add a feed a moderator confirmed; it is due at once.

        Raises:
            FeedExists: it is already one of this library's feeds.
        """
        existing = self.get(url)
        if existing is not None:
            where = "in NEWSBOT_FEEDS (the operator's list in .env)" if existing.origin == SETTINGS else \
                f"since {existing.added_at} (added by {existing.added_by})"
            raise FeedExists(f"{url} is already polled here, {where} — nothing to do; `/feeds list` shows its state")
        try:
            self._db.execute("INSERT INTO feeds (url, origin, title, added_by, added_at) VALUES (?,?,?,?,?)",
                             (url, ADDED, title or None, actor, stamp(now)))
        except sqlite3.IntegrityError:  # another process added it meanwhile
            raise FeedExists(f"{url} is already polled here — nothing to do") from None
        record = self.get(url)
        assert record is not None
        return record

    def remove(self, url: str) -> FeedRecord | None:
        """Stop polling a feed a moderator added; returns it (None: no such feed). Articles saved from it stay.

        Raises:
            FeedExists: it comes from NEWSBOT_FEEDS (only the operator's .env can drop it).
        """
        record = self.get(url)
        if record is None:
            return None
        if record.origin == SETTINGS:
            raise FeedExists(f"{url} is in NEWSBOT_FEEDS, the operator's list in .env — remove it there and restart "
                             "the bot")
        self._db.execute("DELETE FROM feeds WHERE url = ?", (url,))
        return record

    # -- the schedule ------------------------------------------------------------------------------
    def due(self, now: datetime, interval: timedelta) -> list[FeedRecord]:
        """Feeds the schedule should fetch at `now` (none when the schedule is off)."""
        return [r for r in self.feeds() if is_due(r.due_at(), now, interval)]

    def claim(self, urls: list[str], now: datetime, interval: timedelta) -> None:
        """Mark feeds as being fetched (call under the refresh lock): their next due time moves on as if they
        failed once more, so no other process fetches them meanwhile, and a poller that dies mid-way retries them
        after that backoff."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            for url in urls:
                row = self._db.execute("SELECT failures FROM feeds WHERE url = ?", (url,)).fetchone()
                if row is None:
                    continue
                due = next_due(now, interval, int(row["failures"]) + 1)
                self._db.execute("UPDATE feeds SET next_due = ? WHERE url = ?", (stamp(due) if due else None, url))
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    def validators(self, url: str) -> tuple[str | None, str | None]:
        """(ETag, Last-Modified) of the feed's last download, for a conditional request."""
        row = self._db.execute("SELECT etag, last_modified FROM feeds WHERE url = ?", (url,)).fetchone()
        return (row["etag"], row["last_modified"]) if row else (None, None)

    def forget_validators(self) -> None:
        """Drop every feed's ETag and Last-Modified: the next fetch of each downloads and parses it in full
        (`newsbot bench-feeds --unconditional` measures what conditional requests save)."""
        self._db.execute("UPDATE feeds SET etag = NULL, last_modified = NULL")

    def record(self, fetch: FeedFetch, now: datetime, interval: timedelta) -> None:
        """Store what fetching a feed did: its validators, times, error, consecutive failures, next due time and
        counts. A feed no longer listed (removed meanwhile) is left out."""
        row = self._db.execute("SELECT failures FROM feeds WHERE url = ?", (fetch.url,)).fetchone()
        if row is None:
            return
        when = stamp(now)
        if fetch.status == FAILED:
            failures = int(row["failures"]) + 1
            due = next_due(now, interval, failures)
            error = fetch.error.message if fetch.error is not None else "the feed could not be read"
            self._db.execute("UPDATE feeds SET last_fetch = ?, last_error = ?, failures = ?, next_due = ?, etag = ?, "
                             "last_modified = ? WHERE url = ?",
                             (when, error, failures, stamp(due) if due else None, fetch.etag, fetch.last_modified,
                              fetch.url))
            return
        due = next_due(now, interval, 0)
        self._db.execute(
            "UPDATE feeds SET last_fetch = ?, last_success = ?, last_error = NULL, failures = 0, next_due = ?, "
            "etag = ?, last_modified = ?, title = COALESCE(?, title), "
            "entries_seen = CASE WHEN ? THEN ? ELSE entries_seen END, articles_saved = articles_saved + ? "
            "WHERE url = ?",
            (when, when, stamp(due) if due else None, fetch.etag, fetch.last_modified, fetch.title,
             fetch.status == NEW, fetch.entries, len(fetch.saved), fetch.url))

    # -- articles waiting for a refresh ------------------------------------------------------------------
    def set_pending(self, pending: bool) -> None:
        """Remember that feeds saved articles no refresh has indexed yet (or that one has)."""
        if pending:
            self._db.execute("INSERT OR REPLACE INTO feed_flags VALUES (?, '1')", (PENDING,))
        else:
            self._db.execute("DELETE FROM feed_flags WHERE key = ?", (PENDING,))

    @property
    def pending(self) -> bool:
        """True while articles saved from feeds wait for a refresh (one was busy or failed)."""
        return self._db.execute("SELECT 1 FROM feed_flags WHERE key = ?", (PENDING,)).fetchone() is not None


def _record(row: sqlite3.Row) -> FeedRecord:
    return FeedRecord(**{key: row[key] for key in row.keys()})


def status_line(record: FeedRecord, now: datetime, interval: timedelta) -> str:
    """One line of a feed's state, as `/feeds list`, `/stats` and `newsbot feeds list` show it:
    `Title <url> — ok · fetched 10:02 UTC · next 10:32 UTC · 12 entries · 3 saved`, or for a failing feed
    `Title <url> — failing (3 in a row): the server answered HTTP 500 — … · fetched 10:02 UTC · last success
    29 Nov 09:00 UTC · retry 14:02 UTC · 12 entries · 3 saved`."""
    due = record.due_at()
    if interval <= timedelta(0):
        when = "fetched only by /refresh"
    elif due is None or due <= now:
        when = "due now"
    else:
        when = f"{'retry' if record.failures else 'next'} {_short(due, now)}"
    parts = []
    if record.last_fetch is None:
        parts.append("not fetched yet")
    elif record.failures:
        parts += [f"failing ({record.failures} in a row): {record.last_error}",
                  f"fetched {_short(_parse(record.last_fetch), now)}",
                  f"last success {_short(_parse(record.last_success), now)}"]
    else:
        parts += ["ok", f"fetched {_short(_parse(record.last_fetch), now)}"]
    parts += [when, f"{record.entries_seen} entries", f"{record.articles_saved} saved"]
    title = f"{record.title} <{record.url}>" if record.title else f"<{record.url}>"
    return f"{title} — " + " · ".join(parts)


def _short(moment: datetime | None, now: datetime) -> str:
    """`10:02 UTC` today, `29 Nov 10:02 UTC` on another day."""
    if moment is None:
        return "never"
    moment = moment.astimezone(timezone.utc)
    if moment.date() == now.astimezone(timezone.utc).date():
        return moment.strftime("%H:%M UTC")
    return f"{moment.day} {moment.strftime('%b %H:%M UTC')}"
