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
    """The counts of a patched version: the same arrays a build of its rows would have (each column's rows
    ascending, which the search's postings lookups rely on), in a few linear passes over the base's entries.

    The entries of passages that left, and of passages that moved into holes, are taken out; the incoming
    passages' entries and the moved ones (under their new rows) go in at their row's place in their column.
    A base whose columns are not in row order (written by a patch before they were kept so) is put in order
    first, once.

    Args:
        base: the base version's counts.
        old_to_new: for each base row, its row in the new version, or -1 when its passage left.
        added: counts of the incoming passages (their own rows 0..k-1), over a vocabulary
            that extends the base's (same ids for the base's terms).
        added_rows: the new-version row of each incoming passage.
        n_rows: rows of the new version.
    """
    base = _in_row_order(base)
    n_terms = max(base.terms, added.terms)
    base_indptr = np.concatenate([base.indptr, np.full(n_terms - base.terms, base.indptr[-1], dtype=np.int64)])
    old_to_new = np.asarray(old_to_new, dtype=np.int64)
    left = old_to_new < 0
    moved = ~left & (old_to_new != np.arange(len(old_to_new)))
    out_rows = left | moved  # rows whose entries are taken out (moved ones come back under their new row)
    taken = np.flatnonzero(out_rows[base.indices]) if out_rows.any() else np.zeros(0, dtype=np.int64)
    # what goes in: the incoming passages' entries, and the moved passages' under their new rows
    moving = taken[moved[base.indices[taken]]] if moved.any() else np.zeros(0, dtype=np.int64)
    cols = np.concatenate([added.columns().astype(np.int64),
                           np.searchsorted(base_indptr, moving, side="right").astype(np.int64) - 1])
    rows = np.concatenate([np.asarray(added_rows, dtype=np.int64)[added.indices],
                           old_to_new[base.indices[moving]]])
    tfs = np.concatenate([added.tf.astype(_TF_DTYPE), base.tf[moving].astype(_TF_DTYPE)])
    order = np.lexsort((rows, cols))
    cols, rows, tfs = cols[order], rows[order], tfs[order]
    at = _column_positions(base.indices, base_indptr, cols, rows)
    if len(taken) + len(cols) <= _SPLICE_MAX_EDITS:
        tf, indices = _splice(base, taken, at, tfs, rows.astype(np.int32))
    else:
        keep = np.ones(len(base.tf), dtype=bool)
        keep[taken] = False
        kept_at = at - np.searchsorted(taken, at)
        tf = np.insert(base.tf[keep], kept_at, tfs)
        indices = np.insert(base.indices[keep], kept_at, rows.astype(np.int32))
    indptr = (base_indptr - np.searchsorted(taken, base_indptr)
              + np.concatenate([[0], np.cumsum(np.bincount(cols, minlength=n_terms))]))
    return TermCounts(tf.astype(_TF_DTYPE, copy=False), indices.astype(np.int32, copy=False), indptr,
                      _patched_lengths(base, old_to_new, left, added, added_rows, n_rows))


# a patch with at most this many entries taken out plus put in is spliced in one copy of the arrays (a Python
# step per edit); larger ones take the vectorised path (two copies, no per-edit step)
_SPLICE_MAX_EDITS = 50_000


def _column_positions(indices: np.ndarray, indptr: np.ndarray, cols: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """For entries (cols, rows) sorted by column then row: the position in `indices` each goes before to
    keep its column's rows ascending (the first base entry of its column with a row not below it)."""
    at = np.empty(len(cols), dtype=np.int64)
    bounds = np.flatnonzero(np.diff(cols)) + 1
    for start, end in zip(np.concatenate([[0], bounds]).tolist(), np.concatenate([bounds, [len(cols)]]).tolist()):
        if start == end:
            continue
        col = int(cols[start])
        lo, hi = int(indptr[col]), int(indptr[col + 1])
        at[start:end] = lo + np.searchsorted(indices[lo:hi], rows[start:end])
    return at


def _in_row_order(counts: TermCounts) -> TermCounts:
    """`counts` with every column's rows ascending: itself when they are (one pass to check), else a copy with
    the out-of-order columns sorted."""
    indices = counts.indices
    if len(indices) < 2:
        return counts
    falls = np.flatnonzero(indices[1:] <= indices[:-1]) + 1  # positions whose row is not above the previous
    starts = np.asarray(counts.indptr)
    falls = falls[~np.isin(falls, starts)]  # a column's first entry may be below the last one's
    if not len(falls):
        return counts
    tf, indices = np.array(counts.tf), np.array(indices)
    for col in np.unique(np.searchsorted(starts, falls, side="right") - 1).tolist():
        lo, hi = int(starts[col]), int(starts[col + 1])
        order = np.argsort(indices[lo:hi], kind="stable")
        tf[lo:hi], indices[lo:hi] = tf[lo:hi][order], indices[lo:hi][order]
    return TermCounts(tf, indices, counts.indptr, counts.lengths)


def _patched_lengths(base: TermCounts, old_to_new: np.ndarray, left: np.ndarray, added: TermCounts,
                     added_rows: np.ndarray, n_rows: int) -> np.ndarray:
    lengths = np.zeros(n_rows, dtype=np.int32)
    lengths[old_to_new[~left]] = base.lengths[~left]
    lengths[np.asarray(added_rows, dtype=np.int64)] = added.lengths
    return lengths


def _splice(base: TermCounts, taken: np.ndarray, at: np.ndarray, tfs: np.ndarray,
            rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The base's tf and row arrays less the entries at `taken` (ascending positions), with the entries
    (`tfs`, `rows`) put before base positions `at` (ascending; several at one position in their order): what
    compacting then `np.insert` give, in one copy of each array (a one-article refresh at a million passages
    edits a few hundred of 64 million entries)."""
    total = len(base.tf) - len(taken) + len(at)
    tf = np.empty(total, dtype=_TF_DTYPE)
    indices = np.empty(total, dtype=np.int32)
    src = dst = 0
    d = i = 0
    while d < len(taken) or i < len(at):
        # the next edit in base order; at one position, an insert comes before taking the entry out
        if i < len(at) and (d >= len(taken) or at[i] <= taken[d]):
            pos = int(at[i])
            n = pos - src
            tf[dst:dst + n], indices[dst:dst + n] = base.tf[src:pos], base.indices[src:pos]
            dst += n
            tf[dst], indices[dst] = tfs[i], rows[i]
            dst, src, i = dst + 1, pos, i + 1
        else:
            pos = int(taken[d])
            n = pos - src
            tf[dst:dst + n], indices[dst:dst + n] = base.tf[src:pos], base.indices[src:pos]
            dst, src, d = dst + n, pos + 1, d + 1
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
