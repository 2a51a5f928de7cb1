"""A deterministic stand-in encoder for fast unit tests of indexing logic.

Vectors come from hashed word counts, so texts sharing words are similar: good
enough to test plumbing (build, reuse, filters) without loading the model.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

from index.encoder import ModelInfo


class HashEncoder:
    """Bag-of-hashed-words vectors, L2-normalised; counts a token per word or punctuation mark."""

    def __init__(self, dim: int = 64, name: str = "hash-encoder") -> None:
        fp = hashlib.sha256(f"{name}-{dim}".encode()).hexdigest()[:16]
        self.info = ModelInfo(name=name, path=f"<{name}>", fingerprint=fp, dim=dim, max_tokens=256)
        self.calls: list[int] = []

    def count_tokens(self, text: str) -> int:
        return len(re.findall(r"\w+|[^\w\s]", text))

    def encode(self, texts: Sequence[str], progress=None) -> np.ndarray:  # noqa: ANN001
        self.calls.append(len(texts))
        out = np.zeros((len(texts), self.info.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                out[i, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.info.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        if progress:
            progress(len(texts), len(texts))
        return out / norms
