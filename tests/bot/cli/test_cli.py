"""The command line, called in-process as a user would call it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli.main import main
from tests.conftest import SEED_QUESTION, SEEDS

pytestmark = pytest.mark.model


def test_ask_builds_then_answers_with_attribution(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["ask", SEED_QUESTION, "--corpus", str(SEEDS), "--index", str(tmp_path / "idx")])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "building it from" in err and "1 article(s)" in err
    assert "Moscow alleged Wednesday" in out
    assert "CNN · Sebastian Shukla and Nathan Hodge · 3 May 2023 · paragraphs 1-" in out


def test_ask_json_shape(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "--corpus", str(SEEDS), "--index", str(tmp_path / "idx")]) == 0
    assert "1 article(s)" in capsys.readouterr().out
    assert main(["ask", SEED_QUESTION, "--json", "-k", "1", "--corpus", str(SEEDS),
                 "--index", str(tmp_path / "idx")]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["question"] == SEED_QUESTION
    [hit] = data["results"]
    assert set(hit) >= {"passage_id", "score", "text", "article", "paragraphs", "start", "end"}
    assert hit["article"]["outlet"] == "CNN" and hit["article"]["published"] == "2023-05-03"
    assert hit["article"]["authors"] == ["Sebastian Shukla", "Nathan Hodge"]
    assert hit["paragraphs"][0] == 1 and hit["start"] == 0


def test_sources_lists_articles(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sources", "--json", "--corpus", str(SEEDS), "--index", str(tmp_path / "idx")]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert [x["outlet"] for x in lines] == ["CNN"]


def test_errors_are_one_line_without_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "anything", "--corpus", str(tmp_path / "missing"), "--index", str(tmp_path / "i")]) == 2
    err = capsys.readouterr().err
    assert err.splitlines()[-1].startswith("newsbot: error:") and "does not exist" in err and "Traceback" not in err


@pytest.mark.parametrize(("question", "says"), [
    ("   ", "Your question is empty"),
    ("?!?! ... ,,,", "has no words in it"),
    ("why " * 200, "the limit is 300"),
])
def test_questions_are_checked_as_in_discord(tmp_path: Path, capsys: pytest.CaptureFixture[str], question: str,
                                            says: str) -> None:
    assert main(["ask", question, "--corpus", str(SEEDS), "--index", str(tmp_path / "idx")]) == 2
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err and not (tmp_path / "idx").exists(), "refused before any build"
