"""The time-scoped variant of a benchmark: every question names a time, asked as of a later day.

Each question is rephrased with a relative time phrase ("last week", "over the past 4 days", "in June",
"in 2022", "between 13 and 17 June", …) whose window, read by `index.search.timeframe` as of a chosen later
"asked" day, holds the publication days of its gold documents: the phrase is drawn around the first gold id
(rtqa-dev's brief, dated the day the quiz asked it), and a draw is kept only when the window also holds every
other dated gold document (the full article, often a few days older). `newsbot eval --time-scoped` asks every rephrased question as of that day with and without
the parsed window (docs/retrieval.md).

Deterministic: the phrase kind, its wording and the asked day come from a random generator seeded with
`seed` and the question's id and line, so the variant is the same on every run and machine, and one
question's draw does not depend on the others. A question whose rephrasing the parser does not read back
as a window holding the gold day (it happens when its own words name another time) tries the next kind;
one that no kind fits, or whose gold document is undated, is kept out (`TimeScoped.left_out`).
"""

from __future__ import annotations

import calendar
import random
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta

from index.evaluation.benchmark import Benchmark, Question
from index.search.timeframe import parse_time_window

SEED = 14
_WORDS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine", 10: "ten"}
# first words that read as the middle of a sentence once a time phrase is put before them
_LOWER_FIRST = {"which", "what", "who", "whom", "whose", "how", "where", "when", "why", "in", "the", "a", "an",
                "according", "after", "before", "on", "at", "this", "these", "some", "many", "for", "as", "to",
                "during", "despite", "amid", "with", "from", "over", "by", "following"}

Phrase = tuple[str, date]  # (the words, the day the question is asked as of)


def _count(n: int, rng: random.Random) -> str:
    return _WORDS[n] if n in _WORDS and rng.random() < 0.5 else str(n)


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _yesterday(g: date, rng: random.Random) -> Phrase:
    return "yesterday", g + timedelta(days=1)


def _this_week(g: date, rng: random.Random) -> Phrase:
    return "this week", g + timedelta(days=rng.randint(0, 6 - g.weekday()))


def _last_week(g: date, rng: random.Random) -> Phrase:
    next_monday = g + timedelta(days=7 - g.weekday())
    return "last week", next_monday + timedelta(days=rng.randint(0, 6))


def _past_days(g: date, rng: random.Random) -> Phrase:
    n = rng.randint(2, 10)
    lead = rng.choice(("over the past", "in the last", "in the past"))
    return f"{lead} {_count(n, rng)} days", g + timedelta(days=rng.randint(0, n - 1))


def _past_weeks(g: date, rng: random.Random) -> Phrase:
    n = rng.randint(1, 3)
    words = rng.choice(("over the past", "in the last")) + (" week" if n == 1 else f" {_count(n, rng)} weeks")
    return words, g + timedelta(days=rng.randint(0, 7 * n - 1))


def _days_ago(g: date, rng: random.Random) -> Phrase:
    n = rng.randint(2, 6)
    return f"{_count(n, rng)} days ago", g + timedelta(days=n)


def _on_weekday(g: date, rng: random.Random) -> Phrase:
    return f"on {g.strftime('%A')}", g + timedelta(days=rng.randint(1, 6))


def _since_weekday(g: date, rng: random.Random) -> Phrase:
    return f"since {g.strftime('%A')}", g + timedelta(days=rng.randint(1, 6))


def _this_month(g: date, rng: random.Random) -> Phrase:
    return "this month", g + timedelta(days=rng.randint(0, (_month_end(g) - g).days))


def _last_month(g: date, rng: random.Random) -> Phrase:
    start = _month_end(g) + timedelta(days=1)
    return "last month", start + timedelta(days=rng.randint(0, (_month_end(start) - start).days))


def _in_month(g: date, rng: random.Random) -> Phrase:
    # asked within the 11 months after it, "in June" still means this June
    return f"in {g.strftime('%B')}", g + timedelta(days=rng.randint(0, 300))


def _on_day(g: date, rng: random.Random) -> Phrase:
    words = f"on {g.day} {g.strftime('%B')}" if rng.random() < 0.5 else f"on {g.strftime('%B')} {g.day}"
    return words, g + timedelta(days=rng.randint(1, 200))


def _in_month_year(g: date, rng: random.Random) -> Phrase:
    return f"in {g.strftime('%B %Y')}", g + timedelta(days=rng.randint(0, 400))


def _in_year(g: date, rng: random.Random) -> Phrase:
    return f"in {g.year}", g + timedelta(days=rng.randint(0, 500))


def _between(g: date, rng: random.Random) -> Phrase:
    first, last = g - timedelta(days=rng.randint(0, 3)), g + timedelta(days=rng.randint(1, 3))
    if first.month == last.month:
        words = f"between {first.day} and {last.day} {last.strftime('%B')}"
    else:
        words = f"between {first.day} {first.strftime('%B')} and {last.day} {last.strftime('%B')}"
    return words, last + timedelta(days=rng.randint(0, 60))


def _since_day(g: date, rng: random.Random) -> Phrase:
    start = g - timedelta(days=rng.randint(0, 10))
    return f"since {start.day} {start.strftime('%B')}", g + timedelta(days=rng.randint(0, 30))


KINDS: dict[str, Callable[[date, random.Random], Phrase]] = {
    "yesterday": _yesterday, "this week": _this_week, "last week": _last_week, "past N days": _past_days,
    "past N weeks": _past_weeks, "N days ago": _days_ago, "on <weekday>": _on_weekday,
    "since <weekday>": _since_weekday, "this month": _this_month, "last month": _last_month,
    "in <month>": _in_month, "on <day month>": _on_day, "in <month year>": _in_month_year, "in <year>": _in_year,
    "between <days>": _between, "since <day month>": _since_day,
}


def rephrase(question: str, phrase: str, prefix: bool) -> str:
    """The question with `phrase` put before its final question mark, or at its start ("Last week, which …")."""
    if prefix:
        first, _, rest = question.partition(" ")
        if first.lower() in _LOWER_FIRST:
            first = first.lower()
        return f"{phrase[0].upper()}{phrase[1:]}, {first} {rest}".rstrip()
    stripped = question.rstrip()
    if stripped.endswith("?"):
        return f"{stripped[:-1].rstrip()} {phrase}?"
    return f"{stripped} {phrase}"


@dataclass(frozen=True)
class ScopedQuestion:
    """One rephrased question: its kind, phrase, the gold day and the window the parser reads."""

    question: Question
    kind: str
    phrase: str
    gold_day: date
    since: date | None
    until: date | None


@dataclass(frozen=True)
class TimeScoped:
    """The variant: a benchmark of the rephrased questions (asked as of their chosen days) and what was left out."""

    benchmark: Benchmark
    questions: tuple[ScopedQuestion, ...]
    left_out: tuple[tuple[str, str], ...]  # (question id, why)


def time_scoped(benchmark: Benchmark, published: Mapping[str, date | None], seed: int = SEED) -> TimeScoped:
    """The time-scoped variant of `benchmark`.

    Args:
        published: publication day of each article id (`None`: undated).
        seed: the generator's seed (the variant is a function of it, the benchmark and the parser).

    Every kept question's window (parsed as of its `asked` day) holds the publication day of each of its dated
    gold documents, and `asked` is on or after them.
    """
    kept: list[ScopedQuestion] = []
    left_out: list[tuple[str, str]] = []
    for line, q in enumerate(benchmark.questions):
        gold_day = published.get(q.gold[0])
        if gold_day is None:
            left_out.append((q.id, "its gold document is undated"))
            continue
        # every dated gold document (the brief and any full article) must lie in the window
        gold_days = {gold_day} | {d for g in q.gold if (d := published.get(g)) is not None}
        rng = random.Random(f"{seed}:{q.id}:{line}")
        base = q.question
        own = parse_time_window(base, q.asked or gold_day)
        if own is not None:  # its own time words ("this week") make way for the new phrase
            base = own.text_without(base)
        kinds = list(KINDS)
        rng.shuffle(kinds)
        prefix = rng.random() < 0.3
        for kind in kinds:
            words, asked = KINDS[kind](gold_day, rng)
            text = rephrase(base, words, prefix)
            window = parse_time_window(text, asked)
            if window is not None and all(window.contains(d) for d in gold_days) and asked >= max(gold_days) and \
                    re.sub(r"\W+", " ", words.lower()) in re.sub(r"\W+", " ", window.phrase.lower()):
                kept.append(ScopedQuestion(replace(q, question=text, asked=asked), kind, words, gold_day,
                                           window.since, window.until))
                break
        else:
            left_out.append((q.id, "no phrase kind is read back as a window holding its gold days"))
    variant = replace(benchmark, questions=tuple(s.question for s in kept))
    return TimeScoped(variant, tuple(kept), tuple(left_out))
