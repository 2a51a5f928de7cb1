"""`newsbot corpus add | remove | restore | removed | history`: the moderators' `/corpus` commands on the command line.

The same `index.corpus_ops.CorpusManager` as the bot: the same checks, the
same files, the same history rows, then the same incremental refresh.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from bot.settings import Settings, SettingsError

if TYPE_CHECKING:
    from bot.progress import TerminalProgress
    from index.builder import Progress
    from index.corpus_changes import Change, Preview
    from index.corpus_ops import CorpusManager

EXIT_REFUSED = 2


def add_parser(sub: argparse._SubParsersAction, add_paths: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add `corpus` and its subcommands to the `newsbot` parser."""
    corpus = sub.add_parser("corpus", help="add, remove and restore articles; the history of changes")
    actions = corpus.add_subparsers(dest="action", required=True)

    p = actions.add_parser("add", help="add an article page (http/https link) or a file of articles")
    add_paths(p)
    p.add_argument("source", help="a link (https://…) or a file: seed .txt, .jsonl, .jsonl.gz, .html")
    p.add_argument("--update", action="store_true", help="the page is already in the corpus: replace its copy")
    p.add_argument("--preview", action="store_true", help="show what would be added; change nothing")
    p.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")

    p = actions.add_parser("remove", help="take an article out of the index (its file moves to removed/)")
    add_paths(p)
    p.add_argument("article", help="the article's id or title (see `newsbot sources --json`)")
    p.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")

    p = actions.add_parser("restore", help="bring back a removed article")
    add_paths(p)
    p.add_argument("article", help="the removed article's id or title (see `newsbot corpus removed`)")

    p = actions.add_parser("removed", help="list the removed articles that can be restored")
    add_paths(p)

    p = actions.add_parser("history", help="the latest refreshes and corpus changes")
    add_paths(p)
    p.add_argument("-n", type=int, default=20, help="how many (default 20)")
    p.add_argument("--json", action="store_true", help="one JSON object per entry")


def _manager(settings: Settings) -> CorpusManager:
    """The manager for these settings (index modules are imported lazily to keep --help fast)."""
    from bot.cli import make_library
    from index.corpus_ops import CorpusManager

    return CorpusManager(make_library(settings), settings.feed_config().policy, settings.max_attachment_bytes)


def _progress() -> tuple[Progress, TerminalProgress]:
    """Stage lines and an embedding bar on stderr, as `newsbot refresh` shows them."""
    from bot.cli_refresh import StageLines
    from bot.progress import TerminalProgress

    tty = sys.stderr.isatty()
    bar, lines = TerminalProgress(enabled=tty), StageLines(enabled=tty)

    def progress(stage: str, done: int, total: int) -> None:
        lines(stage, done, total)
        bar(stage, done, total)

    return progress, bar


def _confirm(question: str, yes: bool) -> bool:
    if yes:
        return True
    if not sys.stdin.isatty():
        raise SettingsError("no terminal to ask for confirmation on — add --yes to confirm")
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")


def print_preview(preview: Preview, out: TextIO) -> None:
    """Title, outlet, authors, date, passages and first lines, like the Discord preview."""
    from index.results import format_date, join_authors

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
    from bot.cli_refresh import _actor
    from corpus.uploads import UploadRejected
    from index.corpus_changes import AlreadyInCorpus

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
    if not _confirm("Update it?" if args.update else "Add it?", args.yes):
        print("cancelled: nothing was changed")
        return 1
    progress, bar = _progress()
    try:
        change = manager.add(preview, _actor(), update=args.update, progress=progress)
    except AlreadyInCorpus as exc:
        print(f"newsbot: error: {exc.message}", file=sys.stderr)
        return EXIT_REFUSED
    finally:
        bar.close()
    return _print_change(change)


def _print_change(change: Change) -> int:
    for line in change.lines():
        print(line)
    return 0 if change.report is not None else 1


def _remove(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli_refresh import _actor

    manager = _manager(settings)
    article = manager.find_indexed(args.article)
    print(f"{article.title}\n  {article.outlet} · {article.id} · {article.source}")
    if not _confirm("Remove it from the index (its file moves to removed/)?", args.yes):
        print("cancelled: nothing was changed")
        return 1
    progress, bar = _progress()
    try:
        return _print_change(manager.remove(article.id, _actor(), progress=progress))
    finally:
        bar.close()


def _restore(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli_refresh import _actor

    manager = _manager(settings)
    found = manager.find_removed(args.article)
    progress, bar = _progress()
    try:
        return _print_change(manager.restore(found.article.id, _actor(), progress=progress))
    finally:
        bar.close()


def _removed(args: argparse.Namespace, settings: Settings) -> int:
    from corpus.removal import removed_articles

    items = removed_articles(settings.corpus_dir)
    for item in items:
        print(f"{item.article.id}  {item.article.title} ({item.article.outlet})  {item.file}")
    if not items:
        print("no removed article")
    return 0


def _history(args: argparse.Namespace, settings: Settings) -> int:
    from index.corpus_changes import history_line
    from index.state import StateStore

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
COMMANDS = {"corpus": cmd_corpus}
