"""A question's publication window, the same way in both front ends (`/ask`, mentions, DMs and `newsbot ask`).

The question's time words ("last week", "in March", `index.search.timeframe`) become the search's
`since`/`until` filters, relative to today in the bot's time zone (`NEWSBOT_TIMEZONE`); the `since`/`until`
options, when given, win over the words. The answer then says which window it searched (`bot.presentation.Window`),
and a window holding no article offers the nearest days that hold one.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from bot.presentation import Window
from index.search.service import Filters
from index.search.timeframe import parse_time_window

# Whether the time phrase is taken out of the text that is searched once it is a filter. Measured (docs/retrieval.md,
# "Questions that name a time"): no gain in hit@5 on the time-scoped rtqa-dev, a small loss on rtqa-dev's own
# questions; so the text searched stays the question as asked.
STRIP_PHRASE = False


@dataclass(frozen=True)
class Scoped:
    """What one question is searched as.

    Attributes:
        text: the text searched (the question, less its time phrase when that became the window).
        filters: the options' filters, with the question's window when the options name no dates.
        window: the window to show with the answer (None: no date restriction at all).
    """

    text: str
    filters: Filters
    window: Window | None


def scope_question(question: str, filters: Filters, today: date, strip: bool = STRIP_PHRASE) -> Scoped:
    """The question's search text, filters and window.

    Args:
        question: the checked question (`bot.inputs.clean_question`).
        filters: what the user's options ask (outlets, `since`, `until`).
        today: today in the bot's time zone (`Settings.zone`), or the day the question is asked as of.
        strip: take the time phrase out of the searched text.
    """
    parsed = parse_time_window(question, today)
    if filters.since or filters.until:  # the options win over the words
        return Scoped(question, filters, Window(filters.since, filters.until, ignored=parsed.phrase if parsed else ""))
    if parsed is None:
        return Scoped(question, filters, None)
    text = parsed.text_without(question) if strip else question
    return Scoped(text, replace(filters, since=parsed.since, until=parsed.until),
                  Window(parsed.since, parsed.until, phrase=parsed.phrase, rule=parsed.rule))


def empty_window(window: Window | None, filters: Filters, found_any: bool, nearest) -> Window | None:  # noqa: ANN001
    """The window with its nearest article days when the search found nothing in it.

    Args:
        found_any: the search returned at least one passage (then the window is returned as it is).
        nearest: a callable `(filters) -> (day before, day after)`, e.g. `SearchView.nearest_dates`, called only
            when needed.
    """
    if window is None or found_any or not (filters.since or filters.until):
        return window
    return replace(window, nearest=tuple(nearest(filters)))
