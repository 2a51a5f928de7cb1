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
        lengths: number of terms (repeats counted) of each passage row (int32), kept rather
            than summed again from the entries because a patch then costs O(rows), not O(entries).
    """

    tf: np.ndarray
    indices: np.ndarray
    indptr: np.ndarray
    lengths: np.ndarray

    @property
    def rows(self) -> int:
        """Number of passage rows."""
        return len(self.lengths)

    @property
    def terms(self) -> int:
        """Number of vocabulary columns."""
        return len(self.indptr) - 1

    def columns(self) -> np.ndarray:
        """The term (column) of each entry."""
        return np.repeat(np.arange(self.terms, dtype=np.int32), np.diff(self.indptr))


def count_terms(docs: Sequence[Sequence[str]], vocab: dict[str, int]) -> TermCounts:
    """Counts of `docs` (analysed terms per row); new terms are appended to `vocab` in place."""
    rows: list[int] = []
    cols: list[int] = []
    for row, terms in enumerate(docs):
        ids = [vocab.setdefault(t, len(vocab)) for t in terms]
        cols += ids
        rows += [row] * len(ids)
    lengths = np.array([len(terms) for terms in docs], dtype=np.int32)
    return _from_entries(np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64), lengths, len(vocab))


def _from_entries(rows: np.ndarray, cols: np.ndarray, lengths: np.ndarray, n_terms: int) -> TermCounts:
    """Count repeated (row, col) entries into CSC counts, rows ascending within a column."""
    n_rows = max(len(lengths), 1)
    if len(rows):
        uniq, summed = np.unique(cols * n_rows + rows, return_counts=True)
        cols, rows = uniq // n_rows, uniq % n_rows
    else:
        summed = np.zeros(0, dtype=np.int64)
    indptr = np.zeros(n_terms + 1, dtype=np.int64)
    np.cumsum(np.bincount(cols, minlength=n_terms), out=indptr[1:])
    return TermCounts(np.minimum(summed, np.iinfo(_TF_DTYPE).max).astype(_TF_DTYPE),
                      rows.astype(np.int32), indptr, lengths)


def patch_counts(base: TermCounts, old_to_new: np.ndarray, added: TermCounts, added_rows: np.ndarray,
                 n_rows: int) -> TermCounts:
    """The counts of a patched version, in a few linear passes over the base's entries (no sort).

    Args:
        base: the base version's counts.
        old_to_new: for each base row, its row in the new version, or -1 when its passage left.
        added: counts of the incoming passages (their own rows 0..k-1), over a vocabulary
            that extends the base's (same ids for the base's terms).
        added_rows: the new-version row of each incoming passage.
        n_rows: rows of the new version.
    """
    n_terms = max(base.terms, added.terms)
    base_indptr = np.concatenate([base.indptr, np.full(n_terms - base.terms, base.indptr[-1], dtype=np.int64)])
    old_to_new = np.asarray(old_to_new, dtype=np.int64)
    left = old_to_new < 0
    moved = ~left & (old_to_new != np.arange(len(old_to_new)))
    dropped = np.flatnonzero(left[base.indices]) if left.any() else np.zeros(0, dtype=np.int64)
    added_cols = added.columns()
    if len(dropped) + len(added_cols) <= _SPLICE_MAX_EDITS:
        tf, indices = _splice(base, base_indptr, dropped, added_cols, added.tf,
                              np.asarray(added_rows, dtype=np.int32)[added.indices])
        kept_indptr = base_indptr - np.searchsorted(dropped, base_indptr)
        if moved.any():  # surviving passages moved into holes (only when more passages leave than come)
            relabel = moved[indices]
            indices[relabel] = old_to_new[indices[relabel]]
        indptr = kept_indptr + np.concatenate([[0], np.cumsum(np.bincount(added_cols, minlength=n_terms))])
        return TermCounts(tf, indices, indptr, _patched_lengths(base, old_to_new, left, added, added_rows, n_rows))
    if left.any():
        keep = ~left[base.indices]  # a gather of booleans: the cheapest full pass
        kept_tf, kept_rows = base.tf[keep], base.indices[keep]
        # column bounds shrink by the entries dropped before them (few: those of the passages that left)
        dropped = np.flatnonzero(~keep)
        kept_indptr = base_indptr - np.searchsorted(dropped, base_indptr)
    else:
        kept_tf, kept_rows, kept_indptr = base.tf, base.indices, base_indptr
    if moved.any():  # surviving passages moved into holes (only when more passages leave than come)
        kept_rows = kept_rows.copy() if kept_rows is base.indices else kept_rows
        relabel = moved[kept_rows]
        kept_rows[relabel] = old_to_new[kept_rows[relabel]]
    # a term's column holds its kept base entries (in base order), then the incoming passages' entries:
    # each incoming entry goes in at the end of its column in the kept arrays
    at = kept_indptr[added_cols + 1]
    tf = np.insert(kept_tf, at, added.tf)
    indices = np.insert(kept_rows, at, np.asarray(added_rows, dtype=np.int32)[added.indices])
    indptr = kept_indptr + np.concatenate([[0], np.cumsum(np.bincount(added_cols, minlength=n_terms))])
    return TermCounts(tf.astype(_TF_DTYPE, copy=False), indices.astype(np.int32, copy=False), indptr,
                      _patched_lengths(base, old_to_new, left, added, added_rows, n_rows))


# a patch with at most this many entries dropped plus added is spliced in one copy of the arrays (a Python
# step per edit); larger ones take the vectorised path (two copies, no per-edit step)
_SPLICE_MAX_EDITS = 50_000


def _patched_lengths(base: TermCounts, old_to_new: np.ndarray, left: np.ndarray, added: TermCounts,
                     added_rows: np.ndarray, n_rows: int) -> np.ndarray:
    lengths = np.zeros(n_rows, dtype=np.int32)
    lengths[old_to_new[~left]] = base.lengths[~left]
    lengths[np.asarray(added_rows, dtype=np.int64)] = added.lengths
    return lengths


def _splice(base: TermCounts, base_indptr: np.ndarray, dropped: np.ndarray, added_cols: np.ndarray,
            added_tf: np.ndarray, added_rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The base's tf and row arrays less the entries at `dropped` (ascending positions), with each incoming
    entry (column, tf, new row) put at the end of its column: what the vectorised path's compaction then
    `np.insert` give, in one copy of each array (a one-article refresh at a million passages edits a few
    hundred of 64 million entries)."""
    order = np.argsort(added_cols, kind="stable")  # incoming entries by column, in their given order
    cols, tfs, rows = added_cols[order], added_tf[order], added_rows[order]
    inserts = base_indptr[cols + 1]  # base position each goes before (the end of its column)
    total = len(base.tf) - len(dropped) + len(cols)
    tf = np.empty(total, dtype=_TF_DTYPE)
    indices = np.empty(total, dtype=np.int32)
    src = dst = 0
    d = i = 0
    while d < len(dropped) or i < len(inserts):
        # the next edit in base order; at one position, an insert (end of the previous column) comes first
        if i < len(inserts) and (d >= len(dropped) or inserts[i] <= dropped[d]):
            at = int(inserts[i])
            n = at - src
            tf[dst:dst + n], indices[dst:dst + n] = base.tf[src:at], base.indices[src:at]
            dst += n
            tf[dst], indices[dst] = tfs[i], rows[i]
            dst, src, i = dst + 1, at, i + 1
        else:
            at = int(dropped[d])
            n = at - src
            tf[dst:dst + n], indices[dst:dst + n] = base.tf[src:at], base.indices[src:at]
            dst, src, d = dst + n, at + 1, d + 1
    n = len(base.tf) - src
    tf[dst:dst + n], indices[dst:dst + n] = base.tf[src:], base.indices[src:]
    return tf, indices


def bm25_scores(counts: TermCounts, k1: float, b: float) -> np.ndarray:
    """BM25 score of every stored entry, Lucene variant (the one bm25s computes by default).

    score = idf(term) * tf / (tf + k1 * (1 - b + b * length / average length)),
    idf = ln(1 + (N - df + 0.5) / (df + 0.5)).
    """
    if counts.rows == 0 or len(counts.tf) == 0:
        return np.zeros(len(counts.tf), dtype=np.float32)
    lengths = counts.lengths.astype(np.float64)
    average = float(lengths.mean()) or 1.0
    df = np.diff(counts.indptr).astype(np.float64)
    idf = np.log1p((counts.rows - df + 0.5) / (df + 0.5)).astype(np.float32)
    norm = (k1 * ((1.0 - b) + b * lengths / average)).astype(np.float32)
    # in slices of `_SCORE_SLICE` entries, so the temporaries stay in the CPU's cache (64 million entries at a
    # million passages: 0.8 s in one go); the same float32 operations per entry, so the same scores
    scores = np.empty(len(counts.tf), dtype=np.float32)
    indptr = counts.indptr
    for start in range(0, len(scores), _SCORE_SLICE):
        end = min(start + _SCORE_SLICE, len(scores))
        tf = counts.tf[start:end].astype(np.float32)
        denominator = norm[counts.indices[start:end]]
        denominator += tf
        out = scores[start:end]
        np.divide(tf, denominator, out=out)
        first = int(np.searchsorted(indptr, start, side="right")) - 1  # the column holding entry `start`
        last = int(np.searchsorted(indptr, end, side="left"))  # columns first..last-1 overlap the slice
        spans = np.diff(np.clip(indptr[first:last + 1], start, end))
        out *= np.repeat(idf[first:last], spans)
    return scores


_SCORE_SLICE = 1 << 18  # entries per slice of `bm25_scores`
