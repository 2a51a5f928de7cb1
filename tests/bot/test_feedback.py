"""The feedback store and `newsbot feedback`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli.main import main
from bot.feedback import FeedbackStore
from bot.chat.sync import commands_digest


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
    assert store.most_flagged() == [("pa", 1)] and store.recent_passages(11, guild_id=22) == ["pa", "pb"]
    assert store.recent_passages(11) == [] and store.recent_passages(11, guild_id=99) == [], "another place shows none"
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


def test_feedback_counts_per_place(tmp_path: Path) -> None:
    from bot.feedback import DMS

    store = FeedbackStore(tmp_path)
    in_a = store.answer(store.record_answer("q", {}, 3, "v1", ["pa"], 1, 100, 5))
    in_dm = store.answer(store.record_answer("q", {}, 3, "v1", ["pb"], 1, None, 6))
    store.record_feedback(in_a, "pa", "helpful", 1, "alice", guild_id=100)
    store.record_feedback(in_dm, "pb", "wrong_source", 1, "alice")
    assert store.counts(100) == {"helpful": 1, "wrong_source": 0}
    assert store.counts(DMS) == {"helpful": 0, "wrong_source": 1}
    assert store.counts(200) == {"helpful": 0, "wrong_source": 0} and store.counts() == {"helpful": 1, "wrong_source": 1}
    assert store.most_flagged(server=100) == [] and store.most_flagged(server=DMS) == [("pb", 1)]
