"""`newsbot eval` on a tiny synthetic benchmark (never the full one), and its pure metrics."""

from __future__ import annotations

import gzip
import json
from datetime import date
from pathlib import Path

import pytest

from bot.cli.main import main
from index.evaluation.benchmark import BenchmarkError, load_benchmark
from index.evaluation.metrics import contains_answer, ranking_figures

ARTICLES = [
    {"id": "a-idaho", "title": "Idaho police arrest 31 Patriot Front members near Pride event", "outlet": "CNN",
     "published": "2022-06-13", "url": "https://www.cnn.com/2022/06/13/us/idaho.html",
     "text": "Police in Coeur d'Alene, Idaho, arrested 31 men linked to the White nationalist group Patriot Front.\n\n"
             "The men were found in the back of a U-Haul truck with riot gear, police said.\n\n"
             "They were charged with conspiracy to riot at a Pride event in the city park."},
    {"id": "a-yellowstone", "title": "Yellowstone flooding closes the national park", "outlet": "USA Today",
     "published": "2022-06-15", "url": "https://www.usatoday.com/story/news/yellowstone.html",
     "text": "Record flooding washed out roads and bridges in Yellowstone National Park.\n\n"
             "Officials closed all entrances while crews assessed the damage to the northern loop."},
    {"id": "a-fiji", "title": "Fiji says climate change is the region's biggest threat", "outlet": "CNN",
     "published": "2022-06-12", "url": "https://www.cnn.com/2022/06/12/asia/fiji.html",
     "text": "Fiji's defense minister said climate change, not conflict, is the biggest security threat "
             "in the Asia-Pacific region.\n\nThe low-lying islands are among the most vulnerable in the world."},
    {"id": "a-charger", "title": "Europe will require USB-C chargers for phones", "outlet": "The Week",
     "published": "2022-06-08", "url": "https://www.theweek.co.uk/news/usb-c.html",
     "text": "European regulators agreed that phones, tablets and cameras sold in the EU must use USB-C ports.\n\n"
             "Apple will have to change the iPhone's Lightning port by 2024."},
    # the same text again under another id: the loader keeps one copy; a question citing this one still hits
    {"id": "a-fiji-copy", "title": "Fiji says climate change is the region's biggest threat", "outlet": "CNN",
     "published": "2022-06-13", "url": "https://www.cnn.com/2022/06/13/asia/fiji-copy.html",
     "text": "Fiji's defense minister said climate change, not conflict, is the biggest security threat "
             "in the Asia-Pacific region.\n\nThe low-lying islands are among the most vulnerable in the world."},
    {"id": "b-idaho", "title": "CNN news quiz, 2022-06-16", "outlet": "CNN", "published": "2022-06-16",
     "url": "https://edition.cnn.com/quiz#1",
     "text": "A group of White nationalists was arrested in Coeur d'Alene, Idaho."},
]
QUESTIONS = [
    {"id": "q1", "question": "Where were 31 Patriot Front members arrested before a Pride event?",
     "answer": "Idaho", "gold": ["b-idaho", "a-idaho"], "has_article_gold": True},
    {"id": "q2", "question": "Which national park was closed by flooding that washed out roads?",
     "answer": "Yellowstone", "gold": ["a-yellowstone"], "has_article_gold": False},
    {"id": "q3", "question": "What is the biggest security threat in the Asia-Pacific according to Fiji?",
     "answer": "climate change", "gold": ["a-fiji-copy"], "has_article_gold": False},
    {"id": "q4", "question": "Which charging port will phones sold in Europe need?",
     "answer": "USB-C", "gold": ["a-charger"], "has_article_gold": False},
]


def make_benchmark(folder: Path, questions: list[dict] = QUESTIONS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with gzip.open(folder / "articles.jsonl.gz", "wt", encoding="utf-8") as f:
        f.writelines(json.dumps(a) + "\n" for a in ARTICLES)
    (folder / "questions.jsonl").write_text("".join(json.dumps(q) + "\n" for q in questions), encoding="utf-8")
    return folder


def test_ranking_figures_and_answer_containment() -> None:
    gold = frozenset({"g"})
    figures = ranking_figures([(("g", "x"), gold), (("x", "y", "g"), gold), (("x",), gold)], k=10)
    assert figures["hit@1"] == pytest.approx(1 / 3, abs=1e-4) and figures["hit@5"] == pytest.approx(2 / 3, abs=1e-4)
    assert figures["mrr@10"] == pytest.approx((1 + 1 / 3) / 3, abs=1e-4)
    assert contains_answer("Officials said the “Squid Game” show is back.", "Squid Game")
    assert contains_answer("It paid $19,000,000 — or $19 million.", "$19 million")
    assert not contains_answer("Nothing to see.", "Squid Game") and not contains_answer(None, "x")


def test_benchmark_errors_name_the_line(tmp_path: Path) -> None:
    folder = make_benchmark(tmp_path / "b", QUESTIONS[:1])
    (folder / "questions.jsonl").write_text(json.dumps(QUESTIONS[0]) + "\n{\"id\": \"q2\", \"question\": \"x\"}\n")
    with pytest.raises(BenchmarkError, match=r"questions.jsonl:2: `answer` is missing"):
        load_benchmark(folder)
    with pytest.raises(BenchmarkError, match="no articles.jsonl.gz"):
        load_benchmark(make_benchmark(tmp_path / "c") and tmp_path)
    repeated = make_benchmark(tmp_path / "d", [QUESTIONS[0], QUESTIONS[0]])
    assert load_benchmark(repeated).repeated == 1
    # the day a question was asked is optional; when given, it must be a date (the search runs as of it)
    dated = make_benchmark(tmp_path / "e", [{**QUESTIONS[0], "date": "2022-06-16"}, QUESTIONS[1]])
    assert [q.asked for q in load_benchmark(dated).questions] == [date(2022, 6, 16), None]
    with pytest.raises(BenchmarkError, match=r"questions.jsonl:1: `date` 'last week' is not a YYYY-MM-DD date"):
        load_benchmark(make_benchmark(tmp_path / "f", [{**QUESTIONS[0], "date": "last week"}]))


def test_eval_unknown_setting_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = make_benchmark(tmp_path / "bench")
    assert main(["eval", "--benchmark", str(folder), "--set", "fusion_weight=2"]) == 2
    assert "unknown setting" in capsys.readouterr().err


@pytest.mark.model
def test_eval_reports_every_figure_and_reuses_its_index(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = make_benchmark(tmp_path / "bench")
    cache = tmp_path / "cache"
    assert main(["eval", "--benchmark", str(folder), "--json", "--cache", str(cache)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["overall"]["questions"] == 4 and report["overall"]["hit@1"] == 1.0
    assert report["overall"]["mrr@10"] == 1.0 and report["full_article_subset"]["questions"] == 1
    assert report["index"]["built"] is True and report["index"]["articles"] == 5
    assert report["index"]["duplicates_merged"] == 1 and report["missing_gold"] == []
    assert set(report["confidence"]) >= {"coverage", "precision", "threshold"}
    assert report["highlight"]["first_result_gold"] == 4 and report["highlight"]["rate"] >= 0.75
    assert report["latency_ms"]["p50"] > 0 and report["latency_ms"]["p95"] >= report["latency_ms"]["p50"]
    shards = sorted((cache / "vectors").rglob("shard-*.npz"))
    assert len(shards) == 1
    # the passages' sentences are embedded once into the cache's shared sentence store (highlights need no model)
    sentence_shards = sorted((cache / "sentences").rglob("shard-*.npy"))
    assert sentence_shards

    # same corpus and settings: the index is reused; a query-time setting does not rebuild either
    assert main(["eval", "--benchmark", str(folder), "--json", "--cache", str(cache),
                 "--set", "dense_weight=0.9"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["index"]["built"] is False and again["index"]["fingerprint"] == report["index"]["fingerprint"]
    assert again["settings"]["retrieval"]["dense_weight"] == 0.9

    # another chunking builds a new index from the stored vectors where passages agree
    assert main(["eval", "--benchmark", str(folder), "--json", "--cache", str(cache),
                 "--set", "chunk.target_tokens=24"]) == 0
    third = json.loads(capsys.readouterr().out)
    assert third["index"]["built"] is True and third["index"]["fingerprint"] != report["index"]["fingerprint"]
    assert sorted((cache / "sentences").rglob("shard-*.npy")) == sentence_shards  # same sentences, none embedded

    assert main(["eval", "--benchmark", str(folder), "--cache", str(cache), "--ablation"]) == 0
    table = capsys.readouterr().out
    assert "dense only" in table and "BM25 only" in table and "reciprocal rank fusion" in table
