"""The fake's world: guilds (a default one, and any added), their roles, channels, members, plus DM channels.

Kept separate from the HTTP/gateway plumbing so tests can read and extend it
(``fake.world.add_user(...)``, ``fake.add_guild("B")``) and so payloads for
GUILD_CREATE, interactions and messages are all derived from the same source of truth.

The default guild (``world.guild``, ``world.guild_id``) is what every helper acts in
unless told otherwise; a user's membership of it is kept on the user itself
(``role_ids``, ``nick``, ``in_guild``, ``joined_at``), memberships of the other guilds in
``user.guilds``. One user can be a member of several guilds with different roles.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from . import payloads as p
from .payloads import Payload, SnowflakeFactory


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class FakeMember:
    """A user's membership of a guild other than the default one."""

    role_ids: list[int] = field(default_factory=list)
    nick: str | None = None
    joined_at: dt.datetime = field(default_factory=_now)


@dataclass
class FakeUser:
    """A Discord user. ``role_ids``, ``nick`` and ``joined_at`` are its membership of the default
    guild and only matter while ``in_guild`` is true; ``guilds`` holds its other memberships."""

    id: int
    username: str
    global_name: str | None = None
    bot: bool = False
    role_ids: list[int] = field(default_factory=list)
    nick: str | None = None
    in_guild: bool = True
    joined_at: dt.datetime = field(default_factory=_now)
    guilds: dict[int, FakeMember] = field(default_factory=dict)

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
    guild_id: int | None = None

    @property
    def mention(self) -> str:
        """The ``<@&id>`` mention string."""
        return f"<@&{self.id}>"


@dataclass
class FakeChannel:
    """A guild text channel (type 0), a DM channel (type 1, ``recipient_id`` set), or a thread (type 11 public,
    12 private: ``parent_id`` is its text channel, ``owner_id`` who started it)."""

    id: int
    name: str
    type: int = 0
    position: int = 0
    guild_id: int | None = None
    recipient_id: int | None = None
    parent_id: int | None = None
    owner_id: int | None = None
    auto_archive_duration: int = 4320

    @property
    def mention(self) -> str:
        """The ``<#id>`` mention string."""
        return f"<#{self.id}>"


class FakeGuild:
    """One guild: its owner, roles, channels and members. ``bot_member`` says whether the bot is in it
    (it gets READY/GUILD_CREATE for it, and may register commands there).

    Made by :meth:`World.add_guild` (the default guild is made with the world); every guild starts with
    ``@everyone``, the bot's managed role, ``#general`` (``text_channel``) and ``#news`` (``other_channel``),
    and its owner as a member.
    """

    def __init__(self, world: World, guild_id: int, name: str, everyone_permissions: int) -> None:
        self.world = world
        self.id = guild_id
        self.name = name
        self.bot_member = True
        self.owner: FakeUser = world.bot_user  # set by World once the owner exists
        self.everyone_role = self._put_role(FakeRole(guild_id, "@everyone", everyone_permissions, 0,
                                                     guild_id=guild_id))

    def shard_id(self, shard_count: int) -> int:
        """The shard of ``shard_count`` this guild's events go to (Discord's ``(id >> 22) % shard_count``)."""
        return p.shard_of(self.id, shard_count)

    @property
    def is_default(self) -> bool:
        """The world's default guild (memberships kept on the users themselves)."""
        return self.id == self.world.guild_id

    # -- mutation -----------------------------------------------------------------
    def _put_role(self, role: FakeRole) -> FakeRole:
        self.world.roles[role.id] = role
        return role

    def add_role(self, name: str, permissions: int = 0, *, managed: bool = False,
                 bot_id: int | None = None) -> FakeRole:
        """Create a role above this guild's existing ones."""
        position = len(self.roles())
        return self._put_role(FakeRole(self.world.ids.next(), name, permissions, position, managed, False, bot_id,
                                       self.id))

    def add_channel(self, name: str, *, type: int = 0) -> FakeChannel:
        """Create a channel of this guild (text by default); before the bot connects, or it is not cached."""
        channel = FakeChannel(self.world.ids.next(), name, type, len(self.channels()), self.id)
        self.world.channels[channel.id] = channel
        return channel

    def _role_ids(self, roles: Iterable[FakeRole | int], permissions: int | None, username: str) -> list[int]:
        role_ids = [r.id if isinstance(r, FakeRole) else int(r) for r in roles]
        if permissions is not None:
            role_ids.append(self.add_role(f"{username}-perms", permissions).id)
        return role_ids

    def add_member(self, user: FakeUser, *, roles: Iterable[FakeRole | int] = (), permissions: int | None = None,
                   nick: str | None = None) -> FakeUser:
        """Make an existing user a member of this guild (replacing an earlier membership);
        ``permissions`` creates a dedicated role of this guild granting exactly those bits."""
        role_ids = self._role_ids(roles, permissions, user.username)
        if self.is_default:
            user.role_ids, user.nick, user.in_guild = role_ids, nick, True
        else:
            user.guilds[self.id] = FakeMember(role_ids, nick)
        return user

    def add_user(self, username: str, *, roles: Iterable[FakeRole | int] = (), permissions: int | None = None,
                 bot: bool = False, global_name: str | None = None, nick: str | None = None) -> FakeUser:
        """A new user who is a member of this guild only."""
        user = self.world.add_user(username, bot=bot, in_guild=False, global_name=global_name)
        return self.add_member(user, roles=roles, permissions=permissions, nick=nick)

    def remove_member(self, user: FakeUser) -> None:
        """The user leaves this guild (the bot is not told: send GUILD_MEMBER_REMOVE yourself if needed)."""
        if self.is_default:
            user.in_guild = False
        else:
            user.guilds.pop(self.id, None)

    # -- queries ------------------------------------------------------------------
    def membership(self, user: FakeUser) -> FakeMember | None:
        """The user's roles, nickname and join time here; None when not a member."""
        if self.is_default:
            return FakeMember(user.role_ids, user.nick, user.joined_at) if user.in_guild else None
        return user.guilds.get(self.id)

    def is_member(self, user: FakeUser) -> bool:
        """True when the user is a member of this guild."""
        return self.membership(user) is not None

    def role_ids_of(self, user: FakeUser) -> list[int]:
        """The user's role ids here (none for a non-member)."""
        member = self.membership(user)
        return list(member.role_ids) if member else []

    def roles(self) -> list[FakeRole]:
        """This guild's roles, @everyone first."""
        return [r for r in self.world.roles.values() if r.guild_id == self.id]

    def channels(self) -> list[FakeChannel]:
        """This guild's channels."""
        return [c for c in self.world.channels.values() if c.guild_id == self.id]

    def members(self) -> list[FakeUser]:
        """Users that are members of this guild."""
        return [u for u in self.world.users.values() if self.is_member(u)]

    def permissions_for(self, user: FakeUser) -> int:
        """Guild-level permissions, computed like Discord: owner/admin get everything."""
        if user.id == self.owner.id:
            return p.ALL_PERMISSIONS
        bits = self.everyone_role.permissions
        for role_id in self.role_ids_of(user):
            role = self.world.roles.get(role_id)
            if role is not None and role.guild_id == self.id:
                bits |= role.permissions
        return p.ALL_PERMISSIONS if bits & p.ADMINISTRATOR else bits

    def member_payload(self, user: FakeUser, *, with_user: bool = True, permissions: int | None = None) -> Payload:
        """The user as a member of this guild (its roles and nickname here)."""
        member = self.membership(user) or FakeMember()
        data = p.member_payload(user, with_user=with_user, permissions=permissions)
        data.update({"roles": [str(r) for r in member.role_ids], "nick": member.nick,
                     "joined_at": p.iso(member.joined_at)})
        return data

    def payload(self, *, all_members: bool) -> Payload:
        """GUILD_CREATE body. ``member_count`` equals the member list when every member is sent,
        so discord.py marks the guild as chunked and does not wait for member chunks."""
        bot = self.world.bot_user
        members = self.members() if all_members else [u for u in (bot,) if self.is_member(u)]
        joined = (self.membership(bot) or FakeMember()).joined_at
        return {
            "id": str(self.id),
            "name": self.name,
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
            "roles": [p.role_payload(r) for r in self.roles()],
            "emojis": [],
            "stickers": [],
            "channels": [p.channel_payload(c) for c in self.channels() if c.type != 1],
            "threads": [],
            "members": [self.member_payload(u) for u in members],
            "member_count": len(self.members()),
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "joined_at": p.iso(joined),
            "large": False,
            "unavailable": False,
            "lazy": True,
            "premium_progress_bar_enabled": False,
        }

    def _setup(self, owner: FakeUser, bot_username: str) -> None:
        """The bot's role and membership, the owner, and the two text channels."""
        bot = self.world.bot_user
        self.bot_role = self.add_role(bot_username, p.BOT_ROLE_PERMISSIONS, managed=True, bot_id=bot.id)
        self.add_member(bot, roles=[self.bot_role])
        self.owner = owner
        if not self.is_member(owner):
            self.add_member(owner)
        self.text_channel = self.add_channel("general")
        self.other_channel = self.add_channel("news")

    def __repr__(self) -> str:
        return f"FakeGuild(id={self.id}, name={self.name!r}, bot_member={self.bot_member})"


class World:
    """State of the fake guilds. Attribute names are what tests use to pick actors.

    Members of the default guild: ``bot_user``, ``owner`` (guild owner, all permissions, and the
    application's owner), ``normal_user``, ``moderator_user`` (Moderator role + Manager role, which
    grants Manage Guild 0x20) and ``mod_role_only_user`` (Moderator role, no extra permission).
    More guilds come from :meth:`add_guild`.
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
        self.bot_username = bot_username
        self.application_id = ids.next()
        self.guild_id = ids.next()
        self.users: dict[int, FakeUser] = {}
        self.roles: dict[int, FakeRole] = {}
        self.channels: dict[int, FakeChannel] = {}
        self.guilds: dict[int, FakeGuild] = {}
        self._dm_by_user: dict[int, int] = {}

        # Bot users share the application's id on Discord; discord.py does not care, but keep it real.
        self.bot_user = self._put_user(FakeUser(self.application_id, bot_username, bot=True))
        self.guild = self.guilds[self.guild_id] = FakeGuild(self, self.guild_id, guild_name, everyone_permissions)
        self.everyone_role = self.guild.everyone_role
        self.moderator_role = self.add_role("Moderator", 0)
        self.manager_role = self.add_role("Manager", p.MANAGE_GUILD)
        self.owner = self.add_user("owner")
        self.guild._setup(self.owner, bot_username)
        self.bot_role = self.guild.bot_role
        self.normal_user = self.add_user("alice", global_name="Alice")
        self.moderator_user = self.add_user("mod", roles=[self.moderator_role, self.manager_role])
        self.mod_role_only_user = self.add_user("helper", roles=[self.moderator_role])
        self.text_channel = self.guild.text_channel
        self.other_channel = self.guild.other_channel

    # -- mutation -----------------------------------------------------------------
    def _put_user(self, user: FakeUser) -> FakeUser:
        self.users[user.id] = user
        return user

    def add_role(
        self, name: str, permissions: int = 0, *, managed: bool = False, bot_id: int | None = None
    ) -> FakeRole:
        """Create a role of the default guild, above the existing ones."""
        return self.guild.add_role(name, permissions, managed=managed, bot_id=bot_id)

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
        """Create a user, a member of the default guild unless ``in_guild=False``; ``permissions``
        creates a dedicated role granting exactly those bits."""
        role_ids = [r.id if isinstance(r, FakeRole) else int(r) for r in roles]
        if permissions is not None:
            role_ids.append(self.add_role(f"{username}-perms", permissions).id)
        user = FakeUser(self.ids.next(), username, global_name, bot, role_ids, nick, in_guild)
        return self._put_user(user)

    def add_channel(self, name: str, *, type: int = 0) -> FakeChannel:
        """Create a channel of the default guild (text by default)."""
        return self.guild.add_channel(name, type=type)

    def add_guild(self, name: str, *, owner: FakeUser | None = None,
                  everyone_permissions: int = p.DEFAULT_EVERYONE_PERMISSIONS, bot_member: bool = True,
                  shard: tuple[int, int] | None = None) -> FakeGuild:
        """Another guild, with its own @everyone, bot role, ``#general`` and ``#news``; its owner is
        ``owner`` (made a member) or a new user ``<name>-owner`` who is a member of this guild only.

        ``bot_member=False``: the bot is not in it yet (see ``FakeDiscord.add_bot_to_guild``).
        ``shard=(shard_id, shard_count)``: its id is chosen so that it belongs to that shard (see
        :func:`~.payloads.shard_of`); otherwise its shard is whatever its id gives.
        """
        guild_id = self.ids.next_on_shard(*shard) if shard is not None else self.ids.next()
        guild = FakeGuild(self, guild_id, name, everyone_permissions)
        self.guilds[guild.id] = guild
        owner = owner or self.add_user(f"{name.lower().replace(' ', '-')}-owner", in_guild=False)
        guild._setup(owner, self.bot_username)
        guild.bot_member = bot_member
        return guild

    def dm_channel_for(self, user: FakeUser | int) -> FakeChannel:
        """The bot's DM channel with ``user``, created on first use (like POST /users/@me/channels)."""
        user_id = user.id if isinstance(user, FakeUser) else int(user)
        if user_id not in self._dm_by_user:
            channel = FakeChannel(self.ids.next(), "", 1, 0, None, user_id)
            self.channels[channel.id] = channel
            self._dm_by_user[user_id] = channel.id
        return self.channels[self._dm_by_user[user_id]]

    # -- queries ------------------------------------------------------------------
    def guild_of(self, guild: FakeGuild | int | None = None) -> FakeGuild:
        """A guild by object or id (the default guild for None).

        Raises:
            LookupError: no such guild.
        """
        if guild is None:
            return self.guild
        if isinstance(guild, FakeGuild):
            return guild
        found = self.guilds.get(int(guild))
        if found is None:
            raise LookupError(f"no guild {guild}; guilds: {sorted(self.guilds)}")
        return found

    def bot_guilds(self) -> list[FakeGuild]:
        """Guilds the bot is in, in creation order."""
        return [g for g in self.guilds.values() if g.bot_member]

    def members(self, guild: FakeGuild | int | None = None) -> list[FakeUser]:
        """Users that are members of the guild (default: the default guild)."""
        return self.guild_of(guild).members()

    def is_member(self, user: FakeUser, guild: FakeGuild | int | None = None) -> bool:
        """True when ``user`` is a member of the guild (default: the default guild)."""
        return self.guild_of(guild).is_member(user)

    def permissions_for(self, user: FakeUser, guild: FakeGuild | int | None = None) -> int:
        """Guild-level permissions in the guild (default: the default guild): owner/admin get everything."""
        return self.guild_of(guild).permissions_for(user)

    def member_payload(self, user: FakeUser, guild: FakeGuild | int | None = None, *, with_user: bool = True,
                       permissions: int | None = None) -> Payload:
        """The user as a member of the guild (default: the default guild)."""
        return self.guild_of(guild).member_payload(user, with_user=with_user, permissions=permissions)

    def channel_payload(self, channel: FakeChannel) -> Payload:
        """Channel JSON; DM channels carry their recipient."""
        recipients = []
        if channel.recipient_id is not None and channel.recipient_id in self.users:
            recipients = [p.user_payload(self.users[channel.recipient_id])]
        return p.channel_payload(channel, recipients=recipients)

    def guild_payload(self, *, all_members: bool, guild: FakeGuild | int | None = None) -> Payload:
        """GUILD_CREATE body of the guild (default: the default guild); see :meth:`FakeGuild.payload`."""
        return self.guild_of(guild).payload(all_members=all_members)
