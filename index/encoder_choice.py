"""Which encoder embeds: the operator's choice for new indexes, the index's own variant for everything else.

Rules (README "Performance: embedding"):

- `NEWSBOT_ENCODER` chooses how **new** indexes (and `newsbot build --rebuild`)
  are embedded: `auto` (the default: `onnx-int8` where the CPU has int8
  dot-product instructions, else `onnx`), `onnx-int8`, `onnx` (fp32) or
  `torch` (sentence-transformers, the reference).
- An existing index is always questioned, refreshed and patched with the
  variant it was built with, found by the model fingerprint in its manifest:
  an index built before ONNX (torch fp32) is served by ONNX fp32 (the same
  vectors, no torch); an int8 index by int8. Vectors of two variants are
  never mixed, silently or not.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from index.encoder import Encoder, SentenceTransformerEncoder, default_model_path, int8_supported, variant_info
from index.store.layout import pointed_version, version_path

log = logging.getLogger(__name__)

CHOICES = ("auto", "onnx-int8", "onnx", "torch")
MODELS_DIR = "models"  # INDEX_DIR/models/<fingerprint>/: the ONNX export when the model folder is read-only


def resolve_choice(choice: str) -> str:
    """`auto` made concrete for this machine: onnx-int8 where `int8_supported()`, else onnx.

    Raises:
        ValueError: not one of `CHOICES`.
    """
    if choice not in CHOICES:
        raise ValueError(f"unknown encoder {choice!r} — use one of {', '.join(CHOICES)}")
    if choice == "auto":
        return "onnx-int8" if int8_supported() else "onnx"
    return choice


def make_encoder(choice: str = "auto", model_path: Path | str | None = None, index_dir: Path | None = None,
                 device: str = "cpu", threads: int | None = None) -> Encoder:
    """The encoder for a choice of `CHOICES` (nothing is loaded until text is embedded).

    Args:
        index_dir: its `models/` folder holds the ONNX export when the model folder is read-only.
        device: "cpu" or "cuda" (ONNX encoders only; torch embeds on the CPU).
    """
    concrete = resolve_choice(choice)
    path = str(model_path or default_model_path())
    if concrete == "torch":
        return SentenceTransformerEncoder(path, threads=threads)
    from index.onnx_encoder import OnnxEncoder

    return OnnxEncoder(path, variant="int8" if concrete == "onnx-int8" else "fp32",
                       cache_dir=Path(index_dir) / MODELS_DIR if index_dir else None, threads=threads, device=device)


def indexed_fingerprint(index_dir: Path) -> str | None:
    """The model fingerprint in the manifest of the version `CURRENT` names (None: no index, or unreadable).

    Reads only the manifest's JSON: the loading checks run later, when the version is opened.
    """
    name = pointed_version(Path(index_dir))
    if not name:
        return None
    try:
        data = json.loads((version_path(Path(index_dir), name) / "manifest.json").read_text())
        return str(data.get("model", {}).get("fingerprint") or "") or None
    except (OSError, ValueError, AttributeError):
        return None


def encoder_for_index(index_dir: Path, choice: str = "auto", model_path: Path | str | None = None,
                      device: str = "cpu", threads: int | None = None) -> Encoder:
    """The encoder that serves and refreshes the index in `index_dir`: its own variant (see the module
    docstring), or `choice` when there is no index yet or its fingerprint is no variant of this model
    (opening it then says the models differ and how to rebuild).
    """
    path = str(model_path or default_model_path())
    found = indexed_fingerprint(index_dir)
    if found:
        if found == variant_info(path, "int8").fingerprint:
            return make_encoder("onnx-int8", path, index_dir, device, threads)
        if found == variant_info(path, "fp32").fingerprint:
            # torch and ONNX fp32 are the same vectors: keep torch only when the operator asked for it
            return make_encoder("torch" if choice == "torch" else "onnx", path, index_dir, device, threads)
    return make_encoder(choice, path, index_dir, device, threads)
