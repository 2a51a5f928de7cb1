"""A question's window in both front ends: options win over words, what the answer says, the time zone setting."""

from __future__ import annotations

from datetime import date

import pytest

from bot.presentation import Window, format_window
from bot.settings import Settings, SettingsError
from bot.timewindows import empty_window, scope_question
from index.search.service import Filters

MONDAY = date(2026, 11, 30)


def test_words_in_the_question_become_the_filters() -> None:
    scoped = scope_question("Who won the election last week?", Filters(outlets=("CNN",)), MONDAY)
    assert scoped.filters == Filters(outlets=("CNN",), since=date(2026, 11, 23), until=date(2026, 11, 29))
    assert scoped.window == Window(date(2026, 11, 23), date(2026, 11, 29), phrase="last week",
                                   rule="the previous calendar week, Monday to Sunday")
    assert scoped.text == "Who won the election last week?", "the question is searched as asked (measured)"
    stripped = scope_question("Who won the election last week?", Filters(outlets=("CNN",)), MONDAY, strip=True)
    assert stripped.text == "Who won the election?" and stripped.filters == scoped.filters


def test_explicit_since_or_until_wins_over_the_words() -> None:
    options = Filters(since=date(2023, 5, 1))
    scoped = scope_question("Who won the election last week?", options, MONDAY)
    assert scoped.filters == options and scoped.text == "Who won the election last week?"
    assert scoped.window == Window(date(2023, 5, 1), None, ignored="last week")
    assert scoped.window.line() == ("Searched since 1 May 2023 (the since/until options; “last week” in the "
                                    "question was not applied).")


def test_no_time_words_no_window() -> None:
    scoped = scope_question("Who won the election?", Filters(), MONDAY)
    assert scoped.window is None and scoped.filters == Filters() and scoped.text == "Who won the election?"


def test_the_answer_says_which_window_it_searched() -> None:
    window = Window(date(2026, 11, 23), date(2026, 11, 29), phrase="last week", rule="…")
    assert window.line() == "Searched 23–29 November 2026 (“last week” in the question)."
    assert window.to_dict() == {"since": "2026-11-23", "until": "2026-11-29", "label": "23–29 November 2026",
                                "from": "question", "phrase": "last week", "rule": "…"}


@pytest.mark.parametrize(("since", "until", "label"), [
    (date(2023, 5, 3), date(2023, 5, 3), "3 May 2023"),
    (date(2026, 11, 23), date(2026, 11, 30), "23–30 November 2026"),
    (date(2026, 10, 28), date(2026, 11, 3), "28 October – 3 November 2026"),
    (date(2025, 12, 28), date(2026, 1, 3), "28 December 2025 – 3 January 2026"),
    (date(2023, 5, 3), None, "since 3 May 2023"),
    (None, date(2023, 3, 2), "until 2 March 2023"),
])
def test_window_labels_use_the_one_date_format(since: date | None, until: date | None, label: str) -> None:
    assert format_window(since, until) == label


def test_an_empty_window_offers_the_nearest_dates() -> None:
    window = Window(date(2021, 3, 1), date(2021, 3, 7), phrase="in the first week of March")
    asked: list[Filters] = []

    def nearest(filters: Filters) -> tuple[date | None, date | None]:
        asked.append(filters)
        return date(2021, 2, 26), date(2021, 3, 12)

    filters = Filters(outlets=("CNN",), since=window.since, until=window.until)
    assert empty_window(window, filters, True, nearest) is window and not asked, "found something: not asked"
    empty = empty_window(window, filters, False, nearest)
    assert asked == [filters], "the nearest dates are looked up within the same filters (the outlet)"
    assert empty.empty and empty.empty_line() == ("No articles from 1–7 March 2021; the nearest are from "
                                                  "26 February 2021 and 12 March 2021.")
    assert empty.to_dict()["nearest"] == {"before": "2021-02-26", "after": "2021-03-12"}
    one_side = Window(date(2021, 3, 1), date(2021, 3, 7), nearest=(None, date(2021, 3, 12)))
    assert one_side.empty_line() == "No articles from 1–7 March 2021; the nearest is from 12 March 2021."
    assert empty_window(None, Filters(), False, nearest) is None
    open_ended = Window(date(2030, 1, 1), None, nearest=(date(2023, 5, 3), None))
    assert open_ended.empty_line() == "No articles since 1 January 2030; the nearest is from 3 May 2023."


def test_the_time_zone_setting() -> None:
    assert Settings.from_env({}).timezone == "UTC"
    assert str(Settings.from_env({"NEWSBOT_TIMEZONE": "Europe/Paris"}).zone()) == "Europe/Paris"
    with pytest.raises(SettingsError, match="NEWSBOT_TIMEZONE.*'Europe/Pariss' is not an IANA time zone name"):
        Settings.from_env({"NEWSBOT_TIMEZONE": "Europe/Pariss"})
