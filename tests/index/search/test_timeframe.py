"""Questions that name a time → publication windows (`index.search.timeframe`), with today injected."""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from index.search.timeframe import load_zone, local_today, parse_time_window

MONDAY = date(2026, 11, 30)  # a Monday
SUNDAY = date(2026, 11, 29)


def window(question: str, today: date = MONDAY) -> tuple[date | None, date | None] | None:
    found = parse_time_window(question, today)
    return None if found is None else (found.since, found.until)


def d(text: str) -> date:
    return date.fromisoformat(text)


@pytest.mark.parametrize(("question", "today", "since", "until"), [
    # days ("and the next": a day's news is reported that day and the next)
    ("What happened today?", MONDAY, "2026-11-30", "2026-11-30"),
    ("What happened yesterday in Paris?", MONDAY, "2026-11-29", "2026-11-30"),
    ("What happened 3 days ago?", MONDAY, "2026-11-27", "2026-11-28"),
    ("Who resigned on Tuesday?", MONDAY, "2026-11-24", "2026-11-25"),
    ("What did the court rule last Friday?", MONDAY, "2026-11-27", "2026-11-28"),
    # weeks run Monday to Sunday
    ("What did Biden say this week?", MONDAY, "2026-11-24", "2026-11-30"),  # the week just gone, not one day
    ("What did Biden say this week?", SUNDAY, "2026-11-23", "2026-11-29"),
    ("Who won the election last week?", MONDAY, "2026-11-23", "2026-11-29"),
    ("Who won the election last week?", SUNDAY, "2026-11-16", "2026-11-22"),
    ("What has changed since Monday?", date(2026, 12, 2), "2026-11-30", "2026-12-02"),
    ("What happened two weeks ago?", MONDAY, "2026-11-16", "2026-11-22"),
    ("What happened over the weekend?", MONDAY, "2026-11-28", "2026-11-29"),
    ("What happened over the weekend?", SUNDAY, "2026-11-28", "2026-11-29"),
    # rolling periods up to today
    ("What happened over the past 3 days?", MONDAY, "2026-11-28", "2026-11-30"),
    ("What did Apple do in the last two weeks?", MONDAY, "2026-11-17", "2026-11-30"),
    ("What happened in the past week?", MONDAY, "2026-11-24", "2026-11-30"),
    ("What happened this past month?", MONDAY, "2026-10-31", "2026-11-30"),
    # months, and their boundaries
    ("What happened this month?", MONDAY, "2026-11-01", "2026-11-30"),
    ("What happened last month?", MONDAY, "2026-10-01", "2026-10-31"),
    ("What happened last month?", date(2026, 3, 1), "2026-02-01", "2026-02-28"),
    ("What happened last month?", date(2024, 3, 1), "2024-02-01", "2024-02-29"),
    ("What happened in March?", MONDAY, "2026-03-01", "2026-03-31"),
    ("What happened in November?", MONDAY, "2026-11-01", "2026-11-30"),  # this one, so far
    ("What happened in December?", MONDAY, "2025-12-01", "2025-12-31"),  # a future month → the past one
    ("What happened in May?", date(2026, 3, 15), "2025-05-01", "2025-05-31"),
    ("What happened last March?", date(2026, 3, 15), "2025-03-01", "2025-03-31"),
    ("What happened in May 2023?", MONDAY, "2023-05-01", "2023-05-31"),
    # years
    ("What happened in 2023?", MONDAY, "2023-01-01", "2023-12-31"),
    ("What happened this year?", MONDAY, "2026-01-01", "2026-11-30"),
    ("What happened last year?", MONDAY, "2025-01-01", "2025-12-31"),
    # the year changes
    ("What happened last week?", date(2027, 1, 2), "2026-12-21", "2026-12-27"),
    ("What happened last month?", date(2027, 1, 2), "2026-12-01", "2026-12-31"),
    ("What happened last year?", date(2027, 1, 2), "2026-01-01", "2026-12-31"),
    ("What happened yesterday?", date(2027, 1, 1), "2026-12-31", "2027-01-01"),
    ("What happened on 31 December?", date(2027, 1, 2), "2026-12-31", "2027-01-01"),
    ("What happened in December?", date(2027, 1, 2), "2026-12-01", "2026-12-31"),
    # leap days
    ("What happened on 29 February?", date(2025, 3, 10), "2024-02-29", "2024-03-01"),
    ("What happened on February 29, 2024?", MONDAY, "2024-02-29", "2024-03-01"),
    ("What happened in February?", date(2024, 3, 5), "2024-02-01", "2024-02-29"),
    # days of a month
    ("What happened on 3 May?", MONDAY, "2026-05-03", "2026-05-04"),
    ("What happened on May 3rd, 2023?", MONDAY, "2023-05-03", "2023-05-04"),
    ("What happened on 2023-05-03?", MONDAY, "2023-05-03", "2023-05-04"),
    ("What happened on 3 May?", date(2026, 3, 15), "2025-05-03", "2025-05-04"),
    # ranges
    ("What happened between 1 and 5 March?", MONDAY, "2026-03-01", "2026-03-05"),
    ("What happened between 1 March and 5 April 2023?", MONDAY, "2023-03-01", "2023-04-05"),
    ("What happened from 1 March to 5 March 2023?", MONDAY, "2023-03-01", "2023-03-05"),
    ("What happened March 1-5?", MONDAY, "2026-03-01", "2026-03-05"),
    ("What happened on 1–5 March 2023?", MONDAY, "2023-03-01", "2023-03-05"),
    ("What happened between December and February?", date(2026, 3, 15), "2025-12-01", "2026-02-28"),
    ("What happened from 2020 to 2022?", MONDAY, "2020-01-01", "2022-12-31"),
    # one side open
    ("What happened before 3 March 2023?", MONDAY, None, "2023-03-02"),
    ("What happened after May 3, 2023?", MONDAY, "2023-05-04", "2026-11-30"),
    ("What changed since 2020?", MONDAY, "2020-01-01", "2026-11-30"),
    ("What changed since March 2023?", MONDAY, "2023-03-01", "2026-11-30"),
    ("What was reported until 2021?", MONDAY, None, "2021-12-31"),
])
def test_phrases_name_windows(question: str, today: date, since: str | None, until: str) -> None:
    assert window(question, today) == (d(since) if since else None, d(until))


@pytest.mark.parametrize("question", [
    # words that only look like dates
    "What may happen to interest rates?",
    "Why did protesters march in Paris?",
    "What did the Sunday Times report about the minister?",
    "How much did shoppers spend on Black Friday?",
    "What does the 2023 report on climate say?",
    "What did the senator say on Fox News Sunday?",
    "Who planned the attacks of 9/11?",
    "What did Apple show at Apple's May event?",
    "What did USA Today report about the storm?",
    "Which team won March Madness?",
    "Who spoke on Sunday Night Football?",
    "What happened on Super Tuesday?",
    "What happened in may?",
    "Which airline was sold in May's auction?",
    "What did the 1990s bring?",
    "How many speeches were given in 2,000 towns?",
    # events without a date
    "What did the candidates promise before the election?",
    "What has changed since the war began?",
    # the future
    "What will happen next week?",
    "Which singer will launch a residency later this year?",
    "Who will the Senate vote for on Monday?",
    "What is expected in December?",
    "What happens tomorrow?",
    "What will happen in 2030?",
    "Temperatures are set to soar this weekend: how hot will it get?",
    # vague, historical or comparative
    "What happened recently in Gaza?",
    "Where did the plague originate over 600 years ago?",
    "How much higher are prices than they were a year ago?",
    "Pass grades fell from 79% last year to what?",
    "A baseball card from 1952 sold for how much?",
    "What happened on the last day of the summit?",
    "What happened in the last week of June?",
    "What did last year's report say?",
    # two different windows: ambiguous
    "Who said yesterday that prices rose in March?",
])
def test_words_that_are_not_a_time_restriction_give_no_window(question: str) -> None:
    assert parse_time_window(question, MONDAY) is None


def test_the_window_carries_the_phrase_its_place_and_the_rule() -> None:
    question = "Who won the election last week?"
    found = parse_time_window(question, MONDAY)
    assert found is not None
    assert question[found.start:found.end] == found.phrase == "last week"
    assert "Monday to Sunday" in found.rule
    assert found.text_without(question) == "Who won the election?"
    assert found.contains(d("2026-11-23")) and found.contains(d("2026-11-29")) and not found.contains(MONDAY)


def test_taking_the_phrase_out_tidies_the_text_and_never_leaves_nothing() -> None:
    question = "Last week, which automaker recalled 2.9 million vehicles?"
    found = parse_time_window(question, MONDAY)
    assert found is not None and found.text_without(question) == "which automaker recalled 2.9 million vehicles?"
    alone = parse_time_window("last week", MONDAY)
    assert alone is not None and alone.text_without("last week") == "last week"


def test_the_same_window_named_twice_is_one_window() -> None:
    assert window("What happened last week? Anything big last week?") == (d("2026-11-23"), d("2026-11-29"))


def test_today_is_the_day_in_the_configured_time_zone_near_midnight() -> None:
    late_utc = datetime(2026, 11, 30, 23, 30, tzinfo=timezone.utc)
    assert local_today(ZoneInfo("UTC"), late_utc) == MONDAY
    assert local_today(load_zone("Asia/Tokyo"), late_utc) == date(2026, 12, 1)
    early_utc = datetime(2026, 12, 1, 3, 0, tzinfo=timezone.utc)
    assert local_today(load_zone("America/Los_Angeles"), early_utc) == MONDAY
    # the same moment, "yesterday" names different days in different zones
    tokyo = local_today(load_zone("Asia/Tokyo"), late_utc)
    assert window("What happened yesterday?", tokyo) == (MONDAY, date(2026, 12, 1))
    assert window("What happened yesterday?", local_today(ZoneInfo("UTC"), late_utc)) == (SUNDAY, MONDAY)


@pytest.mark.parametrize("name", ["Mars/Olympus", "", "../etc/passwd", "Europe/"])
def test_a_bad_zone_name_is_a_clear_error(name: str) -> None:
    with pytest.raises(ValueError, match="not an IANA time zone name.*Europe/Paris"):
        load_zone(name)
