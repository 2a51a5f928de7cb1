"""Messages and interactions the fake knows about, with Discord's create/edit semantics.

Holding real message state (not just request logs) is what lets tests ask "what does
the user see now?" after a defer + edit + followup sequence, and lets button clicks
carry the exact message the bot produced, which discord.py needs to route the click
to the right ``View``.
"""

from __future__ import annotations

import copy
import re
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import payloads as p
from .payloads import Payload, SnowflakeFactory
from .records import UploadedFile
from .world import FakeUser, World

USER_MENTION = re.compile(r"<@!?(\d+)>")
ROLE_MENTION = re.compile(r"<@&(\d+)>")


@dataclass
class InteractionRecord:
    """An interaction the fake dispatched and what the bot did with it."""

    id: int
    token: str
    kind: int  # interaction type: 2 command, 3 component, 4 autocomplete
    payload: Payload
    channel_id: int
    guild_id: int | None
    user: FakeUser
    created: float = field(default_factory=time.monotonic)
    callback_type: int | None = None
    callback_data: Payload | None = None
    original_message_id: int | None = None
    followup_ids: list[int] = field(default_factory=list)

    @property
    def choices(self) -> list[Payload] | None:
        """Autocomplete choices from a type 8 callback, if one arrived."""
        if self.callback_type != 8 or self.callback_data is None:
            return None
        return list(self.callback_data.get("choices", []))


@dataclass
class Blob:
    """Bytes behind an attachment URL served by the fake."""

    filename: str
    data: bytes
    content_type: str | None


class MessageStore:
    """All messages by id, per-channel order, interactions by id and token, attachment bytes."""

    def __init__(self, world: World, ids: SnowflakeFactory, attachment_url: Callable[[int, int, str], str]) -> None:
        self.world = world
        self.ids = ids
        self._attachment_url = attachment_url
        self.messages: dict[int, Payload] = {}
        self.channel_order: dict[int, list[int]] = {}
        self.deleted: set[int] = set()
        self.blobs: dict[int, Blob] = {}
        self.interactions: dict[int, InteractionRecord] = {}
        self.by_token: dict[str, InteractionRecord] = {}

    # -- attachments ----------------------------------------------------------------
    def add_attachment(self, filename: str, data: bytes, content_type: str | None, channel_id: int) -> Payload:
        """Store bytes and return the attachment payload whose ``url`` serves them."""
        att_id = self.ids.next()
        self.blobs[att_id] = Blob(filename, data, content_type)
        url = self._attachment_url(channel_id, att_id, filename)
        return p.attachment_payload(att_id, filename, len(data), content_type, url)

    def _attachments(self, body: Mapping[str, Any], files: list[UploadedFile], channel_id: int,
                     existing: list[Payload]) -> list[Payload] | None:
        """Resolve ``attachments`` (file indexes or kept ids) + uploaded files; None = unchanged."""
        by_index: dict[int, UploadedFile] = {}
        for f in files:
            m = re.fullmatch(r"files\[(\d+)\]", f.field)
            by_index[int(m.group(1)) if m else len(by_index)] = f
        if "attachments" not in body:
            if not files:
                return None
            return existing + [self.add_attachment(f.filename, f.data, f.content_type, channel_id) for f in files]
        kept = {a["id"]: a for a in existing}
        result: list[Payload] = []
        for item in body.get("attachments") or []:
            att_id = str(item.get("id"))
            if att_id in kept:
                result.append(kept[att_id])
            elif att_id.isdigit() and int(att_id) in by_index:
                up = by_index[int(att_id)]
                payload = self.add_attachment(item.get("filename") or up.filename, up.data, up.content_type, channel_id)
                payload["description"] = item.get("description")
                result.append(payload)
        return result

    # -- mentions -------------------------------------------------------------------
    def _mentions(self, body: Mapping[str, Any], author: FakeUser, guild_id: int | None,
                  replied: Payload | None) -> tuple[list[Payload], list[str], bool]:
        """Who actually gets pinged, applying ``allowed_mentions`` like Discord does."""
        content = body.get("content") or ""
        allowed = body.get("allowed_mentions")
        parse = ["users", "roles", "everyone"] if allowed is None else list(allowed.get("parse", []))
        explicit_users = {int(u) for u in (allowed or {}).get("users", [])}
        explicit_roles = {int(r) for r in (allowed or {}).get("roles", [])}
        replied_user = True if allowed is None else bool(allowed.get("replied_user", False))
        guild = self.world.guild_of(guild_id) if guild_id else None
        perms = guild.permissions_for(author) if guild is not None else 0

        user_ids = [int(u) for u in USER_MENTION.findall(content)]
        pinged = [u for u in dict.fromkeys(user_ids) if "users" in parse or u in explicit_users]
        if replied is not None and replied_user:
            pinged.append(int(replied["author"]["id"]))
        users = []
        for uid in dict.fromkeys(pinged):
            user = self.world.users.get(uid)
            if user is None:
                continue
            data = p.user_payload(user)
            if guild is not None and guild.is_member(user):
                data["member"] = guild.member_payload(user, with_user=False)
            users.append(data)
        roles = []
        for rid in dict.fromkeys(int(r) for r in ROLE_MENTION.findall(content)):
            role = self.world.roles.get(rid)
            if role is not None and guild is not None and role.guild_id not in (None, guild.id):
                continue  # another guild's role: not a mention here
            can_ping = role is not None and (role.mentionable or bool(perms & p.MENTION_EVERYONE))
            if can_ping and ("roles" in parse or rid in explicit_roles):
                roles.append(str(rid))
        everyone = ("@everyone" in content or "@here" in content) and "everyone" in parse
        return users, roles, everyone and bool(perms & p.MENTION_EVERYONE)

    # -- messages -------------------------------------------------------------------
    def create(
        self,
        *,
        channel_id: int,
        author: FakeUser,
        body: Mapping[str, Any],
        files: list[UploadedFile] | None = None,
        message_type: int = 0,
        interaction: InteractionRecord | None = None,
        webhook_id: int | None = None,
    ) -> Payload:
        """Create and store a message from a create body; returns the stored payload."""
        channel = self.world.channels.get(channel_id)
        guild_id = channel.guild_id if channel is not None else None
        msg_id = self.ids.next()
        ref = body.get("message_reference")
        replied = self.messages.get(int(ref["message_id"])) if ref and ref.get("message_id") else None
        users, roles, everyone = self._mentions(body, author, guild_id, replied)
        message: Payload = {
            "id": str(msg_id),
            "type": 19 if replied is not None else message_type,
            "channel_id": str(channel_id),
            "author": p.user_payload(author),
            "content": body.get("content") or "",
            "timestamp": p.iso(p.snowflake_time(msg_id)),
            "edited_timestamp": None,
            "tts": bool(body.get("tts", False)),
            "mention_everyone": everyone,
            "mentions": users,
            "mention_roles": roles,
            "attachments": self._attachments(body, files or [], channel_id, []) or [],
            "embeds": [{"type": "rich", **e} for e in body.get("embeds") or []],
            "components": _with_component_ids(body.get("components") or []),
            "reactions": [],
            "pinned": False,
            "flags": int(body.get("flags") or 0),
        }
        if guild_id is not None:
            message["guild_id"] = str(guild_id)
            guild = self.world.guild_of(guild_id)
            if guild.is_member(author):
                message["member"] = guild.member_payload(author, with_user=False)
        if body.get("nonce") is not None:
            message["nonce"] = body["nonce"]
        if replied is not None:
            message["message_reference"] = {
                "type": 0, "message_id": replied["id"], "channel_id": replied["channel_id"],
                **({"guild_id": str(guild_id)} if guild_id else {}),
            }
            message["referenced_message"] = {k: v for k, v in replied.items() if k != "referenced_message"}
        if webhook_id is not None:
            message["webhook_id"] = str(webhook_id)
            message["application_id"] = str(webhook_id)
        if interaction is not None:
            message["interaction_metadata"] = {
                "id": str(interaction.id),
                "type": interaction.kind,
                "user": p.user_payload(interaction.user),
                "authorizing_integration_owners": interaction.payload.get("authorizing_integration_owners", {}),
            }
        self.messages[msg_id] = message
        self.channel_order.setdefault(channel_id, []).append(msg_id)
        return message

    def edit(self, message_id: int, body: Mapping[str, Any], files: list[UploadedFile] | None = None) -> Payload:
        """Apply an edit body (only the keys present change) and clear the loading flag."""
        message = self.messages[message_id]
        if "content" in body:
            message["content"] = body["content"] or ""
        if "embeds" in body:
            message["embeds"] = [{"type": "rich", **e} for e in body["embeds"] or []]
        if "components" in body:
            message["components"] = _with_component_ids(body["components"] or [])
        attachments = self._attachments(body, files or [], int(message["channel_id"]), message["attachments"])
        if attachments is not None:
            message["attachments"] = attachments
        flags = int(message.get("flags", 0))
        if body.get("flags") is not None:
            flags = (flags & p.FLAG_EPHEMERAL) | (int(body["flags"]) & ~p.FLAG_EPHEMERAL)
        message["flags"] = flags & ~p.FLAG_LOADING
        if "content" in body or "allowed_mentions" in body:
            author = self.world.users.get(int(message["author"]["id"])) or self.world.bot_user
            guild_id = int(message["guild_id"]) if "guild_id" in message else None
            merged = {"content": message["content"], "allowed_mentions": body.get("allowed_mentions")}
            message["mentions"], message["mention_roles"], message["mention_everyone"] = self._mentions(
                merged, author, guild_id, None)
        message["edited_timestamp"] = p.iso()
        return message

    def delete(self, message_id: int) -> None:
        """Forget a message (kept in ``deleted`` so tests can assert on deletions)."""
        message = self.messages.pop(message_id, None)
        if message is not None:
            self.deleted.add(message_id)
            self.channel_order.get(int(message["channel_id"]), []).remove(message_id)

    def in_channel(self, channel_id: int) -> list[Payload]:
        """Current state of every live message in a channel, oldest first (deep copies)."""
        return [copy.deepcopy(self.messages[i]) for i in self.channel_order.get(channel_id, [])]

    # -- interactions -----------------------------------------------------------------
    def new_interaction(self, kind: int, channel_id: int, guild_id: int | None, user: FakeUser) -> InteractionRecord:
        """Allocate id + token for an interaction about to be dispatched."""
        record = InteractionRecord(self.ids.next(), "fake-ix-" + secrets.token_urlsafe(24), kind, {},
                                   channel_id, guild_id, user)
        self.interactions[record.id] = record
        self.by_token[record.token] = record
        return record


def _with_component_ids(components: list[Payload]) -> list[Payload]:
    """Number components depth-first like Discord does, keeping ids the bot chose."""
    counter = 0

    def visit(items: list[Payload]) -> list[Payload]:
        nonlocal counter
        out = []
        for item in items:
            counter += 1
            new = {**item, "id": item.get("id", counter)}
            if isinstance(item.get("components"), list):
                new["components"] = visit(item["components"])
            out.append(new)
        return out

    return visit(copy.deepcopy(components))
