"""Bringing the bot online: check the token, log in, run the start-up work, connect.

Every way start-up can fail for a reason the operator can fix (no token, a
token Discord rejects, an unreachable API) ends in one clear `StartupError`,
never a traceback. `bot.cli.run` (`newsbot run`) and the end-to-end tests
start the bot through these functions.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import Callable, Sequence

import aiohttp
import discord

from bot.chat.answering import Request, answer_message
from bot.chat.client import NewsBot, ShardedNewsBot
from bot.settings import Settings, SettingsError
from index.library import Library

log = logging.getLogger(__name__)

TOKEN_HELP = (
    "To get a token: open https://discord.com/developers/applications, click \"New Application\" (or open yours), "
    "go to \"Bot\", click \"Reset Token\" and copy it. Put it in a .env file in the folder you run newsbot from "
    "as DISCORD_TOKEN=<the token> (or set it in the environment). README, \"Run it in your server\", has every step."
)


class StartupError(SettingsError):
    """The bot cannot go online for a reason the operator can fix; the message says which and how."""


def check_token(raw: str) -> str:
    """The token as discord.py wants it (without a `Bot ` prefix).

    Raises:
        StartupError: missing, or obviously not a bot token (e.g. the client secret was pasted).
    """
    token = raw.strip()
    if token.lower().startswith("bot "):
        token = token[4:].strip()
    if not token:
        raise StartupError("DISCORD_TOKEN is not set. " + TOKEN_HELP)
    if any(c.isspace() for c in token) or token.count(".") != 2:
        raise StartupError("DISCORD_TOKEN does not look like a bot token (those have three parts separated by "
                           "dots); the client secret, public key or application id do not work here. " + TOKEN_HELP)
    return token


def create_bot(settings: Settings, library: Library, shard_count: int | None = None,
               shard_ids: Sequence[int] | None = None) -> NewsBot:
    """The bot exactly as `newsbot run` builds it (the end-to-end tests use this too).

    Args:
        shard_count: run sharded (`ShardedNewsBot`) with this many shards in all; None: one connection.
        shard_ids: the shards this process runs (default: all of them).

    Raises:
        StartupError: shard ids outside 0..shard_count-1, or ids without a count.
    """
    if shard_count is None:
        if shard_ids:
            raise StartupError("--shard-ids needs --shards: the total number of shards across all processes")
        return NewsBot(library, settings)
    ids = sorted(set(shard_ids)) if shard_ids else None
    if shard_count < 1 or (ids and (ids[0] < 0 or ids[-1] >= shard_count)):
        raise StartupError(f"shard ids must be 0 to {shard_count - 1} for --shards {shard_count}, got {shard_ids}")
    return ShardedNewsBot(library, settings, shard_count=shard_count, shard_ids=ids)


async def serve(bot: NewsBot, token: str, prepare: Callable[[], None] | None = None,
                handle_signals: bool = True) -> None:
    """Log in, run `prepare` (in a thread), connect; run until the bot is closed.

    Why log in first: a rejected token is reported at once, not after minutes of
    building an index. The gateway connection, and with it the first question,
    comes only once `prepare` has made the index ready.

    Args:
        prepare: blocking start-up work (see `prepare_library`).
        handle_signals: SIGTERM and SIGINT close the bot cleanly (only where the loop can take them).

    Raises:
        StartupError: Discord rejected the token, or the API or gateway cannot be reached.
    """
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()

    def on_signal() -> None:
        stop.set()
        asyncio.ensure_future(bot.close())

    for sig in (signal.SIGTERM, signal.SIGINT) if handle_signals else ():
        try:
            loop.add_signal_handler(sig, on_signal)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or not supported here
            pass
    base = bot.endpoints.api_base
    async with bot:
        try:
            await bot.login(token)
        except Exception as exc:  # noqa: BLE001 - mapped to an operator message, or re-raised as is
            raise _startup_error(exc, base) from None
        if prepare is not None and not await _until_done_or_stopped(prepare, stop):
            return
        try:
            await bot.connect()
        except Exception as exc:  # noqa: BLE001 - as above
            raise _startup_error(exc, base) from None


async def rehearse(bot: NewsBot, question: str, prepare: Callable[[], None] | None = None,
                   mark: Callable[[str], None] = lambda _step: None) -> dict:
    """`serve`'s start-up without Discord, then one question through `/ask`'s own path (`newsbot bench`'s
    `startup` section times it in a fresh process).

    In `serve`'s order, minus logging in and connecting: `setup_hook` (state database, cogs; registering
    slash commands needs the application id a login brings, so nothing is sent), `prepare` (in a thread),
    `on_ready`'s article catalogue, then `Answering.answer` (time words, search in a thread, compose,
    record; the answer is recorded for user 0) and `answer_message` (embeds and buttons), all but sending.
    `mark(step)` is called as each ends: "setup_hook", "prepare", "catalog", "first_answer". Closes the bot.

    Returns:
        {"confident": bool, "items": passages in the answer, "cards": embeds of the message}.

    Raises:
        NewsIndexError, CorpusError: the index cannot be read.
    """
    try:
        await bot.setup_hook()
        mark("setup_hook")
        if prepare is not None:
            await asyncio.to_thread(prepare)
        mark("prepare")
        await bot.catalog()
        mark("catalog")
        answer, answer_id, more = await bot.answering.answer(Request(question, 5), discord.Object(id=0), None, None)
        message = answer_message(answer, answer_id, more, 0)
        mark("first_answer")
        return {"confident": answer.confident, "items": len(answer.items), "cards": len(message["embeds"])}
    finally:
        await bot.close()


def _startup_error(exc: Exception, base: str) -> Exception:
    """What to tell the operator about a failure to log in or connect (other errors pass unchanged)."""
    if isinstance(exc, discord.LoginFailure):
        return StartupError("Discord rejected DISCORD_TOKEN (401 Unauthorized): it was reset, revoked or copied "
                            "incompletely. " + TOKEN_HELP)
    if isinstance(exc, discord.PrivilegedIntentsRequired):
        return StartupError("Discord refused an intent this bot asked for; newsbot needs no privileged intent, "
                            "so update newsbot or check the Bot page of your application.")
    if isinstance(exc, (aiohttp.ClientConnectionError, discord.GatewayNotFound, discord.ConnectionClosed, OSError)):
        return StartupError(f"cannot reach Discord ({base}): {exc}. Check the network, and DISCORD_API_BASE / "
                            "DISCORD_GATEWAY_URL if you set them.")
    if isinstance(exc, discord.HTTPException):
        return StartupError(f"Discord answered {exc.status} while the bot was starting: {exc.text or exc}. "
                            "Try again in a minute; if it persists, check https://discordstatus.com.")
    return exc


async def _until_done_or_stopped(fn: Callable[[], None], stop: asyncio.Event) -> bool:
    """Run blocking `fn` in a daemon thread; False when a signal asked to stop first.

    Why a daemon thread: building an index can take minutes, and Ctrl+C must
    not wait for it. Abandoning a build is safe: a half-written version is
    never made current and is cleaned up at the next start.
    """
    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()

    def settle(error: BaseException | None) -> None:
        if not done.done():
            done.set_exception(error) if error else done.set_result(None)

    def target() -> None:
        try:
            fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the event loop as is
            loop.call_soon_threadsafe(settle, exc)
        else:
            loop.call_soon_threadsafe(settle, None)

    threading.Thread(target=target, name="newsbot-prepare", daemon=True).start()
    stopped = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({done, stopped}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopped.cancel()
    if done.done():
        done.result()
        return True
    return False
