"""Message-producing routes: interaction callbacks, interaction webhooks, channel messages.

Every body that creates or edits a message passes the limit checks first. Interaction
semantics follow Discord: one callback per interaction (40060 otherwise), the callback
must arrive within the deadline (10062 otherwise), followups need an acknowledged
interaction, and ``@original`` after a component ack (type 6/7) is the clicked message.
"""

from __future__ import annotations

import copy
import re
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from . import payloads as p
from .limits import Violation, check_choices, check_message, is_empty_message
from .records import Recorded
from .rest import Reply, RestApi, error
from .store import InteractionRecord
from .world import FakeChannel

if TYPE_CHECKING:
    from .server import FakeDiscord

# Callback types each interaction type accepts (Discord returns 400 for the others).
ALLOWED_CALLBACKS = {1: {1}, 2: {4, 5, 9}, 3: {4, 5, 6, 7, 9}, 4: {8}, 5: {4, 5, 6, 7}}
UNKNOWN_WEBHOOK = error(404, 10015, "Unknown Webhook")
UNKNOWN_MESSAGE = error(404, 10008, "Unknown Message")


class MessageRoutes:
    """Handlers registered on :class:`RestApi`; they share the fake's store and world."""

    def __init__(self, fake: FakeDiscord, api: RestApi) -> None:
        self.fake = fake
        self.api = api

    def register(self) -> None:
        """Add this module's routes to the API router."""
        add = self.api.add
        hook = r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)"
        chan = r"/channels/(?P<channel>\d+)"
        add("POST", r"/interactions/(?P<ix>\d+)/(?P<token>[^/]+)/callback", self.callback, auth=False)
        add("POST", hook, self.followup, auth=False)
        for method, handler in (("GET", self.hook_get), ("PATCH", self.hook_edit), ("DELETE", self.hook_delete)):
            add(method, hook + r"/messages/(?P<msg>@original|\d+)", handler, auth=False)
        add("GET", chan, self.get_channel)
        add("GET", chan + r"/messages", self.history)
        add("POST", chan + r"/messages", self.create)
        add("GET", chan + r"/messages/(?P<msg>\d+)", self.get_message)
        add("PATCH", chan + r"/messages/(?P<msg>\d+)", self.edit)
        add("DELETE", chan + r"/messages/(?P<msg>\d+)", self.delete)
        add("POST", chan + r"/typing", self.no_content)
        add("POST", chan + r"/threads", self.start_thread)
        add("PUT", chan + r"/messages/(?P<msg>\d+)/reactions/(?P<emoji>[^/]+)/@me", self.no_content)
        add("DELETE", chan + r"/messages/(?P<msg>\d+)/reactions/(?P<emoji>[^/]+)/@me", self.no_content)

    # -- helpers ---------------------------------------------------------------------
    def _validate(self, rec: Recorded, body: Mapping[str, Any], *, creating: bool) -> Reply | None:
        problems = check_message(body)
        if problems:
            return self.api.invalid(rec, problems)
        if creating and is_empty_message(body, bool(rec.files)):
            self.fake.violations.append(Violation(rec.method, rec.path, "", "Cannot send an empty message"))
            return error(400, 50006, "Cannot send an empty message")
        return None

    async def _echo(self, event: str, data: p.Payload) -> None:
        """Mirror what Discord sends over the gateway after a REST write by the bot."""
        if self.fake.echo_bot_messages:  # to the shard of the message's guild, if it is connected
            await self.fake.hub.dispatch(event, copy.deepcopy(data), strict=False)

    def _interaction(self, m: re.Match[str]) -> InteractionRecord | None:
        ix = self.fake.store.by_token.get(m["token"])
        if ix is None or int(m["app"]) != self.fake.world.application_id:
            return None
        return ix

    def _hook_message_id(self, ix: InteractionRecord, raw: str) -> int | None:
        msg_id = ix.original_message_id if raw == "@original" else int(raw)
        if msg_id is None or msg_id not in self.fake.store.messages:
            return None
        if raw != "@original" and msg_id not in ix.followup_ids and msg_id != ix.original_message_id:
            return None
        return msg_id

    async def no_content(self, rec: Recorded, m: re.Match[str]) -> Reply:
        return Reply(204)

    # -- interaction callback ---------------------------------------------------------
    async def callback(self, rec: Recorded, m: re.Match[str]) -> Reply:
        store, world = self.fake.store, self.fake.world
        ix = store.interactions.get(int(m["ix"]))
        if ix is None or ix.token != m["token"]:
            return error(404, 10062, "Unknown interaction")
        if ix.callback_type is not None:
            return error(400, 40060, "Interaction has already been acknowledged.")
        deadline = self.fake.interaction_deadline_s
        elapsed = time.monotonic() - ix.created
        if deadline is not None and elapsed > deadline:
            late = f"callback after {elapsed:.2f}s > {deadline}s"
            self.fake.violations.append(Violation(rec.method, rec.path, "", late))
            return error(404, 10062, "Unknown interaction")
        body = rec.json or {}
        kind, data = int(body.get("type", 0)), dict(body.get("data") or {})
        if kind not in ALLOWED_CALLBACKS.get(ix.kind, set()):
            wrong = f"Callback type {kind} is invalid for interaction type {ix.kind}"
            return self.api.invalid(rec, [("type", wrong, None, None)])
        message: p.Payload | None = None
        clicked = int(ix.payload["message"]["id"]) if "message" in ix.payload else None
        if kind == 4:
            invalid = self._validate(rec, data, creating=True)
            if invalid:
                return invalid
            message = store.create(channel_id=ix.channel_id, author=world.bot_user, body=data, files=rec.files,
                                   message_type=self._message_type(ix), interaction=ix,
                                   webhook_id=world.application_id)
        elif kind == 5:
            flags = p.FLAG_LOADING | (int(data.get("flags") or 0) & p.FLAG_EPHEMERAL)
            message = store.create(channel_id=ix.channel_id, author=world.bot_user, body={"flags": flags},
                                   message_type=self._message_type(ix), interaction=ix,
                                   webhook_id=world.application_id)
        elif kind in (6, 7) and clicked is not None and clicked in store.messages:
            if kind == 7:
                invalid = self._validate(rec, data, creating=False)
                if invalid:
                    return invalid
                store.edit(clicked, data, rec.files)
            message = store.messages[clicked]
        elif kind == 8:
            problems = check_choices(data)
            if problems:
                return self.api.invalid(rec, problems)
        ix.callback_type, ix.callback_data = kind, data
        if message is not None:
            ix.original_message_id = int(message["id"])
        info: p.Payload = {"id": str(ix.id), "type": ix.kind, "response_message_loading": kind == 5,
                           "response_message_ephemeral": bool(message and int(message["flags"]) & p.FLAG_EPHEMERAL)}
        resource: p.Payload = {"type": kind}
        if message is not None:
            info["response_message_id"] = message["id"]
            resource["message"] = copy.deepcopy(message)
        if rec.query.get("with_response", "").lower() not in ("1", "true"):
            return Reply(204)  # what Discord answers without ?with_response
        return Reply(200, {"interaction": info, "resource": resource})

    @staticmethod
    def _message_type(ix: InteractionRecord) -> int:
        if ix.kind != 2:
            return 0
        return 20 if ix.payload.get("data", {}).get("type", 1) == 1 else 23

    # -- interaction webhooks --------------------------------------------------------
    async def followup(self, rec: Recorded, m: re.Match[str]) -> Reply:
        ix = self._interaction(m)
        if ix is None or ix.callback_type is None:
            return UNKNOWN_WEBHOOK
        body = rec.json or {}
        invalid = self._validate(rec, body, creating=True)
        if invalid:
            return invalid
        message = self.fake.store.create(channel_id=ix.channel_id, author=self.fake.world.bot_user, body=body,
                                         files=rec.files, interaction=ix, webhook_id=self.fake.world.application_id)
        ix.followup_ids.append(int(message["id"]))
        if rec.query.get("wait") in ("0", "false"):
            return Reply(204)
        return Reply(200, copy.deepcopy(message))

    async def hook_get(self, rec: Recorded, m: re.Match[str]) -> Reply:
        ix = self._interaction(m)
        msg_id = self._hook_message_id(ix, m["msg"]) if ix else None
        return UNKNOWN_MESSAGE if msg_id is None else Reply(200, copy.deepcopy(self.fake.store.messages[msg_id]))

    async def hook_edit(self, rec: Recorded, m: re.Match[str]) -> Reply:
        ix = self._interaction(m)
        if ix is None:
            return UNKNOWN_WEBHOOK
        msg_id = self._hook_message_id(ix, m["msg"])
        if msg_id is None:
            return UNKNOWN_MESSAGE
        invalid = self._validate(rec, rec.json or {}, creating=False)
        if invalid:
            return invalid
        return Reply(200, copy.deepcopy(self.fake.store.edit(msg_id, rec.json or {}, rec.files)))

    async def hook_delete(self, rec: Recorded, m: re.Match[str]) -> Reply:
        ix = self._interaction(m)
        msg_id = self._hook_message_id(ix, m["msg"]) if ix else None
        if msg_id is None:
            return UNKNOWN_MESSAGE
        self.fake.store.delete(msg_id)
        return Reply(204)

    # -- channels -------------------------------------------------------------------
    async def get_channel(self, rec: Recorded, m: re.Match[str]) -> Reply:
        channel = self.fake.world.channels.get(int(m["channel"]))
        return Reply(200, self.fake.world.channel_payload(channel)) if channel else error(404, 10003, "Unknown Channel")

    async def history(self, rec: Recorded, m: re.Match[str]) -> Reply:
        if int(m["channel"]) not in self.fake.world.channels:
            return error(404, 10003, "Unknown Channel")
        limit = int(rec.query.get("limit", "50"))
        return Reply(200, list(reversed(self.fake.store.in_channel(int(m["channel"]))))[:limit])

    async def create(self, rec: Recorded, m: re.Match[str]) -> Reply:
        world, store = self.fake.world, self.fake.store
        channel_id = int(m["channel"])
        if channel_id not in world.channels:
            return error(404, 10003, "Unknown Channel")
        guild_id = world.channels[channel_id].guild_id
        if guild_id is not None and not world.guild_of(guild_id).bot_member:
            return error(403, 50001, "Missing Access")
        if guild_id is not None:  # as Discord: Send Messages (in a thread: Send Messages in Threads)
            needed = p.SEND_MESSAGES_IN_THREADS if world.channels[channel_id].type in (
                p.PUBLIC_THREAD, p.PRIVATE_THREAD) else p.SEND_MESSAGES
            if not world.guild_of(guild_id).permissions_for(world.bot_user) & needed:
                return error(403, 50013, "Missing Permissions")
        body = rec.json or {}
        invalid = self._validate(rec, body, creating=True)
        if invalid:
            return invalid
        ref = body.get("message_reference")
        if ref and ref.get("message_id") and int(ref["message_id"]) not in store.messages:
            if ref.get("fail_if_not_exists", True):
                return self.api.invalid(rec, [("message_reference", "Unknown message", None, None)])
            body = {k: v for k, v in body.items() if k != "message_reference"}
        message = store.create(channel_id=channel_id, author=world.bot_user, body=body, files=rec.files)
        await self._echo("MESSAGE_CREATE", message)
        return Reply(200, copy.deepcopy(message))

    async def start_thread(self, rec: Recorded, m: re.Match[str]) -> Reply:
        """Start Thread without Message (``POST /channels/{id}/threads``): a thread in a guild text channel.

        As Discord: the channel must exist (10003) and be a text channel (50024 otherwise), the bot must be in
        the guild (50001) with Create Public Threads (or Create Private Threads for type 12; 50013), ``name``
        is 1-100 characters and ``auto_archive_duration`` one of 60, 1440, 4320, 10080 (400 otherwise); the
        default type is 12 (private). Replies with the thread channel and sends THREAD_CREATE.
        """
        world = self.fake.world
        channel = world.channels.get(int(m["channel"]))
        if channel is None:
            return error(404, 10003, "Unknown Channel")
        if channel.type != 0 or channel.guild_id is None:
            return error(400, 50024, "Cannot execute action on this channel type")
        guild = world.guild_of(channel.guild_id)
        if not guild.bot_member:
            return error(403, 50001, "Missing Access")
        body = rec.json or {}
        kind = int(body.get("type", p.PRIVATE_THREAD))
        name = body.get("name")
        duration = int(body.get("auto_archive_duration", 4320))
        problems = []
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            problems.append(("name", "Must be between 1 and 100 in length.", None, None))
        if kind not in (p.PUBLIC_THREAD, p.PRIVATE_THREAD):
            problems.append(("type", "Value must be one of {11, 12}.", None, None))
        if duration not in (60, 1440, 4320, 10080):
            problems.append(("auto_archive_duration", "Value must be one of {60, 1440, 4320, 10080}.", None, None))
        if problems:
            return self.api.invalid(rec, problems)
        needed = p.CREATE_PUBLIC_THREADS if kind == p.PUBLIC_THREAD else p.CREATE_PRIVATE_THREADS
        perms = guild.permissions_for(world.bot_user)
        if not (perms & needed or perms & p.ADMINISTRATOR):
            return error(403, 50013, "Missing Permissions")
        thread = FakeChannel(world.ids.next(), name, kind, 0, guild.id, parent_id=channel.id,
                             owner_id=world.bot_user.id, auto_archive_duration=duration)
        world.channels[thread.id] = thread
        payload = world.channel_payload(thread)
        await self._echo("THREAD_CREATE", {**payload, "newly_created": True})
        return Reply(201, copy.deepcopy(payload))

    async def get_message(self, rec: Recorded, m: re.Match[str]) -> Reply:
        message = self.fake.store.messages.get(int(m["msg"]))
        if message is None or message["channel_id"] != m["channel"]:
            return UNKNOWN_MESSAGE
        return Reply(200, copy.deepcopy(message))

    async def edit(self, rec: Recorded, m: re.Match[str]) -> Reply:
        store = self.fake.store
        message = store.messages.get(int(m["msg"]))
        if message is None or message["channel_id"] != m["channel"]:
            return UNKNOWN_MESSAGE
        if int(message["author"]["id"]) != self.fake.world.bot_user.id:
            return error(403, 50005, "Cannot edit a message authored by another user")
        invalid = self._validate(rec, rec.json or {}, creating=False)
        if invalid:
            return invalid
        updated = store.edit(int(m["msg"]), rec.json or {}, rec.files)
        await self._echo("MESSAGE_UPDATE", updated)
        return Reply(200, copy.deepcopy(updated))

    async def delete(self, rec: Recorded, m: re.Match[str]) -> Reply:
        message = self.fake.store.messages.get(int(m["msg"]))
        if message is None or message["channel_id"] != m["channel"]:
            return UNKNOWN_MESSAGE
        self.fake.store.delete(int(m["msg"]))
        event = {"id": message["id"], "channel_id": message["channel_id"]}
        if "guild_id" in message:
            event["guild_id"] = message["guild_id"]
        await self._echo("MESSAGE_DELETE", event)
        return Reply(204)
