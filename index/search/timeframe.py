"""Time phrases in a question → the publication-date window the search is restricted to. Pure.

"What happened in Paris last week?" asks about last week's news: the words "last week" match nothing useful in
an article, but they say which days' articles may answer. `parse_time_window` finds such a phrase and turns it
into the same inclusive `since`/`until` days as the `--since`/`--until` filters, relative to `today` (the bot's
day in its configured time zone, see `local_today`; the benchmark passes the day a question is asked as of).

Who does what:
- **dateparser** (`DateDataParser.get_date_data`) reads every date expression: month and weekday names and
  their abbreviations, ordinals ("3rd of May"), number words ("two weeks ago"), ISO dates, and which
  year a month or day without one means (the most recent one, `PREFER_DATES_FROM='past'`), with its
  granularity (day, week, month or year). python-dateutil's `relativedelta` does the calendar arithmetic.
- **this module** decides *whether* words are a time restriction and *which period* they mean — the window
  grammar, which no library has. dateparser's own finder (`search_dates`) is not used to find phrases: it
  takes the modal "may", "march in", "the Sunday" (Times), "Friday" (Black Friday), "the 2023" (report) and
  "9/11" for dates. Here a date expression counts only after a preposition that makes it a restriction
  ("in March", "on 3 May", "since 2020", "before 3 March 2023"), or in a fixed phrase ("last week",
  "yesterday", "over the past 3 days", "two weeks ago").

The window grammar (calendar weeks run Monday to Sunday, ISO 8601; every `until` is capped at today):

| phrase | window |
|---|---|
| today, tonight, this morning | today |
| yesterday, last night | yesterday and today |
| this week (earlier …) | the 7 days up to today: the week just gone, as the news says it (not Monday onwards) |
| this month / year (earlier …, … so far) | its first day (the 1st, 1 January) to today |
| last week / month / year | the previous calendar week (Monday–Sunday) / month / year |
| the past week, in the last month, this past week, over the past 3 days, the last two weeks | the N days / weeks / months / years up to today (the past week: today and the 6 days before) |
| 3 days ago, two weeks ago, a month ago | the day (and the next) / calendar week / month that holds it |
| over the weekend, last weekend, this past weekend | the last Saturday–Sunday (this one so far on a weekend) |
| on / last Monday | the most recent Monday before today (and the next day) |
| in / during / throughout March, last March | the most recent March (this one so far when it is March) |
| on 3 May, on May 3rd, on 2023-05-03 | that day (and the next): the most recent 3 May when no year is given |
| in May 2023, in 2023 | that month, that year |
| between 1 and 5 March, from 1 March to 5 March, 1–5 March, March 1–5, between March and May | the range, inclusive |
| since X | from the start of X to today |
| after X / before X / until X | from the day after X / up to the day before X / up to the end of X |

"(and the next)": a window of one named day also takes the following day, because a day's news is reported
that day and the next (and an article's date is its publisher's own day, which may differ from the bot's).

What gives no window (the words alone decide what answers):
- an event without a date: "before the election", "since the war began";
- the future: tomorrow, next week / month / year, later this year, this weekend on a weekday, "in 2030": a question about
  what will happen is answered by articles published before it happens;
- vague words: recently, lately, a few days ago, over 5 days ago;
- "N years ago" (history: "originated 600 years ago") and a time after a comparison ("higher than a year ago",
  "fallen from 79% last year"); "from 1952" alone (where a thing comes from: "a baseball card from 1952");
- names that contain a date word: the Sunday Times, Fox News Sunday, Black Friday, Super Tuesday, USA Today,
  March Madness, Apple's May event, the 2023 report, 9/11 (a date word followed by a capitalised word or by
  "'s", or not introduced by a preposition, is a name, not a time); the verbs "may" and "march" (a bare
  month "May"/"March" must be capitalised);
- a weekday or a month without a year in a question about the future ("will", "is expected to", …): it may
  point forward;
- two phrases that name different windows ("Who said yesterday that prices rose in March?"): ambiguous.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from typing import Callable, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.relativedelta import relativedelta

__all__ = ["TimeWindow", "load_zone", "local_today", "parse_time_window"]


@dataclass(frozen=True)
class TimeWindow:
    """The publication days a question's time phrase restricts the search to.

    Attributes:
        since: first day, inclusive (None: no lower bound, "before 3 March").
        until: last day, inclusive (None only when the phrase sets no upper bound; never after today).
        start, end: character offsets of the phrase in the question (`question[start:end] == phrase`).
        phrase: the words that named the window, as written.
        rule: how the phrase was read, in words ("the previous calendar week, Monday to Sunday").
    """

    since: date | None
    until: date | None
    start: int
    end: int
    phrase: str
    rule: str

    def contains(self, day: date) -> bool:
        """True when `day` lies in the window."""
        return (self.since is None or day >= self.since) and (self.until is None or day <= self.until)

    def text_without(self, question: str) -> str:
        """The question with the phrase taken out (spacing and the punctuation it leaves tidied).

        Returns the question unchanged when nothing but the phrase (and punctuation) would remain.
        """
        rest = question[:self.start] + " " + question[self.end:]
        rest = re.sub(r"\s+([?.!,;:])", r"\1", " ".join(rest.split()))
        rest = re.sub(r"^[,;:]\s*", "", rest)
        rest = re.sub(r",(?=[?.!])", "", rest)
        return rest if re.search(r"[^\W_]{2,}", rest) else question


def load_zone(name: str) -> ZoneInfo:
    """The IANA time zone `name` (e.g. `Europe/Paris`, `UTC`), from the system or the `tzdata` package.

    Raises:
        ValueError: not a known IANA zone name; the message says what to write instead.
    """
    cleaned = (name or "").strip()
    try:
        if not cleaned or cleaned.startswith(("/", ".")) or ".." in cleaned:
            raise ZoneInfoNotFoundError(cleaned)
        return ZoneInfo(cleaned)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"{cleaned!r} is not an IANA time zone name — write one like UTC, Europe/Paris or "
                         "America/New_York (the TZ identifier column of "
                         "https://en.wikipedia.org/wiki/List_of_tz_database_time_zones)") from None


def local_today(zone: tzinfo, now: datetime | None = None) -> date:
    """Today's date in `zone` at the moment `now` (aware; default: the current time).

    A naive `now` is taken as UTC. Near midnight the answer differs by zone: 23:30 UTC on 30 November is
    already 1 December in Tokyo.
    """
    moment = now or datetime.now(ZoneInfo("UTC"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(zone).date()


# --- the vocabulary -------------------------------------------------------------------------------------------

_NUM = r"(?:\d{1,3}|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
_UNIT = r"(?:days?|weeks?|fortnights?|months?|years?)"
_WEEKDAY = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_MONTH_FULL = r"(?:january|february|march|april|may|june|july|august|september|october|november|december)"
_MONTH = rf"(?:{_MONTH_FULL}|(?:jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\.?)"
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_YEAR = r"(?:19\d\d|20\d\d)"
# a date naming a day or a month of a year; the forms dateparser reads and a person writes in a question
_DATED = (rf"(?:\d{{4}}-\d\d-\d\d|{_DAY}\s+(?:of\s+)?{_MONTH}(?:,?\s+{_YEAR})?|{_MONTH}\s+{_DAY}(?:,?\s+{_YEAR})?"
          rf"|{_MONTH}\s+{_YEAR})")
_DAY_DATED = (rf"(?:\d{{4}}-\d\d-\d\d|{_DAY}\s+(?:of\s+)?{_MONTH}(?:,?\s+{_YEAR})?|{_MONTH}\s+{_DAY}(?:,?\s+{_YEAR})?)")
_PERIOD_ANY = rf"(?:{_DATED}|{_MONTH_FULL}|{_YEAR})"  # what "in", "since", "before" … may introduce
_DASH = r"\s*(?:-|–|—|to|until|till|through|and)\s*"

# words that make a question look forward: a bare weekday or month may then name a coming day
_FUTURE_TENSE = re.compile(r"\b(?:will|won't|going to|expected to|(?:is|are) expected|set to|plans? to|planning to|scheduled|upcoming|"
                           r"next|tomorrow|due to)\b", re.IGNORECASE)


class _Found(NamedTuple):
    """A phrase the grammar recognised: its offsets and the window it names (None: future or unusable)."""

    start: int
    end: int
    window: tuple[date | None, date | None, str] | None


# --- dates through dateparser ---------------------------------------------------------------------------------

_PARSING = threading.Lock()


@lru_cache(maxsize=16)
def _parser(today: date, day_of_month: str):  # noqa: ANN202 - dateparser.date.DateDataParser
    from dateparser.date import DateDataParser  # imported on first use: `newsbot --help` stays light

    return DateDataParser(languages=["en"], settings={
        "RELATIVE_BASE": datetime.combine(today, time(12)), "PREFER_DATES_FROM": "past",
        "PREFER_DAY_OF_MONTH": day_of_month, "RETURN_AS_TIMEZONE_AWARE": False})


def _read(text: str, today: date, day_of_month: str = "first") -> tuple[date, str] | None:
    """(point, period) of a date expression by dateparser, period one of day/week/month/year (a bare year is
    always the year); None if unread."""
    with _PARSING:  # one parser object serves every thread of the bot; dateparser does not promise it is shareable
        data = _parser(today, day_of_month).get_date_data(" ".join(text.replace(".", " ").split()))
    if data.date_obj is None:
        return None
    return data.date_obj.date(), "year" if re.fullmatch(_YEAR, text.strip()) else (data.period or "day")


def _period(point: date, period: str) -> tuple[date, date]:
    """The first and last day of the day / ISO week / month / year holding `point`."""
    if period == "week":
        monday = point - timedelta(days=point.weekday())
        return monday, monday + timedelta(days=6)
    if period == "month":
        first = point.replace(day=1)
        return first, first + relativedelta(months=1) - timedelta(days=1)
    if period == "year":
        return date(point.year, 1, 1), date(point.year, 12, 31)
    return point, point


def _units(word: str) -> str:
    word = word.lower()
    return "weeks" if word.startswith("fortnight") else word if word.endswith("s") else word + "s"


# --- the window grammar ---------------------------------------------------------------------------------------

Window = tuple[date | None, date | None, str]


def _clip(since: date | None, until: date | None, rule: str, today: date) -> Window | None:
    """The window capped at today; None when it starts after today (the future restricts nothing)."""
    if since is not None and since > today:
        return None
    until = today if until is None or until > today else until
    if since is not None and since > until:
        return None
    return since, until, rule


def _named_day(day: date, today: date, what: str) -> Window | None:
    return _clip(day, day + timedelta(days=1), f"{what} and the next day (a day's news is reported that day "
                                               "and the next)", today)


def _fixed_day(match: re.Match, today: date, question: str) -> Window | None:
    word = match.group("word").lower()
    before = question[:match.start()].lower()
    if re.search(r"(?:\busa|\bthe|['’]s)\s*$", before):  # USA Today, the Today programme, NBC's Today
        return None
    if word == "tomorrow":
        return None
    if word in ("yesterday", "last night"):
        return _named_day(today - timedelta(days=1), today, "yesterday")
    return today, today, "today"


def _calendar(match: re.Match, today: date, question: str) -> Window | None:
    which, unit = match.group("which").lower(), match.group("unit").lower()
    if which == "next" or match.group(0).lower().startswith("later"):
        return None  # "later this year": ahead
    if unit == "weekend":
        return _weekend(which, today)
    first, last = _period(today, unit)
    if which == "this" and unit == "week":
        # "this week" in the news is the week just gone, not Monday onwards: on a Monday it would be one day
        return today - timedelta(days=6), today, "the 7 days up to today"
    if which == "this":
        return first, today, f"this calendar {unit} so far"
    step = {"week": relativedelta(weeks=1), "month": relativedelta(months=1), "year": relativedelta(years=1)}[unit]
    first, last = _period(first - step, unit)
    rule = {"week": "the previous calendar week, Monday to Sunday", "month": "the previous calendar month",
            "year": "the previous calendar year"}[unit]
    return _clip(first, last, rule, today)


def _weekend(which: str, today: date) -> Window | None:
    """this/last/past weekend: a weekend in progress counts as this one; on a weekday "this weekend" is ahead."""
    saturday = today - timedelta(days=(today.weekday() - 5) % 7)
    in_progress = today.weekday() >= 5
    if which == "this" and not in_progress:
        return None
    if which == "last" and in_progress:
        saturday -= timedelta(days=7)
    return _clip(saturday, saturday + timedelta(days=1), "the last Saturday and Sunday", today)


def _rolling(match: re.Match, today: date, question: str) -> Window | None:
    count = match.group("num") or "1"
    unit = _units(match.group("unit"))
    if count.lower() == "1" and unit == "days" and not match.group("num"):
        return None  # "the last day (of the summit)": a final day, not a time
    read = _read(f"{count} {unit} ago", today, "current")
    if read is None:
        return None
    since = read[0] + timedelta(days=1)
    spoken = f"{count} {unit}" if match.group("num") else unit[:-1]
    return _clip(since, today, f"the {spoken} up to today", today)


def _ago(match: re.Match, today: date, question: str) -> Window | None:
    if re.search(r"years?\s+ago$", match.group(0), re.IGNORECASE):
        return None  # "originated 600 years ago", "higher than a year ago": history and comparisons
    if re.search(r"\b(?:over|about|around|nearly|almost|than|some|roughly|approximately)\s+$",
                 question[:match.start()], re.IGNORECASE):
        return None  # "over 5 days ago": approximate
    read = _read(match.group(0), today, "current")
    if read is None:
        return None
    point, period = read
    if period == "day":
        return _named_day(point, today, "that day")
    first, last = _period(point, period)
    return _clip(first, last, f"the calendar {period} that holds {point.isoformat()}", today)


def _weekday(match: re.Match, today: date, question: str) -> Window | None:
    if _FUTURE_TENSE.search(question):
        return None
    read = _read(match.group("what"), today)
    if read is None:
        return None
    return _relation(match.group("prep"), read[0], read[0], today, f"the most recent {match.group('what')}")


def _dated(match: re.Match, today: date, question: str) -> Window | None:
    text, prep = match.group("what"), match.group("prep")
    bare = re.fullmatch(rf"{_MONTH_FULL}|{_YEAR}", text, re.IGNORECASE) is not None
    if bare and text.lower() in ("may", "march") and not (text.istitle() or text.isupper()):
        return None  # the verbs: "what may happen", "protesters march in …"
    has_year = re.search(_YEAR + r"\b", text) or re.fullmatch(r"\d{4}-\d\d-\d\d", text)
    if not has_year and _FUTURE_TENSE.search(question):
        return None
    if re.fullmatch(rf"{_MONTH}\s+{_DAY}", text, re.IGNORECASE) and prep.lower() in ("in", "during", "throughout"):
        return None  # "in May 3 people died": not how a day is introduced
    read = _read(text, today)
    if read is None:
        return None
    point, period = read
    first, last = _period(point, period)
    if prep.lower() == "last":
        if period != "month":
            return None
        if first.month == today.month and first.year == today.year:
            first, last = _period(first - relativedelta(years=1), "month")
    return _relation(prep, first, last, today, _describe(first, period))


def _describe(first: date, period: str) -> str:
    if period == "year":
        return str(first.year)
    if period == "month":
        return first.strftime("%B %Y")
    return first.isoformat()


def _relation(prep: str, first: date, last: date, today: date, what: str) -> Window | None:
    """The window a preposition makes of a period: in/on → the period, since/after/before/until → one bound."""
    prep = " ".join(prep.lower().split())
    if prep == "since":
        return _clip(first, today, f"since {what}", today)
    if prep == "after":
        return _clip(last + timedelta(days=1), today, f"after {what}", today)
    if prep == "before":
        if first > today:
            return None
        return _clip(None, first - timedelta(days=1), f"before {what}", today)
    if prep in ("until", "till", "through"):
        return _clip(None, last, f"up to the end of {what}", today)
    if first == last:
        return _named_day(first, today, what)
    return _clip(first, last, what, today)


def _range(match: re.Match, today: date, question: str) -> Window | None:
    left, right = match.group("left"), match.group("right")
    end = _read(right, today)
    if end is None:
        return None
    end_point, end_period = end
    if re.fullmatch(_DAY, left):  # "between 1 and 5 March": the day takes the other side's month and year
        try:
            start = (end_point.replace(day=int(re.match(r"\d+", left).group(0))), "day")
        except ValueError:
            return None
    else:
        year = re.search(rf"\b{_YEAR}\b", right) if not re.search(rf"\b{_YEAR}\b", left) else None
        # "between 1 March and 5 April 2023": the first date is in the year the second names
        start = _read(f"{left} {year.group(0)}" if year and not re.fullmatch(_YEAR, right) else left, today)
        if start is None:
            return None
    first = _period(*start)[0]
    last = _period(end_point, end_period)[1]
    if first > last and not re.search(_YEAR, left):  # "between December and February": December a year before
        first = _period(start[0] - relativedelta(years=1), start[1])[0]
    if first > last:
        return None
    return _clip(first, last, f"{first.isoformat()} to {last.isoformat()}", today)


def _short_range(match: re.Match, today: date, question: str) -> Window | None:
    """1–5 March (2023), March 1–5(, 2023): the first and last day named."""
    month, year = match.group("month"), match.group("year") or ""
    read = _read(f"{match.group('d2')} {month} {year}", today)
    if read is None:
        return None
    try:
        first = read[0].replace(day=int(re.match(r"\d+", match.group("d1")).group(0)))
    except ValueError:
        return None
    if first > read[0]:
        return None
    return _clip(first, read[0], f"{first.isoformat()} to {read[0].isoformat()}", today)


_B = r"(?<![\w'’-])"  # a word starts here (not inside a word or a name like "9/11")
_E = r"(?![\w-])"
_RULES: list[tuple[re.Pattern, Callable[[re.Match, date, str], Window | None]]] = [
    (re.compile(rf"{_B}(?:between|from)\s+(?P<left>{_PERIOD_ANY}|{_DAY}){_DASH}(?P<right>{_PERIOD_ANY}){_E}",
                re.IGNORECASE), _range),
    (re.compile(rf"{_B}(?:(?:on|from|between|in|during|over)\s+)?(?P<d1>{_DAY})\s*(?:-|–|—)\s*(?P<d2>{_DAY})\s+"
                rf"(?P<month>{_MONTH})(?:,?\s+(?P<year>{_YEAR}))?{_E}", re.IGNORECASE), _short_range),
    (re.compile(rf"{_B}(?:(?:on|from|between|in|during|over)\s+)?(?P<month>{_MONTH})\s+(?P<d1>{_DAY})\s*(?:-|–|—)\s*"
                rf"(?P<d2>{_DAY})(?:,?\s+(?P<year>{_YEAR}))?{_E}", re.IGNORECASE), _short_range),
    (re.compile(rf"{_B}(?P<word>today|tonight|this\s+(?:morning|afternoon|evening)|yesterday|last\s+night|tomorrow)"
                rf"{_E}", re.IGNORECASE), _fixed_day),
    (re.compile(rf"{_B}(?:(?:over|in|during|within|for)\s+)?(?:the\s+)?(?:this\s+)?past\s+(?:(?P<num>{_NUM})\s+)?"
                rf"(?P<unit>{_UNIT}){_E}", re.IGNORECASE), _rolling),
    (re.compile(rf"{_B}(?:(?:over|in|during|within|for)\s+)?the\s+last\s+(?:(?P<num>{_NUM})\s+)?(?P<unit>{_UNIT}){_E}",
                re.IGNORECASE), _rolling),
    (re.compile(rf"{_B}last\s+(?P<num>{_NUM})\s+(?P<unit>{_UNIT}){_E}", re.IGNORECASE), _rolling),
    (re.compile(rf"{_B}(?:(?:earlier|later)\s+)?(?P<which>this|last|next)\s+(?P<unit>week|month|year|weekend)"
                rf"(?:\s+so\s+far)?{_E}", re.IGNORECASE), _calendar),
    (re.compile(rf"{_B}(?:over|at)\s+the\s+weekend{_E}", re.IGNORECASE),
     lambda m, today, q: _weekend("this" if today.weekday() >= 5 else "last", today)),
    (re.compile(rf"{_B}this\s+past\s+weekend{_E}", re.IGNORECASE), lambda m, today, q: _weekend("last", today)),
    (re.compile(rf"{_B}{_NUM}\s+{_UNIT}\s+ago{_E}", re.IGNORECASE), _ago),
    (re.compile(rf"{_B}(?P<prep>on|since|before|after|until|last|this\s+past)\s+(?P<what>{_WEEKDAY}){_E}",
                re.IGNORECASE), _weekday),
    (re.compile(rf"{_B}(?P<prep>on|since|before|after|until|till|through)\s+(?P<what>{_DAY_DATED}){_E}",
                re.IGNORECASE), _dated),
    (re.compile(rf"{_B}(?P<prep>in|during|throughout|since|before|after|until|till|through|last)\s+"
                rf"(?P<what>{_PERIOD_ANY}){_E}", re.IGNORECASE), _dated),
]


_COMPARED = re.compile(r"(?:\bthan|\bcompared\s+(?:to|with)|\bversus|\bvs\.?|\bfrom\s+[$£€]?[\d.,]+\s*(?:%|percent)?)\s*$",
                       re.IGNORECASE)


def _is_name(question: str, end: int) -> bool:
    """True when the phrase continues into a name or a possessive: "Sunday Times", "March Madness", "May's"."""
    rest = question[end:]
    return bool(re.match(r"['’]s\b", rest) or re.match(r" +[A-Z][a-z]", rest)
                or re.match(r"\s*(?:[-–/]\s*\d|%|\d)", rest))


def _candidates(question: str, today: date) -> list[_Found]:
    found = []
    for pattern, handler in _RULES:
        for match in pattern.finditer(question):
            if _COMPARED.search(question[:match.start()]):
                continue  # "higher than last year", "fallen from 79% last year": a point of comparison
            rest = question[match.end():]
            if handler is _fixed_day:
                if match.group("word").istitle() and match.start() > 0 and re.match(r" +[A-Z][a-z]", rest):
                    continue  # "… on Today Show"
            elif handler in (_calendar, _rolling, _ago):
                if re.match(r"['’]s\b|\s+of\b", rest):
                    continue  # "last year's report", "the last week of June": not a window of publication
            elif _is_name(question, match.end()):
                continue
            found.append(_Found(match.start(), match.end(), handler(match, today, question)))
    # the longest phrase wins where two overlap ("between 1 and 5 March" over "5 March")
    found.sort(key=lambda f: (f.start, -(f.end - f.start)))
    kept: list[_Found] = []
    for item in found:
        if kept and item.start < kept[-1].end:
            continue
        kept.append(item)
    return kept


def parse_time_window(question: str, today: date) -> TimeWindow | None:
    """The publication window a question's time phrase names, or None (no phrase, future, ambiguous).

    Args:
        question: the question as asked.
        today: the day it is asked, in the bot's time zone (`local_today`); every window ends by it.

    Returns:
        The window (inclusive days, the phrase's offsets and words, the rule applied) of the one time
        phrase found; None when there is none, when it names the future or an event without a date, or
        when two phrases name different windows. The grammar is the table in this module's docstring.
    """
    windows = [f for f in _candidates(question, today) if f.window is not None]
    if not windows or len({(f.window[0], f.window[1]) for f in windows}) > 1:
        return None
    first = windows[0]
    since, until, rule = first.window
    return TimeWindow(since, until, first.start, first.end, question[first.start:first.end], rule)
