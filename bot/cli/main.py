"""The `newsbot` entry point: parse the command line, read the settings, run one command.

Only this entry point reads `.env`. Typed errors from the core become one-line
messages here, with exit status 2 and no traceback. A reader that stops reading
(`newsbot sources | head`) ends the command quietly, as it ends `cat`: status
141 (128 + SIGPIPE), no traceback, and whatever the command had done (a refresh
published) stays done. A command's module is
imported once that command was chosen (`bot.cli.parser.COMMANDS`), so
`newsbot --help` and usage errors stay instant.
"""

from __future__ import annotations

import errno
import importlib
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.cli.parser import COMMANDS, build_parser

EXIT_USAGE = 2
EXIT_BROKEN_PIPE = 128 + 13  # what a shell reports for a process ended by SIGPIPE


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `newsbot` console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    from dotenv import load_dotenv

    from bot.inputs import InputError
    from bot.settings import Settings, SettingsError
    from corpus.errors import CorpusError
    from index.errors import NewsIndexError

    load_dotenv(Path.cwd() / ".env")
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    module_name, function = COMMANDS[args.command]
    try:
        settings = Settings.from_env().with_overrides(
            corpus_dir=getattr(args, "corpus", None), index_dir=getattr(args, "index", None),
            model_path=getattr(args, "model", None))
        command = getattr(importlib.import_module(f"bot.cli.{module_name}"), function)
        status = command(args, settings)
        sys.stdout.flush()  # a closed pipe shows up here, not in the interpreter's exit
        return status
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except (SettingsError, InputError, CorpusError, NewsIndexError) as exc:
        print(f"newsbot: error: {getattr(exc, 'message', str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt as exc:  # a refresh's says what serves now (index.refresh.stopping.Interrupted)
        print(f"newsbot: {exc.args[0] if exc.args else 'interrupted'}", file=sys.stderr)
        return 130
    except OSError as exc:
        if exc.errno not in (errno.EROFS, errno.EACCES, errno.EPERM):
            raise
        # a write the checks before it did not foresee: still one line, naming the file
        print(f"newsbot: error: {exc.filename or 'a file'}: {exc.strerror} — check its permissions and the mount, "
              "or point --index / --corpus at a copy this user may change", file=sys.stderr)
        return EXIT_USAGE


def _silence_stdout() -> None:
    """Point standard output at /dev/null, so the interpreter's last flush of the closed pipe fails silently."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # not a real file (a test's capture): nothing will flush to it
        pass


if __name__ == "__main__":
    sys.exit(main())
