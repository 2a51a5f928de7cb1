"""`newsbot refresh`, `rollback` and `history` called in-process, with the real model on the seed article."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from bot.cli.main import main
from tests.conftest import SEED_QUESTION

pytestmark = pytest.mark.model


def test_refresh_dry_run_rollback_history(seed_corpus: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    paths = ["--corpus", str(seed_corpus), "--index", str(tmp_path / "idx")]
    assert main(["refresh", *paths]) == 0
    out = capsys.readouterr().out
    assert out.startswith("added 1, updated 0, removed 0, unchanged 0")
    assert "rebuilt in full (no index yet)" in out
    first = out.strip().splitlines()[-1].split()[1].rstrip(":")

    # a syndicated copy of the seed story from another outlet, and a broken file
    seed = next(seed_corpus.glob("*.txt"))
    header, body = seed.read_text(encoding="utf-8").split("\n\n", 1)
    (seed_corpus / "ap-copy.txt").write_text("date 2023-05-04 By Staff Writer, AP\n\n" + body, encoding="utf-8")
    (seed_corpus / "broken.jsonl").write_text("{oops\n", encoding="utf-8")
    past = time.time() - 10
    for p in seed_corpus.iterdir():
        os.utime(p, (past, past))

    assert main(["refresh", "--dry-run", *paths]) == 0
    out = capsys.readouterr().out
    assert out.startswith("would be: added 0, updated 0, removed 0, unchanged 1; skipped 1: ")
    assert "broken.jsonl:1: the line is not valid JSON" in out
    assert "ap-copy.txt (AP): same text as" in out and "dry run: nothing changed" in out

    assert main(["refresh", *paths]) == 0
    out = capsys.readouterr().out
    assert "attribution updated: " in out and "also published by AP" in out and ", patched, " in out
    assert main(["ask", SEED_QUESTION, "-k", "1", *paths]) == 0
    assert "also published by AP" in capsys.readouterr().out

    assert main(["rollback", *paths]) == 0
    assert capsys.readouterr().out.startswith(f"now serving index version {first} (was v0002")
    assert main(["rollback", *paths]) == 2
    assert "nothing to roll back to" in capsys.readouterr().err

    assert main(["history", "--json", *paths]) == 0
    entries = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [e["kind"] for e in entries] == ["rollback", "refresh", "dry run", "refresh"]
    assert entries[1]["actor"].startswith("cli") and entries[1]["skipped"] == 1 and entries[1]["status"] == "ok"
