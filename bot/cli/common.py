"""What several commands share: the library for the settings, building an index, who is acting, confirmations.

Every command module imports from here, never from another command module,
so the command line has no import circles.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from typing import TextIO

from bot.cli.progress import CommandProgress
from bot.server_settings import ServerSettings, ServerSettingsStore, server_view
from bot.settings import Settings, SettingsError
from corpus.readers.loader import LoadReport
from index.collections import Collections, SearchView
from index.curation.changes import history_line
from index.encoder import Encoder
from index.encoder_choice import encoder_for_index, make_encoder
from index.errors import IndexMissing
from index.library import Library
from index.refresh.build import BuildStats


def encoder_for(settings: Settings, fresh: bool = False) -> Encoder:
    """The encoder of the index in `settings.index_dir` (its own variant, see `index.encoder_choice`), or the
    configured one (NEWSBOT_ENCODER) when there is no index yet or `fresh` (`newsbot build --rebuild`)."""
    if fresh:
        return make_encoder(settings.encoder, settings.model_path, settings.index_dir, settings.device)
    return encoder_for_index(settings.index_dir, settings.encoder, settings.model_path, settings.device)


def make_library(settings: Settings, fresh: bool = False) -> Library:
    """The library for these settings (the model is loaded only when text is embedded).

    Args:
        fresh: embed with the configured encoder even when the index was built with another variant
            (`newsbot build --rebuild`); otherwise the index's own variant embeds and answers.
    """
    return Library(settings.corpus_dir, settings.index_dir, encoder_for(settings, fresh),
                   keep_versions=settings.keep_versions, feeds=settings.feed_config(),
                   retrieval=settings.retrieval(), dense=settings.dense())


def make_collections(settings: Settings) -> Collections:
    """The base library and the servers' collections beside it (see `index.collections`)."""
    return Collections(make_library(settings), loaded=settings.loaded_servers)


def library_for(settings: Settings, server: int | None, existing: bool = False) -> Library:
    """The base library (None) or one server's collection's library.

    Args:
        existing: the server must already have articles of its own (to refresh or roll back).

    Raises:
        SettingsError: `existing` and the server has none.
    """
    collections = make_collections(settings)
    if existing and server is not None and not collections.server_dir(server).is_dir():
        raise SettingsError(f"server {server} has no articles of its own here — `newsbot servers list` shows the "
                            "servers that have; `newsbot corpus add … --server ID` starts one")
    return collections.library(server)


def settings_of(settings: Settings, server: int | None) -> ServerSettings:
    """A server's settings as its moderators set them in Discord (the defaults for None)."""
    defaults = ServerSettings.defaults(settings)
    if server is None or not (settings.index_dir / "state.sqlite").exists():
        return defaults
    store = ServerSettingsStore(settings.index_dir, defaults)
    try:
        return store.get(server)
    finally:
        store.close()


def corpus_named(args: argparse.Namespace) -> bool:
    """True when the user said which corpus folder to use: `--corpus`, or NEWSBOT_CORPUS_DIR (`.env` included)."""
    return getattr(args, "corpus", None) is not None or bool(os.environ.get("NEWSBOT_CORPUS_DIR", "").strip())


def view_for(settings: Settings, server: int | None, build: bool = True, asking: bool = False) -> SearchView:
    """What `newsbot ask/sources --server ID` answer from: exactly what that server sees in Discord.

    Args:
        build: build the base index first when there is none (else say there is none).
        asking: a question follows: the model starts loading now, beside the index (see
            `index.onnx_encoder.OnnxEncoder.start_loading`).

    Raises:
        IndexMissing: no index, and `build` is False.
    """
    collections = make_collections(settings)
    start_loading = getattr(collections.base.encoder, "start_loading", None)
    if asking and start_loading is not None and collections.base.has_index:
        start_loading()
    if build:
        ensure_index(collections.base)
    elif not collections.base.has_index:
        raise IndexMissing(f"there is no index in {settings.index_dir} yet — `newsbot build` makes one from "
                           f"{settings.corpus_dir} (--corpus DIR for another folder); `newsbot ask` builds it "
                           "on first use")
    warn_other_corpus(collections.base)
    return server_view(collections, settings, server, settings_of(settings, server))


def warn_other_corpus(library: Library, out: TextIO | None = None) -> None:
    """Say so on stderr (one line, with the fix) when the index was built from another corpus folder than the one
    in effect: it answers from that folder's articles, not from the one named."""
    other = library.other_corpus()
    if other is not None:
        print(f"newsbot: warning: the index {library.index_dir} holds the articles of {other}, not of "
              f"{library.corpus_dir}, and answers from them — `newsbot build --corpus {library.corpus_dir} --index "
              f"{library.index_dir}` replaces them with those of {library.corpus_dir}; another --index keeps both",
              file=out or sys.stderr)


def print_history(settings: Settings, server: int | None, limit: int, as_json: bool, out: TextIO) -> None:
    """`newsbot history` and `newsbot corpus history`: refreshes, rollbacks and corpus changes, newest first."""
    entries = make_collections(settings).history(server, max(1, limit))
    for entry in entries:
        print(json.dumps(entry.__dict__, ensure_ascii=False) if as_json else history_line(entry), file=out)
    if not entries:
        print("nothing has changed on this index yet", file=out)


def print_build(report: LoadReport, stats: BuildStats | None, out: TextIO) -> None:
    """What a build read, skipped and wrote, as `newsbot build` prints it."""
    print(f"read {report.files_read} file(s): {len(report.articles)} article(s)", file=out)
    for problem in report.skipped:
        print(f"  skipped {problem.message}", file=out)
    for note in report.notes:
        print(f"  note: {note.message}", file=out)
    for copy in report.copies:  # names the copy the plan kept (the indexed one, else the earliest, else the first)
        print(f"  duplicate: {copy.describe()}", file=out)
    if stats is not None:
        rate = f", {stats.passages_per_second:.1f} passages/s" if stats.embedded else ""
        print(f"index {stats.version}: {stats.passages} passage(s), {stats.embedded} embedded, "
              f"{stats.reused} reused, {stats.seconds:.1f}s{rate}", file=out)
        sentences = stats.extra.get("sentences") or {}
        if sentences.get("embedded"):
            print(f"  {sentences['embedded']} new sentence(s) embedded for highlights in "
                  f"{sentences['embed_seconds']:.1f}s", file=out)


def build_index(library: Library, out: TextIO, rebuild: bool = False) -> tuple[LoadReport, BuildStats]:
    """Build the library's index from its whole corpus folder, with a progress bar, and print what it did."""
    with CommandProgress(lines=False) as progress:
        report, stats = library.build(progress=progress, reuse=not rebuild, actor=actor())
    print_build(report, stats, out)
    return report, stats


def ensure_index(library: Library) -> None:
    """Build the index first when there is none (saying so on stderr)."""
    if not library.has_index:
        print(f"no index yet: building it from {library.corpus_dir} …", file=sys.stderr)
        build_index(library, sys.stderr)


def actor() -> str:
    """Who is acting, for the history: `cli:<user name>`."""
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # noqa: BLE001 - no user name is not a reason to fail a refresh
        return "cli"


def confirm(question: str, yes: bool) -> bool:
    """Ask on the terminal (True with --yes); a "no" prints `cancelled: nothing was changed`.

    Raises:
        SettingsError: no terminal to ask on and no --yes.
    """
    if yes:
        return True
    if not sys.stdin.isatty():
        raise SettingsError("no terminal to ask for confirmation on — add --yes to confirm")
    if input(f"{question} [y/N] ").strip().lower() in ("y", "yes"):
        return True
    print("cancelled: nothing was changed")
    return False
