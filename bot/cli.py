"""The `newsbot` command line: build, ask, sources, … over the same library the bot uses.

Only this entry point (and `newsbot run`) reads `.env`. Typed errors from the
core become one-line messages here, with a non-zero exit and no traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from bot import cli_corpus, cli_refresh, feedback_cli, run
from bot.cli_ask import add_filter_flags, filters_from_args, render_hit_body, render_unconfident
from bot.cli_eval import add_eval_parser, cmd_eval
from bot.settings import Settings, SettingsError
from corpus.errors import CorpusError
from index.errors import NewsIndexError

log = logging.getLogger("newsbot")

EXIT_USAGE = 2


def _add_paths(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--corpus", type=Path, help="corpus folder (default: NEWSBOT_CORPUS_DIR or seeds/)")
    parser.add_argument("--index", type=Path, help="index directory (default: NEWSBOT_INDEX_DIR or .newsbot/index)")
    parser.add_argument("--model", type=Path, help="sentence-transformers model folder (default: bundled MiniLM)")


def build_parser() -> argparse.ArgumentParser:
    """All subcommands and their flags."""
    parser = argparse.ArgumentParser(prog="newsbot", description="Answer questions about news articles, with sources.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more detail")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("build", help="build the index from the corpus folder")
    _add_paths(p)
    p.add_argument("--rebuild", action="store_true", help="re-embed everything (needed after a model change)")

    p = sub.add_parser("ask", help="answer a question with attributed passages")
    _add_paths(p)
    p.add_argument("question", help="the question, in quotes")
    p.add_argument("-k", type=int, default=None, help="how many passages (default: NEWSBOT_RESULTS or 3)")
    p.add_argument("--json", action="store_true", help="print the answer as JSON (see README)")
    add_filter_flags(p)

    p = sub.add_parser("sources", help="list the articles in the index")
    _add_paths(p)
    p.add_argument("--json", action="store_true", help="one JSON object per article")
    run.add_parser(sub, _add_paths)
    feedback_cli.add_parser(sub)
    cli_refresh.add_parsers(sub, _add_paths)
    cli_corpus.add_parser(sub, _add_paths)
    add_eval_parser(sub)
    return parser


def make_library(settings: Settings):  # noqa: ANN201 - Library imported lazily to keep --help fast
    """The library for these settings (the model is loaded only when text is embedded)."""
    from index.encoder import SentenceTransformerEncoder
    from index.library import Library

    return Library(settings.corpus_dir, settings.index_dir, SentenceTransformerEncoder(settings.model_path),
                   keep_versions=settings.keep_versions, feeds=settings.feed_config(),
                   retrieval=settings.retrieval())


def _print_report(report, stats, out) -> None:  # noqa: ANN001
    print(f"read {report.files_read} file(s): {len(report.articles)} article(s)", file=out)
    for problem in report.problems:
        print(f"  skipped {problem.message}", file=out)
    for dup, kept in report.duplicates:
        print(f"  duplicate {dup.source} (same article as {kept.source}): kept the first", file=out)
    if stats is not None:
        rate = f", {stats.passages_per_second:.1f} passages/s" if stats.embedded else ""
        print(f"index {stats.version}: {stats.passages} passage(s), {stats.embedded} embedded, "
              f"{stats.reused} reused, {stats.seconds:.1f}s{rate}", file=out)
        sentences = stats.extra.get("sentences") or {}
        if sentences.get("embedded"):
            print(f"  {sentences['embedded']} new sentence(s) embedded for highlights in "
                  f"{sentences['embed_seconds']:.1f}s", file=out)


def _build(library, out, rebuild: bool = False):  # noqa: ANN001, ANN202
    from bot.progress import TerminalProgress

    bar = TerminalProgress(enabled=sys.stderr.isatty())
    try:
        report, stats = library.build(progress=bar, reuse=not rebuild)
    finally:
        bar.close()
    _print_report(report, stats, out)
    return report, stats


def cmd_build(args: argparse.Namespace, settings: Settings) -> int:
    """`newsbot build`."""
    _build(make_library(settings), sys.stdout, rebuild=args.rebuild)
    return 0


def _ensure(library) -> None:  # noqa: ANN001
    if not library.has_index:
        print(f"no index yet: building it from {library.corpus_dir} …", file=sys.stderr)
        _build(library, sys.stderr)


def render_answer_text(result, bold: str = "markdown") -> str:  # noqa: ANN001
    """Human-readable answer: each passage, then its attribution, title, link and score."""
    from index.results import attribution_line

    if not result.hits:
        return f"No passage in the corpus answers {result.question!r}."
    if not result.confident:
        return render_unconfident(result)
    blocks = []
    for hit in result.hits:
        body = render_hit_body(hit, bold=bold)
        lines = [f"[{hit.rank}] {body}", f"    — {attribution_line(hit)}"]
        title = hit.article.title + (" (title derived from the text)" if hit.article.title_derived else "")
        lines.append(f"    {title}" + (f" <{hit.article.url}>" if hit.article.url else ""))
        if hit.article.also_published_by:
            lines.append(f"    also published by {', '.join(hit.article.also_published_by)}")
        lines.append(f"    score {hit.score:.3f} · passage {hit.passage.id}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    """`newsbot ask`."""
    question = args.question.strip()
    if not question:
        raise SettingsError("the question is empty — write it in quotes: newsbot ask \"Who …?\"")
    library = make_library(settings)
    _ensure(library)
    k = args.k or settings.results_per_answer
    if k < 1:
        raise SettingsError("-k must be at least 1")
    result = library.service.search(question, k=k, per_article=settings.per_article,
                                    filters=filters_from_args(args, library.service))
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(render_answer_text(result, bold="ansi" if sys.stdout.isatty() else "markdown"))
    return 0


def cmd_sources(args: argparse.Namespace, settings: Settings) -> int:
    """`newsbot sources`."""
    from index.results import format_date, join_authors

    library = make_library(settings)
    _ensure(library)
    for a in library.service.articles():
        if args.json:
            print(json.dumps({"id": a.id, "title": a.title, "outlet": a.outlet, "authors": list(a.authors),
                              "published": a.published.isoformat() if a.published else None, "url": a.url,
                              "source": a.source, "paragraphs": a.paragraph_count}, ensure_ascii=False))
        else:
            byline = join_authors(a.authors)
            print(" · ".join(x for x in (format_date(a.published), a.outlet, byline, a.title, a.url or "") if x))
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace, Settings], int]] = {
    "build": cmd_build,
    "ask": cmd_ask,
    "sources": cmd_sources,
    "run": run.cmd_run,
    "feedback": feedback_cli.cmd_feedback,
    **cli_refresh.COMMANDS,
    **cli_corpus.COMMANDS,
    "eval": cmd_eval,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `newsbot` console script."""
    from dotenv import load_dotenv

    parser = build_parser()
    args = parser.parse_args(argv)
    load_dotenv(Path.cwd() / ".env")
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.from_env().with_overrides(
            corpus_dir=getattr(args, "corpus", None), index_dir=getattr(args, "index", None),
            model_path=getattr(args, "model", None))
        return COMMANDS[args.command](args, settings)
    except (SettingsError, CorpusError, NewsIndexError) as exc:
        print(f"newsbot: error: {getattr(exc, 'message', str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("newsbot: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
