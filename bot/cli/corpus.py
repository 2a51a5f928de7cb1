"""`newsbot corpus add | remove | restore | removed | history`: the moderators' `/corpus` commands on the command line.

The same `index.curation.operations.CorpusManager` as the bot: the same checks, the
same files, the same history rows, then the same incremental refresh.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from bot.cli.common import actor, confirm, make_library
from bot.cli.progress import CommandProgress
from bot.presentation import format_date, join_authors
from bot.settings import Settings, SettingsError
from corpus.folder.removal import removed_articles
from corpus.sources.uploads import UploadRejected
from index.curation.changes import AlreadyInCorpus, Change, Preview, history_line
from index.curation.operations import CorpusManager
from index.store.state import StateStore

EXIT_REFUSED = 2


def _manager(settings: Settings) -> CorpusManager:
    """The corpus manager for these settings: the same checks and limits as `/corpus`."""
    return CorpusManager(make_library(settings), settings.feed_config().policy, settings.max_attachment_bytes)


def print_preview(preview: Preview, out: TextIO) -> None:
    """Title, outlet, authors, date, passages and first lines, like the Discord preview."""
    for a in preview.articles[:10]:
        print(f"{a.title}\n  {a.outlet} · {join_authors(a.authors) or 'no author named'} · "
              f"{format_date(a.published) or 'undated'}" + (f" · {a.url}" if a.url else ""), file=out)
    if len(preview.articles) > 10:
        print(f"… and {len(preview.articles) - 10} more article(s)", file=out)
    print(f"{len(preview.articles)} article(s), {preview.passages} passage(s)", file=out)
    print(textwrap.indent(textwrap.shorten(preview.article.text, 400, placeholder=" …"), "  > "), file=out)
    for ref in preview.existing:
        print(f"already in the corpus: “{ref.title}” in {ref.source}", file=out)


def cmd_corpus(args: argparse.Namespace, settings: Settings) -> int:
    """`newsbot corpus …`."""
    return ACTIONS[args.action](args, settings)


def _add(args: argparse.Namespace, settings: Settings) -> int:
    manager = _manager(settings)
    source = args.source.strip()
    try:
        if "://" in source:
            preview = manager.preview_url(source)
        else:
            path = Path(source)
            if not path.is_file():
                raise SettingsError(f"{source} is neither a link (https://…) nor a file — check the path")
            preview = manager.preview_file(path.name, path.read_bytes())
    except UploadRejected as exc:
        print(f"newsbot: error: {exc.message}", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem.message}", file=sys.stderr)
        return EXIT_REFUSED
    print_preview(preview, sys.stdout)
    if args.preview:
        return 0
    if preview.upload is None and preview.existing and not args.update:
        print(f"newsbot: error: {source} is already in the corpus — add --update to replace the saved copy with "
              "the page as it is now", file=sys.stderr)
        return EXIT_REFUSED
    if not confirm("Update it?" if args.update else "Add it?", args.yes):
        print("cancelled: nothing was changed")
        return 1
    try:
        with CommandProgress() as progress:
            change = manager.add(preview, actor(), update=args.update, progress=progress)
    except AlreadyInCorpus as exc:
        print(f"newsbot: error: {exc.message}", file=sys.stderr)
        return EXIT_REFUSED
    return _print_change(change)


def _print_change(change: Change) -> int:
    for line in change.lines():
        print(line)
    return 0 if change.report is not None else 1


def _remove(args: argparse.Namespace, settings: Settings) -> int:
    manager = _manager(settings)
    article = manager.find_indexed(args.article)
    print(f"{article.title}\n  {article.outlet} · {article.id} · {article.source}")
    if not confirm("Remove it from the index (its file moves to removed/)?", args.yes):
        print("cancelled: nothing was changed")
        return 1
    with CommandProgress() as progress:
        return _print_change(manager.remove(article.id, actor(), progress=progress))


def _restore(args: argparse.Namespace, settings: Settings) -> int:
    manager = _manager(settings)
    found = manager.find_removed(args.article)
    with CommandProgress() as progress:
        return _print_change(manager.restore(found.article.id, actor(), progress=progress))


def _removed(args: argparse.Namespace, settings: Settings) -> int:
    items = removed_articles(settings.corpus_dir)
    for item in items:
        print(f"{item.article.id}  {item.article.title} ({item.article.outlet})  {item.file}")
    if not items:
        print("no removed article")
    return 0


def _history(args: argparse.Namespace, settings: Settings) -> int:
    with StateStore(settings.index_dir) as state:
        entries = state.history(max(1, args.n))
    for entry in entries:
        print(json.dumps(entry.__dict__, ensure_ascii=False) if args.json else history_line(entry))
    if not entries:
        print("nothing has changed on this index yet")
    return 0


ACTIONS: dict[str, Callable[[argparse.Namespace, Settings], int]] = {
    "add": _add, "remove": _remove, "restore": _restore, "removed": _removed, "history": _history,
}
