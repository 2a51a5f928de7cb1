"""`newsbot corpus add | remove | restore | removed | history`: the moderators' `/corpus` commands on the command line.

Without `--server` they change the base corpus (the command line is the operator's); with `--server ID`,
that server's own collection, and `remove` of a base article hides it in that server only, as in Discord.

The same `index.curation.operations.CorpusManager` as the bot: the same checks, the
same files, the same history rows, then the same incremental refresh.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from bot.cli.common import actor, confirm, library_for, make_collections, print_history
from bot.cli.progress import CommandProgress
from bot.presentation import format_date, join_authors
from bot.settings import Settings, SettingsError
from corpus.folder.removal import removed_articles
from corpus.sources.uploads import UploadRejected
from index.curation.changes import AlreadyInCorpus, Change, NotInCorpus, Preview, pick_article
from index.curation.operations import CorpusManager
from index.library import Library
from index.store.access import require_writable

EXIT_REFUSED = 2


def _manager(settings: Settings, library: Library) -> CorpusManager:
    """The corpus manager of a library: the same checks and limits as `/corpus`."""
    return CorpusManager(library, settings.feed_config().policy, settings.max_attachment_bytes)


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


def _refuse_if_read_only(settings: Settings, server: int | None) -> None:
    """A change moves files in the corpus folder and records itself in the index folder: both must be writable.

    Raises:
        IndexReadOnly: naming the folder that is not.
    """
    require_writable(settings.index_dir, "a corpus change")
    if server is None:  # a server's own corpus folder is inside the index folder
        require_writable(settings.corpus_dir, "a corpus change", kind="corpus")


def _add(args: argparse.Namespace, settings: Settings) -> int:
    if not args.preview:
        _refuse_if_read_only(settings, args.server)
    manager = _manager(settings, library_for(settings, args.server))
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
    _refuse_if_read_only(settings, args.server)
    collections = make_collections(settings)
    manager = _manager(settings, collections.library(args.server))
    if args.server is None:
        article, own = manager.find_indexed(args.article), True
    else:
        article, own = collections.find_to_remove(args.server, args.article)
    if not own:  # a base article: hidden in that server only
        print(f"{article.title}\n  {article.outlet} · {article.id} · in the base corpus")
        if not confirm(f"Hide it in server {args.server} only (other servers still see it)?", args.yes):
            return 1
        collections.hide(args.server, article.id, actor(), article.title)
        print(f"hidden in server {args.server}: “{article.title}” ({article.id}); `newsbot corpus restore "
              f"{article.id} --server {args.server}` shows it there again")
        return 0
    print(f"{article.title}\n  {article.outlet} · {article.id} · {article.source}")
    if not confirm("Remove it from the index (its file moves to removed/)?", args.yes):
        return 1
    with CommandProgress() as progress:
        return _print_change(manager.remove(article.id, actor(), progress=progress))


def _restore(args: argparse.Namespace, settings: Settings) -> int:
    _refuse_if_read_only(settings, args.server)
    collections = make_collections(settings)
    manager = _manager(settings, collections.library(args.server))
    try:
        found = manager.find_removed(args.article)
    except NotInCorpus:
        if args.server is None:
            raise
        shown = pick_article(collections.hidden_articles(args.server), args.article,
                             "among the removed or hidden articles")
        print(f"{shown.title}\n  {shown.outlet} · {shown.id} · in the base corpus, hidden in server {args.server}")
        if not confirm(f"Show it in server {args.server} again?", args.yes):
            return 1
        collections.unhide(args.server, shown.id, actor(), shown.title)
        print(f"shown in server {args.server} again: “{shown.title}” ({shown.id})")
        return 0
    article = found.article
    print(f"{article.title}\n  {article.outlet} · {article.id} · {found.file}")
    if not confirm("Restore it to the index (its file moves back from removed/)?", args.yes):
        return 1
    with CommandProgress() as progress:
        return _print_change(manager.restore(article.id, actor(), progress=progress))


def _removed(args: argparse.Namespace, settings: Settings) -> int:
    collections = make_collections(settings)
    items = removed_articles(collections.library(args.server).corpus_dir)
    for item in items:
        print(f"{item.article.id}  {item.article.title} ({item.article.outlet})  {item.file}")
    hidden = collections.hidden_articles(args.server)
    for a in hidden:
        print(f"{a.id}  {a.title} ({a.outlet})  hidden in server {args.server}")
    if not items and not hidden:
        print("no removed article")
    return 0


def _history(args: argparse.Namespace, settings: Settings) -> int:
    print_history(settings, args.server, args.n, args.json, sys.stdout)
    return 0


ACTIONS: dict[str, Callable[[argparse.Namespace, Settings], int]] = {
    "add": _add, "remove": _remove, "restore": _restore, "removed": _removed, "history": _history,
}
