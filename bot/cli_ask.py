"""`newsbot ask` helpers: outlet/date filter flags, highlighted passages, the "nothing reliable" answer."""

from __future__ import annotations

import argparse
import textwrap
from datetime import date

from bot.settings import SettingsError

ANSI_BOLD, ANSI_RESET = "\033[1m", "\033[0m"


def add_filter_flags(parser: argparse.ArgumentParser) -> None:
    """`--outlet`, `--since`, `--until`: restrict the articles that may answer."""
    parser.add_argument("--outlet", action="append", default=[], metavar="NAME",
                        help="only articles from this outlet, e.g. CNN (repeat for several)")
    parser.add_argument("--since", metavar="YYYY-MM-DD", help="only articles published on or after this date")
    parser.add_argument("--until", metavar="YYYY-MM-DD", help="only articles published on or before this date")


def parse_day(value: str | None, flag: str) -> date | None:
    """A `YYYY-MM-DD` flag value, or a SettingsError naming the flag."""
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise SettingsError(f"{flag} {value!r} is not a date — write it as YYYY-MM-DD, e.g. {flag} 2022-06-30") from None


def filters_from_args(args: argparse.Namespace, service) -> object:  # noqa: ANN001 - SearchService, Filters
    """The search filters of the flags, checked against the index.

    Raises:
        SettingsError: a malformed date, `--since` after `--until`, or an outlet no article has.
    """
    from corpus.outlets import outlet_key
    from index.search import Filters

    since, until = parse_day(args.since, "--since"), parse_day(args.until, "--until")
    if since and until and since > until:
        raise SettingsError(f"--since {since} is after --until {until} — no article can match both")
    outlets = tuple(o.strip() for o in args.outlet if o.strip())
    if outlets:
        known = sorted({a.outlet for a in service.articles()})
        keys = {outlet_key(o) for o in known}
        unknown = [o for o in outlets if outlet_key(o) not in keys]
        if unknown:
            raise SettingsError(f"no article in the index is from {', '.join(map(repr, unknown))} — "
                                f"outlets in the index: {', '.join(known) or 'none'}")
    return Filters(outlets=outlets, since=since, until=until)


def render_hit_body(hit, bold: str = "markdown", width: int = 100) -> str:  # noqa: ANN001 - index.results.Hit
    """The passage, paragraphs wrapped, with its highlight in **bold** (or ANSI bold on a terminal)."""
    text = hit.passage.text
    mark = hit.highlight
    if mark is not None and hit.passage.start <= mark.start < mark.end <= hit.passage.end:
        opening, closing = (ANSI_BOLD, ANSI_RESET) if bold == "ansi" else ("**", "**")
        for start, end in reversed(mark.spans):  # from the end, so earlier offsets stay valid
            a, b = start - hit.passage.start, end - hit.passage.start
            text = text[:a] + opening + text[a:b] + closing + text[b:]
    return "\n".join(textwrap.fill(para, width=width) for para in text.split("\n\n"))


def render_unconfident(result) -> str:  # noqa: ANN001 - index.results.SearchResult
    """The plain answer when even the best passage is too weak to show as an answer."""
    best = result.hits[0]
    return (f"Nothing reliable found for {result.question!r}: no passage scores high enough to be an answer.\n"
            f"The closest was from {best.article.outlet}, {best.article.title!r}. "
            "Try other words, or --json to see the weak passages.")
