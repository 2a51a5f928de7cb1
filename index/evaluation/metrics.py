"""Benchmark metrics, pure: from per-question outcomes to the figures `newsbot eval` reports.

Scoring is at document level: a hit at k when a gold document is among the
first k distinct documents returned. On the `has_article_gold` subset only the
full articles count as gold (the quiz's brief is then a miss), which measures
whether retrieval finds the real article and not only the one-line summary.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-"})


@dataclass(frozen=True)
class QuestionOutcome:
    """What the search service did with one question.

    Attributes:
        ranking: distinct document ids, best first (as deep as the eval's k).
        gold: documents counting as gold over all questions.
        article_gold: full articles counting as gold on the article subset (empty: not in it).
        shown: distinct documents among the passages shown by default.
        confident: whether the answer was given with confidence.
        highlight: the highlight of the first passage shown, if any.
        answer: the benchmark's answer text.
        latency_ms: time of the default search call (question embedding, ranking, highlights).
        confidence: the calibrated confidence of the default call.
        retrieval_ms: question embedding plus ranking alone, without highlights.
        top_score: the best ranking score of the default call.
        window: (since, until) ISO days the search was restricted to by the question's time words, if any.
    """

    id: str
    ranking: tuple[str, ...]
    gold: frozenset[str]
    article_gold: frozenset[str]
    shown: tuple[str, ...]
    confident: bool
    highlight: str | None
    answer: str
    latency_ms: float
    confidence: float = 0.0
    retrieval_ms: float = 0.0
    top_score: float = 0.0
    window: tuple[str | None, str | None] | None = None


def normalise_text(text: str) -> str:
    """Lower case, plain quotes and dashes, punctuation dropped, single spaces: for containment checks."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES).lower()
    text = re.sub(r"(?<=\d),(?=\d{3})", "", text)  # 1,000 → 1000
    text = re.sub(r"[^\w\s]", " ", text)
    return " ".join(text.split())


def contains_answer(highlight: str | None, answer: str) -> bool:
    """True when the (normalised) answer text appears in the (normalised) highlight."""
    if not highlight:
        return False
    needle = normalise_text(answer)
    return bool(needle) and needle in normalise_text(highlight)


def first_gold_rank(ranking: Sequence[str], gold: frozenset[str], k: int) -> int | None:
    """1-based rank of the first gold document within the first k, or None."""
    for rank, doc in enumerate(ranking[:k], start=1):
        if doc in gold:
            return rank
    return None


def ranking_figures(rankings: Sequence[tuple[Sequence[str], frozenset[str]]], k: int) -> dict[str, float]:
    """hit@1, hit@5, hit@k and mrr@k over (ranking, gold) pairs."""
    n = len(rankings)
    if n == 0:
        return {"questions": 0}
    ranks = [first_gold_rank(r, g, k) for r, g in rankings]
    out: dict[str, float] = {"questions": n}
    for cut in sorted({1, 5, k}):
        out[f"hit@{cut}"] = round(sum(1 for r in ranks if r is not None and r <= cut) / n, 4)
    out[f"mrr@{k}"] = round(sum(1.0 / r for r in ranks if r is not None) / n, 4)
    return out


def summarise(outcomes: Sequence[QuestionOutcome], k: int = 10) -> dict[str, object]:
    """Every figure of the eval report, as one JSON-ready dict."""
    overall = ranking_figures([(o.ranking, o.gold) for o in outcomes], k)
    subset = ranking_figures([(o.ranking, o.article_gold) for o in outcomes if o.article_gold], k)
    first_gold = [o for o in outcomes if o.shown and o.shown[0] in o.gold]
    highlighted = sum(1 for o in first_gold if contains_answer(o.highlight, o.answer))
    confident = [o for o in outcomes if o.confident]
    correct = sum(1 for o in confident if any(d in o.gold for d in o.shown))
    latencies = np.array([o.latency_ms for o in outcomes]) if outcomes else np.zeros(1)
    retrieval = np.array([o.retrieval_ms for o in outcomes]) if outcomes else np.zeros(1)
    return {
        "overall": overall,
        "windows": {"questions_with_window": sum(1 for o in outcomes if o.window)},
        "full_article_subset": subset,
        "highlight": {"first_result_gold": len(first_gold),
                      "contains_answer": highlighted,
                      "rate": round(highlighted / len(first_gold), 4) if first_gold else 0.0},
        "confidence": {"confident": len(confident),
                       "coverage": round(len(confident) / len(outcomes), 4) if outcomes else 0.0,
                       "precision": round(correct / len(confident), 4) if confident else 0.0},
        "latency_ms": {"p50": round(float(np.percentile(latencies, 50)), 1),
                       "p95": round(float(np.percentile(latencies, 95)), 1),
                       "retrieval_p50": round(float(np.percentile(retrieval, 50)), 1),
                       "retrieval_p95": round(float(np.percentile(retrieval, 95)), 1)},
    }


def threshold_table(outcomes: Sequence[QuestionOutcome], thresholds: Sequence[float],
                    strong_score: float = float("inf")) -> list[dict[str, float]]:
    """Coverage and precision if the confidence threshold were t (with the strong-match rule kept)."""
    rows = []
    for t in thresholds:
        answered = [o for o in outcomes if (o.confidence >= t or o.top_score >= strong_score) and o.shown]
        correct = sum(1 for o in answered if any(d in o.gold for d in o.shown))
        rows.append({"threshold": round(float(t), 3),
                     "coverage": round(len(answered) / len(outcomes), 4) if outcomes else 0.0,
                     "precision": round(correct / len(answered), 4) if answered else 0.0})
    return rows
