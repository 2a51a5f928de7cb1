"""`newsbot ask` with a question that names a time: the window searched, in the text and in --json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli.main import main
from tests.conftest import SEEDS
from tests.support.e2e import copy_index

pytestmark = pytest.mark.model

QUESTION = "Who flew drones toward the Kremlin last week?"  # the seed article is of Wednesday 3 May 2023


@pytest.fixture()
def index(seed_index: Path, tmp_path: Path) -> Path:
    return copy_index(seed_index, tmp_path / "index")


def ask(index: Path, capsys: pytest.CaptureFixture[str], *flags: str) -> tuple[int, str, str]:
    code = main(["ask", *flags, "--corpus", str(SEEDS), "--index", str(index)])
    out, err = capsys.readouterr()
    return code, out, err


def test_last_week_restricts_the_dates_and_json_shows_the_window(index: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = ask(index, capsys, QUESTION, "--json", "--today", "2023-05-10")
    assert code == 0, err
    data = json.loads(out)
    assert data["question"] == QUESTION and "searched_text" not in data, "searched as asked"
    assert data["window"] == {"since": "2023-05-01", "until": "2023-05-07", "label": "1–7 May 2023",
                              "from": "question", "phrase": "last week",
                              "rule": "the previous calendar week, Monday to Sunday"}
    assert data["results"] and all(r["article"]["published"] == "2023-05-03" for r in data["results"])

    code, out, err = ask(index, capsys, QUESTION, "--today", "2023-05-10")
    assert code == 0 and out.startswith("Searched 1–7 May 2023 (“last week” in the question).\n\n[1] ")


def test_an_empty_window_says_so_and_offers_the_nearest_dates(index: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = ask(index, capsys, QUESTION, "--today", "2023-06-20")
    assert code == 0, err
    assert out.splitlines()[0] == "No articles from 12–18 June 2023; the nearest is from 3 May 2023."
    code, out, _ = ask(index, capsys, QUESTION, "--json", "--today", "2023-06-20")
    data = json.loads(out)
    assert data["results"] == [] and data["window"]["nearest"] == {"before": "2023-05-03", "after": None}


def test_since_and_until_win_over_the_words(index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = ask(index, capsys, QUESTION, "--json", "--today", "2023-06-20", "--since", "2023-05-01",
                         "--until", "2023-05-31")
    assert code == 0, err
    data = json.loads(out)
    assert "searched_text" not in data, "the words stay: they were not applied"
    assert data["window"] == {"since": "2023-05-01", "until": "2023-05-31", "label": "1–31 May 2023",
                              "from": "options", "ignored_phrase": "last week"}
    assert data["results"]


def test_a_bad_today_is_a_clear_error(index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = ask(index, capsys, QUESTION, "--today", "10/05/2023")
    assert code == 2 and "--today must be a date written YYYY-MM-DD" in err
