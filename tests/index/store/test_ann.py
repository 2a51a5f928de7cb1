"""The approximate dense index: candidate recall against exact search, filters before the top k, and a
patched approximate index answering exactly as a rebuilt one."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from index.library import Library
from index.search.ranking import RetrievalConfig
from index.search.service import Filters
from index.store import vectors as dense
from index.store.dense import DenseConfig
from index.store.layout import version_path
from index.store.vectors import ANN_FILE, ANN_ROWS_FILE, FAISS_FILE, ApproximateIndex, VectorIndex, load_vectors
from tests.support.fakes import HashEncoder
from tests.support.refresh import age, bench_records, edit, write_records

DEPTH = RetrievalConfig().depth  # candidates the dense side is asked for, as in production (300)


def clustered(n: int, dim: int = 64, clusters: int = 40, seed: int = 0) -> np.ndarray:
    """Unit vectors in clusters (topics), as sentence embeddings are: float32, shape (n, dim)."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, dim)).astype(np.float32)
    out = centres[rng.integers(0, clusters, n)] + 0.6 * rng.standard_normal((n, dim)).astype(np.float32)
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def exact_top(vectors: np.ndarray, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> set[int]:
    rows = np.arange(len(vectors)) if allowed is None else np.asarray(allowed)
    scores = vectors[rows] @ query
    return set(rows[np.argsort(-scores)[:k]].tolist())


def approximate_index(vectors: np.ndarray, tmp_path: Path) -> VectorIndex:
    """The approximate index written and read back as a version holds it, over memory-mapped vectors."""
    np.save(tmp_path / "vectors.npy", vectors)
    ApproximateIndex.build(vectors).save(tmp_path)
    index = VectorIndex.load(tmp_path, len(vectors), vectors.shape[1])
    assert index.approximate and not (tmp_path / FAISS_FILE).exists()
    return index


def test_candidate_recall_against_exact_search(tmp_path: Path) -> None:
    """Random directions in 384 dimensions (the model's), the hardest case for an approximate index: of the
    exact top `DEPTH`, at least 98% are found with the candidates rescored by default (not without them)."""
    rng = np.random.default_rng(1)
    vectors = rng.standard_normal((8000, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = approximate_index(vectors, tmp_path)
    recalls, bare = [], []
    for _ in range(30):
        query = rng.standard_normal(384).astype(np.float32)
        query /= np.linalg.norm(query)
        found = index.search(query, DEPTH, candidates=RetrievalConfig().ann_candidates)
        assert np.all(np.diff(found.scores) <= 1e-6)  # best first
        np.testing.assert_allclose(found.scores, vectors[found.rows] @ query, rtol=1e-5)  # exact cosines
        truth = exact_top(vectors, query, DEPTH)
        recalls.append(len(set(found.rows.tolist()) & truth) / DEPTH)
        bare.append(len(set(index.search(query, DEPTH, candidates=DEPTH).rows.tolist()) & truth) / DEPTH)
    assert np.mean(recalls) >= 0.98, np.mean(recalls)
    assert np.mean(bare) < 0.9  # the codes alone are approximate: the rescored candidates make the recall


@pytest.mark.parametrize("branch", ["a deeper scan keeping allowed rows", "exact scores of the allowed rows"])
def test_filters_apply_before_the_top_k(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, branch: str) -> None:
    vectors = clustered(4000, seed=2)
    index = approximate_index(vectors, tmp_path)
    if branch == "a deeper scan keeping allowed rows":
        monkeypatch.setattr(dense, "FILTER_EXACT_ROWS", 0)
        monkeypatch.setattr(dense, "MAX_CANDIDATES", 10**9)
    rng = np.random.default_rng(3)
    for share in (0.5, 0.1, 0.02):
        allowed = np.sort(rng.choice(len(vectors), int(share * len(vectors)), replace=False)).astype(np.int64)
        query = vectors[rng.integers(len(vectors))]
        found = index.search(query, DEPTH, allowed)
        assert set(found.rows.tolist()) <= set(allowed.tolist())
        assert len(found.rows) == min(DEPTH, len(allowed))  # a filter does not starve the top k
        overlap = len(set(found.rows.tolist()) & exact_top(vectors, query, DEPTH, allowed)) / len(found.rows)
        assert overlap >= 0.95, (share, overlap)


def test_masked_nodes_never_answer(tmp_path: Path) -> None:
    vectors = clustered(3000, seed=4)
    np.save(tmp_path / "base.npy", vectors)
    base, out = tmp_path / "base", tmp_path / "out"
    base.mkdir()
    out.mkdir()
    ApproximateIndex.build(vectors).save(base)
    gone = np.arange(0, 3000, 7)
    old_to_new = np.arange(3000, dtype=np.int64)
    old_to_new[gone] = -1
    # the removed rows' places are taken by new vectors (as a refresh's `RowPlan` does)
    incoming = clustered(len(gone), seed=5)
    config = DenseConfig(ann_min_passages=1)
    assert dense.patch_ann(base, out, old_to_new, gone, incoming, 3000, config)
    patched = vectors.copy()
    patched[gone] = incoming
    np.save(out / "vectors.npy", patched)
    index = VectorIndex.load(out, 3000, vectors.shape[1])
    assert index.ann.nodes == 3000 + len(gone) and index.ann.dead == len(gone)
    for row in gone[:20]:
        found = index.search(vectors[row], 5)  # the old vector's own place now holds another passage
        assert found.scores[0] < 0.999
        found = index.search(incoming[row // 7], 1)
        assert found.rows[0] == row
    # too many masked nodes: the caller must rebuild
    old_to_new[: 2000] = -1
    assert not dense.patch_ann(base, out, old_to_new, np.zeros(0, np.int64),
                               np.zeros((0, vectors.shape[1]), np.float32), 1000, config)


def test_vectors_are_memory_mapped_once(tmp_path: Path) -> None:
    vectors = clustered(500)
    np.save(tmp_path / "vectors.npy", vectors)
    loaded = load_vectors(tmp_path)
    assert isinstance(loaded, np.memmap)


def _neighbours(library: Library, questions: list[str], filters: Filters = Filters(), exact: bool = False,
                k: int = 30) -> list[list[tuple[str, float]]]:
    """Each question's k-th best cosine and the passages (id, cosine) above it from the dense index, filters
    applied first, sorted by id: equal cosines, common with the fake encoder's word-count vectors, are
    ordered by row, which a patch and a full build do not share."""
    service = library.service
    allowed = service.allowed_rows(filters)
    out = []
    for q in questions:
        # more candidates than codes: every code is rescored, so any difference is in the patch's
        # bookkeeping (masks, rows, filters), not in how close the codes came
        found = service.vectors.search(service.embed_query(q), k, allowed, exact=exact, candidates=2000)
        ids = service.meta.passages_by_rows(found.rows.tolist())
        last = round(float(found.scores[-1]), 5)  # passages tied with the k-th may be cut either way
        out.append([last] + sorted((ids[row].id, round(float(score), 5))
                                   for row, score in zip(found.rows.tolist(), found.scores)
                                   if round(float(score), 5) > last))
    return out


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_a_patched_approximate_index_answers_as_a_rebuilt_one(tmp_path: Path, seed: int) -> None:
    """Random edits, removals and additions: the patched approximate index (codes added and masked) finds the same
    nearest passages as a version written in full, and as exact search, with and without filters."""
    rng = random.Random(seed)
    folder = tmp_path / "corpus"
    paths = write_records(folder, bench_records(25))
    age(folder)
    spare = bench_records(10, offset=30)
    config = DenseConfig(ann_min_passages=1, rebuild_dead_fraction=0.9)
    library = Library(folder, tmp_path / "idx", HashEncoder(), keep_versions=10, dense=config)
    library.refresh()
    assert (version_path(tmp_path / "idx") / ANN_FILE).exists()
    questions = ["storm court vote", "What did the president say about rates?", "zebra", "election results"]
    for step in range(3):
        alive = [p for p in paths if p.exists()]
        for p in rng.sample(alive, rng.randint(1, 3)):
            edit(p, f"Step {step}: " + " ".join(rng.choice(["storm", "court", "rates", "vote"]) for _ in range(40)))
        for p in rng.sample(alive, rng.randint(0, 2)):
            p.unlink()
        if spare and rng.random() < 0.7:
            paths += write_records(folder, [spare.pop()])
        report = library.refresh()
        assert report.full_build_reason is None  # patched
        served = version_path(tmp_path / "idx")
        node_rows = np.load(served / ANN_ROWS_FILE)
        assert (node_rows < 0).any()  # patched (codes masked), not rebuilt
        fresh = Library(folder, tmp_path / f"full-{step}", HashEncoder(), dense=config)
        fresh.build()
        outlet = library.service.articles()[0].outlet
        for filters in (Filters(), Filters(outlets=(outlet,))):
            patched = _neighbours(library, questions, filters)
            assert patched == _neighbours(fresh, questions, filters)
            assert patched == _neighbours(library, questions, filters, exact=True)  # and equal to exact search
        only = Filters(outlets=(outlet,))
        assert all(h.article.outlet == outlet for h in library.service.search("storm", k=5, filters=only).hits)


def test_queries_use_one_thread_of_numpys_blas_and_faiss(tmp_path: Path) -> None:
    """No thread pool spin-waits under concurrent questions: numpy's OpenBLAS is limited to one thread
    once a version is served, and each querying thread runs FAISS on one OpenMP thread."""
    import faiss
    from threadpoolctl import threadpool_info

    dense.limit_blas_threads()
    numpy_blas = [lib for lib in threadpool_info() if lib["user_api"] == "blas" and "numpy" in lib["filepath"]]
    assert numpy_blas and all(lib["num_threads"] == 1 for lib in numpy_blas)
    vectors = clustered(500)
    index = approximate_index(vectors, tmp_path)
    seen: list[int] = []

    def ask() -> None:
        index.search(vectors[0], 5)
        seen.append(faiss.omp_get_max_threads())

    import threading

    worker = threading.Thread(target=ask)
    worker.start()
    worker.join()
    assert seen == [1]


def test_large_versions_rescore_from_a_half_precision_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Above `MAPPED_RESCORING_MAX_BYTES` of vectors, rows come from a float16 copy read in the background
    (positioned reads until then, rounded alike): the stored rows rounded to half precision, in the order
    asked, repeats included; cosines within 1e-3; the map's pages untouched; scores the same however the
    rows were read; a file shorter than its header is reported at load."""
    vectors = clustered(25_000, dim=48)
    small = approximate_index(vectors, tmp_path)
    assert small._reader is None  # 4.8 MB: rescored through the map, exactly
    monkeypatch.setattr(dense, "MAPPED_RESCORING_MAX_BYTES", 1 << 20)
    touched = []

    class Watched(np.memmap):
        def __getitem__(self, key):  # noqa: ANN001, ANN204
            touched.append(key)
            return super().__getitem__(key)

    real_load = dense.load_vectors
    monkeypatch.setattr(dense, "load_vectors", lambda folder: real_load(folder).view(Watched))
    index = VectorIndex.load(tmp_path, len(vectors), 48)
    assert isinstance(index._reader, dense.HalfCopy) and index._reader.half is None  # nothing read at load
    rows = np.array([7, 3, 4, 5, 24_999, 3, 0, 12_000, 12_001, 12_002, 6])
    rounded = vectors[rows].astype(np.float16).astype(np.float32)
    np.testing.assert_array_equal(index._reader._pread(rows), vectors[rows])  # positioned reads, until the copy
    np.testing.assert_array_equal(index.rows(rows), rounded)  # is complete: rounded the same way
    for outside in ([25_000], [-1]):
        with pytest.raises(IndexError):
            index._reader._pread(np.array(outside))
    assert index._reader.wait(30) and index._reader.half is not None
    np.testing.assert_array_equal(index.rows(rows), rounded)
    query = vectors[123]
    np.testing.assert_allclose(index.rows_dot(rows, query), vectors[rows] @ query, atol=1e-3)
    for outside in ([25_000], [-1]):  # after the copy is loaded as before
        with pytest.raises(IndexError):
            index.rows(np.array(outside))
    found = index.search(query, DEPTH)
    assert found.rows[0] == 123 and not touched
    fresh = VectorIndex.load(tmp_path, len(vectors), 48)  # its copy complete or not: the same scores
    again = fresh.search(query, DEPTH)
    assert np.array_equal(again.rows, found.rows) and np.array_equal(again.scores, found.scores)
    fresh._reader.wait(30)
    with open(tmp_path / "vectors.npy", "r+b") as f:
        f.truncate(f.seek(0, 2) - 48 * 4 * 10)  # the last ten rows gone, as a disk fault would leave it
    from index.errors import IndexCorrupt

    with pytest.raises(IndexCorrupt, match="newsbot build"):
        VectorIndex.load(tmp_path, len(vectors), 48)


def test_questions_asked_together_are_scanned_together_with_the_same_candidates() -> None:
    """While a scan runs, arriving questions queue and go as one batch (`BatchedScan`) with the others asking
    for as many codes; each gets exactly the candidates it gets alone; an error reaches every question of
    its batch, and the slot is freed."""
    import threading

    import faiss

    vectors = clustered(3000, dim=64)
    flat = faiss.IndexFlatIP(64)
    flat.add(vectors)
    queries = clustered(8, dim=64, seed=5)
    release = threading.Event()
    calls: list[int] = []

    class Slow:
        """The first scan waits until every other question has queued."""

        def search(self, x: np.ndarray, k: int):  # noqa: ANN201
            calls.append(len(x))
            if len(calls) == 1:
                release.wait(10)
            return flat.search(x, k)

    scans = dense.BatchedScan(Slow(), slots=1)
    got: dict[int, np.ndarray] = {}
    want = [7, 5, 5, 40, 5, 5, 5, 5]  # one asks for more codes (a filtered question): it goes in a batch of its own

    def ask(i: int) -> None:
        got[i] = scans.search(queries[i], want[i])

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(8)]
    threads[0].start()
    while not calls:
        pass
    for t in threads[1:]:
        t.start()
    while len(scans._queue) < 7:
        pass
    release.set()
    for t in threads:
        t.join(10)
    assert calls == [1, 6, 1] and scans.batches == 3
    for i in range(8):
        assert np.array_equal(got[i], flat.search(queries[i:i + 1], want[i])[1][0])
    # a failing batch: each of its questions sees the error, and later questions still scan
    errors = []
    blocker = threading.Event()

    def failing(i: int) -> None:
        try:
            scans.search(queries[i], 4)
        except RuntimeError as exc:
            errors.append(str(exc))

    class Gate:
        """The first scan waits for the others to queue; the batch of three fails."""

        def search(self, x: np.ndarray, k: int):  # noqa: ANN201
            if len(x) == 1 and not blocker.is_set():
                blocker.wait(10)
            if len(x) == 3:
                raise RuntimeError("scan failed")
            return flat.search(x, k)

    scans = dense.BatchedScan(Gate(), slots=1)
    first = threading.Thread(target=lambda: scans.search(queries[0], 4))
    first.start()
    while scans._free:
        pass
    rest = [threading.Thread(target=failing, args=(i,)) for i in (1, 2, 3)]
    for t in rest:
        t.start()
    while len(scans._queue) < 3:
        pass
    blocker.set()
    for t in [first, *rest]:
        t.join(10)
    assert errors == ["scan failed"] * 3 and scans._free == 1
    assert np.array_equal(scans.search(queries[4], 4), flat.search(queries[4:5], 4)[1][0])
