"""The gateway websocket: HELLO, IDENTIFY, READY, a GUILD_CREATE per guild the bot is in, heartbeats, dispatches.

discord.py connects with ``compress=zlib-stream`` but parses *text* frames as plain
JSON and only inflates binary frames, so the fake sends uncompressed text frames.

Sharding, as Discord does it: a session identifies as shard ``[shard_id, shard_count]``
(``[0, 1]`` when it does not say); a guild belongs to shard ``(guild_id >> 22) % shard_count``
(:func:`~.payloads.shard_of`). Each session gets READY (with its ``shard``) and GUILD_CREATE
for its own guilds only; every event of a guild (interactions, messages, guild changes) goes
to the sessions of that guild's shard, and events of no guild (DMs) to shard 0. An unsharded
session (``[0, 1]``) so gets everything, as before sharding existed.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from . import payloads as p
from .payloads import Payload

if TYPE_CHECKING:
    from .server import FakeDiscord
    from .world import FakeGuild

HEARTBEAT_INTERVAL_MS = 41_250
CONTENT_EVENTS = {"MESSAGE_CREATE", "MESSAGE_UPDATE"}


class GatewaySession:
    """One websocket connection from a client (one shard)."""

    def __init__(self, hub: GatewayHub, ws: web.WebSocketResponse) -> None:
        self.hub = hub
        self.ws = ws
        self.seq = 0
        self.session_id = secrets.token_hex(16)
        self.intents = 0
        self.shard: list[int] = [0, 1]
        self.ready = False
        self._send_lock = asyncio.Lock()

    async def send(self, op: int, d: Any, t: str | None = None) -> None:
        """Send one frame; dispatches (op 0) get the next sequence number."""
        frame: Payload = {"op": op, "d": d, "s": None, "t": t}
        async with self._send_lock:
            if op == 0:
                self.seq += 1
                frame["s"] = self.seq
            if self.ws.closed:
                return
            await self.ws.send_str(json.dumps(frame))
        self.hub.sent.append(frame)
        self.hub.sent_to.append(((self.shard_id, self.shard_count), frame))

    @property
    def shard_id(self) -> int:
        return self.shard[0]

    @property
    def shard_count(self) -> int:
        return self.shard[1] if len(self.shard) > 1 else 1

    def serves(self, guild_id: int | None) -> bool:
        """Whether this session gets the events of ``guild_id`` (None: no guild, e.g. a DM: shard 0)."""
        if self.shard_count <= 1:
            return True
        if guild_id is None:
            return self.shard_id == 0
        return p.shard_of(guild_id, self.shard_count) == self.shard_id

    def guilds(self) -> list[FakeGuild]:
        """The guilds the bot is in that belong to this session's shard."""
        return [g for g in self.hub.fake.world.bot_guilds() if self.serves(g.id)]

    async def dispatch(self, event: str, data: Payload) -> None:
        """Send an event, hiding message content when the client lacks the intent."""
        if event in CONTENT_EVENTS and not self.intents & p.INTENT_MESSAGE_CONTENT:
            data = self.hub.fake.strip_content(data)
        await self.send(0, data, event)

    async def run(self) -> None:
        """Serve the connection until it closes."""
        await self.send(10, {"heartbeat_interval": HEARTBEAT_INTERVAL_MS})
        async for msg in self.ws:
            if msg.type != WSMsgType.TEXT:
                continue
            frame = json.loads(msg.data)
            self.hub.received.append(frame)
            op, d = frame.get("op"), frame.get("d")
            if op == 1:
                await self.send(11, None)
            elif op == 2:
                await self._identify(d)
            elif op == 6:
                await self._resume(d)
            elif op == 8:
                await self._request_members(d)

    async def _identify(self, d: Payload) -> None:
        fake = self.hub.fake
        self.hub.identifies.append(d)
        if d.get("token") != fake.token:
            await self.ws.close(code=4004, message=b"Authentication failed.")
            return
        self.intents = int(d.get("intents", 0))
        if self.intents & p.PRIVILEGED_INTENTS & ~fake.allowed_privileged_intents:
            await self.ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        shard = list(d.get("shard") or [0, 1])
        if len(shard) != 2 or not 0 <= int(shard[0]) < int(shard[1]):
            await self.ws.close(code=4010, message=b"Invalid shard.")
            return
        self.shard = [int(shard[0]), int(shard[1])]
        world = fake.world
        guilds = self.guilds()
        await self.dispatch("READY", {
            "v": p.API_VERSION,
            "user": p.me_payload(world.bot_user),
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "session_id": self.session_id,
            "session_type": "normal",
            "resume_gateway_url": fake.gateway_url,
            "shard": self.shard,
            "application": {"id": str(world.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "user_settings": {},
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "_trace": ["fake-discord"],
        })
        for guild in guilds:
            await self.dispatch("GUILD_CREATE", self.guild_create(guild))
        self._mark_ready()

    def guild_create(self, guild: FakeGuild, *, join: bool = False) -> Payload:
        """GUILD_CREATE for this session (every member with the members intent); a join (the bot was
        added after READY) has no ``unavailable`` key, so discord.py dispatches ``guild_join``."""
        data = guild.payload(all_members=bool(self.intents & p.INTENT_GUILD_MEMBERS))
        if join:
            data.pop("unavailable", None)
        return data

    async def _resume(self, d: Payload) -> None:
        old = self.hub.sessions_by_id.get(d.get("session_id", ""))
        if old is None or d.get("token") != self.hub.fake.token:
            await self.send(9, False)
            return
        self.session_id, self.intents, self.shard, self.seq = old.session_id, old.intents, old.shard, old.seq
        await self.dispatch("RESUMED", {"_trace": ["fake-discord"]})
        self._mark_ready()

    async def _request_members(self, d: Payload) -> None:
        world = self.hub.fake.world
        guild_id = d.get("guild_id")
        if isinstance(guild_id, list):  # discord.py sends one id; the API allows a list
            guild_id = guild_id[0] if guild_id else None
        try:
            guild = world.guild_of(int(guild_id) if guild_id is not None else None)
        except LookupError:
            return
        members = [guild.member_payload(u) for u in guild.members()]
        ids = {str(u) for u in d.get("user_ids") or []}
        if ids:
            members = [m for m in members if m["user"]["id"] in ids]
        chunk: Payload = {"guild_id": str(guild.id), "members": members, "chunk_index": 0, "chunk_count": 1,
                          "not_found": []}
        if d.get("nonce"):
            chunk["nonce"] = d["nonce"]
        await self.dispatch("GUILD_MEMBERS_CHUNK", chunk)

    def _mark_ready(self) -> None:
        self.ready = True
        self.hub.sessions_by_id[self.session_id] = self
        self.hub.ready_event.set()
        self.hub.changed()


class GatewayHub:
    """All gateway sessions; tracks readiness and fans dispatches out to ready sessions."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.sessions: list[GatewaySession] = []
        self.sessions_by_id: dict[str, GatewaySession] = {}
        self.ready_event = asyncio.Event()
        self.identifies: list[Payload] = []
        self.received: list[Payload] = []
        self.sent: list[Payload] = []
        self.sent_to: list[tuple[tuple[int, int], Payload]] = []  # (the session's shard, frame), every session
        self._waiters: list[tuple[Callable[[], bool], asyncio.Future[None]]] = []

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """aiohttp handler for ``GET /gateway``."""
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        session = GatewaySession(self, ws)
        self.sessions.append(session)
        try:
            await session.run()
        finally:
            session.ready = False
            self.sessions.remove(session)
            if not any(s.ready for s in self.sessions):
                self.ready_event.clear()
            self.changed()
        return ws

    def ready_sessions(self) -> list[GatewaySession]:
        """Sessions that completed IDENTIFY or RESUME and are still open."""
        return [s for s in self.sessions if s.ready and not s.ws.closed]

    def sessions_for(self, guild_id: int | None) -> list[GatewaySession]:
        """The ready sessions that get the events of ``guild_id`` (None: of no guild, i.e. shard 0)."""
        return [s for s in self.ready_sessions() if s.serves(guild_id)]

    def shards_ready(self, shard_ids: Iterable[int], shard_count: int) -> bool:
        """Whether every one of ``shard_ids`` (of ``shard_count``) has a ready session."""
        ready = {tuple(s.shard) for s in self.ready_sessions()}
        return all((shard_id, shard_count) in ready for shard_id in shard_ids)

    def changed(self) -> None:
        """A session became ready or went away: wake the waiters whose condition now holds."""
        for condition, future in list(self._waiters):
            if not future.done() and condition():
                future.set_result(None)

    async def wait_for(self, condition: Callable[[], bool]) -> None:
        """Return once ``condition()`` (about the sessions) holds; it is checked at every change."""
        if condition():
            return
        waiter = (condition, asyncio.get_running_loop().create_future())
        self._waiters.append(waiter)
        try:
            await waiter[1]
        finally:
            self._waiters.remove(waiter)

    async def dispatch(self, event: str, data: Payload, *, guild_id: int | None | object = ...,
                       strict: bool = True) -> None:
        """Send ``event`` to the ready sessions of its guild's shard (see the module docstring).

        ``guild_id``: the guild whose shard gets it (default: read from the event: a guild event's ``id``,
        any other's ``guild_id``; none means shard 0). ``strict``: fail loudly when no connected session
        gets it (False: drop it, as Discord does for a shard that is not connected).
        """
        gid = event_guild_id(event, data) if guild_id is ... else guild_id
        ready = self.ready_sessions()
        sessions = [s for s in ready if s.serves(gid)]  # type: ignore[arg-type]
        if not sessions:
            if not strict:
                return
            if not ready:
                raise RuntimeError(f"cannot dispatch {event}: no gateway client is connected and identified")
            raise RuntimeError(f"cannot dispatch {event}: no connected shard serves guild {gid} "
                               f"(connected shards: {sorted(tuple(s.shard) for s in ready)})")
        for session in sessions:
            await session.dispatch(event, data)

    async def guild_create(self, guild: FakeGuild, *, join: bool = True) -> None:
        """Send GUILD_CREATE of ``guild`` to the ready sessions of its shard (each with the members its intents
        allow)."""
        ready = self.ready_sessions()
        sessions = [s for s in ready if s.serves(guild.id)]
        if not sessions:
            what = "no gateway client is connected and identified" if not ready else \
                f"no connected shard serves guild {guild.id} (connected: {sorted(tuple(s.shard) for s in ready)})"
            raise RuntimeError(f"cannot dispatch GUILD_CREATE: {what}")
        for session in sessions:
            await session.dispatch("GUILD_CREATE", session.guild_create(guild, join=join))

    async def close_all(self, code: int = 1001, message: bytes = b"") -> None:
        """Close every connection (e.g. code 4000 to make discord.py reconnect and resume)."""
        sessions = list(self.sessions)
        for session in sessions:
            session.ready = False  # before awaiting, so wait_until_ready() cannot see a stale "ready"
        self.ready_event.clear()
        self.changed()
        for session in sessions:
            await session.ws.close(code=code, message=message)


GUILD_EVENTS = {"GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE"}


def event_guild_id(event: str, data: Payload) -> int | None:
    """The guild an event belongs to: a guild event's ``id``, any other's ``guild_id``; None for none (a DM)."""
    raw = data.get("id") if event in GUILD_EVENTS else data.get("guild_id")
    return int(raw) if raw is not None else None
