"""The BM25 side: analysis, scores normalised per question, saved inside the index version."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.errors import IndexCorrupt
from index.store.layout import version_path
from index.analysis import analyze
from index.store.lexical import LexicalIndex
from index.library import Library
from index.store.manifest import Manifest
from index.search.service import SearchService
from tests.conftest import SEEDS
from tests.support.fakes import HashEncoder


def test_analysis_stems_and_drops_stopwords_and_possessives() -> None:
    assert analyze("Who flew the drones toward Moscow's Kremlin?") == ["flew", "drone", "toward", "moscow", "kremlin"]
    assert analyze("") == []


def test_normalised_scores_are_fractions_of_what_the_question_could_score(tmp_path: Path) -> None:
    texts = ["Patriot Front members arrested in Idaho", "Idaho weather today", "Nothing relevant here"]
    index = LexicalIndex.build(texts)
    scores = index.normalised("Patriot Front arrests Idaho")
    assert 0 < scores[1] < scores[0] < 1.0 and scores[2] == 0.0
    # words the corpus never saw still count in the yardstick: matching one common word is not enough
    diluted = index.normalised("Patriot Front arrests Idaho zebra quantum")
    assert diluted[0] < scores[0]
    assert not index.normalised("zebra quantum").any()  # unknown terms only: all zero
    index.save(tmp_path)
    again = LexicalIndex.load(tmp_path, expected_count=3)
    assert np.allclose(again.normalised("Patriot Front arrests Idaho"), scores)


def test_version_holds_the_lexical_index_checksummed_and_loads_without_rebuilding(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Library(SEEDS, tmp_path / "idx", HashEncoder()).build()
    folder = version_path(tmp_path / "idx")
    manifest = Manifest.load(folder)
    files = [name for name in manifest.files if name.startswith("bm25.")]
    assert "bm25.config.json" in files and "bm25.vocab.json" in files
    assert manifest.extra["lexical"]["files"] == sorted(files)
    manifest.verify(folder)

    def no_rebuild(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise AssertionError("loading must not rebuild the lexical index")

    monkeypatch.setattr(LexicalIndex, "build", no_rebuild)
    service = SearchService.open(tmp_path / "idx", HashEncoder())
    assert service.retrieval.mode == "hybrid" and service.retriever.lexical is not None


def test_a_damaged_lexical_index_is_reported(tmp_path: Path) -> None:
    Library(SEEDS, tmp_path / "idx", HashEncoder()).build()
    folder = version_path(tmp_path / "idx")
    (folder / "bm25.params.json").write_text("{broken")
    with pytest.raises(IndexCorrupt, match="newsbot build"):
        SearchService.open(tmp_path / "idx", HashEncoder())


def test_a_version_without_lexical_index_still_answers_densely(tmp_path: Path) -> None:
    from index.refresh.build import build_version
    from corpus.readers.loader import load_corpus

    build_version(load_corpus(SEEDS).articles, HashEncoder(), tmp_path / "idx")  # as older builds did
    service = SearchService.open(tmp_path / "idx", HashEncoder())
    assert service.retrieval.mode == "dense"
    assert service.search("drones Kremlin", k=2).hits


def test_an_empty_corpus_gets_an_empty_lexical_index(tmp_path: Path) -> None:
    index = LexicalIndex.build([])
    index.save(tmp_path)
    again = LexicalIndex.load(tmp_path, expected_count=0)
    assert again.count == 0 and len(again.normalised("anything at all")) == 0
