"""Checks of what users type, with messages that say the limit and how to fix it.

Pure: the same checks serve slash commands, mentions and DMs, and are unit-tested.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from corpus.outlets import outlet_key

MAX_QUESTION_CHARS = 300
_WORD = re.compile(r"[^\W_]{2,}|\d")
_MENTION = re.compile(r"<@[!&]?(\d+)>")


class InputError(ValueError):
    """Something the user typed cannot be used; the message is shown to them as is."""


def clean_question(raw: str | None, limit: int = MAX_QUESTION_CHARS) -> str:
    """The question with spacing collapsed, or an `InputError` naming the limit.

    Raises:
        InputError: empty, longer than `limit` characters, or without a single word.
    """
    question = " ".join((raw or "").split())
    if not question:
        raise InputError(f"Your question is empty. Ask something about the news, in up to {limit} characters.")
    if len(question) > limit:
        raise InputError(f"Your question is {len(question)} characters long; the limit is {limit}. "
                         "Shorten it and ask again.")
    if not _WORD.search(question):
        raise InputError(f"Your question has no words in it. Ask in words, in up to {limit} characters.")
    return question


def strip_mentions(content: str, ids: set[int]) -> str:
    """Message text without the mentions of the bot (user or role) that addressed it."""
    return " ".join(_MENTION.sub(lambda m: "" if int(m.group(1)) in ids else m.group(0), content).split())


def parse_day(value: str | None, name: str) -> date | None:
    """A `YYYY-MM-DD` option or flag (None when not given); the one date parser for what users type.

    Args:
        name: the option as the user wrote it, for the message: "`since`" in Discord, "--since" on the command line.

    Raises:
        InputError: naming the option and the expected format.
    """
    if value is None or not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InputError(f"{name} must be a date written YYYY-MM-DD, e.g. 2023-05-03 "
                         f"(got {value.strip()[:40]!r}).") from None


def check_range(since: date | None, until: date | None, names: tuple[str, str] = ("`since`", "`until`")) -> None:
    """Refuse an empty date range.

    Raises:
        InputError: `since` is after `until`.
    """
    if since and until and since > until:
        raise InputError(f"{names[0]} ({since.isoformat()}) is after {names[1]} ({until.isoformat()}): "
                         "swap them or widen the range.")


def resolve_outlets(requested: Iterable[str], known: Iterable[str]) -> tuple[str, ...]:
    """The corpus's own spelling of each requested outlet (matched by `outlet_key`); the one outlet check.

    Raises:
        InputError: an outlet no article of the corpus is from; the message lists the corpus's outlets.
    """
    names = {outlet_key(name): name for name in sorted(set(known))}
    wanted = [o.strip() for o in requested if o and o.strip()]
    unknown = [o for o in wanted if outlet_key(o) not in names]
    if unknown:
        listed = ", ".join(list(names.values())[:25]) or "none"
        raise InputError(f"No article in the corpus is from {', '.join(repr(o[:60]) for o in unknown)}. "
                         f"Outlets: {listed}.")
    return tuple(dict.fromkeys(names[outlet_key(o)] for o in wanted))
