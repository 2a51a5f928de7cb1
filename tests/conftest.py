"""Shared fixtures: paths to the shipped data, the real encoder (loaded once per session)."""

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
    """The real sentence-transformers encoder on the bundled model, loaded once."""
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
