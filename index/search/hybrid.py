"""Hybrid candidate retrieval: dense (FAISS) and lexical (BM25) candidates, rescored exactly.

Each side proposes its best `depth` passages among the allowed rows (filters
apply before any top-k, so a filter never loses recall). Every candidate is
then scored on BOTH sides exactly: its cosine from the stored vectors (the
approximate index's rescoring already gave those of its own candidates) and its
normalised BM25 from the question's scores, so a passage found by one side only
is not penalised for a missing score. `index.search.ranking` does the rest.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from index.search.ranking import (RetrievalConfig, confidence, diversify, focus_prior, fuse, rank_articles,
                                  recency_prior)
from index.store.lexical import LexicalIndex
from index.store.vectors import Neighbours, VectorIndex

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Ranked:
    """What ranking one question gives.

    Attributes:
        rows_scores: the passages to show as (row, ranking score), in display order. With candidates from
            several versions (`rank_candidates`), a row is numbered across them: version i's rows follow
            version i-1's (`offsets`); `located` gives (version, row, score).
        top_score: the best ranking score (of relevance alone when the recency prior takes part).
        confidence: see `index.search.ranking.confidence`.
        offsets: the first combined row number of each version (one version: `(0,)`).
    """

    rows_scores: list[tuple[int, float]]
    top_score: float
    confidence: float = 0.0
    offsets: tuple[int, ...] = (0,)

    def located(self) -> list[tuple[int, int, float]]:
        """(version index, row within that version, ranking score) of each passage to show, in order."""
        out = []
        for row, score in self.rows_scores:
            part = int(np.searchsorted(self.offsets, row, side="right")) - 1
            out.append((part, row - self.offsets[part], score))
        return out


class RowScores(NamedTuple):
    """The scores of candidate rows, each a float array aligned with the rows."""

    dense: np.ndarray  # cosine with the question
    lexical: np.ndarray  # normalised BM25 (zeros without the lexical side)
    prior: np.ndarray  # the focus prior subtracted
    relevance: np.ndarray  # fused score less the focus prior
    ranking: np.ndarray  # relevance less the recency prior (= relevance when it takes no part)


class Candidates(NamedTuple):
    """One index version's candidates for a question.

    Attributes:
        rows: candidate rows of that version (int64, ascending).
        scores: their scores on both sides (see `RowScores`).
        owners: the article number of each row (0..articles-1 within that version).
        articles: how many articles the version has (article numbers of several versions are told apart by it).
    """

    rows: np.ndarray
    scores: RowScores
    owners: np.ndarray
    articles: int


class HybridRetriever:
    """Candidate generation and fusion over one index version's arrays."""

    def __init__(self, index: VectorIndex, lexical: LexicalIndex | None, article_of_row: np.ndarray,
                 article_day: np.ndarray | None = None) -> None:
        """`index`: the version's dense index (its stored vectors give every candidate's cosine);
        `article_day`: each article's publication day as a day number (NaN when undated)."""
        self.index = index
        self.lexical = lexical
        self.article_of_row = article_of_row
        n_articles = int(article_of_row.max()) + 1 if len(article_of_row) else 0
        self.article_day = article_day if article_day is not None else np.full(n_articles, np.nan)
        self.passages_in_article = np.bincount(article_of_row) if len(article_of_row) else np.zeros(0, np.int64)

    def effective(self, config: RetrievalConfig) -> RetrievalConfig:
        """The config actually usable: without a lexical index only dense retrieval is possible."""
        if self.lexical is None and config.mode != "dense":
            return RetrievalConfig(**{**config.describe(), "mode": "dense"})
        return config

    def candidates(self, question: str, query: np.ndarray, config: RetrievalConfig,
                   allowed: np.ndarray | None = None, reference_day: float | None = None) -> Candidates:
        """Each side's best `config.depth` rows among `allowed` (None: all), every one scored on both sides.

        `reference_day`: the day number the question is asked about, for the recency prior (None: no prior).
        """
        config = self.effective(config)
        found: list[np.ndarray] = []
        lexical = None
        nearest = None
        if config.mode != "lexical":
            nearest = self.index.search(query, config.depth, allowed, exact=config.exact,
                                        candidates=config.ann_candidates)
            found.append(nearest.rows.astype(np.int64))
        if config.mode != "dense":
            lexical = self.lexical.question(question)
            found.append(lexical.top(config.depth, allowed))
        rows = np.unique(np.concatenate(found)) if found else np.zeros(0, dtype=np.int64)
        rescored = nearest if self.index.approximate and not config.exact else None  # cosines as `_cosines` gives
        scored = self._score_rows(rows, query, lexical.of(rows) if lexical is not None else None, config,
                                  reference_day, known=rescored)
        return Candidates(rows, scored, self.article_of_row[rows], len(self.passages_in_article))

    def rank(self, question: str, query: np.ndarray, config: RetrievalConfig, k: int, per_article: int,
             allowed: np.ndarray | None = None, reference_day: float | None = None) -> Ranked:
        """Rank passages for one question; `allowed` restricts to those rows (None: all).

        `reference_day`: the day number the question is asked about, for the recency prior (None: no prior).
        """
        found = self.candidates(question, query, config, allowed, reference_day)
        return rank_candidates([found], self.effective(config), k, per_article, reference_day)

    def scores(self, question: str, query: np.ndarray, config: RetrievalConfig, rows: Sequence[int],
               reference_day: float | None = None) -> np.ndarray:
        """Ranking scores of these rows, as `rank` gives them (with rank fusion: the rows ranked among themselves)."""
        config = self.effective(config)
        rows = np.asarray(rows, dtype=np.int64)
        lexical = self.lexical.normalised_rows(question, rows) if config.mode != "dense" else None
        return self._score_rows(rows, query, lexical, config, reference_day).ranking

    def _score_rows(self, rows: np.ndarray, query: np.ndarray, lexical: np.ndarray | None,
                    config: RetrievalConfig, reference_day: float | None,
                    known: Neighbours | None = None) -> RowScores:
        """Cosine, lexical, focus prior, relevance and ranking score (relevance less the recency prior) of rows.

        `lexical`: the rows' normalised BM25 scores (None: zeros, no lexical side). `known`: rows whose
        cosines the dense search already gave (their vectors are not read again)."""
        dense = self._cosines(rows, query, known)
        lexical = lexical if lexical is not None else np.zeros(len(rows), dtype=np.float32)
        owners = self.article_of_row[rows]
        prior = focus_prior(self.passages_in_article[owners], config.focus)
        relevance = fuse(dense, lexical, config) - prior
        if not _uses_recency(config, reference_day):
            return RowScores(dense, lexical, prior, relevance, relevance)
        recent = recency_prior(reference_day - self.article_day[owners], config.recency, config.recency_days)
        return RowScores(dense, lexical, prior, relevance, relevance - recent)


    def _cosines(self, rows: np.ndarray, query: np.ndarray, known: Neighbours | None) -> np.ndarray:
        """Cosines of `rows` as `VectorIndex.rows_dot` gives them (float32, aligned), reading only the vectors
        `known` does not score."""
        if known is None or not len(known.rows):
            return self.index.rows_dot(rows, query)
        order = np.argsort(known.rows)
        known_rows, known_scores = known.rows[order], known.scores[order]
        at = np.minimum(np.searchsorted(known_rows, rows), len(known_rows) - 1)
        hit = known_rows[at] == rows
        dense = np.empty(len(rows), dtype=np.float32)
        dense[hit] = known_scores[at[hit]]
        if not hit.all():
            dense[~hit] = self.index.rows_dot(rows[~hit], query)
        return dense


def rank_candidates(parts: Sequence[Candidates], config: RetrievalConfig, k: int, per_article: int,
                    reference_day: float | None = None, sizes: Sequence[int] | None = None) -> Ranked:
    """One ranking of the candidates of one or several index versions (the base corpus and a server's own).

    Scores are absolute (cosine, BM25 normalised by what the question could score at most), so candidates
    of several versions are ranked together as if they were one index; articles stay apart by version.

    Args:
        parts: each version's candidates (`HybridRetriever.candidates`), in a fixed order.
        sizes: each version's row count, to number rows across versions (default: one past the largest
            candidate row of each version, which is enough for a single version).
    """
    sizes = list(sizes) if sizes is not None else [int(c.rows.max()) + 1 if len(c.rows) else 0 for c in parts]
    offsets = tuple(int(x) for x in np.concatenate([[0], np.cumsum(sizes)[:-1]])) if parts else (0,)
    article_offsets = np.concatenate([[0], np.cumsum([c.articles for c in parts])[:-1]]) if parts else [0]
    rows = np.concatenate([c.rows + off for c, off in zip(parts, offsets)]) if parts else np.zeros(0, np.int64)
    if len(rows) == 0:
        return Ranked([], 0.0, 0.0, offsets)
    owners = np.concatenate([c.owners + off for c, off in zip(parts, article_offsets)])
    scored = RowScores(*(np.concatenate([getattr(c.scores, name) for c in parts]) for name in RowScores._fields))
    recent = _uses_recency(config, reference_day)
    articles = rank_articles(rows, scored.ranking, owners, config.second_passage)
    shown = diversify(articles, k, per_article, config.dominance)
    if config.fusion == "rrf" and config.mode == "hybrid":
        # RRF scores are ranks, not evidence: judge confidence on the weighted scores
        absolute = config.dense_weight * scored.dense + (1 - config.dense_weight) * scored.lexical - scored.prior
        articles = rank_articles(rows, absolute, owners, config.second_passage)
    elif recent:
        # recency orders results; whether anything answers reliably is a matter of relevance alone
        articles = rank_articles(rows, scored.relevance, owners, config.second_passage)
    sure = confidence(articles, config.margin_weight, config.min_score)
    return Ranked(shown, float(articles[0].passages[0][1]), sure, offsets)


def _uses_recency(config: RetrievalConfig, reference_day: float | None) -> bool:
    """Whether the recency prior takes part: it needs a day to count from and a positive weight."""
    return reference_day is not None and config.recency > 0
