"""Run blocking work (a refresh, a corpus change and its refresh) in a thread, showing its progress meanwhile.

Shared by `/refresh` and `/corpus …`: the work runs off the event loop (so the
bot keeps answering), and the message is edited with the tracker's text at
most every `PROGRESS_EVERY` seconds, since Discord rate-limits message edits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from bot.chat.progress import RefreshTracker

if TYPE_CHECKING:
    from bot.chat.client import NewsBot

PROGRESS_EVERY = 2.0  # seconds between edits
T = TypeVar("T")


async def run_with_progress(bot: NewsBot, tracker: RefreshTracker, show: Callable[[str], Awaitable[None]],
                            fn: Callable[..., T], *args: Any, every: float = PROGRESS_EVERY,
                            **kwargs: Any) -> asyncio.Future[T]:
    """Run `fn(*args, **kwargs)` in a thread; `show` the tracker's text whenever it changed; returns the done task.

    The task is returned finished (never awaited here), so the caller decides how each error reads.
    """
    task: asyncio.Future[T] = asyncio.ensure_future(bot.run_blocking(fn, *args, **kwargs))
    shown = ""
    while True:
        done, _ = await asyncio.wait({task}, timeout=every)
        if done:
            return task
        if (text := tracker.text()) != shown:
            shown = text
            await show(text)
