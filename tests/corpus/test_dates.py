"""Publication dates: one strict function; the publisher's local day; unreadable or implausible dates left out and reported."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from corpus.dates import DateError, first_date, read_date
from corpus.errors import DroppedDate
from corpus.readers.html import article_from_html

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(("value", "day"), [
    # the publisher's local day, whatever the offset (the UTC day of these is 11 March)
    ("2019-03-10T23:30:00-08:00", date(2019, 3, 10)),
    ("Sun, 10 Mar 2019 23:30:00 -0800", date(2019, 3, 10)),
    ("Sun, 10 Mar 2019 23:30:00 PST", date(2019, 3, 10)),
    ("2019-03-11T05:30:00+14:00", date(2019, 3, 11)),
    # RFC 822 with named and numeric zones, two-digit years (RFC 5322 section 4.3), no day name
    ("Wed, 07 Mar 2018 08:15:00 GMT", date(2018, 3, 7)),
    ("Wed, 7 Mar 2018 08:15 +0530", date(2018, 3, 7)),
    ("07 Mar 2018 08:15:00 EST", date(2018, 3, 7)),
    ("7 Mar 18 08:15 Z", date(2018, 3, 7)),
    ("7 Mar 99 08:15 UT", date(1999, 3, 7)),
    ("Wed, 07 Mar 2018 08:15:00 CEST", date(2018, 3, 7)),
    # ISO 8601 with and without offsets
    ("2018-03-07", date(2018, 3, 7)),
    ("2018-03-07T08:15", date(2018, 3, 7)),
    ("2018-03-07T08:15:00Z", date(2018, 3, 7)),
    ("2018-03-07T08:15:00.123456+05:30", date(2018, 3, 7)),
    ("2018-03-07 08:15:00+0100", date(2018, 3, 7)),
    ("20180307", date(2018, 3, 7)),
    ("  2018-03-07\n", date(2018, 3, 7)),
    # other forms feeds and pages use
    ("2018/3/7 08:15", date(2018, 3, 7)),
    ("2018/03/07", date(2018, 3, 7)),
    ("March 7, 2018", date(2018, 3, 7)),
    ("Mar. 7, 2018", date(2018, 3, 7)),
    ("Wednesday, March 7th, 2018 at 8:15 p.m. ET", date(2018, 3, 7)),
    ("Sept 30, 2018", date(2018, 9, 30)),
    ("7 March 2018", date(2018, 3, 7)),
    # year last only when there is one reading
    ("25/12/2018", date(2018, 12, 25)),
    ("12/25/2018", date(2018, 12, 25)),
    ("4.4.2018", date(2018, 4, 4)),
    # epoch seconds (JSON numbers): the UTC day
    (1520410500, date(2018, 3, 7)),
    (1520410500.75, date(2018, 3, 7)),
    # already dates
    (date(2018, 3, 7), date(2018, 3, 7)),
    (datetime(2019, 3, 10, 23, 30, tzinfo=timezone.utc), date(2019, 3, 10)),
    # nothing given
    (None, None), ("", None), ("   ", None),
    # at most a day ahead: a publisher east of UTC is already tomorrow
    ("2024-06-02", date(2024, 6, 2)),
    ("2024-06-02T09:00:00+14:00", date(2024, 6, 2)),
])
def test_dates_that_read_for_sure(value: object, day: date | None) -> None:
    assert read_date(value, now=NOW) == day


@pytest.mark.parametrize(("value", "message"), [
    ("2023-02-30", "2023-02-30: February has no 30th day"),
    ("2023-02-29", "2023-02-29: February 2023 has no 29th day (2023 is not a leap year)"),
    ("2023-04-31T10:00:00Z", "2023-04-31T10:00:00Z: April has no 31st day"),
    ("2023-13-01", "2023-13-01: there is no month 13"),
    ("2023-00-10", "2023-00-10: there is no month 0"),
    ("2018-03-07T25:10", "2018-03-07T25:10: 25:10 is not a time of day"),
    ("2018-03-07T08:15+25:00", "2018-03-07T08:15+25:00: +25:00 is not a UTC offset"),
    ("Mon, 10 Mar 2019 23:30:00 -0800", "10 March 2019 is a Sunday, not a Monday"),
    ("Sun, 10 Mrz 2019 23:30:00 -0800", "'Mrz' is not a month name"),
    ("March 7, 2018 13 p.m.", "13 pm is not a time of day"),
    ("3/7/2018", "3/7/2018: could be 7 March or 3 July (write it as 2018-03-07 or 2018-07-03)"),
    ("07.03.2018", "could be 3 July or 7 March"),
    ("13/13/2018", "neither of the first two numbers can be a month"),
    ("1520410500", "a number written as text"),
    ("yesterday", "yesterday: not a date in a form feeds and pages use"),
    ("2018-03", "not a date in a form feeds and pages use"),
    # implausible
    ("1899-12-31", "1899-12-31: before 1900: not a plausible publication date"),
    ("Sun, 31 Dec 1899 10:00 GMT", "the day 1899-12-31 is before 1900"),
    ("2024-06-03", "2024-06-03: more than a day in the future (now is 2024-06-01 12:00 UTC)"),
    ("2024-06-02T13:00:00Z", "more than a day in the future"),
    (1717333200, "1717333200: the day 2024-06-02 is more than a day in the future"),
    (1520410500000, "it looks like epoch milliseconds"),
    (-2300000000, "the day 1897-02-11 is before 1900"),
    (float("nan"), "not a number of seconds"),
    (True, "True: not a date"),
    (["2018-03-07"], "not a date: give a string like 2023-05-03 or epoch seconds, not a list"),
])
def test_dates_that_do_not_read_say_what_is_wrong(value: object, message: str) -> None:
    with pytest.raises(DateError) as info:
        read_date(value, now=NOW)
    assert message in str(info.value)


def test_the_clock_is_the_default_present() -> None:
    assert read_date("2001-09-09") == date(2001, 9, 9)
    with pytest.raises(DateError, match="future"):
        read_date("2999-01-01")


def test_first_date_takes_the_first_that_reads_and_reports_only_when_none_does() -> None:
    assert first_date(["", "2023-02-30", "2023-02-28"], "x.html", now=NOW) == (date(2023, 2, 28), ())
    day, notes = first_date(["2023-02-30", "3/7/2018"], "x.jsonl", line=4, now=NOW)
    assert day is None
    [note] = notes
    assert isinstance(note, DroppedDate) and note.warning and note.location == "x.jsonl:4"
    assert note.problem == "the publication date was left out (2023-02-30: February has no 30th day)"
    assert first_date([None, ""], "x", now=NOW) == (None, ())


PARAGRAPHS = ("<p>A long first paragraph of the story, with enough words in it to count as the body of the article "
              "for the extractor.</p><p>A second paragraph of the story follows here.</p>")


def page(head: str) -> str:
    return f"<html><head><title>T</title>{head}</head><body><article><h1>T</h1>{PARAGRAPHS}</article></body></html>"


@pytest.mark.parametrize(("head", "day"), [
    ("<meta property='article:published_time' content='2019-03-10T23:30:00-08:00'>", date(2019, 3, 10)),
    ('<script type="application/ld+json">{"@type": "NewsArticle", "datePublished": "2019-03-10T23:30:00-08:00"}'
     "</script>", date(2019, 3, 10)),
    ("<meta itemprop='datePublished' content='March 10, 2019'>", date(2019, 3, 10)),
    ("<meta name='pubdate' content='2019/3/10 23:30'>", date(2019, 3, 10)),
])
def test_pages_give_the_day_they_print(head: str, day: date) -> None:
    article = article_from_html(page(head), "x.html")
    assert article.published == day and not article.notes


def test_a_page_date_that_does_not_read_is_left_out_not_guessed_from_the_address() -> None:
    article = article_from_html(page("<meta property='article:published_time' content='2019-02-30T10:00:00Z'>"),
                                "x.html", url="https://example.com/2019/02/28/story.html")
    assert article.published is None
    [note] = article.notes
    assert "February has no 30th day" in note.message and note.location == "x.html"
    # the feed's own date (explicit too) is used when the page's cannot be
    fed = article_from_html(page("<meta property='article:published_time' content='2019-02-30T10:00:00Z'>"),
                            "x.html", fallback={"published": ["Thu, 28 Feb 2019 22:00:00 -0500"]})
    assert fed.published == date(2019, 2, 28) and not fed.notes
