"""``FakeDiscord``: a local Discord (REST + gateway) for end-to-end tests of a real discord.py bot.

One aiohttp app on 127.0.0.1:<random port> serves ``/api/v10/...`` (REST), ``/gateway``
(websocket) and ``/attachments/...`` (CDN stand-in). newsbot's own bot takes the
fake's addresses as settings (``DISCORD_API_BASE=fake.base_url``,
``DISCORD_GATEWAY_URL=fake.gateway_url``: see ``bot.chat.endpoints``), for that bot
alone. A plain discord.py client is pointed at it process-wide, for a block, by
:func:`~.harness.pointed_at` (which restores discord.py's class attributes after).

:class:`FakeDiscord` owns the state and the HTTP plumbing; its test-facing helpers come
from :class:`~.driving.DriveMixin` (injecting events) and :class:`~.results.ResultsMixin`
(request log, message state). Payload details live in the other sibling modules.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from . import payloads as p
from .commands import CommandRegistry
from .dispatch import EventFactory
from .driving import DriveMixin
from .gateway import GatewayHub
from .limits import Violation
from .payloads import Payload, SnowflakeFactory
from .records import Recorded, RequestLog, read_body
from .rest import NOT_FOUND, Reply, RestApi
from .store import MessageStore
from .world import FakeChannel, FakeGuild, FakeRole, FakeUser, World


class FakeDiscord(DriveMixin):
    """A fake Discord server. ``await start()`` it, point the bot at it, drive it from tests.

    ``allowed_privileged_intents``: privileged intent bits the "developer portal" allows;
    IDENTIFY asking for others is closed with 4014. ``interaction_deadline_s``: callbacks
    later than this get 10062 like on Discord (None disables). ``echo_bot_messages``: send
    MESSAGE_CREATE/UPDATE/DELETE back over the gateway for the bot's own REST writes.
    ``shard_count``: what ``GET /gateway/bot`` recommends (an ``AutoShardedBot`` without a shard count
    connects that many shards); the gateway routes by the shard each session identifies with, whatever
    this says (see :mod:`.gateway`).
    """

    def __init__(
        self,
        token: str = "fake-bot-token",
        *,
        allowed_privileged_intents: int = p.PRIVILEGED_INTENTS,
        interaction_deadline_s: float | None = 3.0,
        echo_bot_messages: bool = True,
        require_registered_commands: bool = True,
        guild_name: str = "Newsbot Test Guild",
        bot_username: str = "newsbot",
        shard_count: int = 1,
    ) -> None:
        self.token = token
        self.shard_count = shard_count
        self.allowed_privileged_intents = allowed_privileged_intents
        self.interaction_deadline_s = interaction_deadline_s
        self.echo_bot_messages = echo_bot_messages
        self.require_registered_commands = require_registered_commands
        self.ids = SnowflakeFactory()
        self.world = World(self.ids, guild_name=guild_name, bot_username=bot_username)
        self.log = RequestLog()
        self.store = MessageStore(self.world, self.ids, self._attachment_url)
        self.commands = CommandRegistry(self.ids, self.world.application_id)
        self.hub = GatewayHub(self)
        self.events = EventFactory(self)
        self.rest = RestApi(self)
        self.violations: list[Violation] = []
        self.unhandled: list[Recorded] = []
        self.port = 0
        self._runner: web.AppRunner | None = None

    # -- lifecycle ---------------------------------------------------------------------
    async def start(self) -> FakeDiscord:
        """Bind a free port on 127.0.0.1 and start serving."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self.hub.handle)
        app.router.add_get("/attachments/{channel}/{attachment}/{filename}", self._serve_attachment)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def stop(self) -> None:
        """Close gateway connections and the HTTP server."""
        await self.hub.close_all(1001)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- addresses and ids ----------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        return f"{self.base_url}/api/v{p.API_VERSION}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    @property
    def bot_user(self) -> FakeUser:
        return self.world.bot_user

    @property
    def bot_user_id(self) -> int:
        return self.world.bot_user.id

    @property
    def application_id(self) -> int:
        return self.world.application_id

    @property
    def guild_id(self) -> int:
        return self.world.guild_id

    @property
    def channel_id(self) -> int:
        """The main text channel (``#general``)."""
        return self.world.text_channel.id

    @property
    def other_channel_id(self) -> int:
        """A second text channel (``#news``)."""
        return self.world.other_channel.id

    @property
    def everyone_role_id(self) -> int:
        return self.world.everyone_role.id

    @property
    def moderator_role_id(self) -> int:
        return self.world.moderator_role.id

    @property
    def manager_role_id(self) -> int:
        """The role that grants Manage Guild (0x20)."""
        return self.world.manager_role.id

    @property
    def normal_user(self) -> FakeUser:
        return self.world.normal_user

    @property
    def moderator_user(self) -> FakeUser:
        """Has the Moderator role and Manage Guild (via the Manager role)."""
        return self.world.moderator_user

    @property
    def mod_role_only_user(self) -> FakeUser:
        """Has the Moderator role but no Manage Guild permission."""
        return self.world.mod_role_only_user

    @property
    def owner(self) -> FakeUser:
        return self.world.owner

    @property
    def requests(self) -> list[Recorded]:
        return self.log.requests

    @property
    def identify_payloads(self) -> list[Payload]:
        """Every IDENTIFY ``d`` received (token, intents, shard...)."""
        return self.hub.identifies

    # -- world helpers ----------------------------------------------------------------
    def add_user(self, username: str, **kwargs: Any) -> FakeUser:
        """See :meth:`World.add_user` (roles=, permissions=, bot=, in_guild=, global_name=, nick=)."""
        return self.world.add_user(username, **kwargs)

    def add_role(self, name: str, permissions: int = 0) -> FakeRole:
        return self.world.add_role(name, permissions)

    def add_channel(self, name: str) -> FakeChannel:
        """Add a text channel (before the bot connects, or it will not be in the bot's cache)."""
        return self.world.add_channel(name)

    def add_guild(self, name: str, **kwargs: Any) -> FakeGuild:
        """Another guild the bot is in (see :meth:`World.add_guild`: owner=, everyone_permissions=,
        bot_member=, shard=(shard_id, shard_count)); add it before the bot connects, or announce it with
        :meth:`add_bot_to_guild`."""
        return self.world.add_guild(name, **kwargs)

    @property
    def guild(self) -> FakeGuild:
        """The default guild (what helpers act in unless given ``guild=``)."""
        return self.world.guild

    @property
    def guilds(self) -> list[FakeGuild]:
        """Every guild, the default first."""
        return list(self.world.guilds.values())

    def dm_channel_id(self, user: FakeUser | int) -> int:
        return self.world.dm_channel_for(user).id

    def add_attachment(self, filename: str, data: bytes, content_type: str | None = None,
                       channel_id: int | None = None) -> Payload:
        """Host ``data`` at ``/attachments/...``; pass the returned payload as an attachment option."""
        return self.store.add_attachment(filename, data, content_type, channel_id or self.channel_id)

    def registered_command_names(self) -> list[str]:
        return sorted({c["name"] for scope in self.commands.scopes.values() for c in scope.values()})

    def _attachment_url(self, channel_id: int, attachment_id: int, filename: str) -> str:
        return f"{self.base_url}/attachments/{channel_id}/{attachment_id}/{filename}"

    # -- HTTP plumbing ----------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        prefix = f"/api/v{p.API_VERSION}"
        rel = request.path[len(prefix):] if request.path.startswith(prefix) else request.path
        body, files = await read_body(request)
        rec = Recorded(request.method, rel or "/", dict(request.query), body, dict(request.headers), files)
        reply = await self.rest.handle(rec) if request.path.startswith(prefix) else self._not_found(rec)
        rec.status, rec.response = reply.status, reply.body
        self.log.append(rec)
        if reply.body is None:
            return web.Response(status=reply.status)
        # Exactly "application/json": discord.py only parses JSON under that exact header.
        return web.Response(status=reply.status, body=json.dumps(reply.body).encode(),
                            headers={"Content-Type": "application/json"})

    async def _serve_attachment(self, request: web.Request) -> web.StreamResponse:
        blob = self.store.blobs.get(int(request.match_info["attachment"]))
        if blob is None:
            return web.Response(status=404)
        return web.Response(body=blob.data, content_type=blob.content_type or "application/octet-stream")

    def _not_found(self, rec: Recorded) -> Reply:
        self.unhandled.append(rec)
        return NOT_FOUND
