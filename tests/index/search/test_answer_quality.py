"""Highlights, calibrated confidence and filters on seeds/, with the real model (what the bot shows)."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from bot.cli.main import main
from index.search.service import Filters, SearchService
from tests.conftest import SEED_QUESTION, SEEDS

pytestmark = pytest.mark.model

OFF_TOPIC = [
    "How long should I bake sourdough bread?",
    "Who won the football match last night?",
    "What is the best recipe for chocolate chip cookies?",
    "Which team won the Premier League?",
    "What is the capital of Australia?",
    "How do I fix a flat bicycle tyre?",
]


def test_seed_question_is_confident_with_a_highlight_inside_the_article(seed_index: Path, encoder) -> None:  # noqa: ANN001
    result = SearchService.open(seed_index, encoder).search(SEED_QUESTION, k=3)
    assert result.confident
    top = result.hits[0]
    mark = top.highlight
    assert mark is not None and " … ".join(top.article.text[a:b] for a, b in mark.spans) == mark.text
    assert top.passage.start <= mark.start < mark.end <= top.passage.end
    assert "Ukraine flew two drones toward the Kremlin" in mark.text
    assert all(h.highlight is not None for h in result.hits)
    assert result.to_dict()["results"][0]["highlight"] == {"text": mark.text, "start": mark.start, "end": mark.end,
                                                                    "spans": [list(span) for span in mark.spans]}


@pytest.mark.parametrize("question", OFF_TOPIC)
def test_questions_the_corpus_does_not_cover_are_not_confident(seed_index: Path, encoder, question: str) -> None:  # noqa: ANN001
    result = SearchService.open(seed_index, encoder).search(question, k=3)
    assert not result.confident, (question, result.extra)
    assert result.hits  # still there for --json, flagged as unreliable
    assert all(h.score >= 0 for h in result.hits)


def test_filters_apply_before_ranking_in_hybrid_mode(tmp_path: Path, encoder) -> None:  # noqa: ANN001
    from index.library import Library

    corpus = tmp_path / "c"
    shutil.copytree(SEEDS, corpus)
    (corpus / "other.jsonl").write_text(json.dumps(
        {"text": "Drones flew toward the Kremlin, Moscow said on Wednesday.", "outlet": "BBC",
         "published": "2020-01-01", "title": "Moscow says drones flew at the Kremlin"}) + "\n")
    library = Library(corpus, tmp_path / "idx", encoder)
    library.build()
    bbc = library.service.search(SEED_QUESTION, k=5, filters=Filters(outlets=("bbc",)))
    assert bbc.hits and {h.article.outlet for h in bbc.hits} == {"BBC"}
    cnn = library.service.search(SEED_QUESTION, k=5, filters=Filters(since=date(2023, 1, 1)))
    assert cnn.hits and {h.article.outlet for h in cnn.hits} == {"CNN"}
    assert cnn.hits[0].passage.start == 0  # the best CNN passage is still first inside the filter
    assert library.service.search(SEED_QUESTION, filters=Filters(until=date(2019, 1, 1))).hits == []


def test_ask_shows_the_highlight_in_bold(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--corpus", str(SEEDS), "--index", str(tmp_path / "idx")]
    assert main(["ask", SEED_QUESTION, *args]) == 0
    out = capsys.readouterr().out
    assert "**Moscow alleged Wednesday Ukraine flew two drones toward the Kremlin" in out
    assert "Nothing reliable" not in out

    assert main(["ask", "How long should I bake sourdough bread?", *args]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Nothing reliable found") and "**" not in out
    assert main(["ask", "How long should I bake sourdough bread?", "--json", *args]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["confident"] is False and data["results"]

    assert main(["ask", SEED_QUESTION, "--outlet", "CNN", "--since", "2023-05-01", "--until", "2023-05-31",
                 "--json", *args]) == 0
    assert json.loads(capsys.readouterr().out)["results"]
    assert main(["ask", SEED_QUESTION, "--outlet", "Reuters", *args]) == 2
    assert "No article in the corpus is from 'Reuters'. Outlets: CNN." in capsys.readouterr().err
    assert main(["ask", SEED_QUESTION, "--since", "May 3", *args]) == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err
