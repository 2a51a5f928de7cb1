"""Per-server settings: what each server's moderators change with `/settings`, kept in the state database.

Every server starts from the operator's defaults in `.env` (`Settings`); a
server's moderators override some of them for their server alone. What can be
changed, and its bounds, is `FIELDS`: one table serves parsing, checking,
showing and storing, so `/settings` and the CLI never disagree.

Stored as one JSON object per server (only the values that differ from the
defaults), in `state.sqlite`'s `server_settings` table: a default changed in
`.env` later reaches every server that did not override it.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bot.settings import Settings
from index.collections import Collections, Scope, SearchView
from index.store.state import connect_state, utc_now

SCHEMA = """
CREATE TABLE IF NOT EXISTS server_settings (
    guild_id INTEGER PRIMARY KEY, overrides TEXT NOT NULL DEFAULT '{}', updated_at TEXT NOT NULL, updated_by TEXT
);
"""

MAX_RESULTS = 5  # cards in one Discord answer


class SettingError(ValueError):
    """A `/settings` value cannot be used; the message names the setting, the bounds and an example."""


@dataclass(frozen=True)
class ServerSettings:
    """The settings one server answers with (the operator's defaults, then the server's overrides).

    Attributes:
        moderator_role_id: members with this role (or Manage Server) are this server's moderators.
        cooldown_seconds: seconds between two questions of one member (0: none).
        results_per_answer: cards per answer, 1-5.
        recency_days: the recency prior's scale in days (0: off, for archives).
        channel_ids: channels the bot answers mentions and /ask in; empty: every channel.
        use_base: answer from the operator's base corpus too (else only from the server's own articles).
    """

    moderator_role_id: int | None
    cooldown_seconds: int
    results_per_answer: int
    recency_days: int
    channel_ids: tuple[int, ...] = ()
    use_base: bool = True

    @classmethod
    def defaults(cls, settings: Settings) -> ServerSettings:
        """The operator's defaults from `.env`."""
        return cls(moderator_role_id=settings.moderator_role_id, cooldown_seconds=settings.cooldown_seconds,
                   results_per_answer=min(settings.results_per_answer, MAX_RESULTS),
                   recency_days=settings.recency_days)

    def answers_in(self, channel_id: int | None) -> bool:
        """True when the bot answers questions in this channel (threads count as their own channel)."""
        return not self.channel_ids or channel_id in self.channel_ids


def server_view(collections: Collections, settings: Settings, server_id: int | None,
                values: ServerSettings) -> SearchView:
    """What a place answers from, with its own settings: the base alone for None (a DM, the command line
    without --server); else the base (unless `use_base` is off) and the server's collection, ranked with the
    server's recency scale. The one rule for Discord and the command line (may load versions: blocking).

    Raises:
        IndexMissing, IndexCorrupt, ModelMismatch: the base index cannot be used as it is.
    """
    scope = Scope() if server_id is None else Scope(server_id, use_base=values.use_base)
    days = values.recency_days
    retrieval = None if days == settings.recency_days else replace(settings, recency_days=days).retrieval()
    return collections.view(scope, retrieval)


def _int_in(low: int, high: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            value = int(raw.strip())
        except ValueError:
            raise SettingError(f"expected a whole number from {low} to {high}, got {raw.strip()[:40]!r}") from None
        if not low <= value <= high:
            raise SettingError(f"must be from {low} to {high}, got {value}")
        return value
    return parse


_SNOWFLAKE = re.compile(r"<[#@]&?(\d+)>|(\d{5,25})")


def _role(raw: str) -> int | None:
    text = raw.strip()
    if text.lower() in ("", "none", "default", "-"):
        return None
    match = _SNOWFLAKE.fullmatch(text)
    if not match:
        raise SettingError(f"expected a role (@Role or its numeric id) or `none`, got {text[:40]!r}")
    return int(match.group(1) or match.group(2))


def _channels(raw: str) -> tuple[int, ...]:
    text = raw.strip()
    if text.lower() in ("", "all", "none", "-"):
        return ()
    ids = []
    for part in filter(None, re.split(r"[\s,]+", text)):
        match = _SNOWFLAKE.fullmatch(part)
        if not match:
            raise SettingError(f"expected channels (#channel or numeric ids, separated by spaces) or `all`, "
                               f"got {part[:40]!r}")
        ids.append(int(match.group(1) or match.group(2)))
    return tuple(dict.fromkeys(ids))


def _flag(raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("yes", "true", "on", "1"):
        return True
    if value in ("no", "false", "off", "0"):
        return False
    raise SettingError(f"expected yes or no, got {raw.strip()[:40]!r}")


@dataclass(frozen=True)
class Field:
    """One changeable setting: its attribute, how a typed value is read, and how it is shown."""

    attribute: str
    parse: Callable[[str], Any]
    help: str


FIELDS: dict[str, Field] = {
    "moderator_role": Field("moderator_role_id", _role, "members with this role moderate the bot here "
                                                        "(besides Manage Server); `none` for the default"),
    "cooldown": Field("cooldown_seconds", _int_in(0, 3600), "seconds between two questions of one member (0-3600)"),
    "results": Field("results_per_answer", _int_in(1, MAX_RESULTS), f"cards per answer (1-{MAX_RESULTS})"),
    "recency_days": Field("recency_days", _int_in(0, 36_500), "prefer stories this many days near today "
                                                             "(0: off, for archives)"),
    "channels": Field("channel_ids", _channels, "channels the bot answers in (#a #b), or `all`"),
    "base_articles": Field("use_base", _flag, "answer from the bot's shared articles too (yes/no)"),
}


def parse_setting(name: str, raw: str) -> tuple[str, Any]:
    """(attribute, value) of `/settings name value`.

    Raises:
        SettingError: an unknown name (the message lists the known ones) or a value out of bounds.
    """
    field = FIELDS.get(name.strip().lower())
    if field is None:
        raise SettingError(f"there is no setting {name.strip()[:40]!r}; settings: {', '.join(FIELDS)}")
    try:
        return field.attribute, field.parse(raw)
    except SettingError as exc:
        raise SettingError(f"{name}: {exc}") from None


def describe(values: ServerSettings, defaults: ServerSettings) -> list[tuple[str, str, bool]]:
    """(name, shown value, changed here) of every setting, for `/settings`."""
    out = []
    for name, field in FIELDS.items():
        value = getattr(values, field.attribute)
        out.append((name, _show(field.attribute, value), value != getattr(defaults, field.attribute)))
    return out


def _show(attribute: str, value: Any) -> str:
    if attribute == "moderator_role_id":
        return f"<@&{value}>" if value else "none (Manage Server only)"
    if attribute == "channel_ids":
        return " ".join(f"<#{c}>" for c in value) if value else "all channels"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


class ServerSettingsStore:
    """Each server's overrides of the defaults, in `state.sqlite`; thread-safe (call it via `asyncio.to_thread`)."""

    def __init__(self, index_dir: Path, defaults: ServerSettings) -> None:
        self.defaults = defaults
        self._db = connect_state(index_dir, SCHEMA, shared=True)
        self._lock = threading.Lock()
        self._cache: dict[int, ServerSettings] = {}

    def close(self) -> None:
        """Release the database."""
        with self._lock:
            self._db.close()

    def get(self, guild_id: int | None) -> ServerSettings:
        """The settings of a server (the defaults for a DM or a server that changed nothing)."""
        if guild_id is None:
            return self.defaults
        with self._lock:
            cached = self._cache.get(guild_id)
            if cached is None:
                row = self._db.execute("SELECT overrides FROM server_settings WHERE guild_id = ?",
                                       (guild_id,)).fetchone()
                cached = self._apply(json.loads(row["overrides"]) if row else {})
                self._cache[guild_id] = cached
            return cached

    def _apply(self, overrides: Mapping[str, Any]) -> ServerSettings:
        known = {f.attribute for f in FIELDS.values()}
        values = {k: (tuple(v) if isinstance(v, list) else v) for k, v in overrides.items() if k in known}
        return replace(self.defaults, **values)

    def change(self, guild_id: int, name: str, raw: str, actor: str) -> ServerSettings:
        """Set one setting for one server; returns the server's settings now.

        Raises:
            SettingError: unknown setting or a value out of bounds (nothing is changed).
        """
        attribute, value = parse_setting(name, raw)
        with self._lock:
            row = self._db.execute("SELECT overrides FROM server_settings WHERE guild_id = ?", (guild_id,)).fetchone()
            overrides = json.loads(row["overrides"]) if row else {}
            if value == getattr(self.defaults, attribute):
                overrides.pop(attribute, None)  # back to the default: follows `.env` again
            else:
                overrides[attribute] = list(value) if isinstance(value, tuple) else value
            self._db.execute("INSERT INTO server_settings (guild_id, overrides, updated_at, updated_by) "
                             "VALUES (?,?,?,?) ON CONFLICT(guild_id) DO UPDATE SET overrides=excluded.overrides, "
                             "updated_at=excluded.updated_at, updated_by=excluded.updated_by",
                             (guild_id, json.dumps(overrides, sort_keys=True), utc_now(), actor))
            self._cache.pop(guild_id, None)
        return self.get(guild_id)

    def overrides(self, guild_id: int) -> dict[str, Any]:
        """What a server changed (attribute → value), for an export."""
        with self._lock:
            row = self._db.execute("SELECT overrides FROM server_settings WHERE guild_id = ?", (guild_id,)).fetchone()
        return json.loads(row["overrides"]) if row else {}

    def servers(self) -> list[int]:
        """Servers that changed a setting, ascending."""
        with self._lock:
            rows = self._db.execute("SELECT guild_id FROM server_settings WHERE overrides != '{}' ORDER BY guild_id")
            return [int(r["guild_id"]) for r in rows.fetchall()]

    def forget(self, guild_id: int) -> None:
        """Delete a server's overrides (when its collection is deleted)."""
        with self._lock:
            self._db.execute("DELETE FROM server_settings WHERE guild_id = ?", (guild_id,))
            self._cache.pop(guild_id, None)
