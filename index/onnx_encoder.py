"""The ONNX Runtime encoder: the model's vectors without torch or transformers.

The transformer runs in ONNX Runtime on the file `index.onnx_export` wrote
(exported once from the bundled model); the text goes through the model's own
`tokenizer.json` (`tokenizers`); pooling and normalisation are the
sentence-transformers modules' own, read from the model folder
(`modules.json`, `1_Pooling/config.json`) and done in numpy. Texts longer
than the model's window (`max_seq_length`, 256 word pieces with [CLS] and
[SEP]) are truncated exactly as sentence-transformers truncates them.

Threads: ONNX Runtime's pools spin-wait for work by default, which on a busy
2-core machine turns a 2 ms question into hundreds of ms (the problem torch's
threads had). So the one session is single-threaded with spinning off: a
question (up to `QUERY_SIZE` texts) runs in the caller's thread, and a build
spreads its texts over `threads` worker threads (all cores).
`InferenceSession.run` is thread-safe: questions from many threads run at
once, each on one core, with no lock.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from index.encoder import ModelInfo, ProgressFn, default_model_path, token_counter, variant_info
from index.errors import ModelUnavailable

log = logging.getLogger(__name__)

def pooling_config(model_path: str) -> tuple[str, bool]:
    """How the sentence-transformers model pools token embeddings, and whether it normalises.

    Returns:
        (mode, normalise): mode is "mean", "cls", "max" or "mean_sqrt_len" (from the Pooling module's
        config; mean when the folder has no modules.json, as sentence-transformers assumes).

    Raises:
        ModelUnavailable: the pooling config asks for something else (weighted, last token…).
    """
    root = Path(model_path)
    modules_file = root / "modules.json"
    if not modules_file.exists():
        return "mean", True
    modules = json.loads(modules_file.read_text())
    mode, normalise = "mean", False
    for module in modules:
        kind = module.get("type", "")
        if kind.endswith("Pooling"):
            cfg = json.loads((root / module.get("path", "") / "config.json").read_text())
            chosen = [m for m in ("cls_token", "mean_tokens", "max_tokens", "mean_sqrt_len_tokens")
                      if cfg.get(f"pooling_mode_{m}")]
            other = [k for k, v in cfg.items() if k.startswith("pooling_mode_") and v and
                     k[len("pooling_mode_"):] not in ("cls_token", "mean_tokens", "max_tokens", "mean_sqrt_len_tokens")]
            if len(chosen) != 1 or other:
                raise ModelUnavailable(f"the model at {model_path} pools with {chosen + other}; the ONNX encoder "
                                       "supports one of cls, mean, max, mean_sqrt_len — set NEWSBOT_ENCODER=torch")
            mode = {"cls_token": "cls", "mean_tokens": "mean", "max_tokens": "max",
                    "mean_sqrt_len_tokens": "mean_sqrt_len"}[chosen[0]]
        elif kind.endswith("Normalize"):
            normalise = True
    return mode, normalise


def pool(hidden: np.ndarray, mask: np.ndarray, mode: str) -> np.ndarray:
    """Token embeddings (batch, tokens, dim) and attention mask (batch, tokens) → (batch, dim) float32,
    as sentence-transformers' Pooling module computes them (its clamp of the token count at 1e-9)."""
    if mode == "cls":
        return hidden[:, 0].astype(np.float32)
    m = mask[..., None].astype(np.float32)
    if mode == "max":
        return np.where(m > 0, hidden, -1e9).max(axis=1).astype(np.float32)
    summed = (hidden * m).sum(axis=1)
    counts = np.clip(m.sum(axis=1), 1e-9, None)
    if mode == "mean_sqrt_len":
        return (summed / np.sqrt(counts)).astype(np.float32)
    return (summed / counts).astype(np.float32)


def normalise(vectors: np.ndarray) -> np.ndarray:
    """L2-normalised rows (torch.nn.functional.normalize's eps of 1e-12: a zero row stays zero)."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


def cuda_available() -> bool:
    """Whether this onnxruntime build can run on a CUDA GPU."""
    import onnxruntime as ort

    return "CUDAExecutionProvider" in ort.get_available_providers()


class OnnxEncoder:
    """ONNX Runtime on the exported model (see the module docstring); an `index.encoder.Encoder`.

    Args:
        path: the sentence-transformers model folder (default: the bundled model).
        variant: "fp32" (the same vectors as `SentenceTransformerEncoder`) or "int8".
        cache_dir: where to export when the model folder is read-only (the index directory's `models/`).
        threads: worker threads a build's texts are spread over (default: all cores); a question (up to
            `QUERY_SIZE` texts) runs in the caller's thread.
        device: "cpu", or "cuda" for ONNX Runtime's CUDA provider (a warning and the CPU when it is
            not available).
    """

    QUERY_SIZE = 48
    runtime = "onnxruntime"

    def __init__(self, path: Path | str | None = None, variant: str = "fp32", cache_dir: Path | None = None,
                 threads: int | None = None, device: str = "cpu") -> None:
        self.path = str(path or default_model_path())
        self.info: ModelInfo = variant_info(self.path, variant)
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self.threads = threads or os.cpu_count() or 1
        self.device = device
        self._count = token_counter(self.path)
        self._lock = threading.Lock()
        self._file: Path | None = None
        self._tokenizer = None
        self._pooling: tuple[str, bool] | None = None
        self._session_obj = None
        self._inputs: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """How people choose it (NEWSBOT_ENCODER): onnx or onnx-int8."""
        return "onnx" if self.info.variant == "fp32" else f"onnx-{self.info.variant}"

    def count_tokens(self, text: str) -> int:
        """Word pieces of `text`, special tokens excluded."""
        return self._count(text)

    def load(self) -> None:
        """Export the model if needed and open the session now (so timings of embedding exclude start-up)."""
        self._session()

    def start_loading(self) -> None:
        """Open the session in a background thread, so that a fresh process (`newsbot ask`) loads the model
        while it loads the index; `encode` then waits for it. A failure here is left for `encode` to raise."""
        def load_quietly() -> None:
            try:
                self._session()
            except Exception as exc:  # noqa: BLE001 - encode() opens it again and reports the error
                log.debug("loading the model in the background failed: %s", exc)

        if self._session_obj is None:
            threading.Thread(target=load_quietly, name="load-model", daemon=True).start()

    def model_file(self) -> Path:
        """The ONNX file this encoder runs (exported on first use)."""
        with self._lock:
            return self._model_file_locked()

    def _model_file_locked(self) -> Path:
        if self._file is None:
            from index.onnx_export import exported_model

            self._file = exported_model(self.info, self.cache_dir)
        return self._file

    def _prepare_locked(self) -> None:
        if self._tokenizer is None:
            from tokenizers import Tokenizer

            tokenizer = Tokenizer.from_file(str(Path(self.path) / "tokenizer.json"))
            # the window sentence-transformers truncates to, special tokens included; each text runs alone: no padding
            tokenizer.enable_truncation(max_length=self.info.max_tokens)
            tokenizer.no_padding()
            self._pooling = pooling_config(self.path)
            self._tokenizer = tokenizer

    def _session(self):  # noqa: ANN202 - onnxruntime is imported lazily
        if self._session_obj is None:
            with self._lock:
                if self._session_obj is None:
                    self._session_obj = self._open_locked()
        return self._session_obj

    def _open_locked(self):  # noqa: ANN202
        import onnxruntime as ort

        self._prepare_locked()
        file = self._model_file_locked()
        options = ort.SessionOptions()
        options.log_severity_level = 3
        options.intra_op_num_threads = 1  # parallel across texts instead (see `encode`)
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        # no spin-waiting: idle pool threads sleep instead of burning a shared core (see the module docstring)
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.add_session_config_entry("session.inter_op.allow_spinning", "0")
        providers = ["CPUExecutionProvider"]
        if self.device == "cuda":
            if cuda_available():
                providers = ["CUDAExecutionProvider", "CPUExecutionProvider"]
            else:
                log.warning("NEWSBOT_DEVICE=cuda, but this onnxruntime has no CUDA provider (available: %s): "
                            "embedding on the CPU — install onnxruntime-gpu for a GPU",
                            ", ".join(ort.get_available_providers()))
                self.device = "cpu"
        try:
            session = ort.InferenceSession(str(file), options, providers=providers)
        except Exception as exc:  # noqa: BLE001 - a damaged file: export again once
            log.warning("the ONNX model %s cannot be loaded (%s): exporting it again", file, exc)
            file.unlink(missing_ok=True)
            self._file = None
            file = self._model_file_locked()
            try:
                session = ort.InferenceSession(str(file), options, providers=providers)
            except Exception as again:  # noqa: BLE001
                raise ModelUnavailable(f"cannot load the ONNX model {file}: {again} — delete it and retry, "
                                       "or set NEWSBOT_ENCODER=torch") from again
        self._inputs = tuple(i.name for i in session.get_inputs())
        log.info("loaded embedding model %s (%s, ONNX Runtime on %s) from %s", self.info.name,
                 self.info.variant, providers[0], file)
        return session

    def encode(self, texts: Sequence[str], progress: ProgressFn | None = None) -> np.ndarray:
        """Normalised float32 vectors of shape (len(texts), dim), in the order of `texts`.

        Each text runs alone, unpadded: a text's vector depends on nothing but the text. That matters
        for int8, whose dynamic quantisation scales activations per input tensor: batched, a text's
        vector moved with its batch-mates (cosine 0.96 to its own vector, measured). Unbatched was also
        faster on the loaded 2-core machine: on rtqa-dev texts one text a run took 0.45x (int8) and 0.4x
        (fp32) the time of length-sorted batches of up to 128 texts (on a quieter machine fp32 short
        sentences would gain from batches: README "Embedding").

        Up to `QUERY_SIZE` texts (a question and its highlight sentences) run in the calling thread;
        more (a build) run on `threads` worker threads, longest first, calling `progress(done, total)`
        from the calling thread every `threads * 16` texts (where Ctrl+C stops a build). Safe to call
        from many threads at once: all share one single-threaded session.
        """
        if not texts:
            return np.zeros((0, self.info.dim), dtype=np.float32)
        self._session()
        out = np.empty((len(texts), self.info.dim), dtype=np.float32)
        if len(texts) <= self.QUERY_SIZE or self.threads == 1:
            for i, text in enumerate(texts):
                out[i] = self._embed_one(text)
                if progress and (i + 1) % 16 == 0:
                    progress(i + 1, len(texts))
            if progress:
                progress(len(texts), len(texts))
            return normalise(out)
        # longest first, so the last texts left to the workers are short ones (no idle core at the end)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        block = self.threads * 16
        done = 0
        with ThreadPoolExecutor(self.threads, thread_name_prefix="embed") as workers:
            for start in range(0, len(order), block):
                part = order[start:start + block]
                for i, vector in zip(part, workers.map(lambda i: self._embed_one(texts[i]), part)):
                    out[i] = vector
                done += len(part)
                if progress:
                    progress(done, len(texts))
        # the Encoder protocol's vectors are normalised (sentence-transformers' Normalize module)
        return normalise(out)

    def _embed_one(self, text: str) -> np.ndarray:
        """One text's pooled (not yet normalised) vector, shape (dim,)."""
        assert self._tokenizer is not None and self._pooling is not None and self._session_obj is not None
        e = self._tokenizer.encode(text)
        ids = np.array([e.ids], dtype=np.int64)
        mask = np.ones_like(ids)
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.array([e.type_ids], dtype=np.int64)}
        hidden = self._session_obj.run(None, {k: v for k, v in feed.items() if k in self._inputs})[0]
        return pool(hidden, mask, self._pooling[0])[0]
