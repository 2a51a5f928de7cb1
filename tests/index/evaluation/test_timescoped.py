"""The time-scoped benchmark variant: deterministic, and every window holds its gold day."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from index.evaluation.benchmark import Benchmark, Question, load_benchmark
from index.evaluation.runner import question_scope
from index.evaluation.timescoped import KINDS, rephrase, time_scoped
from index.search.timeframe import parse_time_window
from tests.conftest import BENCH as RTQA


def synthetic(count: int = 60) -> tuple[Benchmark, dict[str, date]]:
    """Questions about articles published on days spread over two years (week, month and year boundaries)."""
    questions, published = [], {}
    for i in range(count):
        day = date(2021, 12, 20) + timedelta(days=13 * i)
        published[f"a{i}"] = day
        text = ("Which automaker recalled 2.9 million vehicles this week?" if i % 3 == 0
                else f"Which harbour reopened after storm number {i}?")
        questions.append(Question(id=f"q{i}", question=text, answer="x", gold=(f"a{i}",), asked=day))
    return Benchmark(Path("."), Path("articles.jsonl"), tuple(questions)), published


def test_generation_is_deterministic_and_each_window_holds_its_gold_day() -> None:
    benchmark, published = synthetic()
    first, again = time_scoped(benchmark, published), time_scoped(benchmark, published)
    assert first == again
    assert len(first.questions) == len(benchmark.questions) and not first.left_out
    for scoped in first.questions:
        q = scoped.question
        assert q.asked is not None and q.asked >= scoped.gold_day
        window = parse_time_window(q.question, q.asked)
        assert window is not None and window.contains(scoped.gold_day), (q.question, q.asked)
        assert (window.since, window.until) == (scoped.since, scoped.until)
        assert scoped.phrase.lower() in q.question.lower()
    assert "this week" not in first.questions[0].question.question or first.questions[0].kind == "this week", \
        "the question's own time words make way for the new phrase"
    assert len({s.kind for s in first.questions}) >= 10, "the phrases vary"
    assert time_scoped(benchmark, published, seed=15) != first, "the seed decides the draw"


def test_the_runner_restricts_to_the_window_read_as_of_the_day_asked() -> None:
    q = Question(id="q", question="Which harbour reopened last week?", answer="x", gold=("a",),
                 asked=date(2026, 11, 30))
    text, filters, window = question_scope(q, "filter")
    assert text == q.question and (filters.since, filters.until) == (date(2026, 11, 23), date(2026, 11, 29))
    text, filters, _ = question_scope(q, "strip")
    assert text == "Which harbour reopened?" and filters.since == date(2026, 11, 23)
    text, filters, window = question_scope(q, "off")
    assert text == q.question and not filters.active and window is None


def test_a_phrase_goes_before_the_question_mark_or_first() -> None:
    assert rephrase("Which team won?", "last week", prefix=False) == "Which team won last week?"
    assert rephrase("Which team won?", "last week", prefix=True) == "Last week, which team won?"
    assert rephrase("Broadway’s stars met where?", "in June", prefix=True) == "In June, Broadway’s stars met where?"


def test_every_kind_can_be_drawn() -> None:
    benchmark, published = synthetic(200)
    assert {s.kind for s in time_scoped(benchmark, published).questions} == set(KINDS)


@pytest.mark.skipif(not RTQA.is_dir(), reason="rtqa-dev is not beside the checkout")
def test_on_rtqa_dev_almost_every_question_is_scoped_and_holds_its_gold() -> None:
    import gzip
    import json

    benchmark = load_benchmark(RTQA)
    with gzip.open(RTQA / "articles.jsonl.gz", "rt", encoding="utf-8") as f:
        published = {r["id"]: date.fromisoformat(r["published"]) if r.get("published") else None
                     for r in map(json.loads, f)}
    scoped = time_scoped(benchmark, published)
    assert len(scoped.questions) >= 0.97 * len(benchmark.questions)
    for s in scoped.questions:
        window = parse_time_window(s.question.question, s.question.asked)
        assert window is not None and window.contains(s.gold_day)
