"""Register slash commands only when they changed: to the configured guilds, else globally.

Why not sync on every start: Discord rate-limits command registration (and a
global re-sync can take an hour to reach every client), so the digest of what
was last registered per (API, application, scope) is kept in the state
database and compared. Scopes registered before but no longer configured
(e.g. switching from guild to global registration) are cleared, or users
would see every command twice.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import discord
from discord import app_commands

from index.store.state import connect_state

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS command_sync (
    api_base TEXT NOT NULL, application_id INTEGER NOT NULL, scope TEXT NOT NULL,
    digest TEXT NOT NULL, synced_at TEXT NOT NULL,
    PRIMARY KEY (api_base, application_id, scope)
);
"""
GLOBAL = "global"


def forget_guild(state: SyncState, api_base: str, application_id: int, guild_id: int) -> None:
    """Forget what was registered in a server: Discord drops an application's commands there when the bot is
    removed, so they must be registered again when it comes back (at once, or at the next start)."""
    state.put(api_base, application_id, scope_key(guild_id), None)


def scope_key(guild_id: int | None) -> str:
    """`global` or `guild:<id>`."""
    return GLOBAL if guild_id is None else f"guild:{guild_id}"


def commands_digest(payload: list[dict]) -> str:
    """Order-independent hash of the command definitions Discord would receive."""
    canonical = sorted(json.dumps(c, sort_keys=True, ensure_ascii=False) for c in payload)
    return hashlib.sha256("\n".join(canonical).encode()).hexdigest()[:32]


class SyncState:
    """What was last registered where (one row per API base, application and scope)."""

    def __init__(self, index_dir: Path) -> None:
        self._db = connect_state(index_dir, SCHEMA, shared=True)
        self._lock = threading.Lock()

    def close(self) -> None:
        """Release the database."""
        self._db.close()

    def get(self, api_base: str, application_id: int) -> dict[str, str]:
        """scope → digest of what was last registered there."""
        with self._lock:
            rows = self._db.execute("SELECT scope, digest FROM command_sync WHERE api_base = ? AND application_id = ?",
                                    (api_base, application_id)).fetchall()
        return {r["scope"]: r["digest"] for r in rows}

    def put(self, api_base: str, application_id: int, scope: str, digest: str | None) -> None:
        """Remember a registration (None: the scope was cleared, forget it)."""
        with self._lock:
            if digest is None:
                self._db.execute("DELETE FROM command_sync WHERE api_base = ? AND application_id = ? AND scope = ?",
                                 (api_base, application_id, scope))
            else:
                self._db.execute(
                    "INSERT OR REPLACE INTO command_sync VALUES (?,?,?,?,?)",
                    (api_base, application_id, scope, digest,
                     datetime.now(timezone.utc).isoformat(timespec="seconds")))


@dataclass
class SyncReport:
    """Which scopes were registered, left as they were, cleared, or failed (with the reason)."""

    synced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    cleared: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


def desired_scopes(tree: app_commands.CommandTree, guild_ids: tuple[int, ...]) -> dict[str, tuple[int | None, list]]:
    """scope → (guild id, payload). With guilds configured, the global scope must be empty."""
    if not guild_ids:
        return {GLOBAL: (None, [c.to_dict(tree) for c in tree.get_commands()])}
    wanted: dict[str, tuple[int | None, list]] = {GLOBAL: (None, [])}
    for gid in guild_ids:
        guild = discord.Object(gid)
        tree.copy_global_to(guild=guild)
        wanted[scope_key(gid)] = (gid, [c.to_dict(tree) for c in tree.get_commands(guild=guild)])
    return wanted


async def sync_commands(client: discord.Client, tree: app_commands.CommandTree, state: SyncState,
                        guild_ids: tuple[int, ...], mode: str, api_base: str,
                        only_guild: int | None = None) -> SyncReport:
    """Register the tree's commands where configured, skipping scopes whose definitions did not change.

    Args:
        mode: "auto" (only changes), "always" or "never" (NEWSBOT_SYNC_COMMANDS).
        api_base: the REST base, so that a fake or proxy API keeps its own record.
        only_guild: register in this configured server alone (the bot was invited back to it).
    """
    report = SyncReport()
    app_id = client.application_id
    if mode == "never" or app_id is None:
        log.info("not registering slash commands (NEWSBOT_SYNC_COMMANDS=%s)", mode)
        return report
    known = state.get(api_base, app_id)
    wanted = desired_scopes(tree, guild_ids)
    for scope in known:
        if scope not in wanted:  # registered before, no longer configured
            wanted[scope] = (None if scope == GLOBAL else int(scope.split(":", 1)[1]), [])
    if only_guild is not None:
        wanted = {k: v for k, v in wanted.items() if k == scope_key(only_guild)}
    for scope, (guild_id, payload) in wanted.items():
        digest = commands_digest(payload)
        if not payload and scope not in known:
            continue  # nothing registered there by us: nothing to clear
        if mode == "auto" and known.get(scope) == digest:
            report.unchanged.append(scope)
            continue
        try:
            if guild_id is None:
                await client.http.bulk_upsert_global_commands(app_id, payload)
            else:
                await client.http.bulk_upsert_guild_commands(app_id, guild_id, payload)
        except discord.Forbidden:
            reason = ("missing access: invite the bot to that server with the `bot` and `applications.commands` "
                      "scopes (see README, \"Run it in your server\"), or remove its id from DISCORD_GUILD_IDS")
            log.error("could not register commands in %s: %s", scope, reason)
            report.failed.append((scope, reason))
            continue
        except discord.HTTPException as exc:
            log.error("could not register commands in %s: %s", scope, exc)
            report.failed.append((scope, str(exc)))
            continue
        if payload:
            state.put(api_base, app_id, scope, digest)
            report.synced.append(scope)
        else:
            state.put(api_base, app_id, scope, None)
            report.cleared.append(scope)
    log.info("slash commands: registered %s, unchanged %s, cleared %s", report.synced or "-",
             report.unchanged or "-", report.cleared or "-")
    return report
