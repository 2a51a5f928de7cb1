"""`newsbot build`, `ask` and `sources`: build the index, answer one question, list the articles.

With `--server ID`, `ask` and `sources` see exactly what that Discord server sees (the base corpus, less what
the server hid or all of it when it turned base articles off, plus its own collection).

`ask` renders the same `bot.presentation.Answer` the Discord bot shows: the
same attribution, dates and bold sentences, as plain text (ANSI bold on a
terminal, `**markdown**` otherwise), or the `--json` document.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
import sys
import textwrap

from bot.cli.common import build_index, corpus_named, make_library, view_for
from bot.inputs import check_range, clean_question, parse_day, resolve_outlets
from bot.presentation import Answer, AnswerItem, compose_answer, format_date, join_authors
from bot.settings import Settings
from bot.timewindows import empty_window, scope_question
from corpus.article import article_json
from index.collections import SearchView
from index.search.results import SearchResult
from index.search.service import Filters
from index.search.timeframe import local_today

ANSI_BOLD, ANSI_RESET = "\033[1m", "\033[0m"


def cmd_build(args: argparse.Namespace, settings: Settings) -> int:
    """`newsbot build`."""
    build_index(make_library(settings, fresh=args.rebuild), sys.stdout, rebuild=args.rebuild)
    return 0


def filters_from_args(args: argparse.Namespace, service: SearchView) -> Filters:
    """The search filters of `--outlet`, `--since`, `--until`, checked against the index.

    Raises:
        InputError: a malformed date, `--since` after `--until`, or an outlet no article has.
    """
    since, until = parse_day(args.since, "--since"), parse_day(args.until, "--until")
    check_range(since, until, ("--since", "--until"))
    outlets = resolve_outlets(args.outlet, (a.outlet for a in service.articles(with_text=False))) if args.outlet else ()
    return Filters(outlets=outlets, since=since, until=until)


def render_item_body(item: AnswerItem, bold: str = "markdown", width: int = 100) -> str:
    """The passage's sentences, paragraphs wrapped, the bold ones marked (`**…**`, or ANSI bold with `ansi`)."""
    opening, closing = (ANSI_BOLD, ANSI_RESET) if bold == "ansi" else ("**", "**")
    paragraphs: list[list[str]] = [[]]
    for sentence in item.sentences:
        if sentence.new_paragraph:
            paragraphs.append([])
        paragraphs[-1].append(f"{opening}{sentence.text}{closing}" if sentence.bold else sentence.text)
    return "\n".join(textwrap.fill(" ".join(p), width=width) for p in paragraphs if p)


def render_answer_text(answer: Answer, bold: str = "markdown") -> str:
    """Human-readable answer: which days were searched (if restricted), each passage, its attribution, title,
    link and score."""
    window = answer.window
    if window is not None and window.empty:
        how = ("Ask with other time words, or with --since/--until around those dates" if window.phrase
               else "Widen --since/--until, or ask around those dates")
        return f"{window.empty_line()}\n{how}."
    body = _answer_body(answer, bold)
    return f"{window.line()}\n\n{body}" if window is not None else body


def _answer_body(answer: Answer, bold: str) -> str:
    if answer.empty:
        return f"No passage in the corpus answers {answer.question!r}."
    if not answer.confident:
        best = answer.items[0]
        return (f"Nothing reliable found for {answer.question!r}: no passage scores high enough to be an answer.\n"
                f"The closest was from {best.outlet}, {best.title!r}. "
                "Try other words, or --json to see the weak passages.")
    blocks = []
    for item in answer.items:
        lines = [f"[{item.rank}] {render_item_body(item, bold=bold)}", f"    — {item.attribution}"]
        title = item.title + (" (title derived from the text)" if item.title_derived else "")
        lines.append(f"    {title}" + (f" <{item.url}>" if item.url else ""))
        if item.also_published_by:
            lines.append(f"    also published by {', '.join(item.also_published_by)}")
        lines.append(f"    score {item.score:.3f} · passage {item.passage_id}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def in_score_order(result: SearchResult) -> SearchResult:
    """The hits best score first, ranks renumbered (a refocused article's passage can score below the next).

    Stable, so hits of equal score keep the ranking's order; the text and `--json` show the same order.
    """
    hits = sorted(result.hits, key=lambda h: -h.score)
    if [h.passage.id for h in hits] == [h.passage.id for h in result.hits]:
        return result
    return replace(result, hits=[replace(h, rank=i + 1) for i, h in enumerate(hits)])


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    """`newsbot ask`: time words in the question restrict the dates unless --since/--until do (`bot.timewindows`)."""
    question = clean_question(args.question)  # the same checks as a question asked in Discord
    today = parse_day(args.today, "--today") or local_today(settings.zone())
    view = view_for(settings, args.server, asking=True)
    k = args.k if args.k is not None else settings.results_per_answer  # -k is checked 1-10 by the parser
    scoped = scope_question(question, filters_from_args(args, view), today)
    result = in_score_order(view.search(scoped.text, k=k, per_article=settings.per_article, filters=scoped.filters,
                                        as_of=parse_day(args.today, "--today")))
    window = empty_window(scoped.window, scoped.filters, bool(result.hits), view.nearest_dates)
    if args.json:
        document = {**result.to_dict(), "question": question}
        if scoped.text != question:
            document["searched_text"] = scoped.text
        if window is not None:
            document["window"] = window.to_dict()
        print(json.dumps(document, ensure_ascii=False, indent=2))
    else:
        print(render_answer_text(compose_answer(result, window=window, question=question),
                                 bold="ansi" if sys.stdout.isatty() else "markdown"))
    return 0


def cmd_sources(args: argparse.Namespace, settings: Settings) -> int:
    """`newsbot sources`."""
    # lists what is indexed; builds an index only from a corpus folder the user named
    for a in view_for(settings, args.server, build=corpus_named(args)).articles():
        if args.json:
            print(json.dumps({**article_json(a), "source": a.source, "paragraphs": a.paragraph_count},
                             ensure_ascii=False))
        else:
            byline = join_authors(a.authors)
            print(" · ".join(x for x in (format_date(a.published), a.outlet, byline, a.title, a.url or "") if x))
    return 0
