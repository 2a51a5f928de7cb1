"""Exporting the bundled sentence-transformers model to ONNX, once, offline.

Why not optimum: `optimum-onnx` 0.1.0 (the newest release) requires
transformers < 4.58, and newsbot runs on transformers 5.x with torch pinned;
installing it would change both. So the transformer is exported with
`torch.onnx.export` (the TorchScript exporter, `dynamo=False`: it needs no
`onnxscript`) and quantised with ONNX Runtime's own
`onnxruntime.quantization.quantize_dynamic`. Only the transformer is exported
(token embeddings); pooling and normalisation run in numpy in
`index.onnx_encoder`, from the model's own `modules.json` / pooling config.

The int8 recipe (measured on rtqa-dev texts against torch fp32, 222 varied
texts): dynamic quantisation of the MatMul weights, QInt8, **per channel**
(mean cosine 0.992, min 0.976; per tensor gave mean 0.956, min 0.86), only
MatMuls with a constant weight (never activation × activation).

Where the files go (`export_dir`): `<model>/newsbot-onnx/<fp32 fingerprint>/`
when the model folder is writable (a subfolder, so the model's own
fingerprint, which hashes only its top-level files, is unchanged), else
`<fallback>/<fp32 fingerprint>/` (the index directory's `models/`). Each file
is written under a temporary name and renamed into place, so two processes
exporting at once each publish a complete file and readers never see half of
one. `export.json` beside them records the recipe and library versions.

torch is imported only here, only when a file is missing: the question path
never imports it once the files exist.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
import warnings
from pathlib import Path

from index.encoder import INT8_RECIPE, ModelInfo, model_info
from index.errors import ModelUnavailable

log = logging.getLogger(__name__)

SUBFOLDER = "newsbot-onnx"
FILES = {"fp32": "model-fp32.onnx", "int8": "model-int8.onnx"}
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
OPSET = 17


def _writable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".probe-{uuid.uuid4().hex[:8]}"
        probe.touch()
        probe.unlink()
        return True
    except OSError:
        return False


def export_dir(model_path: str, fallback: Path | None) -> Path:
    """The folder holding this model's ONNX files (see the module docstring); created if needed.

    Raises:
        ModelUnavailable: neither the model folder nor `fallback` can be written, and no files exist yet.
    """
    fp = model_info(model_path).fingerprint
    beside = Path(model_path) / SUBFOLDER / fp
    if (beside / FILES["fp32"]).exists() or _writable(beside):
        return beside
    if fallback is not None:
        other = Path(fallback) / fp
        if (other / FILES["fp32"]).exists() or _writable(other):
            return other
    raise ModelUnavailable(f"cannot write the ONNX export of the model at {model_path} (its folder is read-only"
                           + (f", and so is {fallback}" if fallback else "") +
                           ") — make NEWSBOT_INDEX_DIR writable, or set NEWSBOT_ENCODER=torch")


def _publish(tmp: Path, final: Path) -> None:
    with tmp.open("rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, final)


def _tmp_name(final: Path) -> Path:
    return final.with_name(f".{final.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")


def _export_fp32(model_path: str, final: Path) -> None:
    """The transformer's token embeddings as ONNX (inputs `INPUTS`, output `last_hidden_state`)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import torch
        import transformers
        from transformers import AutoModel
    except ImportError as exc:
        raise ModelUnavailable(f"exporting the model to ONNX needs torch and transformers ({exc}) — "
                               "`pip install -e .` installs them") from exc
    transformers.utils.logging.disable_progress_bar()
    # eager attention: the TorchScript exporter traces it into plain MatMul/Softmax nodes
    model = AutoModel.from_pretrained(model_path, attn_implementation="eager").eval()

    class TokenEmbeddings(torch.nn.Module):
        """Keyword call: transformers 5 changed the positional order of BertModel.forward."""

        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):  # noqa: ANN001, ANN201
            return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    sample = tuple(torch.ones(2, 8, dtype=torch.long) if n != "token_type_ids" else torch.zeros(2, 8, dtype=torch.long)
                   for n in INPUTS)
    tmp = _tmp_name(final)
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(TokenEmbeddings(model), sample, str(tmp), input_names=list(INPUTS),
                              output_names=["last_hidden_state"], opset_version=OPSET, dynamo=False,
                              dynamic_axes={n: {0: "batch", 1: "sequence"} for n in (*INPUTS, "last_hidden_state")})
        _publish(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)


def _quantize_int8(source: Path, final: Path) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    tmp = _tmp_name(final)
    root = logging.getLogger()
    level = root.level
    root.setLevel(max(level, logging.WARNING + 1))  # the quantiser logs every tensor to the root logger
    try:
        # a ModelProto, not the path: given a path, the quantiser writes `<source>-inferred.onnx` beside it and
        # deletes it, so two processes quantising at once delete each other's file; a ModelProto goes through
        # a private temporary folder
        quantize_dynamic(onnx.load(str(source)), str(tmp), weight_type=QuantType.QInt8, per_channel=True,
                         op_types_to_quantize=["MatMul"], extra_options={"MatMulConstBOnly": True})
        _publish(tmp, final)
    finally:
        root.setLevel(level)
        tmp.unlink(missing_ok=True)


def exported_model(info: ModelInfo, fallback: Path | None = None) -> Path:
    """The ONNX file of this model variant (`info.variant`: "fp32" or "int8"), exported now if missing.

    Exporting takes ~5 s (fp32, imports torch) plus ~1 s (int8); later calls only stat the file.

    Raises:
        ModelUnavailable: the export cannot be written or fails.
    """
    folder = export_dir(info.path, fallback)
    fp32 = folder / FILES["fp32"]
    final = folder / FILES[info.variant]
    if final.exists():
        return final
    log.info("exporting the embedding model %s to ONNX (%s) into %s — once", info.name, info.variant, folder)
    try:
        if not fp32.exists():
            _export_fp32(info.path, fp32)
        if info.variant == "int8" and not final.exists():
            _quantize_int8(fp32, final)
    except ModelUnavailable:
        raise
    except Exception as exc:  # noqa: BLE001 - any export failure means the same to the user
        raise ModelUnavailable(f"could not export the model at {info.path} to ONNX ({exc}) — "
                               "set NEWSBOT_ENCODER=torch to embed with sentence-transformers instead") from exc
    _record(folder, info)
    return final


def _record(folder: Path, info: ModelInfo) -> None:
    """export.json: what was exported, how, and with which library versions (for people; nothing reads it)."""
    from importlib.metadata import PackageNotFoundError, version

    def ver(name: str) -> str | None:
        try:
            return version(name)
        except PackageNotFoundError:
            return None

    record = {"model": info.name, "model_fingerprint": model_info(info.path).fingerprint, "opset": OPSET,
              "files": {v: {"file": f, "size": (folder / f).stat().st_size} for v, f in FILES.items()
                        if (folder / f).exists()},
              "int8_recipe": INT8_RECIPE,
              "versions": {n: ver(n) for n in ("torch", "transformers", "onnx", "onnxruntime")}}
    tmp = _tmp_name(folder / "export.json")
    tmp.write_text(json.dumps(record, indent=2, sort_keys=True))
    os.replace(tmp, folder / "export.json")
