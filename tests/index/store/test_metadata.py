"""A patched version's metadata: edited through `MetadataPatch` only, all or nothing, rows checked."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from index.library import Library
from index.store.layout import version_path
from index.store.metadata import MetadataPatch, MetadataStore
from tests.conftest import SEEDS
from tests.support.fakes import HashEncoder


@pytest.fixture()
def base(tmp_path: Path) -> Path:
    Library(SEEDS, tmp_path / "idx", HashEncoder()).build()
    return version_path(tmp_path / "idx")


def test_a_failed_edit_changes_nothing(base: Path, tmp_path: Path) -> None:
    store = MetadataStore(base)
    try:
        pairs, before = store.pairs(), store.counts()
    finally:
        store.close()
    article, passage = pairs[0]
    (tmp_path / "new").mkdir()
    with MetadataPatch(base, tmp_path / "new") as meta:
        n = meta.passage_count()
        assert n == before.passages and meta.rows_of_articles([article.id]) == list(range(len([
            p for a, p in pairs if a.id == article.id])))
        with pytest.raises(sqlite3.IntegrityError):  # two passages in row 0: the deletion is undone too
            meta.apply([article.id], [], [article], [(0, passage, "h"), (0, pairs[1][1], "h")], {},
                       "2024-01-01T00:00:00+00:00")
        meta.verify_rows(n)
        assert len(meta.fingerprints()) == before.articles
        with pytest.raises(RuntimeError, match="expected 0"):
            meta.verify_rows(n + 1)
    again = MetadataStore(tmp_path / "new")
    try:
        assert again.counts() == before and [p.id for _, p in again.pairs()] == [p.id for _, p in pairs]
    finally:
        again.close()


def test_known_vectors_by_embed_hash(base: Path, tmp_path: Path) -> None:
    store = MetadataStore(base)
    try:
        rows = list(store.iter_passage_rows())
    finally:
        store.close()
    (tmp_path / "new").mkdir()
    with MetadataPatch(base, tmp_path / "new") as meta:
        known = meta.known_vectors([rows[-1][3], "not a hash", rows[0][3]])
    assert known == {rows[-1][3]: rows[-1][0], rows[0][3]: rows[0][0]}


def test_article_numbers_give_each_row_its_article(base: Path) -> None:
    store = MetadataStore(base)
    try:
        numbers = store.article_numbers()
        pairs = store.pairs()
    finally:
        store.close()
    assert numbers.ids == sorted({a.id for a, _ in pairs}) and numbers.of_row.dtype.name == "int64"
    assert [numbers.ids[n] for n in numbers.of_row] == [a.id for a, _ in pairs]  # row order, every row


def test_listings_without_bodies_and_outlets_read_no_text(tmp_path) -> None:  # noqa: ANN001
    """A listing without bodies holds the same attribution; the outlet filter reads one column, not every body."""
    from index.store.metadata import MetadataStore
    from tests.support.fakes import HashEncoder
    from tests.support.refresh import bench_records, write_records
    from index.library import Library

    folder = tmp_path / "corpus"
    write_records(folder, bench_records(6))
    library = Library(folder, tmp_path / "index", HashEncoder())
    library.refresh()
    full = library.service.articles()
    bare = library.service.articles(with_text=False)
    assert [a.id for a in bare] == [a.id for a in full] and all(a.text for a in full)
    assert all(a.text == "" for a in bare)
    assert [(a.title, a.outlet, a.authors, a.published, a.url) for a in bare] == \
        [(a.title, a.outlet, a.authors, a.published, a.url) for a in full]
    store: MetadataStore = library.service.meta
    assert store.outlets() == {a.outlet for a in full}
