"""Sentence vectors embedded at build time: highlights cost no model pass, refreshes embed only new sentences."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest

from index.library import Library
from index.search.service import SearchService
from index.store.sentences import SentenceStore, passage_sentences
from tests.conftest import SEEDS
from tests.support.fakes import HashEncoder
from tests.support.refresh import age, bench_records, edit, write_records


def test_store_round_trip_and_what_it_lacks(tmp_path: Path) -> None:
    store = SentenceStore(tmp_path, "model-a")
    assert store.lookup(["x"]) == {} and store.known(["x"]) == set()  # nothing stored yet: nothing created
    assert not (tmp_path / "sentences").exists()
    vectors = np.random.default_rng(1).standard_normal((3, 8)).astype(np.float32)
    store.add(["h1", "h2", "h3"], vectors)
    again = SentenceStore(tmp_path, "model-a")  # another process
    found = again.lookup(["h3", "h1", "zz"])
    assert set(found) == {"h1", "h3"} and np.allclose(found["h3"], vectors[2], atol=1e-2)
    assert again.known(["h2", "zz"]) == {"h2"}
    assert SentenceStore(tmp_path, "model-b").lookup(["h1"]) == {}  # another model never sees them


def test_a_lost_shard_means_embedding_at_question_time_not_an_error(tmp_path: Path,
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    store = SentenceStore(tmp_path, "m")
    store.add(["h1"], np.ones((1, 4), dtype=np.float32))
    for shard in store.folder.glob("shard-*.npy"):
        shard.unlink()
    # a shard left behind by a crash before its hashes were committed is simply unused
    (store.folder / "shard-orphan.npy").write_bytes(b"partial")
    with caplog.at_level(logging.WARNING):
        assert SentenceStore(tmp_path, "m").lookup(["h1"]) == {}
    assert "embedded when asked" in caplog.text


def test_highlights_use_stored_sentence_vectors_only(tmp_path: Path) -> None:
    encoder = HashEncoder()
    Library(SEEDS, tmp_path / "idx", encoder).build()
    fresh = HashEncoder()  # a new process: only the question may reach the model
    service = SearchService.open(tmp_path / "idx", fresh)
    result = service.search("Who flew drones toward the Kremlin?", k=3)
    assert fresh.calls == [1] and all(h.highlight is not None for h in result.hits)
    # the same highlights as embedding the sentences at question time
    bare = SearchService.open(tmp_path / "idx", HashEncoder())
    bare.highlighter.store = None
    question = "Who flew drones toward the Kremlin?"
    again = bare.highlighter.highlight(question, bare.embed_query(question),
                                       [(h.passage, h.article) for h in result.hits])
    assert again == [h.highlight for h in result.hits]


def test_a_refresh_embeds_only_the_new_sentences(tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    paths = write_records(folder, bench_records(6))
    age(folder)
    encoder = HashEncoder()
    library = Library(folder, tmp_path / "idx", encoder)
    first = library.refresh()
    assert first.stats.extra["sentences"]["embedded"] == first.stats.extra["sentences"]["sentences"] > 0
    edit(paths[2], "A closing sentence about zebras migrating north. And one more about their calves.")
    second = library.refresh()
    done = second.stats.extra["sentences"]
    assert done["embedded"] == 2 and second.stats.writers_embed_seconds >= 0
    article_id = json.loads(paths[2].read_text())["id"]
    article = library.service.meta.article(article_id)
    sentences = [s for _, p in library.service.meta.passages_of(article_id) for s in passage_sentences(article, p)]
    store = SentenceStore(tmp_path / "idx", encoder.info.fingerprint)
    assert store.known([store.key(s) for s in sentences]) == {store.key(s) for s in sentences}


def test_a_damaged_store_never_breaks_an_answer(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    encoder = HashEncoder()
    Library(SEEDS, tmp_path / "idx", encoder).build()
    for path in (tmp_path / "idx" / "sentences").rglob("index.sqlite*"):
        path.write_bytes(b"not a database at all" * 100)
    fresh = HashEncoder()
    with caplog.at_level(logging.WARNING):
        result = SearchService.open(tmp_path / "idx", fresh).search("Who flew drones toward the Kremlin?", k=3)
    assert all(h.highlight is not None for h in result.hits) and len(fresh.calls) == 2  # question, then sentences
    assert "highlights embed their sentences when asked" in caplog.text


def test_a_store_that_cannot_be_written_does_not_stop_a_build(tmp_path: Path,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "idx").mkdir()
    (tmp_path / "idx" / "sentences").write_text("a file where the store's folder should be")
    with caplog.at_level(logging.WARNING):
        _, stats = Library(SEEDS, tmp_path / "idx", HashEncoder()).build()
    assert stats.passages > 0 and "error" in stats.extra["sentences"]
    assert "published anyway" in caplog.text
