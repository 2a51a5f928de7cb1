"""The feed schedule as pure functions: due times, backoff doubling per failure, capped at a day."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from index.feeds.schedule import MAX_BACKOFF, earliest, is_due, next_due, retry_interval

T0 = datetime(2026, 11, 30, 10, 0, tzinfo=timezone.utc)
HALF_HOUR = timedelta(minutes=30)


def test_backoff_doubles_per_consecutive_failure_and_stops_at_a_day() -> None:
    waits = [retry_interval(HALF_HOUR, failures) for failures in range(8)]
    assert waits[:6] == [HALF_HOUR * m for m in (1, 2, 4, 8, 16, 32)]
    assert waits[6] == waits[7] == MAX_BACKOFF == timedelta(days=1)
    assert retry_interval(HALF_HOUR, 10_000) == MAX_BACKOFF


def test_an_interval_longer_than_a_day_is_never_shortened_by_the_cap() -> None:
    assert retry_interval(timedelta(days=2), 0) == timedelta(days=2)
    assert retry_interval(timedelta(days=2), 3) == timedelta(days=2)


def test_next_due_and_is_due() -> None:
    assert next_due(T0, HALF_HOUR, 0) == T0 + HALF_HOUR
    assert next_due(T0, HALF_HOUR, 2) == T0 + timedelta(hours=2)
    assert is_due(None, T0, HALF_HOUR), "a feed never fetched is due at once"
    assert is_due(T0, T0, HALF_HOUR) and not is_due(T0 + timedelta(seconds=1), T0, HALF_HOUR)


def test_a_zero_interval_means_only_by_hand() -> None:
    assert next_due(T0, timedelta(0), 3) is None
    assert not is_due(None, T0, timedelta(0))
    assert earliest([None, T0], T0, timedelta(0)) is None


def test_earliest() -> None:
    later = T0 + timedelta(minutes=5)
    assert earliest([later, T0 + HALF_HOUR], T0, HALF_HOUR) == later
    assert earliest([later, None], T0, HALF_HOUR) == T0
    assert earliest([], T0, HALF_HOUR) is None
