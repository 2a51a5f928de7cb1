"""Ctrl+C stops a refresh or build within a batch, in every thread; an interrupted run is recorded as such.

Real signals, in a subprocess running `newsbot` with a deliberately slow fake encoder (0.1 s a batch of 8
texts), so a run would take a minute: the test sends SIGINT in the chosen stage and times the exit.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index.library import Library
from index.store.layout import TMP_PREFIX, VERSIONS, current_version
from index.store.state import StateStore
from tests.conftest import ROOT
from tests.support.fakes import HashEncoder
from tests.support.refresh import age, bench_records, edit, write_records

pytestmark = pytest.mark.slow

WORKER = """
import sys, time
sys.path.insert(0, sys.argv[1])
import bot.cli.common as common
import bot.cli.progress as cli_progress
from tests.support.fakes import HashEncoder

class Slow(HashEncoder):
    def encode(self, texts, progress=None):
        out = []
        for start in range(0, len(texts), 8):
            time.sleep(0.1)
            out.append(super().encode(texts[start:start + 8]))
            if progress:
                progress(min(start + 8, len(texts)), len(texts))
        import numpy as np
        return np.vstack(out) if out else super().encode([])

encoder = Slow()
common.encoder_for = lambda *a, **k: encoder
cli_progress.LOG_EVERY = 0.0  # a count line after every batch: the test sees each stage as it goes
from bot.cli.main import main
sys.exit(main(sys.argv[2:]))
"""


def _corpus(root: Path, n: int) -> tuple[Path, list[Path]]:
    corpus = root / "corpus"
    paths = write_records(corpus, bench_records(n))
    age(corpus, 60)
    return corpus, paths


def _interrupt(args: list[str], stage: str) -> tuple[int, float, str]:
    """Run `newsbot ARGS` in a subprocess, SIGINT it once `stage` is reported; (status, seconds to exit, stderr)."""
    proc = subprocess.Popen([sys.executable, "-c", WORKER, str(ROOT), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=ROOT,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    seen = []
    try:
        for line in proc.stderr:  # type: ignore[union-attr]
            seen.append(line)
            if f"] {stage}: " in line:  # a count line: the stage is under way
                break
        else:
            pytest.fail(f"the run ended before {stage!r}: {''.join(seen[-5:])}")
        sent = time.perf_counter()
        proc.send_signal(signal.SIGINT)
        status = proc.wait(timeout=60)
        seconds = time.perf_counter() - sent
        rest = proc.stderr.read()  # type: ignore[union-attr]
    finally:
        proc.kill()
        proc.wait()
    return status, seconds, "".join(seen) + rest


@pytest.mark.parametrize("stage", ["embedding", "sentences"])
def test_ctrl_c_stops_a_refresh_within_a_batch_and_the_previous_version_serves(tmp_path: Path, stage: str) -> None:
    """`embedding` runs in the main thread; a patch's `sentences` run in a worker thread beside the row files."""
    corpus, paths = _corpus(tmp_path, 5)
    index = tmp_path / "idx"
    before = Library(corpus, index, HashEncoder()).refresh(fetch_feeds=False).version
    for n, path in enumerate(paths):
        edit(path, f"Revision {n}: officials added figures and a statement from the ministry on Tuesday.")
    added = write_records(corpus, bench_records(40, offset=5))  # every sentence new: a minute of sentences
    age(corpus, 30)

    status, seconds, err = _interrupt(["refresh", "--no-feeds", "--corpus", str(corpus), "--index", str(index)],
                                      stage)
    assert status == 130, err
    assert seconds < 3.0, f"took {seconds:.1f}s to stop"
    assert err.strip().splitlines()[-1] == (f"newsbot: interrupted (Ctrl+C): nothing was published, {before} keeps "
                                            "serving")
    assert "Traceback" not in err
    assert current_version(index) == before
    assert not [p for p in (index / VERSIONS).iterdir() if p.name.startswith(TMP_PREFIX)]
    with StateStore(index) as state:
        entry = state.history(1)[0]
    assert (entry.kind, entry.status, entry.version_after) == ("refresh", "interrupted", before)
    # and the next refresh does the work
    report = Library(corpus, index, HashEncoder()).refresh(fetch_feeds=False)
    assert (len(report.plan.changed), len(report.plan.new)) == (len(paths), len(added))


def test_ctrl_c_during_corpus_add_keeps_the_file_and_says_the_next_refresh_indexes_it(tmp_path: Path) -> None:
    corpus, _ = _corpus(tmp_path, 3)
    index = tmp_path / "idx"
    before = Library(corpus, index, HashEncoder()).refresh(fetch_feeds=False).version
    upload = tmp_path / "batch.jsonl"
    upload.write_text("".join(json.dumps(r) + "\n" for r in bench_records(30, offset=3)), encoding="utf-8")

    status, seconds, err = _interrupt(["corpus", "add", str(upload), "--yes", "--corpus", str(corpus), "--index",
                                       str(index)], "embedding")
    assert status == 130 and seconds < 3.0, (seconds, err)
    assert err.strip().splitlines()[-1] == (
        "newsbot: added the file added/batch.jsonl (30 articles); then the refresh was interrupted (Ctrl+C): nothing "
        f"was published, {before} keeps serving — `newsbot refresh` indexes the change")
    assert (corpus / "added" / "batch.jsonl").exists() and current_version(index) == before
    with StateStore(index) as state:
        kinds = [(e.kind, e.status) for e in state.history(2)]
    assert kinds == [("refresh", "interrupted"), ("corpus add", "ok")]
    assert len(Library(corpus, index, HashEncoder()).refresh(fetch_feeds=False).plan.new) == 30


def test_ctrl_c_stops_the_first_build_that_ask_starts(tmp_path: Path) -> None:
    corpus, _ = _corpus(tmp_path, 40)
    index = tmp_path / "idx"
    status, seconds, err = _interrupt(["ask", "what did officials say", "--corpus", str(corpus), "--index",
                                       str(index)], "embedding")
    assert status == 130 and seconds < 3.0, (seconds, err)
    assert err.strip().splitlines()[-1] == "newsbot: interrupted (Ctrl+C): nothing was published"
    assert not (index / "CURRENT").exists()
    assert not [p for p in (index / VERSIONS).glob(f"{TMP_PREFIX}*")]
    with StateStore(index) as state:
        [entry] = state.history(5)
    assert (entry.kind, entry.status) == ("build", "interrupted") and entry.actor.startswith("cli")


def test_the_first_build_ask_triggers_is_in_the_history(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    from bot.cli.main import main

    encoder = HashEncoder()
    monkeypatch.setattr("bot.cli.common.encoder_for", lambda *_a, **_k: encoder)
    corpus, _ = _corpus(tmp_path, 3)
    paths = ["--corpus", str(corpus), "--index", str(tmp_path / "idx")]
    assert main(["ask", "what did officials say", *paths]) == 0
    assert main(["history", "--json", *paths]) == 0
    [entry] = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert entry["kind"] == "build" and entry["status"] == "ok" and entry["actor"].startswith("cli")
    assert entry["added"] == 3 and entry["version_before"] is None and entry["version_after"]


@pytest.mark.parametrize("command", [["history"], ["sources"], ["ask", "officials"]])
def test_a_killed_run_is_marked_interrupted_by_the_next_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str],
                                                                command: list[str]) -> None:
    """A run killed for good (kill -9, power loss) leaves a `running` row and a partial version behind."""
    from bot.cli.main import main

    encoder = HashEncoder()
    monkeypatch.setattr("bot.cli.common.encoder_for", lambda *_a, **_k: encoder)
    corpus, _ = _corpus(tmp_path, 3)
    index = tmp_path / "idx"
    paths = ["--corpus", str(corpus), "--index", str(index)]
    assert main(["build", *paths]) == 0
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    pid = int(dead.stdout)
    partial = index / VERSIONS / f"{TMP_PREFIX}{pid}-0123abcd"
    partial.mkdir()
    (partial / "vectors.npy").write_bytes(b"half")
    with StateStore(index) as state:
        state.start("refresh", "victim", current_version(index), pid)
    capsys.readouterr()

    assert main([*command, *paths]) == 0
    assert not partial.exists()
    with StateStore(index) as state:
        entry = next(e for e in state.history(5) if e.actor == "victim")
    assert entry.status == "interrupted"
    assert f"its partial version {partial.name} was removed" in entry.summary
    assert "the version serving before kept serving" in entry.summary
