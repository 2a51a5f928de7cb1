"""`newsbot refresh`, `rollback` and `history`: the corpus life cycle on the command line.

Each command goes through `Library`, exactly like `/refresh`.
"""

from __future__ import annotations

import argparse
import sys

from bot.cli.common import actor, library_for, print_history
from bot.cli.progress import CommandProgress
from bot.settings import Settings
from index.store.layout import pointed_version


def cmd_refresh(args: argparse.Namespace, settings: Settings) -> int:
    """`newsbot refresh`."""
    library = library_for(settings, args.server, existing=True)
    with CommandProgress() as progress:
        report = library.refresh(progress=progress, dry_run=args.dry_run, fetch_feeds=not args.no_feeds,
                                 actor=actor(), rescan=args.rescan)
    for line in report.summary_lines(limit=10**9 if args.all else 10):
        print(line)
    return 0


def cmd_rollback(args: argparse.Namespace, settings: Settings) -> int:
    """`newsbot rollback`."""
    library = library_for(settings, args.server, existing=True)
    before = pointed_version(library.index_dir)  # read as it is: it may name a version that is gone
    now = library.rollback(to=args.to, actor=actor())
    print(f"now serving index version {now} (was {before})")
    return 0


def cmd_history(args: argparse.Namespace, settings: Settings) -> int:
    """`newsbot history` (the same list as `newsbot corpus history`)."""
    print_history(settings, args.server, args.n, args.json, sys.stdout)
    return 0
