"""Application command registry (what ``tree.sync()`` uploads) with Discord's validation.

Storing the synced commands lets ``fake.slash(...)`` type options from the real
definitions (a ``4`` for an ``int`` option, a ``6`` + ``resolved.users`` for a user
option) and fail early when a test invokes a command the bot never registered.
Ids stay stable across re-syncs, as on Discord, because discord.py and users may
hold on to them (e.g. for ``</name:id>`` mentions).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from . import payloads as p
from .limits import Problem
from .payloads import Payload, SnowflakeFactory

SLASH_NAME = re.compile(r"^[-_\w]{1,32}$")


def _check_option(problems: list[Problem], base: str, option: Mapping[str, Any]) -> None:
    name, desc = option.get("name", ""), option.get("description", "")
    if not SLASH_NAME.match(name) or name != name.lower():
        problems.append((f"{base}.name", "Invalid application command option name", 32, len(name)))
    if not 1 <= len(desc) <= 100:
        problems.append((f"{base}.description", "Must be between 1 and 100 in length.", 100, len(desc)))
    choices = option.get("choices") or []
    if len(choices) > 25:
        problems.append((f"{base}.choices", "Must be 25 or fewer in length.", 25, len(choices)))
    for i, choice in enumerate(choices):
        if not 1 <= len(str(choice.get("name", ""))) <= 100:
            problems.append((f"{base}.choices.{i}.name", "Must be between 1 and 100 in length.", 100, None))
    children = option.get("options") or []
    if len(children) > 25:
        problems.append((f"{base}.options", "Must be 25 or fewer in length.", 25, len(children)))
    seen_optional = False
    for i, child in enumerate(children):
        if child.get("type") not in (p.OPT_SUB_COMMAND, p.OPT_SUB_COMMAND_GROUP):
            if child.get("required") and seen_optional:
                message = "Required options must be placed before non-required options"
                problems.append((f"{base}.options.{i}.required", message, None, None))
            seen_optional = seen_optional or not child.get("required")
        _check_option(problems, f"{base}.options.{i}", child)


def check_command(index: int, body: Mapping[str, Any]) -> list[Problem]:
    """Validate one command of a bulk overwrite the way Discord does (names, lengths, counts)."""
    problems: list[Problem] = []
    kind = body.get("type", 1)
    if kind == 1:
        _check_option(problems, str(index), body)
    else:
        name = body.get("name", "")
        if not 1 <= len(name) <= 32:
            problems.append((f"{index}.name", "Must be between 1 and 32 in length.", 32, len(name)))
        if body.get("description"):
            problems.append((f"{index}.description", "Context menu commands cannot have a description", None, None))
    return problems


class CommandRegistry:
    """Global (``guild_id=None``) and guild command lists, keyed by ``(name, type)``."""

    def __init__(self, ids: SnowflakeFactory, application_id: int) -> None:
        self.ids = ids
        self.application_id = application_id
        self.scopes: dict[int | None, dict[tuple[str, int], Payload]] = {}

    def overwrite(self, guild_id: int | None, bodies: list[Payload]) -> tuple[list[Payload], list[Problem]]:
        """Bulk overwrite a scope; returns (stored commands, problems). Nothing changes on problems."""
        problems = [pr for i, body in enumerate(bodies) for pr in check_command(i, body)]
        keys = [(b.get("name", ""), int(b.get("type", 1))) for b in bodies]
        if len(set(keys)) != len(keys):
            problems.append(("_errors", "Application command names must be unique", None, None))
        if len(bodies) > 100:
            problems.append(("_errors", "Must be 100 or fewer in length.", 100, len(bodies)))
        if problems:
            return [], problems
        old = self.scopes.get(guild_id, {})
        new: dict[tuple[str, int], Payload] = {}
        for key, body in zip(keys, bodies, strict=True):
            previous = old.get(key)
            if previous is not None and all(previous.get(k) == v for k, v in body.items()):
                new[key] = previous
                continue
            command_id = int(previous["id"]) if previous else self.ids.next()
            new[key] = p.command_object(body, command_id=command_id, application_id=self.application_id,
                                        version=self.ids.next(), guild_id=guild_id)
        self.scopes[guild_id] = new
        return list(new.values()), []

    def upsert(self, guild_id: int | None, body: Payload) -> tuple[Payload | None, list[Problem]]:
        """Create or replace a single command (``POST .../commands``)."""
        current = [c for key, c in self.scopes.get(guild_id, {}).items()
                   if key != (body.get("name", ""), int(body.get("type", 1)))]
        stripped = [{k: v for k, v in c.items() if k not in ("id", "application_id", "version", "guild_id")}
                    for c in current]
        stored, problems = self.overwrite(guild_id, stripped + [body])
        return (stored[-1] if stored else None), problems

    def delete(self, guild_id: int | None, command_id: int) -> bool:
        """Remove a command by id; False if unknown."""
        scope = self.scopes.get(guild_id, {})
        for key, command in list(scope.items()):
            if int(command["id"]) == command_id:
                del scope[key]
                return True
        return False

    def list(self, guild_id: int | None) -> list[Payload]:
        """Commands of a scope in registration order."""
        return list(self.scopes.get(guild_id, {}).values())

    def find(self, name: str, kind: int, guild_id: int | None) -> Payload | None:
        """Guild command first (if ``guild_id``), then global, like Discord's client does."""
        scopes = [guild_id, None] if guild_id is not None else [None]
        for scope in scopes:
            command = self.scopes.get(scope, {}).get((name, kind))
            if command is not None:
                return command
        return None
