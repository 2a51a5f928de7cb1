"""The dense side of an index version: its vectors and the FAISS index searched over them; never documents.

Inner product over L2-normalised vectors (= cosine similarity). Row i of the
stored vectors (`vectors.npy`) is passage row i in the metadata store.

Two kinds of version, chosen when a version is written (`DenseConfig.ann_min_passages`):

- **exact** (small versions): `faiss.index`, a flat index (`IndexFlatIP`) read
  into memory and scanned whole for each question. Below ~20,000 passages the
  scan costs a few milliseconds, and the file is small.
- **approximate** (large versions): `ann.index`, 4-bit product-quantised codes
  (`IndexPQFastScan`: 96 bytes a 384-d vector, a sixteenth of its floats) that
  FAISS's fast scan compares with the question in SIMD registers, and
  `ann.rows.npy`, the passage row of each code (-1: the code's passage left in a
  refresh). The scan proposes `RetrievalConfig.ann_candidates` candidates (1,000);
  they are rescored from the stored vectors and the best `k` returned: exactly,
  through the memory map, up to `MAPPED_RESCORING_MAX_BYTES` of vectors; above
  it from a half-precision copy in memory (`HalfCopy`: the map's touched pages
  would otherwise count as the serving process's memory, 2 GB at 1M). A flat
  scan reads every vector per question (188 MB at 122,735 passages, bound by
  memory bandwidth: ~20 ms here, linear in size); the fast scan reads a
  sixteenth of that, and the rescoring 1,000 rows. Questions asked at the same
  time are scanned as one batch (`BatchedScan`: the codes are read once for all
  of them). The float vectors are held once on disk, memory-mapped
  (`vectors.npy`); no flat copy is written.

Why not a graph (HNSW): on the benchmarks' hashed vectors (random directions, the
hardest case for any approximate index) an HNSW graph over 8-bit codes took 205 s
to build at 122,730 passages (~40 min projected at 1M on this machine) and found
0.54 of the exact top 300 at a cost near a flat scan's; the fast scan builds in
seconds, finds 0.91 there, and 0.9999 on real vectors (README "Search at scale").

Filters (outlet, dates, hidden articles) apply before any top k: the flat index
takes an id selector; a filter that leaves few rows (`FILTER_EXACT_ROWS`) is
answered by scoring exactly those rows; a wider one makes the fast scan propose
proportionally more candidates, of which only allowed rows are kept.

A refresh patches the codes (`patch_ann`): incoming passages are appended as new
codes, the codes of passages that left are masked (their row set to -1), moved
passages keep their code and change row. Once more than
`DenseConfig.rebuild_dead_fraction` of the codes are masked, the index is built anew.
"""

from __future__ import annotations

import logging
import mmap
import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import NamedTuple

import faiss
import numpy as np

from index.errors import IndexCorrupt
from index.store.dense import DenseConfig

log = logging.getLogger(__name__)

FAISS_FILE = "faiss.index"
VECTORS_FILE = "vectors.npy"
ANN_FILE = "ann.index"
ANN_ROWS_FILE = "ann.rows.npy"
FILTER_EXACT_ROWS = 50_000  # a filter leaving at most this many rows is answered by scoring them exactly
MAX_CANDIDATES = 8_000  # the most candidates one fast scan proposes (a wider filter scores its rows exactly)


class Neighbours(NamedTuple):
    """Nearest rows of a query, best first."""

    scores: np.ndarray  # float32, inner products (cosines for normalised vectors)
    rows: np.ndarray  # int64 row ids, aligned with `scores`


_query_threads = threading.local()
_blas_limited = threading.Event()


def limit_blas_threads() -> None:
    """numpy's OpenBLAS to one thread, once per process (idempotent).

    Query-time matrix products are small (a few hundred candidate rows), and OpenBLAS's
    pthreads pool spin-waits: with 8 questions at once on 2 cores its threads would
    fight the questions' own. Only numpy's OpenBLAS is limited (found by threadpoolctl),
    never torch's or FAISS's pools, so builds keep their threads.
    """
    if _blas_limited.is_set():
        return
    _blas_limited.set()
    try:
        from threadpoolctl import ThreadpoolController

        controller = ThreadpoolController()
        numpy_blas = [lib for lib in controller.lib_controllers
                      if lib.user_api == "blas" and "numpy" in str(lib.filepath)]
        for lib in numpy_blas:
            lib.set_num_threads(1)
    except Exception:  # noqa: BLE001 - without threadpoolctl, queries still work (OPENBLAS_NUM_THREADS applies)
        pass


def _one_openmp_thread() -> None:
    """Searches use one OpenMP thread (per calling thread; set once): a question is too small to share,
    and on a busy 2-core machine a second thread spin-waits more than it helps (issue 15: 31.6 vs 20.6 ms)."""
    if not getattr(_query_threads, "set", False):
        faiss.omp_set_num_threads(1)
        _query_threads.set = True


class _Scan:
    """One question's place in a `BatchedScan` queue."""

    __slots__ = ("query", "want", "nodes", "error", "done")

    def __init__(self, query: np.ndarray, want: int) -> None:
        self.query = query
        self.want = want
        self.nodes: np.ndarray | None = None
        self.error: BaseException | None = None
        self.done = False


class BatchedScan:
    """Fast scans of questions asked at the same time, run as batches (dynamic batching).

    A fast scan reads every code once per call whatever the number of questions in it, so 8 questions in
    one call cost ~half of 8 calls (measured at 1M: 8.5 vs 16.8 ms a question) and give each question the
    candidates it gets alone. A question arriving while the scans are busy waits for a free slot and takes
    the oldest waiting questions that ask for as many codes with it (an unfiltered question asks for
    `RetrievalConfig.ann_candidates`; FAISS breaks ties at the cut by the number asked for, so questions
    asking for other numbers go in batches of their own); a lone question scans at once, with no added wait.

    Args:
        index: the FAISS index (its `search` takes several queries).
        slots: scans running at once (default: the CPU count, each on one thread); a waiting question
            takes its share of the queue (queue length / slots, rounded up) so that the slots share the work.
        max_batch: most questions in one scan.
    """

    def __init__(self, index: faiss.Index, slots: int | None = None, max_batch: int = 16) -> None:
        self.index = index
        self.slots = max(1, slots or os.cpu_count() or 1)
        self.max_batch = max_batch
        self._free = self.slots
        self._queue: list[_Scan] = []
        self._ready = threading.Condition()
        self.batches = 0  # scans run (for tests and benchmarks)

    def search(self, query: np.ndarray, want: int) -> np.ndarray:
        """Node ids of the `want` codes nearest `query` (float32, shape (dim,)), best first (-1: none).

        Raises:
            whatever the FAISS search raised for the batch holding this question.
        """
        mine = _Scan(np.ascontiguousarray(query.reshape(-1), dtype=np.float32), want)
        with self._ready:
            self._queue.append(mine)
            while not mine.done:
                if self._free and mine in self._queue:
                    self._free -= 1
                    share = min(self.max_batch, -(-len(self._queue) // self.slots))
                    # only questions asking for as many codes: FAISS breaks ties at the cut by k, so a deeper
                    # scan's first `want` could differ from what the question gets alone
                    batch = [mine] + [s for s in self._queue if s is not mine and s.want == mine.want][: share - 1]
                    self._queue = [s for s in self._queue if s not in batch]
                    break
                self._ready.wait()
            else:
                return self._result(mine)
        try:
            _one_openmp_thread()
            _, nodes = self.index.search(np.stack([s.query for s in batch]), mine.want)
            for s, row in zip(batch, nodes):
                s.nodes = row
        except BaseException as exc:  # noqa: BLE001 - handed to every question of the batch
            for s in batch:
                s.error = exc
        finally:
            with self._ready:
                self._free += 1
                self.batches += 1
                for s in batch:
                    s.done = True
                self._ready.notify_all()
        return self._result(mine)

    @staticmethod
    def _result(scan: _Scan) -> np.ndarray:
        if scan.error is not None:
            raise scan.error
        return scan.nodes


class ApproximateIndex:
    """The approximate index: 4-bit product-quantised codes (fast scan), and the passage row of each code."""

    def __init__(self, index: faiss.Index, node_rows: np.ndarray) -> None:
        """`node_rows`: int64, shape (codes,), the row of each code, -1 for a masked code."""
        self.index = index
        self.node_rows = np.asarray(node_rows, dtype=np.int64)
        self.dead = int((self.node_rows < 0).sum())
        self.scans = BatchedScan(index)

    @classmethod
    def build(cls, vectors: np.ndarray, config: DenseConfig = DenseConfig()) -> ApproximateIndex:
        """Codes of (n, dim) float32 vectors, code i = row i (trains the quantiser on up to
        `config.train_rows` evenly spaced vectors; uses FAISS's OpenMP threads)."""
        dim = vectors.shape[1]
        codes = max(1, dim // config.dims_per_code)
        while dim % codes:
            codes -= 1
        index = faiss.IndexPQFastScan(dim, codes, 4, faiss.METRIC_INNER_PRODUCT)
        if len(vectors):
            step = max(1, len(vectors) // config.train_rows)
            index.train(np.ascontiguousarray(vectors[::step][: config.train_rows], dtype=np.float32))
            for start in range(0, len(vectors), 100_000):  # bounded temporary copies
                index.add(np.ascontiguousarray(vectors[start:start + 100_000], dtype=np.float32))
        return cls(index, np.arange(len(vectors), dtype=np.int64))

    @property
    def nodes(self) -> int:
        """Codes in the index, masked ones included."""
        return int(self.index.ntotal)

    def save(self, folder: Path) -> None:
        """Write `ann.index` and `ann.rows.npy` into a version folder."""
        faiss.write_index(self.index, str(folder / ANN_FILE))
        np.save(folder / ANN_ROWS_FILE, self.node_rows)

    @classmethod
    def load(cls, folder: Path, rows: int, dim: int | None = None) -> ApproximateIndex:
        """Read a version's approximate index and check it against its row count (and `dim`, when given).

        Raises:
            IndexCorrupt: a file is unreadable, or the codes and their rows disagree with the version.
        """
        try:
            index = faiss.read_index(str(folder / ANN_FILE))
            node_rows = np.load(folder / ANN_ROWS_FILE)
        except (RuntimeError, OSError, ValueError) as exc:
            raise IndexCorrupt(f"the approximate index in {folder} is unreadable "
                               f"({str(exc).splitlines()[0]}) — run `newsbot build`") from None
        live = node_rows[node_rows >= 0]
        if ((dim is not None and index.d != dim) or index.ntotal != len(node_rows) or len(live) != rows
                or (rows and not _is_permutation(live, rows))):
            raise IndexCorrupt(f"the approximate index in {folder} does not map its codes onto the version's "
                               f"{rows} rows — run `newsbot build` to rebuild the index")
        return cls(index, node_rows)

    def search(self, query: np.ndarray, fetch: int, row_mask: np.ndarray | None = None) -> np.ndarray:
        """Rows of up to `fetch` codes nearest `query` (by their codes), masked codes never among them;
        with `row_mask` (bool per row) only allowed rows, from a proportionally deeper scan."""
        want = fetch + min(self.dead, fetch)  # masked codes come back too, and are dropped
        if row_mask is not None:
            share = max(float(row_mask.mean()), 1e-9)
            want = int(want / share)
        want = min(want, self.nodes)
        if want <= 0:
            return np.zeros(0, dtype=np.int64)
        nodes = self.scans.search(query, want)
        nodes = nodes[nodes >= 0]
        rows = self.node_rows[nodes]
        rows = rows[rows >= 0]
        if row_mask is not None:
            rows = rows[row_mask[rows]]
        return rows[:fetch]


class VectorIndex:
    """Nearest-neighbour search over a version's vectors: exact, or approximate with exact rescoring."""

    def __init__(self, vectors: np.ndarray, flat: faiss.Index | None = None, ann: ApproximateIndex | None = None,
                 config: DenseConfig = DenseConfig(), reader: HalfCopy | None = None) -> None:
        """`vectors`: float32 (n, dim), usually memory-mapped; `flat`: a flat FAISS index over the same
        vectors (small versions); `ann`: the approximate index (large versions). Neither: exact scans of `vectors`.
        `reader`: the same vectors' rows for rescoring (`HalfCopy`, large versions; default: `vectors[rows]`)."""
        self.vectors = vectors
        self._flat = flat
        self.ann = ann
        self._reader = reader
        self.config = config
        self._masks: OrderedDict[int, tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def from_vectors(cls, vectors: np.ndarray) -> VectorIndex:
        """An exact index of the given (n, dim) float32 vectors under ids 0..n-1 (flat, in memory)."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        index = faiss.IndexFlatIP(vectors.shape[1])
        if len(vectors):
            index.add(vectors)
        return cls(vectors, flat=index)

    @property
    def count(self) -> int:
        """How many vectors are indexed."""
        return int(len(self.vectors))

    @property
    def dim(self) -> int:
        """Vector dimension."""
        return int(self.vectors.shape[1])

    @property
    def approximate(self) -> bool:
        """Whether the version has the approximate index."""
        return self.ann is not None

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None, exact: bool = False,
               candidates: int = 1000) -> Neighbours:
        """The top-k rows for one query vector (shape (dim,)), best first; `allowed` restricts to those rows.

        Filtering happens before the top k is taken (an id selector inside FAISS, exact scores of the
        allowed rows, or a proportionally deeper scan keeping only allowed rows), so a filter never
        starves the top k. Fewer than k come back when fewer rows exist or are allowed. Scores are
        always exact cosines.

        Args:
            exact: scan every (allowed) vector even when the version has the approximate index.
            candidates: how many candidates the approximate index proposes for exact rescoring (at least k).
        """
        _one_openmp_thread()
        k = min(k, self.count if allowed is None else len(allowed))
        if k <= 0:
            return Neighbours(np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64))
        q = np.ascontiguousarray(query.reshape(-1), dtype=np.float32)
        if self.ann is not None and not exact:
            fetch = max(k, candidates)
            if allowed is None:
                return self._rescore(q, self.ann.search(q, fetch), k)
            if len(allowed) > FILTER_EXACT_ROWS and fetch * self.count / len(allowed) <= MAX_CANDIDATES:
                return self._rescore(q, self.ann.search(q, fetch, self._row_mask(allowed)), k)
            return self._rescore(q, allowed, k)
        if self._flat is not None:
            return self._flat_search(q, k, allowed)
        if allowed is not None:
            return self._rescore(q, allowed, k)
        return _top(np.asarray(self.vectors @ q, dtype=np.float32), np.arange(self.count, dtype=np.int64), k)

    def _flat_search(self, q: np.ndarray, k: int, allowed: np.ndarray | None) -> Neighbours:
        if allowed is None:
            scores, ids = self._flat.search(q.reshape(1, -1), k)
        else:
            selector = faiss.IDSelectorBatch(np.ascontiguousarray(allowed, dtype=np.int64))
            scores, ids = self._flat.search(q.reshape(1, -1), k, params=faiss.SearchParameters(sel=selector))
        keep = ids[0] >= 0
        return Neighbours(scores[0][keep], ids[0][keep].astype(np.int64))

    def warm(self, timeout: float | None = None) -> bool:
        """Finish loading what the version loads in the background (a large version's `HalfCopy`); True when
        nothing is left loading (benchmarks call it so that figures are those of a settled process)."""
        return self._reader.wait(timeout) if self._reader is not None else True

    def rows(self, rows: np.ndarray) -> np.ndarray:
        """The stored vectors of `rows` (int array, any order): float32, shape (len(rows), dim)."""
        rows = np.asarray(rows, dtype=np.int64)
        if self._reader is not None:
            return self._reader.read(rows)
        return np.asarray(self.vectors[rows], dtype=np.float32)

    def rows_dot(self, rows: np.ndarray, query: np.ndarray) -> np.ndarray:
        """Inner products (cosines) of `rows`' stored vectors with `query` (shape (dim,)): float32, aligned; exact,
        or within ~1e-3 where rows come from a `HalfCopy`."""
        return np.asarray(self.rows(rows) @ np.asarray(query, dtype=np.float32).reshape(-1), dtype=np.float32)

    def _rescore(self, q: np.ndarray, rows: np.ndarray, k: int) -> Neighbours:
        """The k best of `rows` by their exact cosine (read from the stored vectors)."""
        rows = np.unique(np.asarray(rows, dtype=np.int64))
        return _top(self.rows_dot(rows, q), rows, k)

    def _row_mask(self, allowed: np.ndarray) -> np.ndarray:
        """`allowed` as a bool mask over the rows (cached per `allowed` array: filters are cached by the service)."""
        key = id(allowed)
        with self._lock:
            hit = self._masks.get(key)
            if hit is not None and hit[0] is allowed:
                self._masks.move_to_end(key)
                return hit[1]
        mask = np.zeros(self.count, dtype=bool)
        mask[allowed] = True
        with self._lock:
            self._masks[key] = (allowed, mask)
            while len(self._masks) > 32:
                self._masks.popitem(last=False)
        return mask

    def save(self, folder: Path) -> None:
        """Write the flat FAISS index file into a version folder (`faiss.index`)."""
        if self._flat is None:
            raise ValueError("only a flat index is saved with `save`; the approximate one with `ApproximateIndex.save`")
        faiss.write_index(self._flat, str(folder / FAISS_FILE))

    @classmethod
    def load(cls, folder: Path, expected_count: int, dim: int, config: DenseConfig = DenseConfig()) -> VectorIndex:
        """Read a version's dense index: its memory-mapped vectors, and its approximate or its flat index.

        Raises:
            IndexCorrupt: a file is missing, unreadable, or holds other counts than the manifest's.
        """
        vectors = load_vectors(folder)
        if vectors.shape != (expected_count, dim):
            raise IndexCorrupt(f"{folder / VECTORS_FILE} holds {vectors.shape[0]} vectors of {vectors.shape[1]} "
                               f"dims, the manifest says {expected_count} of {dim} — run `newsbot build`")
        if (folder / ANN_FILE).exists():
            ann = ApproximateIndex.load(folder, expected_count, dim)
            big = vectors.nbytes > MAPPED_RESCORING_MAX_BYTES
            reader = HalfCopy(folder / VECTORS_FILE, vectors) if big else None
            return cls(vectors, ann=ann, config=config, reader=reader)
        path = folder / FAISS_FILE
        if not path.exists():
            raise IndexCorrupt(f"{path} is missing — run `newsbot build` to rebuild the index")
        try:
            index = faiss.read_index(str(path))
        except RuntimeError as exc:
            raise IndexCorrupt(f"{path} is unreadable ({str(exc).splitlines()[0]}) — run `newsbot build`") from None
        if index.ntotal != expected_count or index.d != dim:
            raise IndexCorrupt(f"{path} holds {index.ntotal} vectors of {index.d} dims, the manifest says "
                               f"{expected_count} of {dim} — run `newsbot build` to rebuild the index")
        return cls(vectors, flat=index, config=config)


MAPPED_RESCORING_MAX_BYTES = 512 << 20  # larger vector files are rescored from a half-precision copy


class HalfCopy:
    """A large version's vectors in half precision, in memory: what its approximate index rescores from.

    Why: the approximate index rescores 1,000 candidate rows a question, scattered over the file. Read
    through the memory map, every page touched stays mapped into the serving process: after a few hundred
    questions at a million passages nearly all 1.5 GB of float32 vectors counted as its resident memory
    (issue 15 measured 2,062 MB of mapped file pages). Below `MAPPED_RESCORING_MAX_BYTES` of vectors
    (~350,000 passages) that is fine and the map is used; above it, a float16 copy holds half as much
    (768 MB at 1M). The copy is read from the file (ordinary reads, the map's pages never touched) by a
    background thread started by the first read (~2-3 s at 1M, so a version is serving at once after a
    switch and a one-question process never pays for it); until it is complete, rows are read with
    positioned reads (`os.preadv`) and rounded to half precision, so a version's scores never depend on
    when they were asked.

    Tried instead: positioned reads alone (resident memory 710 MB at 1M, 1.4 ms a question alone), but a
    thousand system calls a question, each giving up and taking back the GIL, cost ~44 ms a question with
    8 questions at once (3 ms from this copy); the map with its pages dropped every so often
    (`madvise(MADV_DONTNEED)`): the kernel maps 16 pages around each faulting row, so drops (~2 ms each)
    came every few questions. Half precision changes a cosine by at most ~1e-3 (rounding of 384 products).

    Thread-safe. A copy that cannot be read is logged and the positioned reads go on.
    """

    CHUNK_ROWS = 65_536  # rows the background thread reads at once (~100 MB of float32 at 384 dims)

    def __init__(self, path: Path, mapped: np.ndarray) -> None:
        """`mapped`: the same .npy memory-mapped by numpy (its shape, dtype and data offset are used).

        Raises:
            IndexCorrupt: the file cannot be opened.
        """
        self.path = path
        self.shape = mapped.shape
        self.dtype = mapped.dtype
        self.row_bytes = int(mapped.dtype.itemsize * int(np.prod(mapped.shape[1:], dtype=np.int64)))
        self.offset = int(getattr(mapped, "offset", 0))
        try:
            self._file = open(path, "rb", buffering=0)  # noqa: SIM115 - closed with the copy
        except OSError as exc:
            raise IndexCorrupt(f"{path} is unreadable ({exc}) — run `newsbot build` to rebuild the index") from None
        self.half: np.ndarray | None = None
        self._loader: threading.Thread | None = None
        self._lock = threading.Lock()

    def read(self, rows: np.ndarray) -> np.ndarray:
        """Rows `rows` (int64 array, any order, repeats allowed) in half precision, as float32, shape
        (len(rows), dim).

        Raises:
            IndexError: a row is outside the vectors.
            IndexCorrupt: the file is shorter than its header says (it changed under the version).
        """
        rows = np.asarray(rows, dtype=np.int64)
        if len(rows) and (rows.min() < 0 or rows.max() >= self.shape[0]):
            raise IndexError(f"rows outside 0..{self.shape[0] - 1}")
        half = self.half
        if half is not None:
            return half[rows].astype(np.float32)
        self._start_loading()
        return self._pread(rows).astype(np.float16).astype(np.float32)

    def wait(self, timeout: float | None = None) -> bool:
        """Start the copy if needed and wait for it; True once it serves reads (for tests and benchmarks)."""
        self._start_loading()
        loader = self._loader
        if loader is not None:
            loader.join(timeout)
        return self.half is not None

    def _start_loading(self) -> None:
        with self._lock:
            if self._loader is None:
                self._loader = threading.Thread(target=self._load, name="newsbot-half-copy", daemon=True)
                self._loader.start()

    def _load(self) -> None:
        rows, dim = self.shape
        try:
            half = np.empty((rows, dim), dtype=np.float16)
            buffer = np.empty((min(self.CHUNK_ROWS, max(rows, 1)), dim), dtype=self.dtype)
            for start in range(0, rows, self.CHUNK_ROWS):
                part = buffer[: min(self.CHUNK_ROWS, rows - start)]
                self._read_into(part, start)
                half[start:start + len(part)] = part
        except (OSError, IndexCorrupt, MemoryError) as exc:
            log.warning("vectors of %s stay read from the file, not from memory: %s", self.path.parent.name, exc)
            return
        self.half = half

    def _read_into(self, out: np.ndarray, row: int) -> None:
        """Fill `out` (contiguous rows of `self.dtype`) with the file's rows from `row` on."""
        view = memoryview(out.reshape(-1).view(np.uint8))
        got = 0
        while got < len(view):
            n = os.preadv(self._file.fileno(), [view[got:]], self.offset + row * self.row_bytes + got)
            if n <= 0:
                raise IndexCorrupt(f"{self.path} is shorter than its header says — run `newsbot build`")
            got += n

    def _pread(self, rows: np.ndarray) -> np.ndarray:
        """Rows read with positioned reads, one a run of consecutive rows (float32, in the order asked)."""
        out = np.empty((len(rows),) + tuple(self.shape[1:]), dtype=self.dtype)
        if not len(rows):
            return out
        if rows.min() < 0 or rows.max() >= self.shape[0]:
            raise IndexError(f"rows outside 0..{self.shape[0] - 1}")
        order = np.argsort(rows, kind="stable")
        ordered = rows[order]
        fetched = np.empty_like(out)
        breaks = np.flatnonzero(np.diff(ordered) != 1) + 1  # runs of consecutive rows (repeats break runs)
        starts = np.concatenate([[0], breaks]).tolist()
        ends = np.concatenate([breaks, [len(ordered)]]).tolist()
        for start, end, row in zip(starts, ends, ordered[starts].tolist()):
            self._read_into(fetched[start:end], row)
        out[order] = fetched
        return out


def _is_permutation(values: np.ndarray, n: int) -> bool:
    """Whether `values` (int64, shape (n,), each >= 0) holds every one of 0..n-1 exactly once.

    One O(n) marking pass instead of `np.unique` (a hash or a sort: 1.6 s at a million rows, on every load
    of a version and every patch of its approximate index).
    """
    if len(values) != n or (n and int(values.max()) >= n):
        return False
    seen = np.zeros(n, dtype=bool)
    seen[values] = True
    return bool(seen.all())


def _top(scores: np.ndarray, rows: np.ndarray, k: int) -> Neighbours:
    """The k best (score, row) pairs, best first (ties: lower row first)."""
    if len(scores) > k:
        keep = np.argpartition(-scores, k - 1)[:k]
        scores, rows = scores[keep], rows[keep]
    order = np.lexsort((rows, -scores))
    return Neighbours(scores[order], rows[order])


def write_dense_index(folder: Path, vectors: np.ndarray, config: DenseConfig = DenseConfig()) -> str:
    """Write a new version's dense index for its (n, dim) vectors: the approximate one from `config.ann_min_passages`
    passages on, else the flat index. Returns the kind written ("approximate" or "exact")."""
    if len(vectors) >= config.ann_min_passages:
        ApproximateIndex.build(vectors, config).save(folder)
        return "approximate"
    VectorIndex.from_vectors(vectors).save(folder)
    return "exact"


def patch_ann(base: Path, dest: Path, old_to_new: np.ndarray, targets: np.ndarray, new_vectors: np.ndarray,
              n_new: int, config: DenseConfig = DenseConfig()) -> bool:
    """Write `dest`'s approximate index as `base`'s patched: False when the caller must build it in full instead.

    Incoming passages get new codes (the base's quantiser encodes them); codes of passages that left are
    masked; moved passages keep their code under their new row. Not patched (False): `base` has no
    approximate index, too many codes would be masked (`config.rebuild_dead_fraction`), or the patched
    version is below `config.ann_min_passages`.

    Args:
        old_to_new: each base row's row in the new version, -1 when its passage left (int64, (n_old,)).
        targets: the new row of each incoming passage (int64), aligned with `new_vectors` (float32 (k, dim)).
        n_new: rows of the patched version.

    Raises:
        IndexCorrupt: the base's approximate index is unreadable.
    """
    if not (base / ANN_FILE).exists() or n_new < config.ann_min_passages:
        return False
    ann = ApproximateIndex.load(base, len(old_to_new))
    node_rows = ann.node_rows.copy()
    live = node_rows >= 0
    node_rows[live] = np.asarray(old_to_new, dtype=np.int64)[node_rows[live]]
    dead = int((node_rows < 0).sum())
    if (dead + 0.0) / max(len(node_rows) + len(targets), 1) > config.rebuild_dead_fraction:
        return False
    if len(targets):
        ann.index.add(np.ascontiguousarray(new_vectors, dtype=np.float32))
        node_rows = np.concatenate([node_rows, np.asarray(targets, dtype=np.int64)])
    ApproximateIndex(ann.index, node_rows).save(dest)
    return True


def save_vectors(folder: Path, vectors: np.ndarray) -> None:
    """Keep the raw vectors (float32, shape (passages, dim)): searched or rescored, and reused by refreshes."""
    np.save(folder / VECTORS_FILE, np.ascontiguousarray(vectors, dtype=np.float32))


def load_vectors(folder: Path, mmap_rows: bool = True) -> np.ndarray:
    """The raw vectors of a version, float32, shape (passages, dim), memory-mapped: only what is read is
    resident, and the kernel reads no more than the rows asked for (random access, no read-ahead).

    Raises:
        IndexCorrupt: the file is missing or unreadable.
    """
    path = folder / VECTORS_FILE
    try:
        vectors = np.load(path, mmap_mode="r" if mmap_rows else None)
    except (OSError, ValueError) as exc:
        raise IndexCorrupt(f"{path} is unreadable ({exc}) — run `newsbot build` to rebuild the index") from None
    raw = getattr(vectors, "_mmap", None)
    if raw is not None and hasattr(mmap, "MADV_RANDOM"):
        try:
            raw.madvise(mmap.MADV_RANDOM)
        except (OSError, ValueError):
            pass
    return vectors
