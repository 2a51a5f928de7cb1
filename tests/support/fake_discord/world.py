"""The fake's world: one guild, its roles, channels, members, plus DM channels.

Kept separate from the HTTP/gateway plumbing so tests can read and extend it
(``fake.world.add_user(...)``) and so payloads for GUILD_CREATE, interactions and
messages are all derived from the same source of truth.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from . import payloads as p
from .payloads import Payload, SnowflakeFactory


@dataclass
class FakeUser:
    """A Discord user; ``role_ids`` only matters while ``in_guild`` is true."""

    id: int
    username: str
    global_name: str | None = None
    bot: bool = False
    role_ids: list[int] = field(default_factory=list)
    nick: str | None = None
    in_guild: bool = True
    joined_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    @property
    def mention(self) -> str:
        """The ``<@id>`` mention string Discord renders as a ping."""
        return f"<@{self.id}>"


@dataclass
class FakeRole:
    """A guild role. The @everyone role shares the guild's id, as on Discord."""

    id: int
    name: str
    permissions: int = 0
    position: int = 0
    managed: bool = False
    mentionable: bool = False
    bot_id: int | None = None

    @property
    def mention(self) -> str:
        """The ``<@&id>`` mention string."""
        return f"<@&{self.id}>"


@dataclass
class FakeChannel:
    """A guild text channel (type 0) or a DM channel (type 1, ``recipient_id`` set)."""

    id: int
    name: str
    type: int = 0
    position: int = 0
    guild_id: int | None = None
    recipient_id: int | None = None

    @property
    def mention(self) -> str:
        """The ``<#id>`` mention string."""
        return f"<#{self.id}>"


class World:
    """State of the fake guild. Attribute names are what tests use to pick actors.

    Members: ``bot_user``, ``owner`` (guild owner, all permissions), ``normal_user``,
    ``moderator_user`` (Moderator role + Manager role, which grants Manage Guild 0x20)
    and ``mod_role_only_user`` (Moderator role, no extra permission).
    """

    def __init__(
        self,
        ids: SnowflakeFactory,
        *,
        guild_name: str = "Newsbot Test Guild",
        bot_username: str = "newsbot",
        everyone_permissions: int = p.DEFAULT_EVERYONE_PERMISSIONS,
    ) -> None:
        self.ids = ids
        self.guild_name = guild_name
        self.application_id = ids.next()
        self.guild_id = ids.next()
        self.users: dict[int, FakeUser] = {}
        self.roles: dict[int, FakeRole] = {}
        self.channels: dict[int, FakeChannel] = {}
        self._dm_by_user: dict[int, int] = {}

        self.everyone_role = self._put_role(FakeRole(self.guild_id, "@everyone", everyone_permissions, 0))
        self.moderator_role = self.add_role("Moderator", 0)
        self.manager_role = self.add_role("Manager", p.MANAGE_GUILD)
        # Bot users share the application's id on Discord; discord.py does not care, but keep it real.
        self.bot_user = self._put_user(FakeUser(self.application_id, bot_username, bot=True))
        self.bot_role = self.add_role(bot_username, p.BOT_ROLE_PERMISSIONS, managed=True, bot_id=self.bot_user.id)
        self.bot_user.role_ids.append(self.bot_role.id)
        self.owner = self.add_user("owner")
        self.normal_user = self.add_user("alice", global_name="Alice")
        self.moderator_user = self.add_user("mod", roles=[self.moderator_role, self.manager_role])
        self.mod_role_only_user = self.add_user("helper", roles=[self.moderator_role])
        self.text_channel = self.add_channel("general")
        self.other_channel = self.add_channel("news")

    # -- mutation -----------------------------------------------------------------
    def _put_user(self, user: FakeUser) -> FakeUser:
        self.users[user.id] = user
        return user

    def _put_role(self, role: FakeRole) -> FakeRole:
        self.roles[role.id] = role
        return role

    def add_role(
        self, name: str, permissions: int = 0, *, managed: bool = False, bot_id: int | None = None
    ) -> FakeRole:
        """Create a role above the existing ones."""
        return self._put_role(FakeRole(self.ids.next(), name, permissions, len(self.roles), managed, False, bot_id))

    def add_user(
        self,
        username: str,
        *,
        roles: Iterable[FakeRole | int] = (),
        permissions: int | None = None,
        bot: bool = False,
        in_guild: bool = True,
        global_name: str | None = None,
        nick: str | None = None,
    ) -> FakeUser:
        """Create a user; ``permissions`` creates a dedicated role granting exactly those bits."""
        role_ids = [r.id if isinstance(r, FakeRole) else int(r) for r in roles]
        if permissions is not None:
            role_ids.append(self.add_role(f"{username}-perms", permissions).id)
        user = FakeUser(self.ids.next(), username, global_name, bot, role_ids, nick, in_guild)
        return self._put_user(user)

    def add_channel(self, name: str, *, type: int = 0) -> FakeChannel:
        """Create a guild channel (text by default)."""
        channel = FakeChannel(self.ids.next(), name, type, len(self.channels), self.guild_id)
        self.channels[channel.id] = channel
        return channel

    def dm_channel_for(self, user: FakeUser | int) -> FakeChannel:
        """The bot's DM channel with ``user``, created on first use (like POST /users/@me/channels)."""
        user_id = user.id if isinstance(user, FakeUser) else int(user)
        if user_id not in self._dm_by_user:
            channel = FakeChannel(self.ids.next(), "", 1, 0, None, user_id)
            self.channels[channel.id] = channel
            self._dm_by_user[user_id] = channel.id
        return self.channels[self._dm_by_user[user_id]]

    # -- queries ------------------------------------------------------------------
    def members(self) -> list[FakeUser]:
        """Users that are members of the guild."""
        return [u for u in self.users.values() if u.in_guild]

    def permissions_for(self, user: FakeUser) -> int:
        """Guild-level permissions, computed like Discord: owner/admin get everything."""
        if user.id == self.owner.id:
            return p.ALL_PERMISSIONS
        bits = self.everyone_role.permissions
        for role_id in user.role_ids:
            role = self.roles.get(role_id)
            if role is not None:
                bits |= role.permissions
        return p.ALL_PERMISSIONS if bits & p.ADMINISTRATOR else bits

    def channel_payload(self, channel: FakeChannel) -> Payload:
        """Channel JSON; DM channels carry their recipient."""
        recipients = []
        if channel.recipient_id is not None and channel.recipient_id in self.users:
            recipients = [p.user_payload(self.users[channel.recipient_id])]
        return p.channel_payload(channel, recipients=recipients)

    def guild_payload(self, *, all_members: bool) -> Payload:
        """GUILD_CREATE body. ``member_count`` equals the member list when every member is sent,
        so discord.py marks the guild as chunked and does not wait for member chunks."""
        members = self.members() if all_members else [self.bot_user]
        return {
            "id": str(self.guild_id),
            "name": self.guild_name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(self.owner.id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": "en-US",
            "system_channel_id": str(self.text_channel.id),
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "features": [],
            "roles": [p.role_payload(r) for r in self.roles.values()],
            "emojis": [],
            "stickers": [],
            "channels": [p.channel_payload(c) for c in self.channels.values() if c.type != 1],
            "threads": [],
            "members": [p.member_payload(u) for u in members],
            "member_count": len(self.members()),
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "joined_at": p.iso(self.bot_user.joined_at),
            "large": False,
            "unavailable": False,
            "lazy": True,
            "premium_progress_bar_enabled": False,
        }
