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


def _random_corpus(seed: int, n: int = 3000) -> list[str]:
    rng = np.random.default_rng(seed)
    words = [f"word{i}" for i in range(400)] + ["common"] * 50  # one term in most passages
    return [" ".join(rng.choice(words, size=int(rng.integers(3, 25)))) for _ in range(n)]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_scores_read_where_needed_equal_the_full_array(seed: int) -> None:
    """`question(...).of(rows)`, `normalised_rows` (postings searched per row) and `top` (a sampled cut)
    give what the full normalised array gives, for questions of rare, common and repeated terms."""
    from index.store.lexical import top_positive

    index = LexicalIndex.build(_random_corpus(seed))
    rng = np.random.default_rng(seed)
    for question in ["word1 word2", "common", "common word7 word7 word399", "zebra", "word5 zebra common"]:
        full = index.normalised(question)
        rows = rng.integers(0, index.count, 200)
        np.testing.assert_allclose(index.question(question).of(rows), full[rows], rtol=1e-6)
        np.testing.assert_allclose(index.normalised_rows(question, rows), full[rows], rtol=1e-5, atol=1e-7)
        for depth in (1, 10, 40, 300):
            top = index.question(question).top(depth)
            positive = np.flatnonzero(full > 0)
            assert len(top) == min(depth, len(positive))
            if len(top):  # the depth best: nothing left out scores above what was kept
                left = np.setdiff1d(positive, top)
                assert not len(left) or full[left].max() <= full[top].min()
            assert np.array_equal(top, top_positive(index.question(question).raw, depth)) if len(top) else True


def test_top_keeps_the_lower_rows_among_ties_and_honours_allowed_rows() -> None:
    from index.store.lexical import top_positive

    scores = np.zeros(100_000, dtype=np.float32)
    scores[[5, 17, 40_000, 99_999]] = 3.0  # four tied at the top
    scores[::7] += 0.5  # many small positives, so the sampled cut path runs
    scores[[5, 17, 40_000, 99_999]] = 3.0
    assert top_positive(scores, 2).tolist() == [5, 17]
    assert top_positive(scores, 4).tolist() == [5, 17, 40_000, 99_999]
    assert top_positive(scores, 2, allowed=np.array([99_999, 40_000, 3])).tolist() == [40_000, 99_999]
    assert top_positive(np.zeros(10, dtype=np.float32), 3).tolist() == []
    np.testing.assert_array_equal(top_positive(scores, 5000), np.sort(top_positive(scores, 5000)))


def test_rows_are_scored_right_when_a_terms_postings_are_out_of_order() -> None:
    """Versions patched before postings were kept in row order hold some terms' postings out of order:
    scoring chosen rows must not assume the order (it falls back to a scan of that term's postings)."""
    index = LexicalIndex.build(_random_corpus(7))
    question = "common word3 word9"
    rows = np.arange(0, index.count, 7)
    expected = index.normalised(question)[rows]
    scores = index._bm25.scores
    for term in index.term_ids(question):  # shuffle each term's postings, keeping (row, score) pairs
        start, end = int(scores["indptr"][term]), int(scores["indptr"][term + 1])
        shuffle = np.random.default_rng(term).permutation(end - start)
        scores["indices"][start:end] = scores["indices"][start:end][shuffle]
        scores["data"][start:end] = scores["data"][start:end][shuffle]
    np.testing.assert_allclose(index.normalised(question)[rows], expected, rtol=1e-6)
    np.testing.assert_allclose(index.normalised_rows(question, rows), expected, rtol=1e-5, atol=1e-7)
