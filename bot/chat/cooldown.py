"""A per-user cooldown for questions: cheap protection of a shared CPU.

Why not discord.py's `app_commands.checks.cooldown`: the same budget must cover
slash commands, mentions, DMs and the "Find source" menu, and a question
refused by input checks must not cost the user their turn.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable


class Cooldown:
    """At most one question per `seconds` per user; `seconds == 0` disables it."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = float(seconds)
        self._clock = clock
        self._last: dict[int, float] = {}
        self._lock = threading.Lock()

    def retry_after(self, user_id: int) -> float:
        """Seconds the user still has to wait (0 when they may ask now), without taking a turn."""
        if self.seconds <= 0:
            return 0.0
        with self._lock:
            last = self._last.get(user_id)
        if last is None:
            return 0.0
        return max(0.0, last + self.seconds - self._clock())

    def try_acquire(self, user_id: int) -> float:
        """Take the user's turn if they may ask now (returns 0), else the seconds left (nothing taken)."""
        if self.seconds <= 0:
            return 0.0
        now = self._clock()
        with self._lock:
            last = self._last.get(user_id)
            if last is not None and now - last < self.seconds:
                return last + self.seconds - now
            self._last[user_id] = now
            if len(self._last) > 10_000:  # forget users whose cooldown has long expired
                self._last = {u: t for u, t in self._last.items() if now - t < self.seconds}
        return 0.0

    @staticmethod
    def message(wait: float) -> str:
        """What the user is told."""
        return f"You are asking quickly: try again in {max(1, math.ceil(wait))} s."
