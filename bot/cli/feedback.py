"""`newsbot feedback`: a summary of the feedback users gave, or all of it as JSON Lines (`--export`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.feedback import FeedbackStore
from bot.settings import Settings, SettingsError
from index.store.state import state_path


def cmd_feedback(args: argparse.Namespace, settings: Settings) -> int:
    """`newsbot feedback [--export FILE]`."""
    db = state_path(settings.index_dir)
    if not db.exists():
        if args.export:
            _open_out(args.export).close() if args.export != "-" else None
        print(f"no feedback recorded yet (no {db}); the bot records it when users click "
              "\"Helpful\" or \"Wrong source\"", file=sys.stderr)
        return 0
    store = FeedbackStore(settings.index_dir)
    try:
        if args.export:
            out = sys.stdout if args.export == "-" else _open_out(args.export)
            try:
                n = store.export(out, args.server)
            finally:
                if out is not sys.stdout:
                    out.close()
            where = "standard output" if args.export == "-" else args.export
            print(f"exported {n} feedback record(s) to {where}", file=sys.stderr)
            return 0
        counts = store.counts(args.server)
        print(f"{counts['helpful']} helpful, {counts['wrong_source']} wrong source ({db})")
        flagged = store.most_flagged(server=args.server)
        if flagged:
            print("passages most often marked wrong source (look them up with /source <id>):")
            for passage_id, n in flagged:
                print(f"  {passage_id}  {n}")
        print("export everything with: newsbot feedback --export feedback.jsonl")
        return 0
    finally:
        store.close()


def _open_out(path: str):  # noqa: ANN202 - a text file object
    try:
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        return target.open("w", encoding="utf-8")
    except OSError as exc:
        raise SettingsError(f"cannot write {path}: {exc.strerror} — choose another file for --export") from None
