"""Every `newsbot` subcommand and its flags, and which module runs it.

Only argparse and pathlib are imported here: `newsbot --help` and a usage error
never load the index, the model or discord.py. `bot.cli.main` imports a
command's module only once that command was asked for (see `COMMANDS`).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

DEFAULT_EVAL_CACHE = Path(".newsbot/eval-cache")
ENCODER_CHOICES = ("auto", "onnx-int8", "onnx", "torch")  # bot.settings.ENCODERS

# command → (module under bot.cli, function); the function takes (args, settings) and returns the exit code
COMMANDS: dict[str, tuple[str, str]] = {
    "build": ("ask", "cmd_build"),
    "ask": ("ask", "cmd_ask"),
    "sources": ("ask", "cmd_sources"),
    "run": ("run", "cmd_run"),
    "feedback": ("feedback", "cmd_feedback"),
    "refresh": ("refresh", "cmd_refresh"),
    "rollback": ("refresh", "cmd_rollback"),
    "history": ("refresh", "cmd_history"),
    "bench": ("bench_search", "cmd_bench"),
    "bench-refresh": ("bench", "cmd_bench_refresh"),
    "bench-servers": ("bench_servers", "cmd_bench_servers"),
    "bench-feeds": ("bench_feeds", "cmd_bench_feeds"),
    "bench-encoders": ("bench_encoders", "cmd_bench_encoders"),
    "corpus": ("corpus", "cmd_corpus"),
    "eval": ("evaluate", "cmd_eval"),
    "servers": ("servers", "cmd_servers"),
    "feeds": ("feeds", "cmd_feeds"),
}


def add_paths(parser: argparse.ArgumentParser) -> None:
    """`--corpus`, `--index`, `--model`: where the corpus, the index and the model are."""
    parser.add_argument("--corpus", type=Path, help="corpus folder (default: NEWSBOT_CORPUS_DIR or seeds/)")
    parser.add_argument("--index", type=Path, help="index directory (default: NEWSBOT_INDEX_DIR or .newsbot/index)")
    parser.add_argument("--model", type=Path, help="sentence-transformers model folder (default: bundled MiniLM)")


def add_server(parser: argparse.ArgumentParser) -> None:
    """`--server ID`: act on one Discord server's own collection (and its view of the base corpus)."""
    parser.add_argument("--server", type=_server_id, metavar="ID",
                        help="a Discord server's id: act on that server's own articles (default: the base corpus)")


def _server_id(raw: str) -> int:
    value = raw.strip()
    if not value.isdigit() or not 17 <= len(value) <= 20:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a Discord server id (a number of 17 to 20 digits: "
                                         "Developer Mode on, right-click the server, Copy Server ID)")
    return int(value)


def whole_number(low: int, high: int | None = None) -> Callable[[str], int]:
    """An argparse `type`: a whole number from `low` to `high` (no upper bound when None), else a usage error
    that says the bounds (`argument -k: must be from 1 to 10, got 0`)."""
    bounds = f"from {low} to {high}" if high is not None else f"at least {low}"

    def parse(raw: str) -> int:
        try:
            value = int(raw.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number {bounds}, got {raw!r}") from None
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"must be {bounds}, got {value}")
        return value
    return parse


def _add_history_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-n", type=whole_number(1), default=20, help="how many (default 20)")
    parser.add_argument("--json", action="store_true", help="one JSON object per entry")
    add_server(parser)


def _shard_ids(raw: str) -> list[int]:
    try:
        return [int(part) for part in raw.replace(" ", "").split(",") if part]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a list of shard numbers like 0,1") from None


def add_filter_flags(parser: argparse.ArgumentParser) -> None:
    """`--outlet`, `--since`, `--until`: restrict the articles that may answer."""
    parser.add_argument("--outlet", action="append", default=[], metavar="NAME",
                        help="only articles from this outlet, e.g. CNN (repeat for several)")
    parser.add_argument("--since", metavar="YYYY-MM-DD", help="only articles published on or after this date (wins over time words in the question)")
    parser.add_argument("--until", metavar="YYYY-MM-DD", help="only articles published on or before this date (wins over time words in the question)")


def build_parser() -> argparse.ArgumentParser:
    """All subcommands and their flags."""
    parser = argparse.ArgumentParser(prog="newsbot", description="Answer questions about news articles, with sources.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more detail")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("build", help="build the index from the corpus folder")
    add_paths(p)
    p.add_argument("--rebuild", action="store_true", help="re-embed everything (needed after a model change)")

    p = sub.add_parser("ask", help="answer a question with attributed passages")
    add_paths(p)
    p.add_argument("question", help="the question, in quotes")
    p.add_argument("-k", type=whole_number(1, 10), default=None,
                   help="how many passages, 1-10 (default: NEWSBOT_RESULTS or 3)")
    p.add_argument("--json", action="store_true", help="print the answer as JSON (see README)")
    add_filter_flags(p)
    p.add_argument("--today", metavar="YYYY-MM-DD",
                   help="answer as if today were this day: time words in the question (\"last week\") count from it, "
                        "and the recency prior too (default: today in NEWSBOT_TIMEZONE)")
    add_server(p)

    p = sub.add_parser("sources", help="list the articles in the index")
    add_paths(p)
    p.add_argument("--json", action="store_true", help="one JSON object per article")
    add_server(p)

    p = sub.add_parser("run", help="start the Discord bot (builds the index first when there is none)")
    add_paths(p)
    p.add_argument("--shards", type=int, metavar="N",
                   help="run sharded with N shards in all (Discord requires sharding from 2,500 servers)")
    p.add_argument("--shard-ids", type=_shard_ids, metavar="0,1,…",
                   help="the shards this process runs (default: all N); other processes run the others over the "
                        "same index directory")

    p = sub.add_parser("feedback", help="summarise the feedback given on answers, or export it as JSON Lines")
    p.add_argument("--index", type=Path, help="index directory (default: NEWSBOT_INDEX_DIR or .newsbot/index)")
    p.add_argument("--export", metavar="FILE",
                   help="write every record (user, verdict, passage, question, index version) as JSON Lines "
                        "to FILE, or - for standard output")
    add_server(p)

    _add_refresh_parsers(sub)
    _add_corpus_parser(sub)
    _add_eval_parser(sub)
    _add_bench_encoders_parser(sub)
    _add_servers_parser(sub)
    _add_feeds_parser(sub)
    return parser


def _add_feeds_parser(sub: argparse._SubParsersAction) -> None:
    feeds = sub.add_parser("feeds", help="the RSS/Atom feeds that keep a corpus fresh: add, remove, list")
    actions = feeds.add_subparsers(dest="action", required=True)
    p = actions.add_parser("list", help="each feed and its state: last fetch, last success, error, next due, counts")
    add_paths(p)
    p.add_argument("--json", action="store_true", help="one JSON object per feed")
    add_server(p)
    p = actions.add_parser("add", help="add a feed (its address, or a page that links its feed) after a preview")
    add_paths(p)
    p.add_argument("url", help="the feed's address, or a news site's page that links its feed (http or https)")
    p.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    add_server(p)
    p = actions.add_parser("remove", help="stop polling a feed (the articles saved from it stay)")
    add_paths(p)
    p.add_argument("feed", help="the feed's address or title (see `newsbot feeds list`)")
    p.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    add_server(p)


def _add_servers_parser(sub: argparse._SubParsersAction) -> None:
    servers = sub.add_parser("servers", help="Discord servers' own collections: list, export, delete")
    actions = servers.add_subparsers(dest="action", required=True)
    p = actions.add_parser("list", help="every server with its own articles or settings, and archived ones")
    add_paths(p)
    p = actions.add_parser("export", help="write one server's collection (articles, hidden ids, settings) to a .tar.gz")
    add_paths(p)
    p.add_argument("id", type=_server_id, help="the server's id")
    p.add_argument("--to", type=Path, default=Path("."), metavar="PATH", help="a folder or file (default: here)")
    p = actions.add_parser("delete", help="delete one server's collection, hidden list and settings for good")
    add_paths(p)
    p.add_argument("id", type=_server_id, help="the server's id")
    p.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")


def _add_refresh_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("refresh", help="update the index from the corpus folder and feeds (only what changed)")
    add_paths(p)
    p.add_argument("--dry-run", action="store_true", help="print the plan; change nothing")
    p.add_argument("--no-feeds", action="store_true", help="do not fetch the configured feeds first")
    p.add_argument("--rescan", action="store_true", help="parse every file again (ignore the record of unchanged files)")
    p.add_argument("--all", action="store_true", help="list every article of the plan, not the first 10 of each kind")
    p.add_argument("--watch", action="store_true",
                   help="keep running: fetch each feed every NEWSBOT_REFRESH_MINUTES and refresh when something new "
                        "came in (what `newsbot run` does, without Discord); Ctrl+C stops")
    p.add_argument("--iterations", type=whole_number(1), metavar="N",
                   help="with --watch: stop after N rounds of polling (default: run until Ctrl+C)")
    add_server(p)

    p = sub.add_parser("rollback", help="serve the previous index version again")
    add_paths(p)
    p.add_argument("--to", metavar="VERSION", help="a kept version to serve (default: the one before the current)")
    add_server(p)

    p = sub.add_parser("history", help="the latest refreshes, rollbacks and corpus changes")
    add_paths(p)
    _add_history_flags(p)

    p = sub.add_parser("bench", help="measure search at 100,000 and 1,000,000 passages: latency, memory, "
                                     "8 questions at once, one-article refresh (see README)")
    p.add_argument("--workdir", default=".newsbot/bench-search", help="where the benchmark corpora and indexes live")
    p.add_argument("--sizes", nargs="+", choices=["100k", "1m"], default=["100k", "1m"],
                   help="index sizes to measure (default both)")
    p.add_argument("--runs", type=int, default=3, help="repetitions of each measurement (medians are reported)")
    p.add_argument("--questions", type=int, default=200, help="questions timed per run")
    p.add_argument("--rounds", type=int, default=25, help="rounds of 8 questions at once")
    p.add_argument("--memory-questions", type=int, default=300,
                   help="questions asked by the fresh process whose memory is measured")
    p.add_argument("--real-recall", metavar="EVAL_CACHE",
                   help="also measure the approximate index's recall on the real vectors of an eval cache "
                        "(`newsbot eval --cache`; loads the model to embed the questions)")
    p.add_argument("--only", action="append", metavar="SECTION",
                   help="run only this section (search, encoders, startup; repeatable)")
    p.add_argument("--measure", action="append", metavar="PART",
                   choices=["latency", "parts", "recall", "concurrency", "memory", "refresh"],
                   help="the search section measures only this (latency, parts, recall, concurrency, memory, "
                        "refresh; repeatable; default all)")
    p.add_argument("--startup-runs", type=whole_number(1), default=3,
                   help="fresh processes timed by the startup section (medians are reported)")
    p.add_argument("--startup-library", type=Path, metavar="DIR",
                   help="the startup section's library (DIR/corpus, DIR/index, built with the bench encoder); "
                        "default WORKDIR/p100k, prepared as the search section does")

    p = sub.add_parser("bench-refresh", help="measure refresh speed on a ≥100,000-passage index (see README)")
    p.add_argument("--workdir", default=".newsbot/bench-refresh", help="where the benchmark corpus and index live")
    p.add_argument("--passages", type=int, default=100_000, help="minimum passages in the large index")
    p.add_argument("--runs", type=int, default=5, help="repetitions of each measurement (medians are reported)")
    p.add_argument("--small-files", type=int, default=2000, help="files in the no-change benchmark corpus")
    p.add_argument("--query-threads", type=int, default=2, help="threads querying during the swap measurement")
    p.add_argument("--real-embedding", action="store_true",
                   help="also time the real model embedding one changed article (loads the model)")

    p = sub.add_parser("bench-feeds", help="measure the CPU time and requests of an idle feed schedule (unchanged "
                                           "feeds answered 304; see README, Live feeds)")
    p.add_argument("--feeds", type=whole_number(1), default=20, help="unchanged feeds (default 20)")
    p.add_argument("--minutes", type=whole_number(1), default=30,
                   help="minutes between two fetches of a feed (default 30, NEWSBOT_REFRESH_MINUTES's default)")
    p.add_argument("--rounds", type=whole_number(1), default=50,
                   help="due rounds measured, and as many idle ticks (default 50; medians are reported)")
    p.add_argument("--unconditional", action="store_true",
                   help="send no validators: every feed downloaded and parsed in full each round (for comparison)")

    p = sub.add_parser("bench-servers", help="measure memory, search and one server's refresh with many server "
                                             "collections beside a large base (see README)")
    p.add_argument("--workdir", default=".newsbot/bench-servers", help="where the benchmark corpora and indexes live")
    p.add_argument("--base-passages", type=int, default=100_000, help="minimum passages in the base index")
    p.add_argument("--servers", type=int, default=100, help="server collections beside the base")
    p.add_argument("--server-passages", type=int, default=1000, help="minimum passages in each server's collection")
    p.add_argument("--runs", type=int, default=5, help="repetitions of each measurement (medians are reported)")
    p.add_argument("--loaded", type=int, default=None,
                   help="most server collections kept in memory (default: NEWSBOT_LOADED_SERVERS, 16)")


def _encoder_list(text: str) -> str:
    names = [n.strip() for n in text.split(",") if n.strip()]
    wrong = [n for n in names if n not in ENCODER_CHOICES[1:]]
    if not names or wrong:
        raise argparse.ArgumentTypeError(f"{text!r}: name encoders from {', '.join(ENCODER_CHOICES[1:])}, "
                                         "separated by commas")
    return ",".join(names)


def _add_bench_encoders_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bench-encoders", help="torch vs ONNX fp32 vs ONNX int8: ask start-up, build throughput, "
                                              "a question's embedding (see README)")
    p.add_argument("--workdir", default=".newsbot/bench-encoders", help="where the benchmark's indexes live")
    p.add_argument("--runs", type=whole_number(1), default=3, help="builds per encoder (medians are reported)")
    p.add_argument("--articles", type=whole_number(0), default=100,
                   help="rtqa-dev articles in the build sample (0: no build figures)")
    p.add_argument("--ask-runs", type=whole_number(1), default=5, help="fresh `newsbot ask` processes per encoder")
    p.add_argument("--benchmark", type=Path, default=Path("../shared/bench/rtqa-dev"),
                   help="the rtqa-dev folder the build sample comes from (default ../shared/bench/rtqa-dev)")
    p.add_argument("--encoders", type=_encoder_list, default=None, help="comma-separated subset of torch,onnx,onnx-int8")
    p.add_argument("--json", action="store_true", help="print the rows as JSON")


def _add_corpus_parser(sub: argparse._SubParsersAction) -> None:
    corpus = sub.add_parser("corpus", help="add, remove and restore articles; the history of changes")
    actions = corpus.add_subparsers(dest="action", required=True)

    p = actions.add_parser("add", help="add an article page (http/https link) or a file of articles")
    add_paths(p)
    p.add_argument("source", help="a link (https://…) or a file: seed .txt, .jsonl, .jsonl.gz, .html")
    p.add_argument("--update", action="store_true", help="the page is already in the corpus: replace its copy")
    p.add_argument("--preview", action="store_true", help="show what would be added; change nothing")
    p.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    add_server(p)

    p = actions.add_parser("remove", help="take an article out of the index (its file moves to removed/)")
    add_paths(p)
    p.add_argument("article", help="the article's id or title (see `newsbot sources --json`); with --server, a "
                                   "base article is hidden in that server only")
    p.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    add_server(p)

    p = actions.add_parser("restore", help="bring back a removed article")
    add_paths(p)
    p.add_argument("article", help="the removed article's id or title (see `newsbot corpus removed`); with "
                                   "--server, also a base article hidden there")
    p.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    add_server(p)

    p = actions.add_parser("removed", help="list the removed articles that can be restored")
    add_paths(p)
    add_server(p)

    p = actions.add_parser("history", help="the latest refreshes and corpus changes")
    add_paths(p)
    _add_history_flags(p)


def _add_eval_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="measure answer quality on a benchmark folder (see docs/retrieval.md)")
    p.add_argument("--benchmark", type=Path, required=True,
                   help="folder with articles.jsonl.gz and questions.jsonl (format of shared/bench/rtqa-dev)")
    p.add_argument("-k", type=whole_number(1), default=10, help="depth of hit@k and mrr@k (default 10)")
    p.add_argument("--json", action="store_true", help="print every figure as one JSON object")
    p.add_argument("--cache", type=Path, default=DEFAULT_EVAL_CACHE,
                   help=f"where benchmark indexes and embedded vectors are kept (default {DEFAULT_EVAL_CACHE})")
    p.add_argument("--model", type=Path, help="sentence-transformers model folder (default: bundled MiniLM)")
    p.add_argument("--encoder", choices=ENCODER_CHOICES,
                   help="embed with this encoder (default: NEWSBOT_ENCODER, auto); each has its own cached index")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="NAME=VALUE",
                   help="change one setting: a retrieval field, chunk.<field> or bm25.<field> (repeatable)")
    p.add_argument("--ablation", action="store_true", help="run the ablation ladder and print its table")
    p.add_argument("--per-question", type=Path, metavar="FILE", help="also write one JSON line per question")
    p.add_argument("--time-scoped", action="store_true",
                   help="rephrase each question with a time phrase holding its gold day (\"last week\", \"in June\"), "
                        "ask it as of a later day, and report without the parsed window, with it, and with the "
                        "phrase also taken out of the searched text")
    p.add_argument("--seed", type=int, default=14, help="the time-scoped variant's seed (default 14)")
    p.add_argument("--windows", choices=("off", "filter", "strip"), default="off",
                   help="use the questions' own time words as the bot does: filter (restrict the dates) or strip "
                        "(also take the phrase out of the searched text); default off")
