"""`newsbot refresh` (and `--watch`), `rollback` and `history`: the corpus life cycle on the command line.

Each command goes through `Library`, exactly like `/refresh`. `refresh --watch` runs the feed
schedule without Discord: `index.feeds.polling.poll_library` for the base corpus and every
server collection with feeds, at the times recorded in their state databases, until Ctrl+C
(or `--iterations`), as `newsbot run` does (`bot.chat.polling`).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TextIO

from bot.cli.common import actor, library_for, make_collections, print_history
from bot.cli.progress import CommandProgress
from bot.settings import Settings, SettingsError
from corpus.sources.fetch import Fetcher
from index.collections import Collections
from index.feeds.polling import SCHEDULE_ACTOR, next_poll, poll_library, utc_clock
from index.feeds.store import FeedStore
from index.library import Library
from index.refresh.stopping import Interrupted
from index.store.layout import pointed_version

WATCH_TICK_SECONDS = 60.0  # the longest `--watch` sleeps before looking at the due times again


def cmd_refresh(args: argparse.Namespace, settings: Settings) -> int:
    """`newsbot refresh` (`--watch`: see `cmd_watch`)."""
    if args.watch:
        return cmd_watch(args, settings)
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


def watched(collections: Collections, server: int | None) -> list[tuple[str, Library]]:
    """(label, library) of what `--watch` polls: one server's collection, or the base and every server with feeds."""
    if server is not None:
        return [(f"server {server}", collections.library(server))]
    out = [("base", collections.base)]
    for server_id in collections.server_ids():
        index_dir = collections.server_dir(server_id) / "index"
        if (index_dir / "state.sqlite").exists():
            with FeedStore(index_dir) as store:
                if store.urls():
                    out.append((f"server {server_id}", collections.library(server_id)))
    return out


def watch(libraries: Callable[[], list[tuple[str, Library]]], out: TextIO, *, clock: Callable[[], datetime] = utc_clock,
          sleep: Callable[[float], None] = time.sleep, iterations: int | None = None, fetcher: Fetcher | None = None,
          tick: float = WATCH_TICK_SECONDS) -> int:
    """Poll the libraries' feeds on their schedule until Ctrl+C (or `iterations` polls); returns the exit status.

    Each round polls every library once (`poll_library`: only due feeds are fetched; a refresh only when
    something was saved), prints what happened, then sleeps until the next feed is due (at most `tick`).
    Ctrl+C while sleeping or fetching stops at once (a saved article is complete or not there; a feed claimed
    but not fetched is retried after its backoff); Ctrl+C during a refresh stops it within a batch, as
    `newsbot refresh` does, and says which version serves.
    """
    rounds = 0
    try:
        while iterations is None or rounds < iterations:
            now = clock()
            current = libraries()
            for label, library in current:
                outcome = poll_library(library, now, fetcher=fetcher, actor=SCHEDULE_ACTOR)
                for line in outcome.lines():
                    print(f"{now:%Y-%m-%d %H:%M:%S} {label}: {line}", file=out, flush=True)
            rounds += 1
            if iterations is not None and rounds >= iterations:
                break
            due = next_poll([library for _, library in current], clock())
            wait = tick if due is None else min(tick, max((due - clock()).total_seconds(), 1.0))
            sleep(wait)
    except Interrupted:
        raise  # a refresh stopped within a batch: `newsbot` says which version serves
    except KeyboardInterrupt:
        print("stopped watching (Ctrl+C): every saved article is complete, the serving index is unchanged",
              file=out, flush=True)
    return 0


def cmd_watch(args: argparse.Namespace, settings: Settings) -> int:
    """`newsbot refresh --watch`."""
    if settings.refresh_minutes <= 0:
        raise SettingsError("NEWSBOT_REFRESH_MINUTES=0 turns the feed schedule off, so there is nothing to watch — set "
                            "it to the minutes between two fetches of each feed (default 30), or run `newsbot refresh`")
    if args.dry_run or args.no_feeds:
        raise SettingsError("--watch fetches feeds and refreshes when something new came in: it cannot be combined "
                            "with --dry-run or --no-feeds")
    collections = make_collections(settings)
    collections.base.keep_standby_copies()  # refreshes minutes apart: each patch finds its big files copied
    if args.server is not None and not collections.server_dir(args.server).is_dir():
        raise SettingsError(f"server {args.server} has no articles or feeds of its own here — `newsbot feeds add URL "
                            "--server ID` adds one")
    every = timedelta(minutes=settings.refresh_minutes)
    print(f"watching feeds (each fetched every {every.total_seconds() / 60:g} minutes; a refresh only when something "
          "new came in); Ctrl+C stops", file=sys.stderr)
    try:
        return watch(lambda: watched(collections, args.server), sys.stdout, iterations=args.iterations,
                     fetcher=Fetcher(settings.feed_config().policy))
    finally:
        collections.base.drop_standby_copies()  # not left on disk for the next start to clean up
