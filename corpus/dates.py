"""Publication dates: one strict function for every reader (seed text, JSON Lines, HTML, feeds).

`read_date(value)` gives the day the publisher printed, or raises `DateError`
saying what is wrong. It never guesses: a value that could mean two days, or
that is not in one of the forms below, is an error, and a reader then keeps
the article without a date and reports a `corpus.errors.DroppedDate` warning
(`first_date` does both).

The publisher's local day, always: a time with a UTC offset or a zone name is
the publisher's wall clock, so the day is the one written, whatever the offset
(`2019-03-10T23:30:00-08:00` and `Sun, 10 Mar 2019 23:30:00 -0800` are 10 March,
not the UTC day 11 March). Only epoch seconds, which have no zone, are read as
the UTC day.

Forms read (what real feeds, pages and crawls use):

- RFC 822 / RFC 5322 section 3.3 (RSS 2.0 `pubDate`): `Tue, 07 Mar 2018 08:15:00 +0000`,
  with a numeric zone or a named one (`GMT`, `UT`, `EST`, `PDT`, military letters, or
  another abbreviation: the name never changes the day written). The day name, when
  present, must agree with the date. Two-digit years follow RFC 5322 section 4.3
  (00-49 → 20xx, 50-99 → 19xx). Full month names are accepted (`7 March 2018`).
- ISO 8601 (Atom, `article:published_time`, JSON-LD, `<time datetime>`): `2018-03-07`,
  `2018-03-07T08:15`, `2018-03-07T08:15:00.000-05:00`, `…Z`, `…+0530`, `20180307`.
- Year first with slashes: `2018/3/7`, `2018/3/7 08:15`.
- Prose: `March 7, 2018`, `Wednesday, Mar. 7, 2018 8:15 a.m. ET`.
- Year last with `/`, `.` or `-` (`7/3/2018`) only when it has one reading: one part
  over 12 (`25/12/2018`, `12/25/2018`) or both parts equal; `3/7/2018` (3 July or
  7 March?) is an error.
- Epoch seconds, as a JSON number (not a string): the UTC day.

Plausible: on or after 1900-01-01 and at most a day after now (publishers' clocks
and time zones differ by up to a day); anything else is an error.
"""

from __future__ import annotations

import calendar
import math
import re
from collections.abc import Iterable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from corpus.errors import CorpusError, DroppedDate
from corpus.text import clean_line

EARLIEST = date(1900, 1, 1)
FUTURE_SLACK = timedelta(days=1)

MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
               "October", "November", "December")
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = {name.lower(): n for n, name in enumerate(MONTH_NAMES, start=1)} | {
    name[:3].lower(): n for n, name in enumerate(MONTH_NAMES, start=1)} | {"sept": 9}
_WEEKDAYS = {name.lower(): n for n, name in enumerate(WEEKDAY_NAMES)} | {
    name[:3].lower(): n for n, name in enumerate(WEEKDAY_NAMES)} | {
    "tues": 1, "wed": 2, "weds": 2, "thur": 3, "thurs": 3}
# RFC 822 section 5.1 zone names whose offset is fixed (the others, military letters included, only name a zone)
_RFC822_ZONES = {"ut": 0, "utc": 0, "gmt": 0, "z": 0, "est": -5, "edt": -4, "cst": -6, "cdt": -5,
                 "mst": -7, "mdt": -6, "pst": -8, "pdt": -7}

_TIME = r"(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,]\d+)?)?"
_OFFSET = r"[+-]\d{2}(?::?\d{2})?"
_ISO = re.compile(rf"(?P<y>\d{{4}})-(?P<m>\d{{1,2}})-(?P<d>\d{{1,2}})"
                  rf"(?:(?:T|\s+){_TIME}\s*(?P<z>Z|{_OFFSET})?)?", re.I)
_ISO_BASIC = re.compile(r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})"
                        r"(?:T(?P<H>\d{2})(?P<M>\d{2})(?P<S>\d{2})?(?:[.,]\d+)?(?P<z>Z|[+-]\d{2}(?:\d{2})?)?)?", re.I)
_SLASH_YMD = re.compile(rf"(?P<y>\d{{4}})/(?P<m>\d{{1,2}})/(?P<d>\d{{1,2}})"
                        rf"(?:(?:T|\s+){_TIME}\s*(?P<z>Z|{_OFFSET})?)?", re.I)
_RFC822 = re.compile(rf"(?:(?P<wd>[A-Za-z]+)\.?,?\s+)?(?P<d>\d{{1,2}})\s+(?P<mon>[A-Za-z]+)\.?,?\s+"
                     rf"(?P<y>\d{{4}}|\d{{2}})(?:,?\s+{_TIME}(?:\s*(?P<z>[+-]\d{{4}}|[A-Za-z]{{1,5}}))?)?")
_PROSE = re.compile(r"(?:(?P<wd>[A-Za-z]+)\.?,?\s+)?(?P<mon>[A-Za-z]+)\.?\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?,?\s+"
                    r"(?P<y>\d{4})(?:(?:,?\s+|\s+at\s+)(?P<H>\d{1,2})(?::(?P<M>\d{2}))?(?::(?P<S>\d{2}))?"
                    r"\s*(?P<ampm>[ap]\.?m\.?)?(?:\s+(?P<z>[+-]\d{4}|[A-Za-z]{1,5}))?)?", re.I)
_YEAR_LAST = re.compile(rf"(?P<a>\d{{1,2}})(?P<sep>[/.-])(?P<b>\d{{1,2}})(?P=sep)(?P<y>\d{{4}})"
                        rf"(?:(?:T|\s+){_TIME}\s*(?P<z>Z|{_OFFSET})?)?", re.I)

FORMS = ("RFC 822 (Tue, 07 Mar 2018 08:15:00 +0000), ISO 8601 (2018-03-07, 2018-03-07T08:15:00-05:00), "
         "2018/3/7 08:15, March 7, 2018, or epoch seconds as a JSON number")


class DateError(ValueError):
    """A date that cannot be read for sure, or is not a plausible publication date.

    Attributes:
        value: the value as given (shortened), e.g. `2023-02-30`.
        reason: what is wrong, e.g. `February has no 30th day`.
    `str(error)` is `value: reason`.
    """

    def __init__(self, value: object, reason: str) -> None:
        shown = value if isinstance(value, str) else repr(value)
        self.value = shown if len(shown) <= 60 else shown[:59] + "…"
        self.reason = reason
        super().__init__(f"{self.value}: {reason}")


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _now(now: datetime | None) -> datetime:
    return now.astimezone(timezone.utc) if now is not None else datetime.now(timezone.utc)


def _offset(zone: str | None, value: str) -> timedelta | None:
    """The zone as an offset from UTC; None when only a name the day does not depend on."""
    if not zone:
        return None
    if zone[0] in "+-":
        digits = zone[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:] or 0)
        if hours > 14 or minutes > 59 or (hours == 14 and minutes):
            raise DateError(value, f"{zone} is not a UTC offset (offsets run from -12:00 to +14:00)")
        sign = -1 if zone[0] == "-" else 1
        return sign * timedelta(hours=hours, minutes=minutes)
    hours = _RFC822_ZONES.get(zone.lower())
    return timedelta(hours=hours) if hours is not None else None


def _month(word: str, value: str) -> int:
    month = _MONTHS.get(word.lower())
    if month is None:
        raise DateError(value, f"{word!r} is not a month name")
    return month


def _checked(value: str, year: int, month: int, day: int, fields: dict[str, str | None], now: datetime) -> date:
    """The date of these parts after every check, with a message naming the part that is wrong."""
    if not 1 <= month <= 12:
        raise DateError(value, f"there is no month {month}")
    last = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        if month == 2 and day == 29:
            raise DateError(value, f"February {year} has no 29th day ({year} is not a leap year)")
        raise DateError(value, f"{MONTH_NAMES[month - 1]} has no {_ordinal(day)} day" if day else "there is no day 0")
    hour = int(fields.get("H") or 0)
    minute = int(fields.get("M") or 0)
    second = int(fields.get("S") or 0)
    ampm = (fields.get("ampm") or "").replace(".", "").lower()
    if ampm:
        if not 1 <= hour <= 12:
            raise DateError(value, f"{hour} {ampm} is not a time of day")
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    if hour > 23 or minute > 59 or second > 60:
        raise DateError(value, f"{fields.get('H')}:{fields.get('M') or '00'}"
                               f"{':' + str(fields['S']) if fields.get('S') else ''} is not a time of day")
    zone = fields.get("z")
    offset = _offset(zone.upper() if zone and zone[0] not in "+-" else zone, value)
    day_written = date(year, month, day)
    weekday = fields.get("wd")
    if weekday:
        given = _WEEKDAYS.get(weekday.lower())
        if given is None:
            raise DateError(value, f"{weekday!r} is not a day of the week")
        if given != day_written.weekday():
            raise DateError(value, f"{day} {MONTH_NAMES[month - 1]} {year} is a "
                                   f"{WEEKDAY_NAMES[day_written.weekday()]}, not a {WEEKDAY_NAMES[given]}")
    return _plausible(value, day_written, datetime(year, month, day, hour, minute, min(second, 59),
                                                   tzinfo=timezone(offset)) if offset is not None else None, now)


def _plausible(value: str, day: date, instant: datetime | None, now: datetime) -> date:
    named = "" if value.startswith(day.isoformat()) else f"the day {day.isoformat()} is "
    if day < EARLIEST:
        raise DateError(value, f"{named}before 1900: not a plausible publication date")
    future = instant > now + FUTURE_SLACK if instant is not None else day > now.date() + FUTURE_SLACK
    if future:
        raise DateError(value, f"{named}more than a day in the future (now is {now.strftime('%Y-%m-%d %H:%M')} UTC)")
    return day


def _from_epoch(number: int | float, now: datetime) -> date:
    value = float(number)
    if not math.isfinite(value):
        raise DateError(number, "not a number of seconds")
    try:
        instant = datetime.fromtimestamp(value, tz=timezone.utc)
        return _plausible(repr(number), instant.date(), instant, now)
    except (OverflowError, OSError, ValueError) as exc:
        reason = exc.reason if isinstance(exc, DateError) else "out of range for epoch seconds"
    try:
        as_millis = datetime.fromtimestamp(value / 1000, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        as_millis = None
    if as_millis is not None and abs(value) >= 1e11 and as_millis.date() >= EARLIEST:
        reason += "; it looks like epoch milliseconds, and dates in JSON are read as epoch seconds"
    raise DateError(number, reason)


def _from_string(value: str, now: datetime) -> date:
    text = clean_line(value)
    for pattern in (_ISO, _ISO_BASIC, _SLASH_YMD):
        match = pattern.fullmatch(text)
        if match:
            return _checked(value, int(match["y"]), int(match["m"]), int(match["d"]), match.groupdict(), now)
    match = _RFC822.fullmatch(text)
    if match:
        year = int(match["y"])
        if len(match["y"]) == 2:  # RFC 5322 section 4.3
            year += 2000 if year < 50 else 1900
        return _checked(value, year, _month(match["mon"], value), int(match["d"]), match.groupdict(), now)
    match = _PROSE.fullmatch(text)
    if match:
        if match["H"] and not (match["M"] or match["ampm"]):
            raise DateError(value, f"{match['H']} after the year is not a time (write 8:15 or 8 a.m.)")
        return _checked(value, int(match["y"]), _month(match["mon"], value), int(match["d"]), match.groupdict(), now)
    match = _YEAR_LAST.fullmatch(text)
    if match:
        a, b, year = int(match["a"]), int(match["b"]), int(match["y"])
        if a > 12 and b > 12:
            raise DateError(value, "neither of the first two numbers can be a month")
        if a <= 12 and b <= 12 and a != b:
            raise DateError(value, f"could be {b} {MONTH_NAMES[a - 1]} or {a} {MONTH_NAMES[b - 1]} "
                                   f"(write it as {year}-{a:02d}-{b:02d} or {year}-{b:02d}-{a:02d})")
        month, day = (a, b) if b > 12 or a == b else (b, a)
        return _checked(value, year, month, day, match.groupdict(), now)
    if text.isdigit():
        raise DateError(value, "a number written as text: give epoch seconds as a JSON number, "
                               "or the date as YYYY-MM-DD")
    raise DateError(value, f"not a date in a form feeds and pages use: {FORMS}")


def read_date(value: object, *, now: datetime | None = None) -> date | None:
    """The publication day `value` names, in the publisher's own time zone.

    Args:
        value: a string in one of the forms of the module docstring, epoch seconds (int or float,
            not bool), a `date` or `datetime` (its own day), or None / "" / whitespace (no date).
        now: the present, for the "not in the future" check (default: the clock).

    Returns:
        The date, or None when no date was given.

    Raises:
        DateError: the value is not in a form that has exactly one reading, names a day that does
            not exist, or is implausible (before 1900 or more than a day in the future); its
            message says which, e.g. `2023-02-30: February has no 30th day`.
    """
    current = _now(now)
    if value is None or (isinstance(value, str) and not clean_line(value)):
        return None
    if isinstance(value, bool):
        raise DateError(value, "not a date")
    try:
        if isinstance(value, (int, float)):
            return _from_epoch(value, current)
        if isinstance(value, datetime):
            return _plausible(value.isoformat(), value.date(), value if value.tzinfo else None, current)
        if isinstance(value, date):
            return _plausible(value.isoformat(), value, None, current)
        if isinstance(value, str):
            return _from_string(value.strip(), current)
    except DateError:
        raise
    except (ValueError, OverflowError) as exc:  # year 0, a 400-digit epoch: outside what a calendar holds
        raise DateError(value, f"outside the calendar ({exc})") from None
    raise DateError(value, f"not a date: give a string like 2023-05-03 or epoch seconds, "
                           f"not a {type(value).__name__}")


def dropped_date(error: DateError, where: Path | str, line: int | None = None) -> DroppedDate:
    """The warning a reader reports for a date it left out."""
    return DroppedDate(where, f"the publication date was left out ({error})",
                       "the article is kept without a date; correct the date (e.g. 2023-05-03) to give it one",
                       line=line)


def first_date(candidates: Iterable[object], where: Path | str, line: int | None = None, *,
               now: datetime | None = None) -> tuple[date | None, tuple[CorpusError, ...]]:
    """The first candidate that reads as a date, and the warnings of the article.

    Candidates are tried in order of trust (a page's own metadata, then a feed's, say);
    empty ones are skipped. When none reads, the date is None and the first candidate's
    error is reported as a `DroppedDate` warning located at `where` (and `line`); when one
    reads, errors of earlier candidates are not reported (the article has its date).
    """
    errors: list[DateError] = []
    for candidate in candidates:
        try:
            found = read_date(candidate, now=now)
        except DateError as exc:
            errors.append(exc)
            continue
        if found is not None:
            return found, ()
    return None, (dropped_date(errors[0], where, line),) if errors else ()
