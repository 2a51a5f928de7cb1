"""Ranking, pure: fuse dense and lexical scores, rank articles, order passages for display.

No I/O and no model here, so the evaluation harness and the search service run
exactly the same arithmetic, and every choice can be unit-tested on numbers.

The pipeline for one question:
1. each candidate passage gets a fused relevance in [0, 1]: a weighted sum of
   its cosine similarity and its normalised BM25 score (both absolute, so the
   fused score means the same thing in every query and can be thresholded),
   or reciprocal-rank fusion for comparison;
2. each passage's ranking score is its fused relevance minus a small focus
   prior, `focus * ln(passages in its article)`: of two equally good matches,
   the one from the shorter, more focused piece ranks first (a 40-passage
   live blog matches almost any question on its topic somewhere);
3. a recency prior subtracts `recency * ln(1 + |age| / recency_days)`, age
   being days between the article's date and the day the question is asked
   about (today, or the newest article when the corpus is older): of two
   equally good matches, the story from the question's time ranks first. It
   orders results only; the confidence is judged on relevance without it, so
   an old story that clearly answers is not turned into "nothing reliable";
4. each article is scored by its best passage plus a small share of its second
   best: an article that answers in several places beats a one-line mention;
5. passages are shown best article first, one per article, unless a second
   passage of an article clearly beats the next article.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import asdict, dataclass
from typing import NamedTuple

import numpy as np

MODES = ("hybrid", "dense", "lexical")
FUSIONS = ("score", "rrf")


@dataclass(frozen=True)
class RetrievalConfig:
    """Every query-time retrieval setting (none of them needs a rebuild).

    Attributes:
        mode: "hybrid", or "dense"/"lexical" alone (for ablations).
        fusion: "score" (weighted sum of absolute scores) or "rrf" (reciprocal rank fusion).
        dense_weight: share of the cosine similarity in the fused score; the rest is BM25.
        rrf_k: the constant of reciprocal rank fusion.
        depth: candidate passages taken from each side before fusing.
        focus: weight of the focus prior, ln(passages of the article), subtracted from ranking scores.
        recency: weight of the recency prior, ln(1 + |age in days| / recency_days), subtracted
            from ranking scores (0: off); undated articles get none.
        recency_days: the age at which the recency prior reaches `recency * ln 2`.
        second_passage: share of an article's second-best passage added to its score.
        dominance: how far a second passage of an article must beat the next
            article to be shown before it.
        min_score: ranking score of the best passage below which nothing is reliable, whatever
            the margin (what rejects questions about things the corpus never covers).
        strong_score: a best passage scoring this high makes the answer confident whatever the
            runner-up: several articles answering alike is corroboration, not doubt.
        margin_weight: weight of the lead of the best article over the second in the confidence.
        min_confidence: confidence (best score + margin_weight * lead) below which the answer
            is "nothing reliable"; calibrated on rtqa-dev for precision >= 0.8 (docs/retrieval.md).
        highlight_lexical: weight of question-term overlap next to sentence cosine in highlighting.
        highlight_headline: weight of the share of the headline's terms that the question lacks
            (the headline usually names what a question about the story asks for).
        highlight_sentences: how many of a passage's best sentences form its highlight (on
            rtqa-dev the answer often sits in a sentence apart from the one restating the question).
        refocus: show each article's passage whose best sentence answers best, not only the one
            that ranked it (only with highlights; the articles and their order do not change).
        exact: dense candidates from a scan of every vector even where the version has the approximate
            index (`index.store.vectors`): the benchmarks measure both paths side by side.
        ann_candidates: how many candidates the approximate index proposes for the dense side's `depth`
            (at least `depth`): they are rescored exactly and the best `depth` kept; more finds more of
            the exact candidates and costs more (README "Search at scale").
    """

    mode: str = "hybrid"
    fusion: str = "score"
    dense_weight: float = 0.4
    rrf_k: int = 60
    depth: int = 300
    focus: float = 0.03
    recency: float = 0.04
    recency_days: float = 30.0
    second_passage: float = 0.35
    dominance: float = 0.1
    min_score: float = 0.2
    strong_score: float = 0.4
    margin_weight: float = 3.0
    min_confidence: float = 0.5
    highlight_lexical: float = 0.3
    highlight_headline: float = 0.3
    highlight_sentences: int = 2
    refocus: bool = True
    exact: bool = False
    ann_candidates: int = 1000

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"retrieval mode {self.mode!r} is not one of {', '.join(MODES)}")
        if self.fusion not in FUSIONS:
            raise ValueError(f"fusion {self.fusion!r} is not one of {', '.join(FUSIONS)}")
        if not 0.0 <= self.dense_weight <= 1.0:
            raise ValueError(f"dense_weight must be between 0 and 1, got {self.dense_weight}")
        if self.depth < 1 or self.rrf_k < 1:
            raise ValueError("depth and rrf_k must be at least 1")
        if self.focus < 0 or self.second_passage < 0 or self.recency < 0:
            raise ValueError("focus, recency and second_passage must not be negative")
        if self.highlight_sentences < 1:
            raise ValueError(f"highlight_sentences must be at least 1, got {self.highlight_sentences}")
        if self.ann_candidates < 1:
            raise ValueError(f"ann_candidates must be at least 1, got {self.ann_candidates}")
        if self.recency_days <= 0:
            raise ValueError(f"recency_days must be positive, got {self.recency_days}")

    def describe(self) -> dict[str, object]:
        """Plain dict, for eval reports."""
        return asdict(self)


def fuse(dense: np.ndarray, lexical: np.ndarray, config: RetrievalConfig) -> np.ndarray:
    """Fused relevance of candidates from their cosine and normalised BM25 scores (same order)."""
    if config.mode == "dense":
        return dense.astype(np.float32)
    if config.mode == "lexical":
        return lexical.astype(np.float32)
    if config.fusion == "rrf":
        return (_rrf(dense, config.rrf_k) + _rrf(lexical, config.rrf_k)).astype(np.float32)
    w = config.dense_weight
    return (w * dense + (1.0 - w) * lexical).astype(np.float32)


class ArticleRanking(NamedTuple):
    """One article's place in a ranking."""

    article: Hashable  # the article's key (an id, or its number in the version)
    score: float  # its best passage's score plus a share of its second best's
    passages: list[tuple[int, float]]  # its candidate passages as (row, score), best first


def confidence(articles: Sequence[ArticleRanking], margin_weight: float, min_score: float) -> float:
    """How sure the ranking is: the best article's score plus its lead over the runner-up.

    Why the lead: on rtqa-dev the best score alone barely separates right from
    wrong answers (many articles on one topic all score high), while a clear
    lead of one article does. The floor `min_score` keeps a question about
    something the corpus never covers from winning on margin alone (0 then).
    """
    if not articles or articles[0].score < min_score:
        return 0.0
    runner_up = articles[1].score if len(articles) > 1 else 0.0
    return float(articles[0].score + margin_weight * max(0.0, articles[0].score - runner_up))


def is_confident(top_score: float, sure: float, config: RetrievalConfig) -> bool:
    """The "nothing reliable" decision: a clear lead, or a strong match on its own."""
    return sure >= config.min_confidence or top_score >= config.strong_score


def focus_prior(passages_in_article: np.ndarray, weight: float) -> np.ndarray:
    """What the focus prior subtracts from each passage's score (0 for a one-passage article)."""
    return weight * np.log(np.maximum(passages_in_article, 1))


def recency_prior(age_days: np.ndarray, weight: float, scale_days: float) -> np.ndarray:
    """What the recency prior subtracts for articles `age_days` from the reference day (NaN: undated, 0)."""
    if weight == 0:
        return np.zeros(len(age_days), dtype=np.float32)
    penalty = weight * np.log1p(np.abs(age_days) / scale_days)
    return np.nan_to_num(penalty, nan=0.0).astype(np.float32)


def _rrf(scores: np.ndarray, k: int) -> np.ndarray:
    ranks = np.empty(len(scores), dtype=np.float64)
    ranks[np.argsort(-scores, kind="stable")] = np.arange(1, len(scores) + 1)
    return 1.0 / (k + ranks)


def rank_articles(rows: Sequence[int], scores: Sequence[float], article_of: Sequence[Hashable],
                  second_passage: float) -> list[ArticleRanking]:
    """Articles best first, each with its score and its passages (row, score) best first.

    An article's score is its best passage's plus `second_passage` times its
    second best, so corroboration counts but never outweighs a clearly better match.
    """
    owners = np.asarray(article_of)
    if len(owners) != len(rows) or len(scores) != len(rows):
        raise ValueError("rows, scores and article_of must be of one length")
    if len(owners) and owners.dtype.kind in "iu":
        return _rank_articles_arrays(np.asarray(rows, dtype=np.int64), np.asarray(scores, dtype=np.float64),
                                     owners.astype(np.int64), second_passage)
    by_article: dict[Hashable, list[tuple[int, float]]] = {}
    for row, score, article in zip(rows, scores, article_of, strict=True):
        by_article.setdefault(article, []).append((int(row), float(score)))
    ranked = []
    for article, passages in by_article.items():
        passages.sort(key=lambda x: (-x[1], x[0]))
        total = passages[0][1] + (second_passage * passages[1][1] if len(passages) > 1 else 0.0)
        ranked.append(ArticleRanking(article, total, passages))
    ranked.sort(key=lambda x: (-x.score, x.passages[0][0]))
    return ranked


def _rank_articles_arrays(rows: np.ndarray, scores: np.ndarray, owners: np.ndarray,
                          second_passage: float) -> list[ArticleRanking]:
    """`rank_articles` for integer article numbers, with array sorts instead of one sort per article.

    The same result: passages by (-score, row) within an article, articles by (-score, best row).
    A question's candidates (~600 rows of ~500 articles) took ~1,000 small sorts per question before.
    """
    order = np.lexsort((rows, -scores, owners))
    rows, scores, owners = rows[order], scores[order], owners[order]
    starts = np.flatnonzero(np.concatenate([[True], owners[1:] != owners[:-1]]))
    ends = np.concatenate([starts[1:], [len(rows)]])
    has_second = ends - starts > 1
    second = np.where(has_second, scores[np.minimum(starts + 1, len(rows) - 1)], 0.0)
    totals = scores[starts] + second_passage * second
    # as `first + second_passage * second` in Python floats, for articles with one passage exactly `first`
    totals = np.where(has_second, totals, scores[starts])
    article_order = np.lexsort((rows[starts], -totals))
    return _ArticleList(article_order, owners, rows, scores, starts, ends, totals)


class _ArticleList(Sequence):
    """`rank_articles`'s list of `ArticleRanking`s, each made when first read: a question ranks ~500
    articles, and only the first few are ever looked at (the answers shown and the confidence)."""

    def __init__(self, order: np.ndarray, owners: np.ndarray, rows: np.ndarray, scores: np.ndarray,
                 starts: np.ndarray, ends: np.ndarray, totals: np.ndarray) -> None:
        self._order, self._owners, self._rows, self._scores = order, owners, rows, scores
        self._starts, self._ends, self._totals = starts, ends, totals
        self._made: dict[int, ArticleRanking] = {}

    def __len__(self) -> int:
        return len(self._order)

    def __getitem__(self, i):  # noqa: ANN001, ANN204 - an index or a slice, as a list takes
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        made = self._made.get(i)
        if made is None:
            g = int(self._order[i])
            start, end = int(self._starts[g]), int(self._ends[g])
            made = ArticleRanking(int(self._owners[start]), float(self._totals[g]),
                                  list(zip(self._rows[start:end].tolist(), self._scores[start:end].tolist())))
            self._made[i] = made
        return made

    def __iter__(self):  # noqa: ANN204
        return (self[i] for i in range(len(self)))


def diversify(articles: Sequence[ArticleRanking], k: int, per_article: int,
              dominance: float) -> list[tuple[int, float]]:
    """The `k` passages to show as (row, score), in order: diverse first, at most `per_article` per article.

    The best passage of each article comes in article order. A further passage
    of an article already shown jumps ahead of the next article only when it
    beats that article's score by `dominance`; otherwise further passages fill
    the list after one passage from every article, best first.

    Args:
        articles: as `rank_articles` gives them (any (article, score, passages) tuples), best first.
        per_article: the cap of passages per article (0 = no cap).
    """
    cap = per_article if per_article > 0 else None
    shown: list[tuple[int, float]] = []
    later: list[tuple[float, int, int]] = []  # (-score, row, article position) of further passages
    taken: dict[int, int] = {}
    for position, (_, article_score, passages) in enumerate(articles):
        if len(shown) >= k:
            break
        # further passages of earlier articles that clearly beat this article come first
        while later and -later[0][0] >= article_score + dominance and len(shown) < k:
            _, row, owner = later.pop(0)
            shown.append((row, _score_of(articles[owner][2], row)))
            taken[owner] = taken.get(owner, 0) + 1
        if len(shown) >= k:
            break
        shown.append(passages[0])
        taken[position] = 1
        for row, score in passages[1:(cap if cap else len(passages))]:
            later.append((-score, row, position))
        later.sort()
    for neg, row, owner in later:
        if len(shown) >= k:
            break
        if cap is None or taken.get(owner, 0) < cap:
            shown.append((row, -neg))
            taken[owner] = taken.get(owner, 0) + 1
    return shown


def _score_of(passages: list[tuple[int, float]], row: int) -> float:
    return next(score for r, score in passages if r == row)
