"""`newsbot run`: check the token, make sure the index exists, then bring the bot online."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from typing import TextIO

from bot.chat.run import StartupError, check_token, create_bot, rehearse, serve
from bot.cli.common import build_index, make_library, warn_other_corpus
from bot.settings import Settings
from index.library import Library


def prepare_library(library: Library, out: TextIO = sys.stderr) -> None:
    """Build the index when there is none, then load it and the model: all before the bot goes online.

    Raises:
        CorpusError, NewsIndexError: the corpus cannot be read or the index cannot be used.
    """
    if not library.has_index:
        print(f"no index yet: building it from {library.corpus_dir} before going online …", file=out)
        build_index(library, out)
    library.service  # noqa: B018 - load the index now, so a damaged one fails here, not on the first question
    warn_other_corpus(library, out)
    if hasattr(library.encoder, "load"):
        library.encoder.load()


__all__ = ["cmd_run", "create_bot", "prepare_library", "rehearse"]  # the last three: `newsbot bench`'s startup


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    """`newsbot run`."""
    for handler in logging.getLogger().handlers:  # a long-running process: timestamps in its log
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    if not args.verbose:
        try:
            logging.getLogger().setLevel(settings.log_level)
        except ValueError:
            raise StartupError(f"NEWSBOT_LOG_LEVEL={settings.log_level!r} is not a level: use DEBUG, INFO, "
                               "WARNING or ERROR") from None
    token = check_token(settings.discord_token)
    library = make_library(settings)
    library.keep_standby_copies()  # refreshes minutes apart: each patch finds its big files already copied
    print(f"starting newsbot: corpus {settings.corpus_dir}, index {settings.index_dir}; Ctrl+C stops it",
          file=sys.stderr)
    bot = create_bot(settings, library, args.shards, args.shard_ids)
    try:
        asyncio.run(serve(bot, token, prepare=lambda: prepare_library(library)))
    finally:
        library.drop_standby_copies()  # not left on disk for the next start to clean up
    return 0
