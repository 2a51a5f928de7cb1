"""`newsbot refresh`, `rollback`, `history` and `bench-refresh`: the corpus life cycle on the command line.

Registered into `bot.cli` (its parser and COMMANDS); kept apart so the CLI
module stays small. Each command goes through `Library`, exactly like `/refresh`.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
import time
from collections.abc import Callable

from bot.settings import Settings


class StageLines:
    """A progress callback printing one line per stage to stderr (after a tqdm bar for embedding)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._stage = ""
        self._started = time.perf_counter()

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled or stage == self._stage:
            return
        self._stage = stage
        print(f"[{time.perf_counter() - self._started:6.1f}s] {stage} …", file=sys.stderr)


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # noqa: BLE001 - no user name is not a reason to fail a refresh
        return "cli"


def add_parsers(sub: argparse._SubParsersAction, add_paths: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add this module's subcommands to the `newsbot` parser."""
    p = sub.add_parser("refresh", help="update the index from the corpus folder and feeds (only what changed)")
    add_paths(p)
    p.add_argument("--dry-run", action="store_true", help="print the plan; change nothing")
    p.add_argument("--no-feeds", action="store_true", help="do not fetch the configured feeds first")
    p.add_argument("--rescan", action="store_true", help="parse every file again (ignore the record of unchanged files)")
    p.add_argument("--all", action="store_true", help="list every article of the plan, not the first 10 of each kind")

    p = sub.add_parser("rollback", help="serve the previous index version again")
    add_paths(p)
    p.add_argument("--to", metavar="VERSION", help="a kept version to serve (default: the one before the current)")

    p = sub.add_parser("history", help="the latest refreshes, rollbacks and corpus changes")
    add_paths(p)
    p.add_argument("-n", type=int, default=20, help="how many (default 20)")
    p.add_argument("--json", action="store_true", help="one JSON object per entry")

    p = sub.add_parser("bench-refresh", help="measure refresh speed on a ≥100,000-passage index (see README)")
    p.add_argument("--workdir", default=".newsbot/bench-refresh", help="where the benchmark corpus and index live")
    p.add_argument("--passages", type=int, default=100_000, help="minimum passages in the large index")
    p.add_argument("--runs", type=int, default=5, help="repetitions of each measurement (medians are reported)")
    p.add_argument("--small-files", type=int, default=2000, help="files in the no-change benchmark corpus")
    p.add_argument("--query-threads", type=int, default=2, help="threads querying during the swap measurement")
    p.add_argument("--real-embedding", action="store_true",
                   help="also time the real model embedding one changed article (loads the model)")


def cmd_refresh(args: argparse.Namespace, settings: Settings) -> int:
    """`newsbot refresh`."""
    from bot.cli import make_library
    from bot.progress import TerminalProgress

    library = make_library(settings)
    tty = sys.stderr.isatty()
    bar, lines = TerminalProgress(enabled=tty), StageLines(enabled=tty)

    def progress(stage: str, done: int, total: int) -> None:
        lines(stage, done, total)
        bar(stage, done, total)

    try:
        report = library.refresh(progress=progress, dry_run=args.dry_run, fetch_feeds=not args.no_feeds,
                                 actor=_actor(), rescan=args.rescan)
    finally:
        bar.close()
    for line in report.summary_lines(limit=10**9 if args.all else 10):
        print(line)
    return 0


def cmd_rollback(args: argparse.Namespace, settings: Settings) -> int:
    """`newsbot rollback`."""
    from bot.cli import make_library
    from index.layout import current_version

    library = make_library(settings)
    before = current_version(library.index_dir)
    now = library.rollback(to=args.to, actor=_actor())
    print(f"now serving index version {now} (was {before})")
    return 0


def cmd_history(args: argparse.Namespace, settings: Settings) -> int:
    """`newsbot history`."""
    from index.state import StateStore

    with StateStore(settings.index_dir) as state:
        entries = state.history(max(1, args.n))
    for e in entries:
        if args.json:
            print(json.dumps(e.__dict__, ensure_ascii=False))
            continue
        if e.kind.startswith("corpus "):  # an addition, removal or restoration: its summary says what
            from index.corpus_changes import history_line

            print(history_line(e))
            continue
        who = e.actor or "unknown"
        change = f"{e.version_before or '-'} → {e.version_after or '-'}"
        counts = (f"added {e.added}, updated {e.updated}, removed {e.removed}, skipped {e.skipped}"
                  if e.kind != "rollback" else "")
        print(f"#{e.id} {e.started_at} {e.kind} by {who}: {e.status}; {change}" + (f"; {counts}" if counts else ""))
    if not entries:
        print("no refresh has run on this index yet")
    return 0


def cmd_bench_refresh(args: argparse.Namespace, settings: Settings) -> int:
    """`newsbot bench-refresh`."""
    from bot.bench_refresh import run_benchmark

    run_benchmark(args, sys.stdout)
    return 0


COMMANDS = {
    "refresh": cmd_refresh,
    "rollback": cmd_rollback,
    "history": cmd_history,
    "bench-refresh": cmd_bench_refresh,
}
