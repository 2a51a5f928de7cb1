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
``world`` (guild, users, roles, channels), ``commands``, ``limits``, ``payloads``.
"""

from .harness import pointed_at, running_bot
from .limits import Violation, check_choices, check_message, message_body
from .payloads import (
    INTENT_GUILD_MEMBERS,
    INTENT_GUILD_PRESENCES,
    INTENT_MESSAGE_CONTENT,
    MANAGE_GUILD,
    PRIVILEGED_INTENTS,
    SnowflakeFactory,
    snowflake_time,
)
from .records import Recorded, UploadedFile
from .server import FakeDiscord
from .store import InteractionRecord
from .world import FakeChannel, FakeRole, FakeUser, World

__all__ = [
    "FakeChannel",
    "FakeDiscord",
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
    "snowflake_time",
]
