"""Build, reload and search on seeds/ with the real model and real FAISS; damaged indexes fail clearly."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from index.errors import IndexCorrupt, IndexMissing, ModelMismatch
from index.store.layout import current_version, version_path
from index.library import Library
from index.store.manifest import Manifest
from index.search.service import SearchService
from tests.conftest import SEED_QUESTION, SEEDS
from tests.support.fakes import HashEncoder

pytestmark = pytest.mark.model


def test_seed_question_returns_opening_paragraph_first(seed_index: Path, encoder) -> None:  # noqa: ANN001
    service = SearchService.open(seed_index, encoder)
    result = service.search(SEED_QUESTION, k=3)
    top = result.hits[0]
    assert top.passage.paragraph_first == 1 and top.passage.start == 0
    assert top.passage.text.startswith("Moscow alleged Wednesday Ukraine flew two drones toward the Kremlin")
    assert top.article.outlet == "CNN" and top.article.published == date(2023, 5, 3)
    assert top.article.authors == ("Sebastian Shukla", "Nathan Hodge")
    assert result.confident and top.score >= service.retrieval.min_score  # ranking score, see index/fusion.py
    assert len(result.hits) == 2  # at most two passages of the same article by default


def test_reload_never_reembeds(seed_index: Path, encoder) -> None:  # noqa: ANN001
    folder = version_path(seed_index)
    manifest = Manifest.load(folder)
    manifest.verify(folder)
    assert manifest.articles == 1 and manifest.passages >= 3
    assert manifest.model["name"] == "all-MiniLM-L6-v2" and manifest.dim == 384
    calls: list[int] = []
    original = encoder.encode
    encoder.encode = lambda texts, progress=None: (calls.append(len(texts)), original(texts, progress))[1]
    try:
        service = SearchService.open(seed_index, encoder)
        service.search(SEED_QUESTION, highlight=False)  # highlighting embeds sentences: not passages
    finally:
        del encoder.encode
    assert calls == [1]  # only the question was embedded


def test_rebuild_reuses_vectors(tmp_path: Path) -> None:
    enc = HashEncoder()
    library = Library(SEEDS, tmp_path / "idx", enc)
    _, first = library.build()
    _, second = library.build()
    assert first.embedded == first.passages and second.embedded == 0 and second.reused == first.passages
    assert current_version(tmp_path / "idx") == second.version != first.version


def test_model_mismatch_says_how_to_rebuild(tmp_path: Path) -> None:
    Library(SEEDS, tmp_path / "idx", HashEncoder(name="model-a")).build()
    with pytest.raises(ModelMismatch, match="newsbot build --rebuild"):
        SearchService.open(tmp_path / "idx", HashEncoder(name="model-b"))


def test_missing_index(tmp_path: Path) -> None:
    with pytest.raises(IndexMissing, match="newsbot build"):
        SearchService.open(tmp_path / "nothing", HashEncoder())


@pytest.mark.parametrize("damage", ["delete-faiss", "truncate-vectors", "garble-manifest", "delete-meta",
                                    "garble-faiss"])
def test_corrupt_or_missing_files(tmp_path: Path, damage: str) -> None:
    enc = HashEncoder()
    Library(SEEDS, tmp_path / "idx", enc).build()
    folder = version_path(tmp_path / "idx")
    if damage == "delete-faiss":
        (folder / "faiss.index").unlink()
    elif damage == "truncate-vectors":
        data = (folder / "vectors.npy").read_bytes()
        (folder / "vectors.npy").write_bytes(data[:100])
    elif damage == "garble-manifest":
        (folder / "manifest.json").write_text("{not json")
    elif damage == "delete-meta":
        (folder / "meta.sqlite").unlink()
    elif damage == "garble-faiss":
        size = (folder / "faiss.index").stat().st_size
        (folder / "faiss.index").write_bytes(b"\0" * size)
        with pytest.raises(IndexCorrupt, match="newsbot build"):
            SearchService.open(tmp_path / "idx", enc, verify=True)
        return
    with pytest.raises(IndexCorrupt, match="newsbot build"):
        SearchService.open(tmp_path / "idx", enc)


def test_corpus_with_a_bad_file_still_builds(seed_corpus: Path, tmp_path: Path) -> None:
    (seed_corpus / "broken.txt").write_text("this is not a header\n\nBody.", encoding="utf-8")
    (seed_corpus / "more.jsonl").write_text(json.dumps({"text": "Elephants crossed the river.", "outlet": "BBC"})
                                            + "\n{broken\n", encoding="utf-8")
    report, stats = Library(seed_corpus, tmp_path / "idx", HashEncoder()).build()
    assert stats.articles == 2
    assert sorted((p.path.name, p.line) for p in report.problems) == [("broken.txt", 1), ("more.jsonl", 2)]


def test_filters_restrict_before_top_k(tmp_path: Path) -> None:
    corpus = tmp_path / "c"
    shutil.copytree(SEEDS, corpus)
    (corpus / "other.jsonl").write_text(json.dumps(
        {"text": "Drones flew toward the Kremlin, Moscow said.", "outlet": "BBC", "published": "2020-01-01"}) + "\n")
    library = Library(corpus, tmp_path / "idx", HashEncoder())
    library.build()
    from index.search.service import Filters

    bbc = library.service.search("drones Kremlin", k=5, filters=Filters(outlets=("bbc",)))
    assert {h.article.outlet for h in bbc.hits} == {"BBC"}
    old = library.service.search("drones Kremlin", k=5, filters=Filters(until=date(2021, 1, 1)))
    assert {h.article.outlet for h in old.hits} == {"BBC"}
    none = library.service.search("drones Kremlin", k=5, filters=Filters(since=date(2030, 1, 1)))
    assert none.hits == []
