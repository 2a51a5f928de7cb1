"""Refresh progress on Discord: what was read and embedded, how long it has run, and who started it.

`RefreshTracker` is pure and thread-safe: the refresh (in a worker thread)
reports stages, and `run_with_progress` (on the event loop) reads a snapshot
every couple of seconds to edit the reply. `Refreshing` is the bot's record of
the `/refresh` in progress, used by `/refresh` (one at a time) and read by `/stats`.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from bot.chat.client import NewsBot

STAGE_NAMES = {
    "read": "files read",
    "plan": "articles planned",
    "chunked": "passages cut",
    "embedding": "passages embedded",
    "fetch": "feeds fetched",
    "write": "index files written",
}
PROGRESS_EVERY = 2.0  # seconds between edits: Discord rate-limits message edits
T = TypeVar("T")


def format_elapsed(seconds: float) -> str:
    """`42 s` or `3 min 05 s`."""
    seconds = int(round(seconds))
    return f"{seconds} s" if seconds < 60 else f"{seconds // 60} min {seconds % 60:02d} s"


class RefreshTracker:
    """Collects `(stage, done, total)` progress calls; `text()` renders the latest of each stage.

    Args:
        actor: who started the refresh, as shown in the messages (a mention).
        clock: seconds, monotonic (a fake one in tests).
    """

    def __init__(self, actor: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.actor = actor
        self._clock = clock
        self.started = clock()
        self._stages: dict[str, tuple[int, int]] = {}
        self._lock = threading.Lock()

    def __call__(self, stage: str, done: int, total: int) -> None:
        with self._lock:
            self._stages[stage] = (done, total)

    @property
    def elapsed(self) -> float:
        """Seconds since the refresh started."""
        return self._clock() - self.started

    def lines(self) -> list[str]:
        """One line per stage reached so far, in the order they were first reported."""
        with self._lock:
            stages = list(self._stages.items())
        out = []
        for stage, (done, total) in stages:
            name = STAGE_NAMES.get(stage, stage)
            out.append(f"{name}: {done}" if done == total else f"{name}: {done} of {total}")
        return out

    def text(self) -> str:
        """The progress message."""
        body = "\n".join(f"• {line}" for line in self.lines()) or "• starting…"
        return f"Refreshing the corpus (started by {self.actor}, {format_elapsed(self.elapsed)} so far)…\n{body}"

    def summary(self, summary_lines: Iterable[str]) -> str:
        """The final message: the report's summary lines and the time taken."""
        lines = [f"• {line}" for line in summary_lines]
        return f"Refresh finished in {format_elapsed(self.elapsed)} (started by {self.actor}).\n" + "\n".join(lines)


class Refreshing:
    """The `/refresh` this bot is running, if any (one bot-owned instance: `NewsBot.refreshing`).

    Lives on the event loop only (no lock): `/refresh` claims it with `track`,
    `/stats` reads `running`.
    """

    def __init__(self) -> None:
        self.current: RefreshTracker | None = None

    @property
    def running(self) -> bool:
        """True while a `/refresh` is in progress."""
        return self.current is not None

    @contextlib.contextmanager
    def track(self, actor: str) -> Iterator[RefreshTracker]:
        """A new tracker for the block, as `current`; cleared when the block ends, however it ends.

        Raises:
            RuntimeError: a refresh is already being tracked (check `current` first).
        """
        if self.current is not None:
            raise RuntimeError(f"a refresh started by {self.current.actor} is already running")
        tracker = self.current = RefreshTracker(actor)
        try:
            yield tracker
        finally:
            self.current = None


async def run_with_progress(bot: NewsBot, tracker: RefreshTracker, show: Callable[[str], Awaitable[None]],
                            fn: Callable[..., T], *args: Any, every: float = PROGRESS_EVERY,
                            **kwargs: Any) -> asyncio.Future[T]:
    """Run `fn(*args, **kwargs)` in a thread; `show` the tracker's text whenever it changed; returns the done task.

    Shared by `/refresh` and `/corpus …`: the work runs off the event loop (so
    the bot keeps answering), and the message is edited at most every `every`
    seconds. The task is returned finished (never awaited here), so the caller
    decides how each error reads; only `show`'s own errors propagate.
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
