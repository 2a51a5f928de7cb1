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
    """At most one question per `seconds` per user; `seconds == 0` disables it.

    A server may set its own cooldown (`/settings cooldown`): callers pass it as `seconds`, and a user's
    turn is kept per server (`key`), so a slow server never slows its members elsewhere.
    """

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = float(seconds)
        self._clock = clock
        self._last: dict[tuple[int | None, int], float] = {}
        self._lock = threading.Lock()

    def retry_after(self, user_id: int, seconds: float | None = None, key: int | None = None) -> float:
        """Seconds the user still has to wait (0 when they may ask now), without taking a turn.

        Args:
            seconds: this place's cooldown (default: the bot's).
            key: where the turn is kept (a server id; None: DMs).
        """
        with self._lock:
            return self._left(user_id, self.seconds if seconds is None else float(seconds), key, self._clock())

    def try_acquire(self, user_id: int, seconds: float | None = None, key: int | None = None) -> float:
        """Take the user's turn if they may ask now (returns 0), else the seconds left (nothing taken).

        Args:
            seconds: this place's cooldown (default: the bot's).
            key: where the turn is kept (a server id; None: DMs).
        """
        seconds = self.seconds if seconds is None else float(seconds)
        now = self._clock()
        with self._lock:
            left = self._left(user_id, seconds, key, now)
            if left or seconds <= 0:
                return left
            self._last[(key, user_id)] = now
            if len(self._last) > 10_000:  # forget users whose cooldown has long expired (an hour at most)
                self._last = {u: t for u, t in self._last.items() if now - t < 3600}
        return 0.0

    def _left(self, user_id: int, seconds: float, key: int | None, now: float) -> float:
        """Seconds left of the user's turn here (0: may ask); the caller holds the lock."""
        last = self._last.get((key, user_id))
        if seconds <= 0 or last is None:
            return 0.0
        return max(0.0, last + seconds - now)

    @staticmethod
    def message(wait: float) -> str:
        """What the user is told."""
        return f"You are asking quickly: try again in {max(1, math.ceil(wait))} s."
