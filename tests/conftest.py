"""Shared fixtures: paths to the shipped data, the real encoders (loaded, and the ONNX model exported, once
per session: the export is cached beside the model, so later sessions only load it)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
SHARED = ROOT.parent / "shared"
BENCH = SHARED / "bench" / "rtqa-dev"
SEED_QUESTION = "Who does Moscow say flew drones toward the Kremlin?"


@pytest.fixture(scope="session")
def encoder():
    """The real encoder of every index built before int8: ONNX Runtime fp32 on the bundled model (the same
    vectors as sentence-transformers, `tests/index/test_onnx_encoder.py`), loaded once, no torch."""
    from index.onnx_encoder import OnnxEncoder

    enc = OnnxEncoder(variant="fp32")
    enc.encode(["warm up"])
    return enc


@pytest.fixture(scope="session")
def int8_encoder():
    """The dynamically quantised ONNX encoder (the default for new indexes where the CPU supports it)."""
    from index.onnx_encoder import OnnxEncoder

    enc = OnnxEncoder(variant="int8")
    enc.encode(["warm up"])
    return enc


@pytest.fixture(scope="session")
def st_encoder():
    """The reference: sentence-transformers on torch (imports torch: ~10 s), loaded once."""
    from index.encoder import SentenceTransformerEncoder

    enc = SentenceTransformerEncoder()
    enc.encode(["warm up"])
    return enc


@pytest.fixture(scope="session")
def count_tokens():
    """The model's own tokenizer as a counter (no torch needed)."""
    from index.encoder import default_model_path, token_counter

    return token_counter(str(default_model_path()))


@pytest.fixture()
def seed_corpus(tmp_path: Path) -> Path:
    """A private copy of seeds/ that a test may change."""
    target = tmp_path / "corpus"
    shutil.copytree(SEEDS, target)
    return target


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory: pytest.TempPathFactory, encoder) -> Path:
    """An index of seeds/ built once per session (tests must not modify it)."""
    from index.library import Library

    index_dir = tmp_path_factory.mktemp("seed-index")
    Library(SEEDS, index_dir, encoder).build()
    return index_dir
