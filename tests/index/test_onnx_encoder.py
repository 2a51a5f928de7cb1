"""The ONNX Runtime encoder: the same vectors as sentence-transformers (fp32), its own fingerprint (int8),
the variant an index was built with chosen for it, and a question path without torch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from index.encoder import INT8_RECIPE, default_model_path, model_info, variant_info
from index.encoder_choice import encoder_for_index, make_encoder, resolve_choice
from index.onnx_encoder import OnnxEncoder, normalise, pool, pooling_config
from tests.conftest import ROOT, SEED_QUESTION, SEEDS

# varied on purpose: long texts truncated at the window, non-Latin scripts, emoji, empty and blank texts
LONG = " ".join(f"The council met on day {i} to discuss the harbour, the budget and the new bridge." for i in range(80))
TEXTS = [
    "Who does Moscow say flew drones toward the Kremlin?",
    "Moscow alleged Wednesday Ukraine flew two drones toward the Kremlin overnight.",
    LONG,
    LONG + " And then something else entirely happened at the very end.",
    "a" * 3000,
    "Привет, мир! Новости из Москвы.",
    "東京で大きな地震がありました。",
    "Café déjà vu — naïve coöperation ﬁnance",
    "🙂🚀 emoji only?",
    "",
    " ",
    "\n\n",
    ".",
    "Fed raises rates again",
    "The storm hit the coast on Sunday; 12,000 homes lost power, officials said.",
]


@pytest.mark.model
def test_onnx_fp32_gives_sentence_transformers_vectors(encoder: OnnxEncoder, st_encoder) -> None:
    assert encoder.info.fingerprint == st_encoder.info.fingerprint  # one identity for the same vectors
    ours, reference = encoder.encode(TEXTS), st_encoder.encode(TEXTS)
    assert ours.shape == reference.shape == (len(TEXTS), 384) and ours.dtype == np.float32
    cosine = (ours * reference).sum(axis=1)
    assert cosine.min() >= 0.9999, dict(zip(TEXTS, cosine.round(6)))
    # truncation at the window is the same: the long text and the long text with more after the window agree
    assert float(ours[2] @ ours[3]) > 0.9999


@pytest.mark.model
def test_int8_is_a_variant_of_its_own(encoder: OnnxEncoder, int8_encoder: OnnxEncoder) -> None:
    fp32, int8 = encoder.info, int8_encoder.info
    assert (fp32.variant, int8.variant) == ("fp32", "int8")
    assert fp32.fingerprint == model_info(fp32.path).fingerprint
    assert int8.fingerprint not in (fp32.fingerprint, "") and int8.dim == fp32.dim
    assert variant_info(fp32.path, "int8") == int8
    # close to fp32 but not the same vectors: the reason for its own fingerprint
    cosine = (encoder.encode(TEXTS) * int8_encoder.encode(TEXTS)).sum(axis=1)
    assert cosine.mean() > 0.98 and cosine.min() > 0.9, cosine.round(4)
    assert INT8_RECIPE in json.loads((int8_encoder.model_file().parent / "export.json").read_text())["int8_recipe"]


@pytest.mark.model
def test_batches_and_questions_give_the_same_vectors(int8_encoder: OnnxEncoder) -> None:
    """A text's vector depends on nothing but the text (not its batch-mates: int8 quantises activations per
    run), whether it comes alone (a question) or among many (a build, on worker threads)."""
    many = [f"{text} {i}" for i in range(5) for text in TEXTS]  # more than a question: the all-cores session
    together = int8_encoder.encode(many)
    one_by_one = np.vstack([int8_encoder.encode([t]) for t in many[:len(TEXTS)]])
    assert np.allclose(together[:len(TEXTS)], one_by_one, atol=1e-6)


@pytest.mark.model
def test_concurrent_questions_from_eight_threads(int8_encoder: OnnxEncoder) -> None:
    questions = [f"What did the council decide about the harbour on day {i}?" for i in range(8)]
    expected = [int8_encoder.encode([q])[0] for q in questions]
    got: dict[int, np.ndarray] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def ask(i: int) -> None:
        try:
            start.wait()
            for _ in range(5):
                got[i] = int8_encoder.encode([questions[i]])[0]
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors and len(got) == 8
    for i in range(8):
        assert np.allclose(got[i], expected[i], atol=1e-5)


def test_pooling_follows_the_model_config() -> None:
    path = str(default_model_path())
    assert pooling_config(path) == ("mean", True)
    hidden = np.arange(2 * 3 * 2, dtype=np.float32).reshape(2, 3, 2)
    mask = np.array([[1, 1, 0], [1, 0, 0]])
    assert np.allclose(pool(hidden, mask, "mean"), [[1, 2], [6, 7]])
    assert np.allclose(pool(hidden, mask, "cls"), [[0, 1], [6, 7]])
    assert np.allclose(pool(hidden, mask, "max"), [[2, 3], [6, 7]])
    assert np.allclose(normalise(np.array([[3.0, 4.0], [0.0, 0.0]])), [[0.6, 0.8], [0, 0]])


def test_pooling_the_onnx_encoder_cannot_do_is_refused(tmp_path: Path) -> None:
    from index.errors import ModelUnavailable

    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "modules.json").write_text(json.dumps([{"type": "sentence_transformers.models.Pooling",
                                                        "path": "1_Pooling"}]))
    (tmp_path / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode_weightedmean_tokens": True}))
    with pytest.raises(ModelUnavailable, match="NEWSBOT_ENCODER=torch"):
        pooling_config(str(tmp_path))


def _index_with_fingerprint(index_dir: Path, fingerprint: str) -> None:
    folder = index_dir / "versions" / "v0001-x"
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(json.dumps({"model": {"fingerprint": fingerprint}}))
    (index_dir / "CURRENT").write_text("v0001-x")


def test_an_index_is_served_by_the_variant_it_was_built_with(tmp_path: Path) -> None:
    path = str(default_model_path())
    fp32, int8 = variant_info(path, "fp32").fingerprint, variant_info(path, "int8").fingerprint
    old, new, none = tmp_path / "old", tmp_path / "new", tmp_path / "none"
    _index_with_fingerprint(old, fp32)  # as every index built before ONNX (torch fp32)
    _index_with_fingerprint(new, int8)
    served = encoder_for_index(old, "onnx-int8")
    assert isinstance(served, OnnxEncoder) and served.info.fingerprint == fp32  # never int8 questions on fp32
    assert encoder_for_index(old, "torch").runtime == "torch"  # asked for: the reference runtime, same vectors
    assert encoder_for_index(new, "onnx").info.fingerprint == int8
    assert encoder_for_index(new, "torch").info.fingerprint == int8
    assert encoder_for_index(none, "onnx").info.fingerprint == fp32  # no index yet: the configured one
    assert make_encoder("torch").runtime == "torch"
    assert resolve_choice("auto") in ("onnx-int8", "onnx")
    with pytest.raises(ValueError, match="one of"):
        resolve_choice("gpu")


def test_the_encoder_setting_is_checked() -> None:
    from bot.settings import Settings, SettingsError

    assert Settings.from_env({"NEWSBOT_ENCODER": "onnx"}).encoder == "onnx"
    assert Settings.from_env({}).encoder == "auto" and Settings.from_env({}).device == "cpu"
    with pytest.raises(SettingsError, match="NEWSBOT_ENCODER"):
        Settings.from_env({"NEWSBOT_ENCODER": "tensorflow"})


QUESTION_SCRIPT = """
import json, sys
from bot.cli.main import main
code = main(["ask", sys.argv[1], "--corpus", sys.argv[2], "--index", sys.argv[3], "--json"])
heavy = sorted(m for m in ("torch", "transformers", "sentence_transformers") if m in sys.modules)
print("RESULT", json.dumps({"code": code, "heavy": heavy}))
"""


@pytest.mark.model
@pytest.mark.slow
def test_a_question_never_imports_torch(tmp_path: Path, st_encoder, int8_encoder: OnnxEncoder) -> None:
    """Over an index built by sentence-transformers (today's indexes) and over a new int8 one."""
    from index.library import Library

    env = {**os.environ, "PYTHONPATH": str(ROOT), "NEWSBOT_ENCODER": "auto"}
    for name, enc in (("torch-built", st_encoder), ("int8-built", int8_encoder)):
        index = tmp_path / name
        Library(SEEDS, index, enc).build()
        proc = subprocess.run([sys.executable, "-c", QUESTION_SCRIPT, SEED_QUESTION, str(SEEDS), str(index)],
                              capture_output=True, text=True, cwd=ROOT, env=env, timeout=120, check=False)
        line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")), None)
        assert line, proc.stdout[-2000:] + proc.stderr[-2000:]
        outcome = json.loads(line[len("RESULT "):])
        assert outcome == {"code": 0, "heavy": []}, (name, outcome, proc.stderr[-2000:])
        answer = json.loads(proc.stdout[:proc.stdout.index("RESULT ")])
        assert answer["results"] and "Kremlin" in answer["results"][0]["text"]


@pytest.mark.model
def test_two_exports_at_once_publish_one_complete_file(tmp_path: Path, encoder: OnnxEncoder) -> None:
    """Each writer writes a temporary file and renames it into place: the file is always whole, no temp is left."""
    import onnxruntime as ort

    from index.onnx_export import _quantize_int8

    final = tmp_path / "model-int8.onnx"
    errors: list[BaseException] = []

    def export() -> None:
        try:
            _quantize_int8(encoder.model_file(), final)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=export) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors
    assert [p.name for p in tmp_path.iterdir()] == ["model-int8.onnx"]
    ort.InferenceSession(str(final), providers=["CPUExecutionProvider"])  # a complete model


@pytest.mark.model
def test_cuda_without_a_gpu_says_so_and_embeds_on_the_cpu(monkeypatch: pytest.MonkeyPatch,
                                                          caplog: pytest.LogCaptureFixture,
                                                          int8_encoder: OnnxEncoder) -> None:
    monkeypatch.setattr("index.onnx_encoder.cuda_available", lambda: False)
    on_gpu = OnnxEncoder(variant="int8", device="cuda")
    with caplog.at_level("WARNING", logger="index.onnx_encoder"):
        vector = on_gpu.encode([SEED_QUESTION])
    assert "NEWSBOT_DEVICE=cuda" in caplog.text and "onnxruntime-gpu" in caplog.text and on_gpu.device == "cpu"
    assert np.allclose(vector, int8_encoder.encode([SEED_QUESTION]), atol=1e-6)
