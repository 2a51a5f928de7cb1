"""Damaged and missing versions: found on load (sampled checksums), served around, rolled back from."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from index.errors import IndexCorrupt
from index.library import Library
from index.store.durability import wait_for_flushes
from index.store.layout import CURRENT, current_version, list_versions, pointed_version, version_path
from index.store.manifest import SAMPLE_BLOCK, SAMPLE_BLOCKS, Manifest, sampled_sha256
from index.store.state import StateStore
from tests.support.fakes import HashEncoder

TEXT = ("date 2024-0{month}-0{day} By Ann Smith, Example Post\ntitle {title}\n\n"
        "{title} was reported on Monday by several witnesses in the valley.\n\n"
        "Officials said the {word} would be looked at again next spring.\n")


def write(folder: Path, name: str, title: str, word: str, month: int = 3, day: int = 4) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(TEXT.format(title=title, word=word, month=month, day=day), encoding="utf-8")
    return path


@pytest.fixture()
def three_versions(tmp_path: Path) -> tuple[Path, Path, list[str]]:
    """An index with three versions of the same size (one word changed each time): corpus, index, names."""
    corpus = tmp_path / "corpus"
    write(corpus, "a.txt", "Floods in the north", "embankment")
    write(corpus, "b.txt", "A bridge closes", "bridge")
    library = Library(corpus, tmp_path / "idx", HashEncoder())
    names = [library.build()[1].version]
    for word in ("causeway", "viaduct"):
        write(corpus, "b.txt", "A bridge closes", word)
        names.append(library.refresh(fetch_feeds=False).version)
    wait_for_flushes()
    assert list_versions(tmp_path / "idx") == names
    return corpus, tmp_path / "idx", names


def test_sampled_checksum_sees_a_same_size_overwrite_and_damage_in_any_block(tmp_path: Path) -> None:
    path = tmp_path / "data.bin"
    data = bytes(range(256)) * (SAMPLE_BLOCKS * SAMPLE_BLOCK // 64)  # four times what is sampled
    path.write_bytes(data)
    digest = sampled_sha256(path)
    middle = (len(data) - SAMPLE_BLOCK) * (SAMPLE_BLOCKS // 2) // (SAMPLE_BLOCKS - 1) + 7  # inside a sampled block
    for offset in (0, middle, len(data) - 1):
        damaged = bytearray(data)
        damaged[offset] ^= 0xFF
        path.write_bytes(bytes(damaged))
        assert sampled_sha256(path) != digest, offset
    path.write_bytes(data[:-1] + b"\0")
    assert sampled_sha256(path) != digest
    small = tmp_path / "small.bin"
    small.write_bytes(b"abc")
    assert sampled_sha256(small) != sampled_sha256(path)


def test_a_same_size_overwrite_of_faiss_index_is_found_on_load(three_versions: tuple[Path, Path, list[str]],
                                                              caplog: pytest.LogCaptureFixture) -> None:
    corpus, index, names = three_versions
    served, older = version_path(index, names[-1]), version_path(index, names[-2])
    assert (served / "faiss.index").stat().st_size == (older / "faiss.index").stat().st_size
    assert (served / "faiss.index").read_bytes() != (older / "faiss.index").read_bytes()
    shutil.copyfile(older / "faiss.index", served / "faiss.index")  # same size, other vectors

    with pytest.raises(IndexCorrupt, match=r"faiss.index does not match its checksum"):
        Manifest.load(served)
    # a process that may write: the start-up check moves CURRENT to the newest intact version and says so
    with caplog.at_level(logging.ERROR):
        library = Library(corpus, index, HashEncoder())
        assert library.service.version == names[-2]
    assert f"index version {names[-1]} is damaged" in caplog.text and f"serving {names[-2]} instead" in caplog.text
    assert current_version(index) == names[-2]


def test_a_reader_serves_the_newest_intact_version_without_writing(three_versions: tuple[Path, Path, list[str]],
                                                                  monkeypatch: pytest.MonkeyPatch,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    """On an index it may not write, the reader falls back in memory: CURRENT stays, and the log says what to do."""
    import index.library as library_module

    corpus, index, names = three_versions
    vectors = version_path(index, names[-1]) / "vectors.npy"
    damaged = bytearray(vectors.read_bytes())
    damaged[-5] ^= 0xFF  # the last block is always sampled
    vectors.write_bytes(bytes(damaged))
    monkeypatch.setattr(library_module, "writable", lambda _folder: False)
    with caplog.at_level(logging.WARNING):
        library = Library(corpus, index, HashEncoder())
        assert library.service.version == names[-2]
        assert library.service.search("causeway spring", k=1).hits
    assert pointed_version(index) == names[-1]
    assert (f"{names[-1]} cannot be served" in caplog.text and f"serving {names[-2]}, the newest intact version"
            in caplog.text and "`newsbot rollback` makes it the current one" in caplog.text)
    assert library.reload_if_switched() is None  # the broken pointer is not loaded again and again


def test_current_naming_a_missing_version_falls_back_and_rollback_works(
        three_versions: tuple[Path, Path, list[str]], caplog: pytest.LogCaptureFixture) -> None:
    corpus, index, names = three_versions
    (index / CURRENT).write_text("v0099-20990101T000000\n")
    library = Library(corpus, index, HashEncoder())
    # `rollback` from that state: the newest version kept (the one CURRENT names is gone)
    assert library.rollback(actor="test") == names[-1]
    assert current_version(index) == names[-1]
    with StateStore(index) as state:
        entry = state.history(1)[0]
    assert entry.kind == "rollback" and entry.status == "ok" and entry.summary == (
        f"rolled back from v0099-20990101T000000 to {names[-1]}")

    # the version named is there but damaged: rollback goes to the one before it
    (version_path(index, names[-1]) / "meta.sqlite").write_bytes(b"\0" * 100)
    library = Library(corpus, index, HashEncoder())
    assert library.rollback(actor="test") == names[-2]

    # and a refresh finds a pointer to nothing, serves the newest intact version and brings it up to date
    (index / CURRENT).write_text("v0000-missing\n")
    with caplog.at_level(logging.ERROR):
        report = Library(corpus, index, HashEncoder()).refresh(fetch_feeds=False)
    assert "index version v0000-missing is missing" in caplog.text
    assert report.previous_version is not None and report.version == current_version(index)


def test_with_no_intact_version_the_message_says_build(three_versions: tuple[Path, Path, list[str]]) -> None:
    corpus, index, names = three_versions
    for name in names:
        (version_path(index, name) / "manifest.json").unlink()
    library = Library(corpus, index, HashEncoder())
    with pytest.raises(IndexCorrupt, match="run `newsbot build`"):
        library.service  # noqa: B018
    library.build()  # and a build starts afresh
    assert library.service.search("bridge", k=1).hits
