"""When a feed is fetched next: pure functions of the clock, the interval and the failures so far.

The rule (README, "Live feeds"): a feed is due every `NEWSBOT_REFRESH_MINUTES`; a feed
that fails waits twice as long after each consecutive failure (1, 2, 4, 8 … intervals:
exponential backoff, as feed readers and HTTP clients do so a broken feed is not
hammered), at most `MAX_BACKOFF` (a day; or the interval itself when that is longer), and
is back on its interval after its first success. An interval of zero means feeds are
fetched only by hand (`/refresh`, `newsbot refresh`): nothing is ever due.
"""

from __future__ import annotations

from datetime import datetime, timedelta

MAX_BACKOFF = timedelta(days=1)


def retry_interval(interval: timedelta, failures: int, cap: timedelta = MAX_BACKOFF) -> timedelta:
    """How long to wait after a fetch followed by `failures` consecutive failures (0: it succeeded).

    `interval * 2**failures`, capped at `cap` (or at `interval` when that is longer).

    >>> retry_interval(timedelta(minutes=30), 3)
    datetime.timedelta(seconds=14400)
    >>> retry_interval(timedelta(minutes=30), 20)
    datetime.timedelta(days=1)
    """
    if interval <= timedelta(0):
        return timedelta(0)
    ceiling = max(cap, interval)
    if failures <= 0:
        return interval
    if failures >= 40:  # 2**40 intervals is past any cap; avoids huge numbers
        return ceiling
    return min(interval * (2 ** failures), ceiling)


def next_due(now: datetime, interval: timedelta, failures: int, cap: timedelta = MAX_BACKOFF) -> datetime | None:
    """When a feed fetched at `now` is due again (None: never by itself, the schedule is off)."""
    if interval <= timedelta(0):
        return None
    return now + retry_interval(interval, failures, cap)


def is_due(due: datetime | None, now: datetime, interval: timedelta) -> bool:
    """True when a feed whose next fetch is `due` should be fetched at `now` (never, when the schedule is off;
    at once, when it was never fetched)."""
    if interval <= timedelta(0):
        return False
    return due is None or due <= now


def earliest(dues: list[datetime | None], now: datetime, interval: timedelta) -> datetime | None:
    """The soonest moment any of these feeds is due (`now` when one is due already; None: none ever is)."""
    if interval <= timedelta(0) or not dues:
        return None
    if any(d is None or d <= now for d in dues):
        return now
    return min(d for d in dues if d is not None)
