"""Starting the real newsbot against the local fake Discord, the way `newsbot run` starts it.

Settings come from an environment mapping through `Settings.from_env` (so the
DISCORD_API_BASE / DISCORD_GATEWAY_URL parsing is exercised), the bot from
`bot.chat.run.create_bot` and it runs in `bot.chat.run.serve`, over real sockets, in the
test's event loop. Only the embedding model is shared between tests (loading
it per test would cost seconds). The fake's addresses are the bot's own
(`NewsBot.endpoints`): nothing process-wide is changed, so nothing is restored.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path

from bot.chat.client import NewsBot
from bot.chat.run import check_token, create_bot, serve
from bot.settings import Settings
from index.library import Library
from tests.support.fake_discord import FakeDiscord

TOKEN = "MTAxODk.fake-e2e.token-for-tests"  # shaped like a bot token: three parts separated by dots


def e2e_env(fake: FakeDiscord, corpus: Path, index: Path, **env: str) -> dict[str, str]:
    """The environment `newsbot run` would read its settings from, pointed at the fake (also what a bot
    started as a separate process gets)."""
    values = {
        "DISCORD_TOKEN": fake.token,
        "DISCORD_API_BASE": fake.base_url,  # without /api/v10: the settings append it
        "DISCORD_GATEWAY_URL": fake.gateway_url,
        "DISCORD_GUILD_IDS": str(fake.guild_id),
        "NEWSBOT_CORPUS_DIR": str(corpus),
        "NEWSBOT_INDEX_DIR": str(index),
        "NEWSBOT_COOLDOWN_SECONDS": "0",
    }
    values.update(env)
    return values


def e2e_settings(fake: FakeDiscord, corpus: Path, index: Path, **env: str) -> Settings:
    """Settings as `newsbot run` would read them from .env, pointed at the fake."""
    return Settings.from_env(e2e_env(fake, corpus, index, **env))


def copy_index(source: Path, target: Path) -> Path:
    """A private copy of a built index (the bot writes its state database into the index folder)."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("state.sqlite*"))
    return target


@contextlib.asynccontextmanager
async def online(fake: FakeDiscord, settings: Settings, library: Library, timeout: float = 20.0,
                 prepare: Callable[[], None] | None = None, shard_count: int | None = None,
                 shard_ids: Sequence[int] | None = None) -> AsyncIterator[NewsBot]:
    """Run the production bot until the block ends; fails fast if it stops before being ready.

    Args:
        prepare: start-up work run after login and before connecting (as `newsbot run` does).
        shard_count, shard_ids: run it sharded, as `newsbot run --shards N --shard-ids …` does; the block
            starts once each of its shards is ready (other processes may run the other shards).
    """
    bot = create_bot(settings, library, shard_count, shard_ids)
    runner = asyncio.create_task(serve(bot, check_token(settings.discord_token), prepare=prepare,
                                         handle_signals=False))
    # the fake sent READY and GUILD_CREATE: events sent after them reach the bot after them, so the
    # guild is cached before any test interaction (discord.py's own on_ready comes ~2 s later)
    if shard_count is None:
        ready = asyncio.create_task(fake.wait_until_ready(timeout))
    else:
        ready = asyncio.create_task(fake.wait_until_ready(timeout, shard_ids=shard_ids, shard_count=shard_count))
    try:
        done, _ = await asyncio.wait({runner, ready}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if runner in done:
            runner.result()
            raise AssertionError("the bot stopped before it was ready")
        if ready not in done:
            raise AssertionError(f"the bot was not ready within {timeout}s; requests: "
                                 f"{[(r.method, r.path, r.status) for r in fake.requests]}")
        yield bot
    finally:
        ready.cancel()
        await bot.close()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(runner, timeout)


def embed_text(message: dict) -> str:
    """Every visible text of a message's embeds, for assertions."""
    parts = [message.get("content") or ""]
    for embed in message.get("embeds", []):
        parts += [embed.get("title") or "", embed.get("description") or "",
                  (embed.get("footer") or {}).get("text") or "", (embed.get("author") or {}).get("name") or ""]
        parts += [f"{f['name']}: {f['value']}" for f in embed.get("fields", [])]
    return "\n".join(parts)


def custom_ids(message: dict) -> list[str]:
    """Custom ids of every button of a message, in order."""
    return [c["custom_id"] for row in message.get("components", []) for c in row.get("components", [])
            if "custom_id" in c]
