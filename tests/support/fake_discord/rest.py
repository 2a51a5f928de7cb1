"""REST routing, auth and the non-message endpoints (users, gateway, applications, guilds).

Guild routes answer for every guild the bot is in (``world.bot_guilds()``); another guild gets
Discord's 403 Missing Access (commands) or 404 Unknown Guild.

Routes are matched against the path below ``/api/v10`` with anchored regexes. Anything
unmatched is recorded in ``fake.unhandled`` and answered with a Discord-style 404 so a
test failure shows exactly which endpoint the bot tried to use.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import payloads as p
from .limits import Problem, Violation, invalid_form_body
from .records import Recorded

if TYPE_CHECKING:
    from .server import FakeDiscord
    from .world import FakeGuild

Handler = Callable[[Recorded, "re.Match[str]"], Awaitable["Reply"]]


@dataclass
class Reply:
    """What a handler answers; ``body=None`` with 204 sends no body."""

    status: int = 200
    body: Any = None


def error(status: int, code: int, message: str) -> Reply:
    """Discord's error body shape ``{"message", "code"}``."""
    return Reply(status, {"message": message, "code": code})


UNAUTHORIZED = error(401, 0, "401: Unauthorized")
NOT_FOUND = error(404, 0, "404: Not Found")


class RestApi:
    """The REST side of the fake; message-related routes live in :mod:`.rest_messages`."""

    def __init__(self, fake: FakeDiscord) -> None:
        from .rest_messages import MessageRoutes

        self.fake = fake
        self.routes: list[tuple[str, re.Pattern[str], Handler, bool]] = []
        app = r"(?P<app>\d+)"
        add = self.add
        add("GET", r"/gateway", self.gateway, auth=False)
        add("GET", r"/gateway/bot", self.gateway_bot)
        add("GET", r"/users/@me", self.me)
        add("POST", r"/users/@me/channels", self.open_dm)
        add("GET", r"/users/(?P<user>\d+)", self.get_user)
        add("GET", r"/(?:oauth2/)?applications/@me", self.application)
        add("GET", rf"/applications/{app}/commands", self.list_commands)
        add("PUT", rf"/applications/{app}/commands", self.put_commands)
        add("POST", rf"/applications/{app}/commands", self.upsert_command)
        add("DELETE", rf"/applications/{app}/commands/(?P<cmd>\d+)", self.delete_command)
        add("GET", rf"/applications/{app}/guilds/(?P<guild>\d+)/commands", self.list_commands)
        add("PUT", rf"/applications/{app}/guilds/(?P<guild>\d+)/commands", self.put_commands)
        add("POST", rf"/applications/{app}/guilds/(?P<guild>\d+)/commands", self.upsert_command)
        add("DELETE", rf"/applications/{app}/guilds/(?P<guild>\d+)/commands/(?P<cmd>\d+)", self.delete_command)
        add("GET", rf"/applications/{app}/guilds/(?P<guild>\d+)/commands/permissions", self.command_permissions)
        add("GET", r"/guilds/(?P<guild>\d+)", self.get_guild)
        add("GET", r"/guilds/(?P<guild>\d+)/channels", self.guild_channels)
        add("GET", r"/guilds/(?P<guild>\d+)/roles", self.guild_roles)
        add("GET", r"/guilds/(?P<guild>\d+)/members/(?P<user>\d+)", self.guild_member)
        MessageRoutes(fake, self).register()

    def add(self, method: str, pattern: str, handler: Handler, *, auth: bool = True) -> None:
        """Register a route; ``pattern`` must match the whole path."""
        self.routes.append((method, re.compile(pattern), handler, auth))

    async def handle(self, rec: Recorded) -> Reply:
        """Route one request; bot routes require ``Authorization: Bot <token>``."""
        for method, pattern, handler, auth in self.routes:
            match = pattern.fullmatch(rec.path)
            if match is None or method != rec.method:
                continue
            if auth and rec.headers.get("Authorization") != f"Bot {self.fake.token}":
                return UNAUTHORIZED
            return await handler(rec, match)
        self.fake.unhandled.append(rec)
        return NOT_FOUND

    def invalid(self, rec: Recorded, problems: list[Problem]) -> Reply:
        """Record each problem as a :class:`Violation` and answer 400 / 50035."""
        for field, message, limit, actual in problems:
            self.fake.violations.append(Violation(rec.method, rec.path, field, message, limit, actual))
        return Reply(400, invalid_form_body(problems))

    # -- gateway / users / application -----------------------------------------------
    async def gateway(self, rec: Recorded, m: re.Match[str]) -> Reply:
        return Reply(200, {"url": self.fake.gateway_url})

    async def gateway_bot(self, rec: Recorded, m: re.Match[str]) -> Reply:
        limit = {"total": 1000, "remaining": 999, "reset_after": 14_400_000, "max_concurrency": 1}
        return Reply(200, {"url": self.fake.gateway_url, "shards": self.fake.shard_count, "session_start_limit": limit})

    async def me(self, rec: Recorded, m: re.Match[str]) -> Reply:
        return Reply(200, p.me_payload(self.fake.world.bot_user))

    async def get_user(self, rec: Recorded, m: re.Match[str]) -> Reply:
        user = self.fake.world.users.get(int(m["user"]))
        return Reply(200, p.user_payload(user)) if user else error(404, 10013, "Unknown User")

    async def open_dm(self, rec: Recorded, m: re.Match[str]) -> Reply:
        world = self.fake.world
        recipient = int((rec.json or {}).get("recipient_id", 0))
        if recipient not in world.users:
            return error(400, 50033, "Invalid Recipient(s)")
        return Reply(200, world.channel_payload(world.dm_channel_for(recipient)))

    async def application(self, rec: Recorded, m: re.Match[str]) -> Reply:
        world = self.fake.world
        return Reply(200, p.application_payload(world.application_id, world.bot_user.username, world.owner,
                                                len(world.bot_guilds())))

    # -- application commands ------------------------------------------------------
    def _scope(self, m: re.Match[str]) -> tuple[int | None, Reply | None]:
        if int(m["app"]) != self.fake.world.application_id:
            return None, error(403, 50001, "Missing Access")
        guild = m.groupdict().get("guild")
        if guild is not None and self._guild(m) is None:
            return None, error(403, 50001, "Missing Access")  # Discord's answer for a guild the app is not in
        return (int(guild) if guild else None), None

    async def list_commands(self, rec: Recorded, m: re.Match[str]) -> Reply:
        scope, err = self._scope(m)
        return err or Reply(200, self.fake.commands.list(scope))

    async def put_commands(self, rec: Recorded, m: re.Match[str]) -> Reply:
        scope, err = self._scope(m)
        if err:
            return err
        stored, problems = self.fake.commands.overwrite(scope, list(rec.json or []))
        return self.invalid(rec, problems) if problems else Reply(200, stored)

    async def upsert_command(self, rec: Recorded, m: re.Match[str]) -> Reply:
        scope, err = self._scope(m)
        if err:
            return err
        stored, problems = self.fake.commands.upsert(scope, dict(rec.json or {}))
        return self.invalid(rec, problems) if problems else Reply(201, stored)

    async def delete_command(self, rec: Recorded, m: re.Match[str]) -> Reply:
        scope, err = self._scope(m)
        if err:
            return err
        found = self.fake.commands.delete(scope, int(m["cmd"]))
        return Reply(204) if found else error(404, 10063, "Unknown application command")

    async def command_permissions(self, rec: Recorded, m: re.Match[str]) -> Reply:
        _, err = self._scope(m)
        return err or Reply(200, [])

    # -- guild -------------------------------------------------------------------------
    def _guild(self, m: re.Match[str]) -> FakeGuild | None:
        """The guild of the path, if it exists and the bot is in it."""
        guild = self.fake.world.guilds.get(int(m["guild"]))
        return guild if guild is not None and guild.bot_member else None

    async def get_guild(self, rec: Recorded, m: re.Match[str]) -> Reply:
        guild = self._guild(m)
        if guild is None:
            return error(404, 10004, "Unknown Guild")
        data = guild.payload(all_members=False)
        for key in ("members", "channels", "threads", "voice_states", "presences"):
            data.pop(key, None)
        data["approximate_member_count"] = data["member_count"]
        return Reply(200, data)

    async def guild_channels(self, rec: Recorded, m: re.Match[str]) -> Reply:
        guild = self._guild(m)
        if guild is None:
            return error(404, 10004, "Unknown Guild")
        return Reply(200, [self.fake.world.channel_payload(c) for c in guild.channels() if c.type != 1])

    async def guild_roles(self, rec: Recorded, m: re.Match[str]) -> Reply:
        guild = self._guild(m)
        if guild is None:
            return error(404, 10004, "Unknown Guild")
        return Reply(200, [p.role_payload(r) for r in guild.roles()])

    async def guild_member(self, rec: Recorded, m: re.Match[str]) -> Reply:
        guild = self._guild(m)
        user = self.fake.world.users.get(int(m["user"]))
        if guild is None or user is None or not guild.is_member(user):
            return error(404, 10007, "Unknown Member")
        return Reply(200, guild.member_payload(user))
