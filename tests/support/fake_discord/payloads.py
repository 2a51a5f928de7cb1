"""Snowflakes, constants and JSON payload builders shaped the way discord.py 2.7 parses them.

Every builder returns plain ``dict`` objects with string ids, because that is what the
real API sends and what discord.py's ``int(data['id'])`` parsing expects. Field sets were
checked against ``discord/{user,member,role,channel,message,appinfo}.py``: a missing
required key surfaces as a ``KeyError`` deep inside the client, which is hard to debug.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .world import FakeChannel, FakeRole, FakeUser

Payload = dict[str, Any]

API_VERSION = 10
DISCORD_EPOCH_MS = 1_420_070_400_000
ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024

# Permission bits (https://discord.com/developers/docs/topics/permissions).
ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
USE_EXTERNAL_EMOJIS = 1 << 18
USE_APPLICATION_COMMANDS = 1 << 31
MANAGE_MESSAGES = 1 << 13
CREATE_PUBLIC_THREADS = 1 << 35
CREATE_PRIVATE_THREADS = 1 << 36
SEND_MESSAGES_IN_THREADS = 1 << 38
ALL_PERMISSIONS = (1 << 53) - 1
DEFAULT_EVERYONE_PERMISSIONS = (
    VIEW_CHANNEL | SEND_MESSAGES | READ_MESSAGE_HISTORY | ADD_REACTIONS | EMBED_LINKS | ATTACH_FILES
    | USE_EXTERNAL_EMOJIS | USE_APPLICATION_COMMANDS | SEND_MESSAGES_IN_THREADS
)
BOT_ROLE_PERMISSIONS = DEFAULT_EVERYONE_PERMISSIONS | CREATE_PUBLIC_THREADS
PUBLIC_THREAD, PRIVATE_THREAD = 11, 12  # channel types of threads

# Gateway intents; only the privileged ones matter to the fake.
INTENT_GUILD_MEMBERS = 1 << 1
INTENT_GUILD_PRESENCES = 1 << 8
INTENT_MESSAGE_CONTENT = 1 << 15
PRIVILEGED_INTENTS = INTENT_GUILD_MEMBERS | INTENT_GUILD_PRESENCES | INTENT_MESSAGE_CONTENT

# Message flags.
FLAG_EPHEMERAL = 1 << 6
FLAG_LOADING = 1 << 7

# Option types of application commands.
OPT_SUB_COMMAND, OPT_SUB_COMMAND_GROUP = 1, 2
OPT_STRING, OPT_INTEGER, OPT_BOOLEAN, OPT_USER, OPT_CHANNEL, OPT_ROLE = 3, 4, 5, 6, 7, 8
OPT_MENTIONABLE, OPT_NUMBER, OPT_ATTACHMENT = 9, 10, 11


class SnowflakeFactory:
    """Hands out strictly increasing ids that encode the *current* time.

    discord.py derives ``created_at`` from ids and uses it to decide whether an
    interaction token has expired (15 minutes), so ids with fake timestamps break
    ``Interaction.is_expired()`` and followups.
    """

    def __init__(self, worker: int = 1) -> None:
        self._worker = worker & 0x1F
        self._last = 0
        self._lock = threading.Lock()

    def next(self) -> int:
        """Return a fresh snowflake, unique within this factory."""
        with self._lock:
            ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
            candidate = (ms << 22) | (self._worker << 17)
            self._last = max(candidate, self._last + 1)
            return self._last

    def next_on_shard(self, shard_id: int, shard_count: int) -> int:
        """A fresh snowflake that, as a guild id, belongs to shard ``shard_id`` of ``shard_count``
        (see :func:`shard_of`): the next one, moved up to ``shard_count - 1`` milliseconds later."""
        if not 0 <= shard_id < shard_count:
            raise ValueError(f"shard {shard_id} is not one of 0..{shard_count - 1}")
        with self._lock:
            ms = max(int(time.time() * 1000) - DISCORD_EPOCH_MS, (self._last >> 22) + 1)
            ms += (shard_id - ms) % shard_count
            self._last = (ms << 22) | (self._worker << 17)
            return self._last


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard a guild's events go to, as Discord routes them: ``(guild_id >> 22) % shard_count``."""
    return (int(guild_id) >> 22) % max(1, shard_count)


def snowflake_time(snowflake: int) -> dt.datetime:
    """Creation time encoded in ``snowflake`` (what discord.py's ``created_at`` returns)."""
    ms = (snowflake >> 22) + DISCORD_EPOCH_MS
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)


def iso(moment: dt.datetime | None = None) -> str:
    """ISO-8601 timestamp with offset, as Discord sends and ``utils.parse_time`` reads."""
    return (moment or dt.datetime.now(dt.UTC)).isoformat()


def user_payload(user: FakeUser) -> Payload:
    """A full user object; ``username``, ``discriminator`` and ``avatar`` are required keys."""
    return {
        "id": str(user.id),
        "username": user.username,
        "discriminator": "0",
        "global_name": user.global_name,
        "avatar": None,
        "banner": None,
        "accent_color": None,
        "avatar_decoration_data": None,
        "bot": user.bot,
        "system": False,
        "public_flags": 0,
        "flags": 0,
        "primary_guild": None,
        "collectibles": None,
    }


def me_payload(user: FakeUser) -> Payload:
    """``GET /users/@me`` for the bot: a user plus the private fields ClientUser reads."""
    return {**user_payload(user), "verified": True, "mfa_enabled": False, "locale": "en-US", "email": None}


def member_payload(user: FakeUser, *, with_user: bool = True, permissions: int | None = None) -> Payload:
    """A guild member; ``roles``, ``flags`` and (for interactions) ``permissions`` are required."""
    data: Payload = {
        "roles": [str(r) for r in user.role_ids],
        "joined_at": iso(user.joined_at),
        "nick": user.nick,
        "avatar": None,
        "banner": None,
        "premium_since": None,
        "communication_disabled_until": None,
        "pending": False,
        "deaf": False,
        "mute": False,
        "flags": 0,
    }
    if with_user:
        data["user"] = user_payload(user)
    if permissions is not None:
        data["permissions"] = str(permissions)
    return data


def role_payload(role: FakeRole) -> Payload:
    """A role; discord.py reads ``colors`` (2.7) as well as the legacy ``color``."""
    data: Payload = {
        "id": str(role.id),
        "name": role.name,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "icon": None,
        "unicode_emoji": None,
        "position": role.position,
        "permissions": str(role.permissions),
        "managed": role.managed,
        "mentionable": role.mentionable,
        "flags": 0,
    }
    if role.bot_id is not None:
        data["tags"] = {"bot_id": str(role.bot_id)}
    return data


def channel_payload(channel: FakeChannel, *, recipients: list[Payload] | None = None) -> Payload:
    """A guild text channel (type 0) or a DM channel (type 1, with ``recipients``)."""
    if channel.type == 1:
        return {"id": str(channel.id), "type": 1, "recipients": recipients or [], "last_message_id": None, "flags": 0}
    if channel.type in (PUBLIC_THREAD, PRIVATE_THREAD):
        return {
            "id": str(channel.id), "type": channel.type, "guild_id": str(channel.guild_id), "name": channel.name,
            "parent_id": str(channel.parent_id), "owner_id": str(channel.owner_id), "last_message_id": None,
            "rate_limit_per_user": 0, "message_count": 0, "member_count": 1, "total_message_sent": 0, "flags": 0,
            "thread_metadata": {"archived": False, "auto_archive_duration": channel.auto_archive_duration,
                                "archive_timestamp": iso(snowflake_time(channel.id)), "locked": False,
                                "create_timestamp": iso(snowflake_time(channel.id))},
        }
    return {
        "id": str(channel.id),
        "type": channel.type,
        "guild_id": str(channel.guild_id),
        "name": channel.name,
        "position": channel.position,
        "permission_overwrites": [],
        "nsfw": False,
        "topic": None,
        "parent_id": None,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "flags": 0,
    }


def attachment_payload(
    attachment_id: int, filename: str, size: int, content_type: str | None, url: str
) -> Payload:
    """An attachment; ``size``, ``url`` and ``proxy_url`` are required by ``discord.Attachment``."""
    return {
        "id": str(attachment_id),
        "filename": filename,
        "size": size,
        "url": url,
        "proxy_url": url,
        "content_type": content_type,
        "description": None,
        "height": None,
        "width": None,
        "ephemeral": False,
        "flags": 0,
    }


def application_payload(application_id: int, name: str, owner: FakeUser, guild_count: int = 1) -> Payload:
    """``GET /oauth2/applications/@me``.

    ``interactions_endpoint_url`` must be present and null, otherwise discord.py logs that
    app commands and components will not be received over the gateway.
    """
    return {
        "id": str(application_id),
        "name": name,
        "description": "",
        "icon": None,
        "rpc_origins": [],
        "bot_public": True,
        "bot_require_code_grant": False,
        "owner": user_payload(owner),
        "team": None,
        "verify_key": "0" * 64,
        "flags": 0,
        "tags": [],
        "interactions_endpoint_url": None,
        "redirect_uris": [],
        "approximate_guild_count": guild_count,
        "integration_types_config": {"0": {}},
    }


def command_object(
    body: Payload, *, command_id: int, application_id: int, version: int, guild_id: int | None
) -> Payload:
    """Turn one entry of a bulk-overwrite body into the stored command Discord returns."""
    data: Payload = {
        "type": 1,
        "description": "",
        "options": [],
        "default_member_permissions": None,
        "nsfw": False,
        "contexts": None,
        "integration_types": [0],
        **body,
        "id": str(command_id),
        "application_id": str(application_id),
        "version": str(version),
    }
    if guild_id is not None:
        data["guild_id"] = str(guild_id)
    return data
