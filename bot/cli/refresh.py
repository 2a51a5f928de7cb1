"""`newsbot refresh`, `rollback` and `history`: the corpus life cycle on the command line.

Each command goes through `Library`, exactly like `/refresh`.
"""

from __future__ import annotations

import argparse
import json

from bot.cli.common import actor, library_for, make_collections
from bot.cli.progress import CommandProgress
from bot.settings import Settings
from index.curation.changes import history_line
from index.store.layout import current_version


def cmd_refresh(args: argparse.Namespace, settings: Settings) -> int:
    """`newsbot refresh`."""
    library = library_for(settings, args.server)
    with CommandProgress() as progress:
        report = library.refresh(progress=progress, dry_run=args.dry_run, fetch_feeds=not args.no_feeds,
                                 actor=actor(), rescan=args.rescan)
    for line in report.summary_lines(limit=10**9 if args.all else 10):
        print(line)
    return 0


def cmd_rollback(args: argparse.Namespace, settings: Settings) -> int:
    """`newsbot rollback`."""
    library = library_for(settings, args.server)
    before = current_version(library.index_dir)
    now = library.rollback(to=args.to, actor=actor())
    print(f"now serving index version {now} (was {before})")
    return 0


def cmd_history(args: argparse.Namespace, settings: Settings) -> int:
    """`newsbot history`."""
    entries = make_collections(settings).history(args.server, max(1, args.n))
    for e in entries:
        if args.json:
            print(json.dumps(e.__dict__, ensure_ascii=False))
            continue
        if e.kind.startswith("corpus "):  # an addition, removal or restoration: its summary says what
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
