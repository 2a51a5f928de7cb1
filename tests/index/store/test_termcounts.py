"""Term counts and the BM25 scores computed from them: equal to bm25s's own indexing, patchable row by row."""

from __future__ import annotations

import random

import numpy as np
import pytest

from index.store.lexical import _bm25s
from index.store.rowfiles import assign_rows
from index.store.termcounts import TermCounts, bm25_scores, count_terms, patch_counts

WORDS = "storm court rates vote drone kremlin idaho patriot front senate budget fire flood".split()


def _docs(rng: random.Random, n: int) -> list[list[str]]:
    return [[rng.choice(WORDS) for _ in range(rng.randint(1, 30))] for _ in range(n)]


def _dense(counts: TermCounts, vocab: dict[str, int]) -> dict[str, np.ndarray]:
    """term → count per row, whatever the term ids."""
    out = {}
    for term, j in vocab.items():
        column = np.zeros(counts.rows)
        lo, hi = counts.indptr[j], counts.indptr[j + 1]
        column[counts.indices[lo:hi]] = counts.tf[lo:hi]
        if column.any():
            out[term] = column
    return out


def test_scores_equal_what_bm25s_computes_itself() -> None:
    rng = random.Random(4)
    docs = _docs(rng, 60)
    vocab: dict[str, int] = {}
    counts = count_terms(docs, vocab)
    ours = bm25_scores(counts, k1=1.2, b=0.9)
    reference = _bm25s().BM25(k1=1.2, b=0.9)
    reference.index(docs, show_progress=False)
    for _ in range(20):
        query = rng.sample(WORDS, 3)
        expected = reference.get_scores(query)
        got = np.zeros(counts.rows)
        for term in query:
            j = vocab[term]
            lo, hi = counts.indptr[j], counts.indptr[j + 1]
            np.add.at(got, counts.indices[lo:hi], ours[lo:hi])
        assert np.allclose(got, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("seed", range(6))
def test_a_patch_holds_the_counts_of_the_patched_rows(seed: int) -> None:
    """Random drops and additions (growing and shrinking): patched counts = counts of the final rows."""
    rng = random.Random(seed)
    docs = _docs(rng, rng.randint(0, 40))
    vocab: dict[str, int] = {}
    base = count_terms(docs, vocab)
    freed = sorted(rng.sample(range(len(docs)), rng.randint(0, len(docs))))
    incoming = _docs(rng, rng.randint(0, 8))
    incoming[0:0] = [["neverseen", "neverseen", "storm"]] if rng.random() < 0.5 else []
    plan = assign_rows(len(docs), freed, len(incoming))
    targets, n_new = plan.targets, plan.n_new
    added = count_terms(incoming, vocab)
    patched = patch_counts(base, plan.old_to_new(), added, np.asarray(targets), n_new)

    final: list[list[str]] = [[] for _ in range(n_new)]
    for old, new in enumerate(plan.old_to_new()):
        if new >= 0:
            final[new] = docs[old]
    for row, terms in zip(targets, incoming):
        final[row] = terms
    fresh_vocab: dict[str, int] = {}
    fresh = count_terms(final, fresh_vocab)
    got, want = _dense(patched, vocab), _dense(fresh, fresh_vocab)
    assert got.keys() == want.keys() and all(np.array_equal(got[t], want[t]) for t in want)
    assert np.array_equal(patched.lengths, fresh.lengths)
    # within each term's column the scores come out the same as a fresh build's
    assert np.isclose(np.sort(bm25_scores(patched, 1.2, 0.9)).sum(), np.sort(bm25_scores(fresh, 1.2, 0.9)).sum())


@pytest.mark.parametrize("seed", range(8))
def test_the_one_copy_splice_equals_the_vectorised_patch(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Small patches are spliced in one copy of the arrays, large ones compacted then inserted: the same
    arrays either way (rows moved into holes, new terms, emptied columns included)."""
    import index.store.termcounts as termcounts

    rng = random.Random(100 + seed)
    docs = _docs(rng, rng.randint(1, 60))
    vocab: dict[str, int] = {}
    base = count_terms(docs, vocab)
    freed = sorted(rng.sample(range(len(docs)), rng.randint(0, len(docs))))
    incoming = _docs(rng, rng.randint(0, 10)) + ([["neverseen", "storm"]] if seed % 2 else [])
    plan = assign_rows(len(docs), freed, len(incoming))
    added = count_terms(incoming, vocab)
    args = (base, plan.old_to_new(), added, np.asarray(plan.targets), plan.n_new)
    spliced = patch_counts(*args)
    monkeypatch.setattr(termcounts, "_SPLICE_MAX_EDITS", -1)
    vectorised = patch_counts(*args)
    for name in ("tf", "indices", "indptr", "lengths"):
        a, b = getattr(spliced, name), getattr(vectorised, name)
        assert a.dtype == b.dtype and np.array_equal(a, b), (seed, name)


def test_scores_in_slices_equal_scores_in_one_go(monkeypatch: pytest.MonkeyPatch) -> None:
    import index.store.termcounts as termcounts

    rng = random.Random(9)
    vocab: dict[str, int] = {}
    counts = count_terms(_docs(rng, 200) + [[]], vocab)  # an empty passage too
    whole = bm25_scores(counts, 1.2, 0.9)
    for size in (1, 7, 64):
        monkeypatch.setattr(termcounts, "_SCORE_SLICE", size)
        assert np.array_equal(bm25_scores(counts, 1.2, 0.9), whole), size


@pytest.mark.parametrize("seed", range(10))
def test_a_patch_has_exactly_the_arrays_of_a_build_rows_ascending_in_every_column(seed: int) -> None:
    """The search looks rows up in each term's postings by binary search (`LexicalIndex.normalised_rows`):
    a patched version's columns must be in row order, as a build's are — the same arrays, byte for byte,
    through several patches in a row (rows freed and reused, moved into holes, appended)."""
    rng = random.Random(500 + seed)
    docs = _docs(rng, rng.randint(5, 50))
    vocab: dict[str, int] = {}
    counts = count_terms(docs, vocab)
    for _ in range(3):
        freed = sorted(rng.sample(range(len(docs)), rng.randint(0, len(docs) // 2)))
        incoming = _docs(rng, rng.randint(0, 8)) + ([[f"new{rng.randint(0, 3)}", "storm"]] if rng.random() < 0.5 else [])
        plan = assign_rows(len(docs), freed, len(incoming))
        added = count_terms(incoming, vocab)
        counts = patch_counts(counts, plan.old_to_new(), added, np.asarray(plan.targets), plan.n_new)
        final: list[list[str]] = [[] for _ in range(plan.n_new)]
        for old, new in enumerate(plan.old_to_new()):
            if new >= 0:
                final[new] = docs[old]
        for row, terms in zip(plan.targets, incoming):
            final[row] = terms
        docs = final
        built = count_terms(docs, dict(vocab))  # every term already known: the same ids
        for name in ("tf", "indices", "indptr", "lengths"):
            a, b = getattr(counts, name), getattr(built, name)
            assert a.dtype == b.dtype and np.array_equal(a, b), (seed, name)


def test_a_base_written_out_of_row_order_is_put_in_order_first() -> None:
    rng = random.Random(3)
    docs = _docs(rng, 30)
    vocab: dict[str, int] = {}
    built = count_terms(docs, vocab)
    shuffled_tf, shuffled_rows = built.tf.copy(), built.indices.copy()
    for col in range(built.terms):  # what patches before 30 Nov 2026 could leave: columns out of row order
        lo, hi = built.indptr[col], built.indptr[col + 1]
        order = np.random.default_rng(col).permutation(hi - lo)
        shuffled_tf[lo:hi], shuffled_rows[lo:hi] = shuffled_tf[lo:hi][order], shuffled_rows[lo:hi][order]
    base = TermCounts(shuffled_tf, shuffled_rows, built.indptr, built.lengths)
    plan = assign_rows(30, [], 0)
    patched = patch_counts(base, plan.old_to_new(), count_terms([], vocab), np.zeros(0, np.int64), 30)
    assert np.array_equal(patched.indices, built.indices) and np.array_equal(patched.tf, built.tf)
