"""Builders for the INTERACTION_CREATE and MESSAGE_CREATE events tests inject.

Payload shapes follow ``discord/interactions.py`` (``Interaction._from_data``) and
``discord/app_commands/namespace.py``: options carry Discord's numeric ``type``;
snowflake options (user/channel/role/attachment) are string ids backed by
``data.resolved``; ``member.permissions`` is a string bit set that discord.py's
permission checks read; ``attachment_size_limit`` is a required key.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from . import payloads as p
from .payloads import Payload
from .store import InteractionRecord
from .world import FakeChannel, FakeRole, FakeUser, World

if TYPE_CHECKING:
    from .server import FakeDiscord

OptionValues = Mapping[str, Any] | Sequence[Payload]


def infer_type(value: Any) -> int:
    """Option type for a Python value when the command definition does not say."""
    if isinstance(value, bool):
        return p.OPT_BOOLEAN
    if isinstance(value, int):
        return p.OPT_INTEGER
    if isinstance(value, float):
        return p.OPT_NUMBER
    if isinstance(value, FakeUser):
        return p.OPT_USER
    if isinstance(value, FakeRole):
        return p.OPT_ROLE
    if isinstance(value, FakeChannel):
        return p.OPT_CHANNEL
    if isinstance(value, Mapping) and "filename" in value:
        return p.OPT_ATTACHMENT
    return p.OPT_STRING


class EventFactory:
    """Turns test-friendly arguments into exact gateway payloads."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake

    @property
    def world(self) -> World:
        return self.fake.world

    # -- interactions ------------------------------------------------------------------
    def interaction(
        self, kind: int, data: Payload, *, user: FakeUser, channel: FakeChannel, message: Payload | None = None
    ) -> InteractionRecord:
        """Create the record and the full INTERACTION_CREATE body for it."""
        world = self.world
        guild_id = channel.guild_id
        guild = world.guild_of(guild_id) if guild_id is not None else None
        if guild is not None and not guild.bot_member:
            raise LookupError(f"the bot is not in guild {guild.name!r} ({guild.id}): Discord would not deliver this")
        ix = self.fake.store.new_interaction(kind, channel.id, guild_id, user)
        payload: Payload = {
            "id": str(ix.id),
            "application_id": str(world.application_id),
            "type": kind,
            "token": ix.token,
            "version": 1,
            "data": data,
            "channel_id": str(channel.id),
            "channel": world.channel_payload(channel),
            "app_permissions": str(
                guild.permissions_for(world.bot_user) if guild is not None else p.DEFAULT_EVERYONE_PERMISSIONS
            ),
            "locale": "en-US",
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": p.ATTACHMENT_SIZE_LIMIT,
        }
        if guild is not None:
            perms = guild.permissions_for(user)
            payload["channel"]["permissions"] = str(perms)
            payload.update({
                "guild_id": str(guild_id),
                "guild": {"id": str(guild_id), "locale": "en-US", "features": []},
                "guild_locale": "en-US",
                "member": guild.member_payload(user, permissions=perms),
                "authorizing_integration_owners": {"0": str(guild_id)},
                "context": 0,
            })
        else:
            payload.update({"user": p.user_payload(user), "authorizing_integration_owners": {"0": "0"}, "context": 1})
        if message is not None:
            payload["message"] = copy.deepcopy(message)
        ix.payload = payload
        return ix

    def command_data(
        self,
        name: str,
        options: OptionValues | None,
        *,
        guild: bool | int | None,
        subcommand: str | None = None,
        focused: str | None = None,
    ) -> Payload:
        """``data`` of a chat-input command, options typed from the registered definition.

        ``guild``: the guild id it is invoked in (True: the default guild; False or None: a DM).
        """
        guild_id = _guild_id(self.world, guild)
        command = self.fake.commands.find(name, 1, guild_id)
        if command is None and self.fake.require_registered_commands:
            raise LookupError(f"/{name} is not registered (synced commands: {self.fake.registered_command_names()})")
        defs: list[Payload] = list((command or {}).get("options", []))
        path: list[tuple[str, int]] = []
        parts = (subcommand or "").split()
        for i, part in enumerate(parts):
            spec = next((d for d in defs if d.get("name") == part), None)
            if spec is None and command is not None:
                raise LookupError(f"/{name} has no subcommand (group) {part!r}")
            guessed = p.OPT_SUB_COMMAND if i == len(parts) - 1 else p.OPT_SUB_COMMAND_GROUP
            path.append((part, int(spec["type"]) if spec else guessed))
            defs = list(spec.get("options", [])) if spec else []
        resolved: Payload = {}
        leaf = self._options(defs, options, resolved, guild=guild_id, focused=focused)
        for part, kind in reversed(path):
            leaf = [{"name": part, "type": kind, "options": leaf}]
        data: Payload = {"id": (command or {}).get("id", str(self.fake.ids.next())), "name": name, "type": 1,
                         "options": leaf}
        if command is not None and "guild_id" in command:
            data["guild_id"] = command["guild_id"]
        if resolved:
            data["resolved"] = resolved
        return data

    def _options(
        self, defs: list[Payload], values: OptionValues | None, resolved: Payload, *, guild: int | None,
        focused: str | None
    ) -> list[Payload]:
        if values is None:
            values = {}
        if not isinstance(values, Mapping):
            return [dict(v) for v in values]  # raw option dicts: caller has full control
        flat = {d["name"]: d for d in defs}
        values = dict(values)
        if focused is not None and focused not in values:
            values[focused] = ""
        if flat:
            unknown = sorted(set(values) - set(flat))
            missing = [n for n, d in flat.items() if d.get("required") and n not in values]
            if unknown or (missing and focused is None):
                raise LookupError(
                    f"bad options: unknown {unknown}, missing required {missing}; defined: {sorted(flat)}"
                )
        out = []
        for opt_name, value in values.items():
            spec = flat.get(opt_name)
            allowed = [c["value"] for c in (spec or {}).get("choices") or []]
            if allowed and opt_name != focused and value not in allowed:
                raise ValueError(f"{value!r} is not one of the choices of {opt_name!r}: {allowed}")
            kind = int(spec["type"]) if spec else infer_type(value)
            option: Payload = {"name": opt_name, "type": kind, "value": self._value(kind, value, resolved, guild)}
            if opt_name == focused:
                option["focused"] = True
                option["value"] = value if isinstance(value, (str, int, float)) else str(value)
            out.append(option)
        return out

    def _value(self, kind: int, value: Any, resolved: Payload, guild: int | None) -> Any:
        world = self.world
        place = world.guild_of(guild) if guild is not None else None
        if kind in (p.OPT_USER, p.OPT_MENTIONABLE) and not isinstance(value, FakeRole):
            user = value if isinstance(value, FakeUser) else world.users[int(value)]
            resolved.setdefault("users", {})[str(user.id)] = p.user_payload(user)
            if place is not None and place.is_member(user):
                member = place.member_payload(user, with_user=False, permissions=place.permissions_for(user))
                resolved.setdefault("members", {})[str(user.id)] = member
            return str(user.id)
        if kind in (p.OPT_ROLE, p.OPT_MENTIONABLE):
            role = value if isinstance(value, FakeRole) else world.roles[int(value)]
            resolved.setdefault("roles", {})[str(role.id)] = p.role_payload(role)
            return str(role.id)
        if kind == p.OPT_CHANNEL:
            channel = value if isinstance(value, FakeChannel) else world.channels[int(value)]
            where = world.guild_of(channel.guild_id) if channel.guild_id is not None else place
            bot_perms = where.permissions_for(world.bot_user) if where is not None else p.DEFAULT_EVERYONE_PERMISSIONS
            data = {**world.channel_payload(channel), "permissions": str(bot_perms)}
            resolved.setdefault("channels", {})[str(channel.id)] = data
            return str(channel.id)
        if kind == p.OPT_ATTACHMENT:
            resolved.setdefault("attachments", {})[str(value["id"])] = dict(value)
            return str(value["id"])
        if kind == p.OPT_NUMBER and isinstance(value, (int, float)):
            return float(value)
        return value

    # -- user messages -------------------------------------------------------------------
    def user_message(
        self, content: str, *, author: FakeUser, channel: FakeChannel, mentions_bot: bool,
        reference: Payload | None, attachments: Sequence[Payload] = (),
    ) -> Payload:
        """Store a message a user sent and return the MESSAGE_CREATE body."""
        bot = self.world.bot_user
        if mentions_bot and bot.mention not in content and f"<@!{bot.id}>" not in content:
            content = f"{bot.mention} {content}"
        body: Payload = {"content": content}
        if reference is not None:
            body["message_reference"] = {"message_id": reference["id"], "channel_id": reference["channel_id"]}
        message = self.fake.store.create(channel_id=channel.id, author=author, body=body)
        if attachments:
            message["attachments"] = [dict(a) for a in attachments]
        return message


def _guild_id(world: World, guild: bool | int | None) -> int | None:
    """True → the default guild's id; False/None → None (a DM); an id stays."""
    if guild is True:
        return world.guild_id
    if guild is False or guild is None:
        return None
    return int(guild)
