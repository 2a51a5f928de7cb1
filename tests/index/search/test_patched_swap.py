"""Swapping in a patched version reuses what the serving one holds (each row's article, each article's day)
and gets the same arrays as loading it from scratch."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

import index.search.service as service_module
from index.library import Library
from index.search.service import SearchService
from index.store.durability import wait_for_flushes
from index.store.layout import version_path
from index.store.manifest import PATCH_RECORD, Manifest
from tests.support.fakes import HashEncoder
from tests.support.refresh import age, bench_records, edit, write_records


def _same(a: SearchService, b: SearchService) -> None:
    assert a.article_ids == b.article_ids
    assert np.array_equal(a.retriever.article_of_row, b.retriever.article_of_row)
    assert np.array_equal(a.retriever.article_day, b.retriever.article_day, equal_nan=True)
    assert np.array_equal(a.retriever.passages_in_article, b.retriever.passages_in_article)
    assert a.newest_day == b.newest_day


@pytest.mark.parametrize("seed", [1, 2])
def test_a_patched_version_swapped_in_equals_one_loaded_from_scratch(tmp_path: Path, seed: int,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(seed)
    corpus = tmp_path / "corpus"
    paths = write_records(corpus, bench_records(30))
    age(corpus)
    enc = HashEncoder()
    library = Library(corpus, tmp_path / "idx", enc)
    library.refresh(fetch_feeds=False)
    library.service
    carried: list[bool] = []
    real = service_module._numbers_after_patch

    def spy(*args):  # noqa: ANN002, ANN202
        out = real(*args)
        carried.append(out is not None)
        return out

    monkeypatch.setattr(service_module, "_numbers_after_patch", spy)
    live = list(paths)
    for step in range(5):
        what = rng.choice(["edit", "remove", "add", "edit+remove"])
        if "edit" in what:
            edit(rng.choice(live), f"Step {step}: the council met again on the harbour wall.")
        if "remove" in what and len(live) > 5:
            gone = live.pop(rng.randrange(len(live)))  # more passages leave than come: rows move into holes
            gone.unlink()
        if what == "add":
            live += write_records(corpus / f"add{step}", bench_records(2, offset=200 + 10 * step))
        report = library.refresh(fetch_feeds=False)
        assert report.full_build_reason is None
        manifest = Manifest.load(version_path(tmp_path / "idx"))
        assert manifest.extra[PATCH_RECORD]["base"] == report.previous_version
        fresh = SearchService(version_path(tmp_path / "idx"), enc)
        _same(library.service, fresh)
        fresh.close()
    assert carried and all(carried)
    wait_for_flushes()


def test_a_version_that_is_not_a_patch_of_the_serving_one_is_read_in_full(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    paths = write_records(corpus, bench_records(12))
    age(corpus)
    enc = HashEncoder()
    library = Library(corpus, tmp_path / "idx", enc, keep_versions=4)
    first = library.refresh(fetch_feeds=False).version
    edit(paths[2], "One more paragraph.")
    library.refresh(fetch_feeds=False)
    edit(paths[3], "Another paragraph.")
    library.refresh(fetch_feeds=False)
    wait_for_flushes()
    older = SearchService(version_path(tmp_path / "idx", first), enc)
    # the newest version is a patch of the second, not of the first: nothing is carried over from the first
    newest = version_path(tmp_path / "idx")
    assert service_module._numbers_after_patch(older, Manifest.load(newest), library.service.meta) is None
    _same(SearchService(newest, enc, previous=older), SearchService(newest, enc))
    assert json.loads((newest / "manifest.json").read_text())["extra"][PATCH_RECORD]["base"] != first
