"""A local fake Discord (REST + gateway) for end-to-end tests of the real discord.py client.

Typical use (``fake_discord`` fixture from :mod:`.fixtures`, bot built by the test)::

    async with running_bot(fake, bot):                 # points discord.py at the fake
        ix = await fake.slash("headline", {"topic": "rust"})
        await fake.wait_for_original_edit(ix)          # no sleeps: wait on requests
        assert fake.final_message(ix)["embeds"][0]["title"] == "..."
        fake.assert_no_violations()                    # Discord's size limits held

Module map: ``server`` (FakeDiscord, HTTP plumbing), ``driving`` (inject events),
``results`` (request log, message state), ``gateway``, ``rest``/``rest_messages``
(endpoints), ``dispatch`` (event payloads), ``store`` (messages, interactions),
``world`` (guilds, users, roles, channels), ``commands``, ``limits``, ``payloads``.

More than one guild::

    b = fake.add_guild("Server B")                     # before the bot connects
    admin_b = b.add_user("admin-b", permissions=MANAGE_GUILD | ADMINISTRATOR)
    b.add_member(fake.normal_user)                     # one user, several guilds, different roles
    ix = await fake.slash("ask", {...}, guild=b, user=admin_b)   # guild=False: a DM
    await fake.remove_bot_from_guild(b)                # GUILD_DELETE → on_guild_remove
    await fake.add_bot_to_guild(b)                     # GUILD_CREATE → on_guild_join

Threads: ``POST /channels/{id}/threads`` (Start Thread without Message) makes a thread channel (type 11/12,
``parent_id`` set) the bot can post in; it needs Create Public Threads, which the bot's role has. Posting in a guild channel needs Send Messages (in a
thread, Send Messages in Threads), as on Discord: take it from ``@everyone`` and the bot's role to see a 403.

Shards, routed as Discord routes them (a guild belongs to shard ``(guild_id >> 22) % shard_count``)::

    one = fake.add_guild("One", shard=(1, 2))          # an id that lands on shard 1 of 2
    # a session that identified with shard [1, 2] gets READY/GUILD_CREATE for One only, and every event
    # of One (slash, send_message, ...); DMs go to shard 0; unsharded sessions ([0, 1]) get everything
    await fake.wait_until_ready(shard_ids=[1], shard_count=2)
    FakeDiscord(shard_count=2)                         # what GET /gateway/bot recommends
"""

from .harness import pointed_at, running_bot
from .limits import Violation, check_choices, check_message, message_body
from .payloads import (
    ADMINISTRATOR,
    INTENT_GUILD_MEMBERS,
    INTENT_GUILD_PRESENCES,
    INTENT_MESSAGE_CONTENT,
    MANAGE_GUILD,
    PRIVILEGED_INTENTS,
    SnowflakeFactory,
    shard_of,
    snowflake_time,
)
from .records import Recorded, UploadedFile
from .server import FakeDiscord
from .store import InteractionRecord
from .world import FakeChannel, FakeGuild, FakeMember, FakeRole, FakeUser, World

__all__ = [
    "ADMINISTRATOR",
    "FakeChannel",
    "FakeDiscord",
    "FakeGuild",
    "FakeMember",
    "FakeRole",
    "FakeUser",
    "INTENT_GUILD_MEMBERS",
    "INTENT_GUILD_PRESENCES",
    "INTENT_MESSAGE_CONTENT",
    "InteractionRecord",
    "MANAGE_GUILD",
    "PRIVILEGED_INTENTS",
    "Recorded",
    "SnowflakeFactory",
    "UploadedFile",
    "Violation",
    "World",
    "check_choices",
    "check_message",
    "message_body",
    "pointed_at",
    "running_bot",
    "shard_of",
    "snowflake_time",
]
