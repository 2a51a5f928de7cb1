"""The feedback store and `newsbot feedback`, and the interim refresh report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.feedback import FeedbackStore
from bot.sync import commands_digest
from index.errors import IndexBusy
from index.interim_refresh import _lock_for
from index.library import Library
from tests.conftest import SEEDS
from tests.fakes import HashEncoder


def test_answers_and_feedback_round_trip(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path)
    answer_id = store.record_answer("Who?", {"outlets": ["CNN"]}, 3, "v0001-x", ["pa", "pb"], 11, 22, 33)
    record = store.answer(answer_id)
    assert record.question == "Who?" and record.filters == {"outlets": ["CNN"]} and record.passage_ids == ("pa", "pb")
    assert store.answer(999) is None
    assert not store.record_feedback(record, "pa", "helpful", 11, "alice", "u1", 22, 33)
    assert store.record_feedback(record, "pa", "wrong_source", 11, "alice", "u1", 22, 33), "a new verdict replaces"
    assert not store.record_feedback(record, "pb", "helpful", 12, "bob")
    with pytest.raises(ValueError, match="verdict"):
        store.record_feedback(record, "pa", "meh", 11, "alice")
    assert store.counts() == {"helpful": 1, "wrong_source": 1}
    assert store.most_flagged() == [("pa", 1)] and store.recent_passages(11) == ["pa", "pb"]
    rows = list(store.iter_feedback())
    assert [(r["user_name"], r["verdict"], r["index_version"]) for r in rows] == [
        ("alice", "wrong_source", "v0001-x"), ("bob", "helpful", "v0001-x")]
    store.close()


def test_feedback_cli_summary_and_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["feedback", "--index", str(tmp_path)]) == 0
    assert "no feedback recorded yet" in capsys.readouterr().err
    store = FeedbackStore(tmp_path)
    record = store.answer(store.record_answer("Q", {}, 3, "v1", ["pa"]))
    store.record_feedback(record, "pa", "wrong_source", 5, "eve")
    store.close()
    assert main(["feedback", "--index", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("0 helpful, 1 wrong source") and "  pa  1" in out
    assert main(["feedback", "--index", str(tmp_path), "--export", "-"]) == 0
    [line] = capsys.readouterr().out.splitlines()
    assert json.loads(line)["user_name"] == "eve"


def test_command_digest_ignores_order() -> None:
    a, b = {"name": "a", "options": []}, {"name": "b"}
    assert commands_digest([a, b]) == commands_digest([b, a]) != commands_digest([a])


def test_interim_refresh_reports_changes_and_refuses_a_second_one(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    header, body = (SEEDS / "000_404b26da54f33bfd.txt").read_text().split("\n", 1)
    seed = f"{header}\nurl https://x.test/kremlin\n{body}"  # a URL keeps the id when the text changes
    (corpus / "a.txt").write_text(seed)
    library = Library(corpus, tmp_path / "idx", HashEncoder())
    first = library.refresh(actor="test")
    assert first.summary_lines()[0].startswith("added 1: “Moscow alleged")
    (corpus / "a.txt").write_text(seed.replace("Kremlin", "Kremlin palace", 1))
    (corpus / "bad.txt").write_text("nonsense header\n\ntext")
    dry = library.refresh(dry_run=True)
    assert dry.stats is None and dry.summary_lines()[-1] == "dry run: nothing was changed"
    report = library.refresh(progress=lambda *a: None)
    lines = report.summary_lines()
    assert "updated 1: “Moscow alleged" in lines[1] and "skipped 1:" in lines and report.stats.version.startswith("v0002")
    lock = _lock_for(library.index_dir)
    lock.acquire()
    try:
        with pytest.raises(IndexBusy, match="already running"):
            library.refresh()
    finally:
        lock.release()
