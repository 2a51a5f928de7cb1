"""Run a real discord.py client against a :class:`FakeDiscord`.

discord.py reads its endpoints from class attributes, so pointing a plain client at the
fake is a process-wide switch; :func:`pointed_at` restores the originals afterwards so one
test cannot leak its port into the next. (newsbot's ``NewsBot`` needs none of this: its
endpoints are its own, see ``bot.chat.endpoints`` and ``tests.support.e2e``.)
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import TypeVar

import discord
import yarl

from .server import FakeDiscord

ClientT = TypeVar("ClientT", bound=discord.Client)


@contextlib.contextmanager
def pointed_at(fake: FakeDiscord) -> Iterator[None]:
    """Point ``discord.http.Route.BASE`` and the default gateway at ``fake`` for the block."""
    old_base = discord.http.Route.BASE
    old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    discord.http.Route.BASE = fake.api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
    try:
        yield
    finally:
        discord.http.Route.BASE = old_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway


@contextlib.asynccontextmanager
async def running_bot(
    fake: FakeDiscord, client: ClientT, *, token: str | None = None, timeout: float = 10.0
) -> AsyncIterator[ClientT]:
    """Start ``client`` against ``fake``, yield once the fake sent GUILD_CREATE, close it after.

    If the client dies first (bad token, 4014...), its exception is raised instead of
    waiting for the timeout.
    """
    with pointed_at(fake):
        runner = asyncio.create_task(client.start(token or fake.token), name="fake-discord-client")
        ready = asyncio.create_task(fake.wait_until_ready(timeout))
        try:
            done, _ = await asyncio.wait({runner, ready}, return_when=asyncio.FIRST_COMPLETED)
            if runner in done:
                runner.result()  # raises the client's error
                raise AssertionError("client stopped before becoming ready")
            ready.result()
            yield client
        finally:
            ready.cancel()
            await client.close()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(runner, timeout)
