"""`newsbot feeds add | remove | list`: a corpus's feeds on the command line.

The operations are `index.feeds.manage.FeedManager`'s, the same as `/feeds …` in Discord (a
preview before anything is stored, the change recorded in the history); `--server ID` acts
on that Discord server's own collection. (`newsbot refresh --watch`, the schedule without
Discord, is in `bot.cli.refresh`.)
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TextIO

from bot.cli.common import actor, confirm, library_for
from bot.settings import Settings
from corpus.sources.discovery import FeedPreview
from index.feeds.manage import FeedManager
from index.feeds.store import status_line


def cmd_feeds(args: argparse.Namespace, settings: Settings) -> int:
    """`newsbot feeds add | remove | list`."""
    library = library_for(settings, args.server)
    manager = FeedManager(library)
    where = "the shared corpus" if args.server is None else f"server {args.server}'s articles"
    if args.action == "list":
        feeds = manager.feeds()
        for feed in feeds:
            print(json.dumps(feed.as_json(), ensure_ascii=False) if args.json
                  else status_line(feed, manager.now(), manager.interval))
        if not feeds and not args.json:
            print(f"no feeds for {where} — `newsbot feeds add URL` adds one")
        return 0
    if args.action == "add":
        preview = manager.preview(args.url)
        print_preview(preview, sys.stdout)
        if not confirm(f"Add this feed to {where}?", args.yes):
            return 0
        manager.add(preview, actor())
        print(f"added the feed “{preview.title or preview.url}” to {where}: {manager.schedule_text()} while "
              "`newsbot run` or `newsbot refresh --watch` is up; `newsbot refresh` fetches it now")
        return 0
    record = manager.find(args.feed)
    print(f"{record.name} <{record.url}>: {record.articles_saved} article(s) saved from it stay in the corpus")
    if not confirm(f"Stop polling this feed for {where}?", args.yes):
        return 0
    manager.remove(record.url, actor())
    print(f"removed the feed “{record.name}”")
    return 0


def print_preview(preview: FeedPreview, out: TextIO) -> None:
    """The feed a link leads to: title, address, entry count, newest entries."""
    print(preview.title or "(untitled feed)", file=out)
    print(f"  feed {preview.url}" + (f" (found on {preview.asked})" if preview.found_on_page else ""), file=out)
    print(f"  {preview.entries} entries ({preview.version or 'unknown format'}); newest:", file=out)
    for entry in preview.newest:
        print(f"  • {entry.title}" + (f" ({entry.published})" if entry.published else ""), file=out)
