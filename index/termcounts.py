"""Term counts of passages as a column-compressed matrix, and the BM25 scores computed from them.

Why keep counts and not only scores: BM25 scores depend on the whole corpus
(idf, average length), so one new article changes every stored score, and
recomputing them from the passages' text means analysing every passage again
(a minute at 100,000 passages). Term counts of a passage never change while
its text does not; a refresh keeps the base version's counts, drops and moves
the rows that change, appends the new passages' counts, and recomputes all
scores with a few array operations (well under a second at 100,000 passages).

Layout: the CSC layout bm25s stores its scores in — column j (a term) holds
`indptr[j]:indptr[j+1]` entries of `indices` (passage rows) — so counts and
scores share `indices` and `indptr` and a version stores the counts as one
extra array. Pure: numpy in, numpy out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

_TF_DTYPE = np.uint16  # a term repeated more than 65,535 times in one passage is counted as 65,535


@dataclass(frozen=True)
class TermCounts:
    """How often each term occurs in each passage row.

    Attributes:
        tf: count of each stored entry.
        indices: passage row of each entry (int32).
        indptr: entries of term j are `indptr[j]:indptr[j+1]` (int64, length terms + 1).
        rows: number of passage rows.
    """

    tf: np.ndarray
    indices: np.ndarray
    indptr: np.ndarray
    rows: int

    @property
    def terms(self) -> int:
        """Number of vocabulary columns."""
        return len(self.indptr) - 1

    def columns(self) -> np.ndarray:
        """The term (column) of each entry."""
        return np.repeat(np.arange(self.terms, dtype=np.int32), np.diff(self.indptr))

    def doc_lengths(self) -> np.ndarray:
        """Number of terms (repeats counted) of each passage row."""
        return np.bincount(self.indices, weights=self.tf, minlength=self.rows)


def count_terms(docs: Sequence[Sequence[str]], vocab: dict[str, int]) -> TermCounts:
    """Counts of `docs` (analysed terms per row); new terms are appended to `vocab` in place."""
    rows: list[int] = []
    cols: list[int] = []
    for row, terms in enumerate(docs):
        ids = [vocab.setdefault(t, len(vocab)) for t in terms]
        cols += ids
        rows += [row] * len(ids)
    return _from_entries(np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64),
                         np.ones(len(rows), dtype=np.int64), len(docs), len(vocab))


def _from_entries(rows: np.ndarray, cols: np.ndarray, counts: np.ndarray, n_rows: int, n_terms: int) -> TermCounts:
    """Sum duplicate (row, col) entries into CSC counts, rows ascending within a column."""
    if len(rows):
        key = cols * max(n_rows, 1) + rows
        uniq, inverse = np.unique(key, return_inverse=True)
        summed = np.bincount(inverse, weights=counts)
        cols, rows = uniq // max(n_rows, 1), uniq % max(n_rows, 1)
    else:
        summed = np.zeros(0)
    indptr = np.zeros(n_terms + 1, dtype=np.int64)
    np.cumsum(np.bincount(cols, minlength=n_terms), out=indptr[1:])
    return TermCounts(np.minimum(summed, np.iinfo(_TF_DTYPE).max).astype(_TF_DTYPE),
                      rows.astype(np.int32), indptr, n_rows)


def patch_counts(base: TermCounts, old_to_new: np.ndarray, added: TermCounts, added_rows: np.ndarray,
                 n_rows: int) -> TermCounts:
    """The counts of a patched version, in O(entries) array operations and no sort of the base.

    Args:
        base: the base version's counts.
        old_to_new: for each base row, its row in the new version, or -1 when its passage left.
        added: counts of the incoming passages (their own rows 0..k-1), over a vocabulary
            that extends the base's (same ids for the base's terms).
        added_rows: the new-version row of each incoming passage.
        n_rows: rows of the new version.
    """
    n_terms = max(base.terms, added.terms)
    base_cols = base.columns()
    new_rows_of_base = old_to_new[base.indices] if len(base.indices) else np.zeros(0, dtype=np.int64)
    keep = new_rows_of_base >= 0
    kept_cols = base_cols[keep]
    kept_per_term = np.bincount(kept_cols, minlength=n_terms)
    added_cols = added.columns()
    added_per_term = np.bincount(added_cols, minlength=n_terms)

    indptr = np.zeros(n_terms + 1, dtype=np.int64)
    np.cumsum(kept_per_term + added_per_term, out=indptr[1:])
    total = int(indptr[-1])
    tf = np.empty(total, dtype=_TF_DTYPE)
    indices = np.empty(total, dtype=np.int32)

    # a term's column holds its kept base entries (in base order), then the incoming passages' entries
    added_before = np.zeros(n_terms + 1, dtype=np.int64)
    np.cumsum(added_per_term, out=added_before[1:])
    kept_pos = np.arange(len(kept_cols), dtype=np.int64) + added_before[kept_cols]
    tf[kept_pos] = base.tf[keep]
    indices[kept_pos] = new_rows_of_base[keep]
    added_rank = np.arange(len(added_cols), dtype=np.int64) - added.indptr[added_cols]
    added_pos = indptr[added_cols] + kept_per_term[added_cols] + added_rank
    tf[added_pos] = added.tf
    indices[added_pos] = np.asarray(added_rows, dtype=np.int32)[added.indices]
    return TermCounts(tf, indices, indptr, n_rows)


def bm25_scores(counts: TermCounts, k1: float, b: float) -> np.ndarray:
    """BM25 score of every stored entry, Lucene variant (the one bm25s computes by default).

    score = idf(term) * tf / (tf + k1 * (1 - b + b * length / average length)),
    idf = ln(1 + (N - df + 0.5) / (df + 0.5)).
    """
    if counts.rows == 0 or len(counts.tf) == 0:
        return np.zeros(len(counts.tf), dtype=np.float32)
    lengths = counts.doc_lengths()
    average = float(lengths.mean()) or 1.0
    df = np.diff(counts.indptr).astype(np.float64)
    idf = np.log1p((counts.rows - df + 0.5) / (df + 0.5))
    tf = counts.tf.astype(np.float64)
    norm = k1 * ((1.0 - b) + b * lengths / average)
    return (idf[counts.columns()] * tf / (tf + norm[counts.indices])).astype(np.float32)
