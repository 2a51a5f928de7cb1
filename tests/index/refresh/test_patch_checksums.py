"""A patched version's block checksums: only the blocks it wrote are hashed, yet they equal a from-scratch
hash of its files; damage in any block is still found; earlier versions are never touched."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

import index.refresh.patch as patch_module
import index.store.manifest as manifest_module
from index.errors import IndexCorrupt
from index.library import Library
from index.store.durability import wait_for_flushes
from index.store.layout import list_versions, version_path
from index.store.manifest import Manifest, block_sha256, patched_block_sha256
from index.store.metadata import META_FILE
from index.store.vectors import VECTORS_FILE
from tests.support.fakes import HashEncoder
from tests.support.refresh import age, bench_records, edit, version_content, write_records

SMALL_BLOCK = 4096  # one SQLite page: every version of the test corpus spans many blocks


@pytest.fixture()
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(manifest_module, "BLOCK_SIZE", SMALL_BLOCK)


def _files_of(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def test_block_digests_of_a_patch_equal_a_fresh_hash_and_reuse_the_base(tmp_path: Path, small_blocks: None,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = tmp_path / "corpus"
    paths = write_records(corpus, bench_records(40))
    age(corpus)
    library = Library(corpus, tmp_path / "idx", HashEncoder())
    library.refresh(fetch_feeds=False)
    hashed: list[tuple[str, int]] = []  # (file, blocks read) of every patched_block_sha256 call
    real = manifest_module.block_sha256

    def counting(path: Path, block_size: int | None = None, reuse=()) -> list[str]:  # noqa: ANN001
        hashed.append((path.name, sum(1 for r in reuse if r is None) if reuse else -1))
        return real(path, block_size, reuse)

    monkeypatch.setattr(manifest_module, "block_sha256", counting)
    monkeypatch.setattr(patch_module, "block_sha256", counting)
    for step in range(4):  # edits, a removal and an addition: rows rewritten, moved and appended
        edit(paths[5 + step], f"Revision {step}: a closing paragraph about lighthouse keepers and their logs.")
        if step == 1:
            paths[20].unlink()
        if step == 2:
            write_records(corpus / "more", bench_records(3, offset=100))
        hashed.clear()
        report = library.refresh(fetch_feeds=False)
        read = {name: n for name, n in hashed if name in (META_FILE, VECTORS_FILE)}  # by the patch itself
        # the lexical index's big arrays were hashed from memory as they were written, not read back
        assert not {"bm25.data.npy", "bm25.indices.npy", "bm25.tf.npy"} & {name for name, _ in hashed}, hashed
        assert report.full_build_reason is None and report.stats is not None
        folder = version_path(tmp_path / "idx")
        manifest = Manifest.load(folder)
        for name, record in manifest.files.items():
            assert record["block_size"] == SMALL_BLOCK
            assert record["blocks"] == real(folder / name, SMALL_BLOCK), (step, name)
        manifest.verify(folder)
        total = {name: len(manifest.files[name]["blocks"]) for name in read}
        # the metadata and the vectors re-hash only the blocks the patch wrote
        assert 0 <= read[META_FILE] < total[META_FILE] // 2, (step, read, total)
        assert 0 <= read[VECTORS_FILE] < total[VECTORS_FILE] // 2, (step, read, total)
    wait_for_flushes()


def test_damage_in_any_block_of_a_patched_version_is_found(tmp_path: Path, small_blocks: None) -> None:
    corpus = tmp_path / "corpus"
    paths = write_records(corpus, bench_records(30))
    age(corpus)
    library = Library(corpus, tmp_path / "idx", HashEncoder())
    library.refresh(fetch_feeds=False)
    edit(paths[3], "A new paragraph on harbour walls.")
    library.refresh(fetch_feeds=False)
    wait_for_flushes()
    folder = version_path(tmp_path / "idx")
    manifest = Manifest.load(folder)
    for name in (META_FILE, VECTORS_FILE):
        path = folder / name
        data = path.read_bytes()
        blocks = len(manifest.files[name]["blocks"])
        for block in (0, blocks // 2, blocks - 1):  # an untouched block (reused digest) among them
            offset = min(block * SMALL_BLOCK + 100, len(data) - 1)
            damaged = bytearray(data)
            damaged[offset] ^= 0x01
            path.write_bytes(bytes(damaged))
            with pytest.raises(IndexCorrupt, match=f"block {block} "):
                manifest.verify(folder)
        path.write_bytes(data)
    manifest.verify(folder)


def test_patched_block_sha256_reuses_only_untouched_blocks_of_the_same_span(tmp_path: Path,
                                                                             small_blocks: None) -> None:
    rng = np.random.default_rng(7)
    base = tmp_path / "base.bin"
    base.write_bytes(rng.bytes(10 * SMALL_BLOCK + 123))
    record = {"size": base.stat().st_size, "block_size": SMALL_BLOCK, "blocks": block_sha256(base)}
    for new_size in (10 * SMALL_BLOCK + 123, 10 * SMALL_BLOCK + 500, 7 * SMALL_BLOCK, 12 * SMALL_BLOCK + 1):
        data = bytearray(base.read_bytes())
        data[3 * SMALL_BLOCK + 5: 3 * SMALL_BLOCK + 9] = b"XXXX"
        data = (data + rng.bytes(max(0, new_size - len(data))))[:new_size]
        patched = tmp_path / "patched.bin"
        patched.write_bytes(bytes(data))
        written = [(3 * SMALL_BLOCK + 5, 3 * SMALL_BLOCK + 9), (record["size"], max(record["size"], new_size))]
        assert patched_block_sha256(patched, record, written) == block_sha256(patched), new_size
    # a manifest written before block digests (one sha256 per file): every block is hashed
    assert patched_block_sha256(base, {"size": record["size"], "sha256": "0" * 64}, []) == record["blocks"]


def test_patches_never_change_earlier_versions_and_rollback_serves_each(tmp_path: Path, small_blocks: None) -> None:
    corpus = tmp_path / "corpus"
    paths = write_records(corpus, bench_records(25))
    age(corpus)
    library = Library(corpus, tmp_path / "idx", HashEncoder(), keep_versions=5)
    names = [library.refresh(fetch_feeds=False).version]
    snapshots = {names[0]: _files_of(version_path(tmp_path / "idx", names[0]))}
    contents = {names[0]: version_content(version_path(tmp_path / "idx", names[0]))}
    for step in range(3):
        edit(paths[step], f"Update {step}: the ferry timetable changed again.")
        name = library.refresh(fetch_feeds=False).version
        names.append(name)
        wait_for_flushes()
        snapshots[name] = _files_of(version_path(tmp_path / "idx", name))
        contents[name] = version_content(version_path(tmp_path / "idx", name))
        for earlier in names[:-1]:  # no patch wrote into a version published before it
            assert _files_of(version_path(tmp_path / "idx", earlier)) == snapshots[earlier], (step, earlier)
            assert os.stat(version_path(tmp_path / "idx", earlier) / META_FILE).st_nlink == 1
    assert list_versions(tmp_path / "idx") == names
    for target in reversed(names[:-1]):
        assert library.rollback(to=target) == target
        library.reload()
        assert library.service.version == target
        assert version_content(version_path(tmp_path / "idx")) == contents[target]
        ids = {json.loads(p.read_text())["id"] for p in paths[:3]}
        for article_id in ids:  # each version answers with its own text of the edited articles
            texts = " ".join(p.text for _, p in library.service.meta.passages_of(article_id))
            step = names.index(target)
            for k in range(3):
                assert (f"Update {k}:" in texts) == (k < step and article_id == json.loads(paths[k].read_text())["id"])


def test_a_manifest_with_whole_file_checksums_still_verifies_and_is_patched(tmp_path: Path) -> None:
    """Versions written before block checksums (one sha256 per file) verify, find damage, and patch."""
    import hashlib

    corpus = tmp_path / "corpus"
    paths = write_records(corpus, bench_records(12))
    age(corpus)
    library = Library(corpus, tmp_path / "idx", HashEncoder())
    library.refresh(fetch_feeds=False)
    wait_for_flushes()
    folder = version_path(tmp_path / "idx")
    data = json.loads((folder / "manifest.json").read_text())
    for name, record in data["files"].items():  # as an older newsbot wrote it
        del record["blocks"], record["block_size"]
        record["sha256"] = hashlib.sha256((folder / name).read_bytes()).hexdigest()
    (folder / "manifest.json").write_text(json.dumps(data))
    Manifest.load(folder).verify(folder)
    vectors = folder / VECTORS_FILE
    original = vectors.read_bytes()
    vectors.write_bytes(original[:-1] + bytes([original[-1] ^ 1]))
    with pytest.raises(IndexCorrupt, match="does not match its checksum"):
        Manifest.load(folder).verify(folder)
    vectors.write_bytes(original)
    edit(paths[1], "A paragraph added after the upgrade.")
    report = library.refresh(fetch_feeds=False)
    assert report.full_build_reason is None
    patched = version_path(tmp_path / "idx")
    manifest = Manifest.load(patched)
    assert all(record["blocks"] == block_sha256(patched / name) for name, record in manifest.files.items())
    manifest.verify(patched)
    wait_for_flushes()


def test_the_largest_files_are_copied_once_while_planning_and_no_scratch_is_left(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    import index.refresh.steps as steps_module

    corpus = tmp_path / "corpus"
    paths = write_records(corpus, bench_records(15))
    age(corpus)
    library = Library(corpus, tmp_path / "idx", HashEncoder())
    library.refresh(fetch_feeds=False)
    copies: list[tuple[str, str]] = []
    real_copy = shutil.copyfile

    def counting(src, dst, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        copies.append((Path(src).name, __import__("threading").current_thread().name))
        return real_copy(src, dst, *args, **kwargs)

    monkeypatch.setattr(shutil, "copyfile", counting)
    edit(paths[2], "A paragraph about the lifeboat station.")
    report = library.refresh(fetch_feeds=False)
    assert report.full_build_reason is None
    big = [c for c in copies if c[0] in (META_FILE, VECTORS_FILE)]
    assert sorted(name for name, _ in big) == [META_FILE, VECTORS_FILE]  # each once, by the copy ahead
    assert all(thread == "copy-ahead" for _, thread in big)
    folder = version_path(tmp_path / "idx")
    Manifest.load(folder).verify(folder)
    # a file touched without changing: the copy ahead starts, nothing is published, nothing is left behind
    paths[4].write_text(paths[4].read_text())
    os.utime(paths[4], ns=(paths[4].stat().st_atime_ns, paths[4].stat().st_mtime_ns + 5_000_000_000))
    report = library.refresh(fetch_feeds=False)
    assert report.stats is None
    versions = (tmp_path / "idx" / "versions")
    assert [p.name for p in versions.iterdir() if p.name.startswith(".")] == []
    wait_for_flushes()


def test_a_long_lived_library_patches_from_a_standby_copy_made_after_the_last_refresh(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`keep_standby_copies`: after a publish the new version's largest files are copied in the background; the
    next refresh's patch adopts them (no copy while it plans) and its version is the same as without them; a
    refresh that publishes nothing keeps the copy; a copy of a version that no longer serves is removed."""
    import index.refresh.refresh as refresh_module

    corpus = tmp_path / "corpus"
    paths = write_records(corpus, bench_records(15))
    age(corpus)
    library = Library(corpus, tmp_path / "idx", HashEncoder())
    library.refresh(fetch_feeds=False)
    library.keep_standby_copies()
    versions = tmp_path / "idx" / "versions"
    # a refresh that copies while it plans and then publishes nothing leaves nothing behind
    paths[6].write_text(paths[6].read_text())
    os.utime(paths[6], ns=(paths[6].stat().st_atime_ns, paths[6].stat().st_mtime_ns + 5_000_000_000))
    assert library.refresh(fetch_feeds=False).stats is None
    assert [p.name for p in versions.iterdir() if p.name.startswith(".")] == []

    def standby() -> list[Path]:
        return [p for p in versions.iterdir() if "-standby-" in p.name]

    edit(paths[2], "A paragraph about the lifeboat station.")
    library.refresh(fetch_feeds=False)  # publishes without a standby copy, then starts one of its version
    library.wait_for_standby_copies()
    [waiting] = standby()
    serving = version_path(tmp_path / "idx")
    for name in (META_FILE, VECTORS_FILE):
        assert (waiting / name).read_bytes() == (serving / name).read_bytes()
    started: list[Path] = []
    real_ahead = refresh_module.CopyAhead
    monkeypatch.setattr(refresh_module, "CopyAhead", lambda *a, **k: started.append(a[1]) or real_ahead(*a, **k))
    # a refresh that publishes nothing (a file touched, not changed) keeps the standby copy
    paths[4].write_text(paths[4].read_text())
    os.utime(paths[4], ns=(paths[4].stat().st_atime_ns, paths[4].stat().st_mtime_ns + 5_000_000_000))
    assert library.refresh(fetch_feeds=False).stats is None
    assert standby() == [waiting] and started == []
    # the next patch adopts it: no copy while planning, and the version equals one patched the usual way
    edit(paths[3], "A paragraph about the harbour master's logbook.")
    report = library.refresh(fetch_feeds=False)
    assert report.full_build_reason is None and started == []
    assert not waiting.exists()  # it became the published version
    folder = version_path(tmp_path / "idx")
    Manifest.load(folder).verify(folder)
    twin = Library(corpus, tmp_path / "twin-idx", HashEncoder())  # the same corpus, built from scratch
    twin.refresh(fetch_feeds=False)
    assert version_content(folder) == version_content(version_path(tmp_path / "twin-idx"))
    # another process publishes (here: a rollback): the standby copy of the old version is removed unused
    library.wait_for_standby_copies()
    [newer] = standby()
    library.rollback(actor="test")
    edit(paths[5], "A paragraph about the fog signal.")
    library.refresh(fetch_feeds=False)
    assert not newer.exists() and len(started) == 1  # copied while planning, as without a standby copy
    library.drop_standby_copies()
    assert standby() == []
    wait_for_flushes()


def test_a_standby_folder_left_by_a_process_with_this_pid_is_removed(tmp_path: Path) -> None:
    """A restarted process often gets the pid of the one before (a container's pid 1): a standby folder named
    with this pid that this process does not hold is that process's leftover, removed by the next refresh;
    the one it holds is kept."""
    corpus = tmp_path / "corpus"
    paths = write_records(corpus, bench_records(8))
    age(corpus)
    library = Library(corpus, tmp_path / "idx", HashEncoder())
    library.refresh(fetch_feeds=False)
    versions = tmp_path / "idx" / "versions"
    leftover = versions / f".tmp-{os.getpid()}-standby-0badf00d"
    leftover.mkdir()
    (leftover / VECTORS_FILE).write_bytes(b"x" * 1000)
    library.keep_standby_copies()
    edit(paths[1], "A paragraph about the keeper's cottage.")
    library.refresh(fetch_feeds=False)
    assert not leftover.exists()
    library.wait_for_standby_copies()
    [held] = [p for p in versions.iterdir() if "-standby-" in p.name]
    edit(paths[2], "A paragraph about the foghorn.")
    library.refresh(fetch_feeds=False)  # adopts the held copy, then holds a new one
    [newer] = [p for p in versions.iterdir() if "-standby-" in p.name]
    assert newer != held
    library.drop_standby_copies()
    assert [p for p in versions.iterdir() if "-standby-" in p.name] == []
    wait_for_flushes()
