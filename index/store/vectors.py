"""The vector index over FAISS: ids and vectors only, never documents.

Inner product over L2-normalised vectors (= cosine similarity), exact search
(`IndexFlatIP`). Row i of the stored vectors is FAISS id i, and is passage row i
in the metadata store.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import faiss
import numpy as np

from index.errors import IndexCorrupt

FAISS_FILE = "faiss.index"
VECTORS_FILE = "vectors.npy"


class Neighbours(NamedTuple):
    """Nearest rows of a query, best first."""

    scores: np.ndarray  # float32, inner products (cosines for normalised vectors)
    rows: np.ndarray  # int64 row ids, aligned with `scores`


class VectorIndex:
    """Exact inner-product search over a fixed set of vectors."""

    def __init__(self, index: faiss.Index) -> None:
        self._index = index

    @classmethod
    def from_vectors(cls, vectors: np.ndarray) -> VectorIndex:
        """Index the given (n, dim) float32 vectors under ids 0..n-1."""
        index = faiss.IndexFlatIP(vectors.shape[1])
        if len(vectors):
            index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        return cls(index)

    @property
    def count(self) -> int:
        """How many vectors are indexed."""
        return int(self._index.ntotal)

    @property
    def dim(self) -> int:
        """Vector dimension."""
        return int(self._index.d)

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> Neighbours:
        """The top-k rows for one query vector (shape (dim,)), best first; `allowed` restricts to those rows.

        Filtering happens inside FAISS (an id selector), before the top k is
        taken, so a filter never loses recall. Fewer than k come back when
        fewer rows exist or are allowed.
        """
        k = min(k, self.count if allowed is None else len(allowed))
        if k <= 0:
            return Neighbours(np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64))
        q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        if allowed is None:
            scores, ids = self._index.search(q, k)
        else:
            selector = faiss.IDSelectorBatch(np.ascontiguousarray(allowed, dtype=np.int64))
            scores, ids = self._index.search(q, k, params=faiss.SearchParameters(sel=selector))
        keep = ids[0] >= 0
        return Neighbours(scores[0][keep], ids[0][keep])

    def save(self, folder: Path) -> None:
        """Write the FAISS index file into a version folder (`faiss.index`)."""
        faiss.write_index(self._index, str(folder / FAISS_FILE))

    @classmethod
    def load(cls, folder: Path, expected_count: int, dim: int) -> VectorIndex:
        """Read the FAISS index file and check it against the manifest.

        Raises:
            IndexCorrupt: the file is missing, unreadable, or holds other counts.
        """
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
        return cls(index)


def save_vectors(folder: Path, vectors: np.ndarray) -> None:
    """Keep the raw vectors (float32, shape (passages, dim)) so refreshes reuse them instead of re-embedding."""
    np.save(folder / VECTORS_FILE, np.ascontiguousarray(vectors, dtype=np.float32))


def load_vectors(folder: Path, mmap: bool = True) -> np.ndarray:
    """The raw vectors of a version, float32, shape (passages, dim) (memory-mapped: only what is used is read).

    Raises:
        IndexCorrupt: the file is missing or unreadable.
    """
    path = folder / VECTORS_FILE
    try:
        return np.load(path, mmap_mode="r" if mmap else None)
    except (OSError, ValueError) as exc:
        raise IndexCorrupt(f"{path} is unreadable ({exc}) — run `newsbot build` to rebuild the index") from None
