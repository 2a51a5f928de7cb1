"""The evaluation's embedding cache: passage vectors kept across benchmark builds, keyed by embed hash.

Why: embedding a benchmark corpus takes minutes on a small CPU, and every
chunking setting shares most passages with others (and every rebuild shares
all of them). Each distinct embedded text is embedded once, ever: builds first
embed what the store lacks, in shards written as they complete (an interrupted
run resumes where it stopped), then build the index from the cache alone.
It is a cache of the encoder's output, not an index: nothing searches it.

    CACHE/vectors/<model fingerprint>/shard-000001.npz   hashes + vectors

(The folder is still called `vectors`, so caches made before the rename are reused.)
"""

from __future__ import annotations

import logging
import os
import uuid
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from index.encoder import Encoder, embed_hash
from index.refresh.steps import VectorCache

log = logging.getLogger(__name__)

ShardProgress = Callable[[int, int], None]


class EmbeddingCache:
    """Vectors of one model, by embed hash, in shard files under `root/vectors/<model fingerprint>/`."""

    def __init__(self, root: Path, model_fingerprint: str) -> None:
        """Open the cache (reading every readable shard; unreadable ones are logged and skipped)."""
        self.folder = Path(root) / "vectors" / model_fingerprint
        self.model_fingerprint = model_fingerprint
        self._hashes: dict[str, tuple[int, int]] = {}
        self._shards: list[np.ndarray] = []
        self._load()

    def _load(self) -> None:
        if not self.folder.is_dir():
            return
        for path in sorted(self.folder.glob("shard-*.npz")):
            try:
                with np.load(path) as data:
                    hashes, vectors = data["hashes"], np.asarray(data["vectors"], dtype=np.float32)
            except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
                log.warning("ignoring unreadable vector shard %s (%s): its texts will be embedded again", path, exc)
                continue
            if len(hashes) != len(vectors):
                log.warning("ignoring vector shard %s: %d hashes for %d vectors", path, len(hashes), len(vectors))
                continue
            shard = len(self._shards)
            self._shards.append(vectors)
            for row, h in enumerate(hashes.tolist()):
                self._hashes.setdefault(h, (shard, row))

    def __len__(self) -> int:
        return len(self._hashes)

    def __contains__(self, key: str) -> bool:
        return key in self._hashes

    def add(self, hashes: Sequence[str], vectors: np.ndarray) -> int:
        """Write the vectors whose hashes are new as one shard; returns how many were new.

        Args:
            hashes: embed hashes, aligned with the rows of `vectors` (float32, shape (len(hashes), dim)).
        """
        fresh = [i for i, h in enumerate(hashes) if h not in self._hashes]
        fresh = list({hashes[i]: i for i in fresh}.values())
        if not fresh:
            return 0
        self.folder.mkdir(parents=True, exist_ok=True)
        new_hashes = np.array([hashes[i] for i in fresh])
        new_vectors = np.ascontiguousarray(vectors[fresh], dtype=np.float32)
        number = len(list(self.folder.glob("shard-*.npz"))) + 1
        final = self.folder / f"shard-{number:06d}-{uuid.uuid4().hex[:6]}.npz"
        tmp = final.with_name(f".{final.stem}.tmp.npz")
        np.savez(tmp, hashes=new_hashes, vectors=new_vectors)
        os.replace(tmp, final)
        shard = len(self._shards)
        self._shards.append(new_vectors)
        for row, h in enumerate(new_hashes.tolist()):
            self._hashes[h] = (shard, row)
        return len(fresh)

    def embed_missing(self, texts: Sequence[str], encoder: Encoder, shard_size: int = 2048,
                      progress: ShardProgress | None = None) -> int:
        """Embed the texts the cache lacks, saving a shard every `shard_size`; returns how many.

        Args:
            progress: called with (done, total) after each shard.

        Raises:
            ValueError: `encoder` is not the model this cache holds vectors of.
        """
        if encoder.info.fingerprint != self.model_fingerprint:
            raise ValueError("the encoder is not the model this cache holds vectors of")
        keyed = {embed_hash(self.model_fingerprint, t): t for t in texts}
        missing = [(h, t) for h, t in keyed.items() if h not in self._hashes]
        done = 0
        for start in range(0, len(missing), shard_size):
            block = missing[start:start + shard_size]
            vectors = encoder.encode([t for _, t in block])
            self.add([h for h, _ in block], vectors)
            done += len(block)
            if progress:
                progress(done, len(missing))
        return len(missing)

    def as_cache(self) -> VectorCache:
        """Every cached vector, as the `VectorCache` a full build looks vectors up in."""
        cache = VectorCache()
        for shard, vectors in enumerate(self._shards):
            cache.add({h: row for h, (s, row) in self._hashes.items() if s == shard}, vectors)
        return cache
