"""Progress of a refresh as text for Discord: what was read, embedded, and how long it has run.

Pure and thread-safe: the refresh (in a worker thread) reports stages, the
event loop reads a snapshot every couple of seconds to edit the reply.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable

STAGE_NAMES = {
    "read": "files read",
    "plan": "articles planned",
    "chunked": "passages cut",
    "embedding": "passages embedded",
    "fetch": "feeds fetched",
    "write": "index files written",
}


def format_elapsed(seconds: float) -> str:
    """`42 s` or `3 min 05 s`."""
    seconds = int(round(seconds))
    return f"{seconds} s" if seconds < 60 else f"{seconds // 60} min {seconds % 60:02d} s"


class RefreshTracker:
    """Collects `(stage, done, total)` progress calls; `text()` renders the latest of each stage."""

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
