"""Incremental refresh with the fast fake encoder: plan, patch = full build, dry run, dedup, lock, rollback."""

from __future__ import annotations

import json
import random
from pathlib import Path

import faiss
import numpy as np
import pytest

from corpus.folder.scan import reader_signature
from index.errors import IndexBusy, IndexCorrupt, IndexMissing
from index.store.layout import current_version, list_versions, version_path
from index.library import Library
from index.store.lock import RefreshLock
from index.store.manifest import Manifest
from index.store.state import StateStore
from index.search.service import SearchService
from tests.support.fakes import HashEncoder
from tests.support.refresh import age, bench_records, edit, lexical_scores, version_content, write_records


@pytest.fixture()
def corpus(tmp_path: Path) -> tuple[Path, list[Path]]:
    folder = tmp_path / "corpus"
    paths = write_records(folder, bench_records(30))
    age(folder)
    return folder, paths


def test_first_refresh_builds_then_nothing_to_do(corpus, tmp_path: Path) -> None:  # noqa: ANN001
    folder, _ = corpus
    enc = HashEncoder()
    library = Library(folder, tmp_path / "idx", enc)
    stages: list[str] = []
    first = library.refresh(progress=lambda s, d, t: stages.append(s), actor="alice")
    assert len(first.plan.new) == 30 and first.stats is not None and first.full_build_reason == "no index yet"
    assert {"read", "embedding", "writing", "switching"} <= set(stages)
    calls = len(enc.calls)
    second = library.refresh(actor="alice")
    assert second.stats is None and second.version == first.version and len(enc.calls) == calls
    assert second.summary_lines()[0] == "added 0, updated 0, removed 0, unchanged 30"
    assert second.summary_lines()[-1].startswith(f"nothing to do: index {first.version} is up to date")
    assert list_versions(tmp_path / "idx") == [first.version]


def test_one_change_embeds_only_what_changed(corpus, tmp_path: Path) -> None:  # noqa: ANN001
    folder, paths = corpus
    enc = HashEncoder()
    library = Library(folder, tmp_path / "idx", enc)
    library.refresh()
    before = library.service
    edit(paths[3], "A brand new closing paragraph about zebras migrating north.")
    paths[7].unlink()
    new = write_records(folder / "sub", bench_records(1, offset=40))
    enc.calls.clear()
    report = library.refresh(actor="bob")
    plan = report.plan
    assert ([e.source for e in plan.changed], [e.source for e in plan.removed], [e.source for e in plan.new]) == (
        [f"{paths[3]}:1"], [f"{paths[7]}:1"], [f"{new[0]}:1"])
    assert report.full_build_reason is None and report.stats is not None
    # the new article's passages and the edited one's last, and the sentences never embedded before
    assert report.stats.embedded < 30
    assert sum(enc.calls) == report.stats.embedded + report.stats.extra["sentences"]["embedded"]
    assert library.service is not before and library.service.version == report.version
    edited_id = json.loads(paths[3].read_text())["id"]
    assert any("zebras migrating north" in p.text for _, p in library.service.meta.passages_of(edited_id))
    assert library.service.meta.passages_of(json.loads(paths[7].read_text() if paths[7].exists() else "{}")
                                            .get("id", "gone")) == []
    assert report.summary_lines()[0] == "added 1, updated 1, removed 1, unchanged 28"
    folder_v = version_path(tmp_path / "idx")
    Manifest.load(folder_v).verify(folder_v)
    # the old version still answers for whoever holds it
    assert before.search("zebras", k=1).index_version != report.version


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_patched_version_equals_a_full_build(tmp_path: Path, seed: int) -> None:
    """Random edits, removals and additions (growing and shrinking): the patch holds what a full build holds."""
    rng = random.Random(seed)
    folder = tmp_path / "corpus"
    paths = write_records(folder, bench_records(25))
    age(folder)
    spare = bench_records(10, offset=30)
    library = Library(folder, tmp_path / "idx", HashEncoder(), keep_versions=10)
    library.refresh()
    for step in range(4):
        alive = [p for p in paths if p.exists()]
        for p in rng.sample(alive, rng.randint(0, 3)):
            edit(p, f"Step {step}: " + " ".join(rng.choice(["storm", "court", "rates", "vote"]) for _ in range(40)))
        for p in rng.sample(alive, rng.randint(0, 3)):
            p.unlink(missing_ok=True)
        if spare and rng.random() < 0.7:
            paths += write_records(folder, [spare.pop()])
        report = library.refresh()
        assert report.full_build_reason is None
        fresh = Library(folder, tmp_path / f"full-{step}", HashEncoder())
        fresh.build()
        served = version_path(tmp_path / "idx")
        assert version_content(served) == version_content(version_path(tmp_path / f"full-{step}"))
        flat = faiss.read_index(str(served / "faiss.index"))
        assert np.array_equal(flat.reconstruct_n(0, flat.ntotal), np.load(served / "vectors.npy"))
        manifest = Manifest.load(version_path(tmp_path / "idx"))
        assert manifest.corpus_fingerprint == Manifest.load(version_path(tmp_path / f"full-{step}")).corpus_fingerprint
        assert manifest.extra["lexical"]["files"] and "bm25.tf.npy" in manifest.files
        for question in ("storm court vote", "What did the president say about rates?", "zebra"):
            patched, full = lexical_scores(served, question), lexical_scores(version_path(tmp_path / f"full-{step}"),
                                                                             question)
            assert patched.keys() == full.keys()
            assert np.allclose([patched[k] for k in full], list(full.values()), rtol=1e-5, atol=1e-7)


def test_a_build_takes_the_refresh_path(corpus, tmp_path: Path) -> None:  # noqa: ANN001
    """`newsbot build`: the refresh's lock, file records and history; always a new version, written in full."""
    folder, paths = corpus
    enc = HashEncoder()
    library = Library(folder, tmp_path / "idx", enc)
    stages: list[str] = []
    loaded, first = library.build(progress=lambda s, d, t: stages.append(s), actor="erin")
    assert len(loaded.articles) == first.articles == 30 and loaded.files_read == 30 and not loaded.problems
    assert first.embedded == first.passages
    assert {"read", "embedding", "sentences", "writing", "switching"} <= set(stages)
    with StateStore(tmp_path / "idx") as state:
        assert len(state.file_records(reader_signature())) == 30  # so the next refresh parses nothing
    calls = len(enc.calls)
    assert library.refresh().stats is None and len(enc.calls) == calls
    edit(paths[0], "A closing paragraph about zebras migrating north.")
    age(folder)
    _, second = library.build()
    assert second.version != first.version and 0 < second.embedded < first.embedded
    assert current_version(tmp_path / "idx") == library.service.version == second.version
    _, third = library.build(reuse=False)  # --rebuild: everything embedded again
    assert third.embedded == third.passages
    history = library.history()
    assert [(h.kind, h.status) for h in history] == [("build", "ok"), ("build", "ok"), ("refresh", "nothing to do"),
                                                     ("build", "ok")]
    assert history[-1].actor == "erin" and history[-1].added == 30 and history[1].updated == 1
    assert "rebuilt in full (a full build was asked for)" in history[1].summary
    with RefreshLock(tmp_path / "idx", actor="carol"):
        with pytest.raises(IndexBusy, match="by carol"):
            library.build()
    assert library.history(1)[0].id == history[0].id  # refused before it started: nothing recorded


def test_a_build_reports_problems_and_duplicates_as_a_load_does(tmp_path: Path) -> None:
    from corpus.readers.loader import load_corpus

    folder = tmp_path / "corpus"
    folder.mkdir()
    story = "The central bank raised interest rates by half a point on Wednesday.\n\nMarkets fell sharply."
    for name, outlet in (("ap", "AP"), ("cnn", "CNN")):
        (folder / f"{name}.jsonl").write_text(json.dumps({"text": story, "outlet": outlet, "title": "Rates"}) + "\n")
    (folder / "bad.jsonl").write_text('{"text": "ok", "outlet": "X"}\n{not json}\n')
    loaded, stats = Library(folder, tmp_path / "idx", HashEncoder()).build()
    expected = load_corpus(folder)
    assert [a.id for a in loaded.articles] == [a.id for a in expected.articles] and stats.articles == 2
    assert [a.also_published_by for a in loaded.articles] == [a.also_published_by for a in expected.articles]
    assert [p.message for p in loaded.problems] == [p.message for p in expected.problems]
    assert [(d.source, k.source) for d, k in loaded.duplicates] == [(d.source, k.source)
                                                                   for d, k in expected.duplicates]
    assert loaded.files_read == expected.files_read == 3 and loaded.copies == expected.copies


def test_a_writer_that_cannot_patch_writes_from_every_passage(corpus, tmp_path: Path) -> None:  # noqa: ANN001
    folder, paths = corpus
    calls: list[tuple[int, int, bool]] = []

    def count_rows(_folder: Path, pairs, texts, progress=None) -> dict:  # noqa: ANN001
        calls.append((len(pairs), len(texts), progress is not None))
        return {"rows": len(pairs)}

    library = Library(folder, tmp_path / "idx", HashEncoder(), extra_writers={"rows": count_rows})
    library.refresh()
    edit(paths[0], "A closing paragraph about zebras migrating north.")
    report = library.refresh(progress=lambda s, d, t: None)
    n = report.stats.passages
    assert report.full_build_reason is None and calls[-1] == (n, n, True)
    assert report.stats.extra["rows"] == {"rows": n} and Manifest.load(version_path(tmp_path / "idx")).extra["rows"]


def test_dry_run_changes_nothing(corpus, tmp_path: Path) -> None:  # noqa: ANN001
    folder, paths = corpus
    library = Library(folder, tmp_path / "idx", HashEncoder())
    library.refresh()
    version = current_version(tmp_path / "idx")
    edit(paths[0], "More text.")
    report = library.refresh(dry_run=True)
    assert report.dry_run and report.stats is None and [e.source for e in report.plan.changed] == [f"{paths[0]}:1"]
    assert report.summary_lines()[0].startswith("would be: added 0, updated 1")
    assert report.summary_lines()[-1] == f"dry run: nothing changed; index {version} keeps serving"
    assert list_versions(tmp_path / "idx") == [version]
    assert [h.kind for h in library.history()] == ["dry run", "refresh"]


def test_dry_run_before_any_index(corpus, tmp_path: Path) -> None:  # noqa: ANN001
    report = Library(corpus[0], tmp_path / "idx", HashEncoder()).refresh(dry_run=True)
    assert len(report.plan.new) == 30 and not (tmp_path / "idx" / "CURRENT").exists()


def test_syndicated_copies_and_unreadable_files(tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    story = "The central bank raised interest rates by half a point on Wednesday.\n\nMarkets fell sharply."
    for name, outlet, day in (("ap", "AP", "2024-01-01"), ("cnn", "CNN", "2024-01-02"), ("bbc", "BBC", "2024-01-03")):
        (folder / f"{name}.jsonl").write_text(json.dumps({"text": story, "outlet": outlet, "published": day,
                                                          "title": "Rates rise"}) + "\n")
    (folder / "bad.jsonl").write_text('{"text": "ok", "outlet": "X"}\n{not json}\n')
    (folder / "notes.docx").write_bytes(b"PK")
    age(folder)
    library = Library(folder, tmp_path / "idx", HashEncoder())
    report = library.refresh()
    assert len(report.plan.new) == 2  # the story once, and bad.jsonl's good first line
    [hit] = [h for h in library.service.search("central bank rates", k=3).hits if h.article.outlet == "AP"][:1]
    assert hit.article.also_published_by == ("BBC", "CNN")
    assert hit.to_dict()["article"]["also_published_by"] == ["BBC", "CNN"]
    lines = report.summary_lines()
    assert lines[0].startswith("added 2, updated 0, removed 0, unchanged 0; skipped 2:")
    assert any(f"{folder / 'bad.jsonl'}:2: the line is not valid JSON" in line for line in lines)
    assert any("notes.docx: no reader for .docx" in line for line in lines)
    assert sum("also publishing it" in line for line in lines) == 2
    # a copy disappears: the kept article's outlets are updated without re-embedding
    (folder / "bbc.jsonl").unlink()
    again = library.refresh()
    assert [e.note for e in again.plan.relabelled] == ["also published by CNN"] and again.stats.embedded == 0
    assert library.service.articles()[0].also_published_by in (("CNN",), ())


def test_busy_lock_is_refused_politely(corpus, tmp_path: Path) -> None:  # noqa: ANN001
    library = Library(corpus[0], tmp_path / "idx", HashEncoder())
    with RefreshLock(tmp_path / "idx", actor="carol"):
        with pytest.raises(IndexBusy, match=r"a refresh started .* by carol .* is already running.*keeps answering"):
            library.refresh()
    assert library.refresh().stats is not None  # released


def test_rollback_and_pruning(corpus, tmp_path: Path) -> None:  # noqa: ANN001
    folder, paths = corpus
    library = Library(folder, tmp_path / "idx", HashEncoder(), keep_versions=2)
    v1 = library.refresh().version
    with pytest.raises(IndexMissing, match="nothing to roll back to"):
        library.rollback()
    edit(paths[0], "Second version text.")
    v2 = library.refresh().version
    edit(paths[1], "Third version text.")
    v3 = library.refresh().version
    assert list_versions(tmp_path / "idx") == [v2, v3] and v1 not in list_versions(tmp_path / "idx")
    assert library.rollback(actor="dave") == v2
    assert library.service.version == v2 == current_version(tmp_path / "idx")
    kinds = [(h.kind, h.status, h.actor) for h in library.history(3)]
    assert kinds[0] == ("rollback", "ok", "dave")
    # the next refresh starts from the version rolled back to and catches up with the folder
    report = library.refresh()
    assert [e.source for e in report.plan.changed] == [f"{paths[1]}:1"]


def test_rollback_skips_a_damaged_version(corpus, tmp_path: Path) -> None:  # noqa: ANN001
    folder, paths = corpus
    library = Library(folder, tmp_path / "idx", HashEncoder(), keep_versions=5)
    v1 = library.refresh().version
    edit(paths[0], "x y z")
    v2 = library.refresh().version
    edit(paths[0], "x y z w")
    library.refresh()
    meta = version_path(tmp_path / "idx", v2) / "meta.sqlite"
    data = bytearray(meta.read_bytes())
    data[-100] ^= 0xFF
    meta.write_bytes(bytes(data))
    assert library.rollback() == v1  # v2 fails its checksum and is passed over
    assert library.history(1)[0].summary.startswith("rolled back from v0003")
    with pytest.raises(IndexMissing):
        library.rollback()


def test_rollback_fails_clearly_when_every_older_version_is_damaged(corpus, tmp_path: Path) -> None:  # noqa: ANN001
    folder, paths = corpus
    library = Library(folder, tmp_path / "idx", HashEncoder())
    v1 = library.refresh().version
    edit(paths[0], "x y z")
    library.refresh()
    (version_path(tmp_path / "idx", v1) / "faiss.index").write_bytes(b"broken")
    with pytest.raises(IndexCorrupt, match="no earlier index version passed its integrity check"):
        library.rollback()
    assert library.history(1)[0].status == "failed"


def test_a_file_rewritten_with_the_same_size_is_noticed(corpus, tmp_path: Path) -> None:  # noqa: ANN001
    folder, paths = corpus
    library = Library(folder, tmp_path / "idx", HashEncoder())
    library.refresh()
    record = json.loads(paths[2].read_text())
    record["text"] = record["text"].replace("a", "e", 1)
    st = paths[2].stat()
    paths[2].write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    import os

    os.utime(paths[2], ns=(st.st_atime_ns, st.st_mtime_ns))  # same size, same mtime: only ctime tells
    assert paths[2].stat().st_size == st.st_size
    assert [e.source for e in library.refresh().plan.changed] == [f"{paths[2]}:1"]


def test_old_service_keeps_answering_while_a_new_version_is_published(corpus, tmp_path: Path) -> None:  # noqa: ANN001
    folder, paths = corpus
    enc = HashEncoder()
    library = Library(folder, tmp_path / "idx", enc)
    library.refresh()
    old = SearchService.open(tmp_path / "idx", enc)
    edit(paths[0], "Entirely new words: quokka marsupial island.")
    library.refresh()
    assert old.search("quokka marsupial", k=1).index_version == old.version != library.service.version


def test_a_version_that_never_reached_the_disk_is_replaced_by_the_previous_one(
        corpus, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:  # noqa: ANN001
    """Simulates a power loss right after a switch: the newest version's data is not what its manifest says."""
    import logging

    from index.store.durability import MARKER, wait_for_flushes

    folder, paths = corpus
    v1 = Library(folder, tmp_path / "idx", HashEncoder()).refresh().version
    edit(paths[0], "Words that were never flushed.")
    v2 = Library(folder, tmp_path / "idx", HashEncoder()).refresh().version
    wait_for_flushes()
    v2_folder = version_path(tmp_path / "idx", v2)
    assert (v2_folder / MARKER).exists() and (version_path(tmp_path / "idx", v1) / MARKER).exists()
    (v2_folder / MARKER).unlink()
    vectors = v2_folder / "vectors.npy"
    vectors.write_bytes(vectors.read_bytes()[:200] + b"\0" * (vectors.stat().st_size - 200))
    library = Library(folder, tmp_path / "idx", HashEncoder())
    with caplog.at_level(logging.ERROR):
        assert library.service.version == v1
    assert f"index version {v2} did not reach the disk" in caplog.text
    assert current_version(tmp_path / "idx") == v1
    # the next refresh redoes the lost work
    assert [e.source for e in library.refresh().plan.changed] == [f"{paths[0]}:1"]


def test_an_unmarked_intact_version_is_checked_and_kept(corpus, tmp_path: Path) -> None:  # noqa: ANN001
    from index.store.durability import MARKER, wait_for_flushes

    library = Library(corpus[0], tmp_path / "idx", HashEncoder())
    version = library.refresh().version
    wait_for_flushes()
    (version_path(tmp_path / "idx", version) / MARKER).unlink()
    assert Library(corpus[0], tmp_path / "idx", HashEncoder()).service.version == version
    assert (version_path(tmp_path / "idx", version) / MARKER).exists()


def test_a_patched_version_analyses_only_the_incoming_passages(corpus, tmp_path: Path,  # noqa: ANN001
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import index.store.lexical as lexical

    folder, paths = corpus
    library = Library(folder, tmp_path / "idx", HashEncoder())
    library.refresh()
    analysed: list[str] = []
    real = lexical.analyze
    monkeypatch.setattr(lexical, "analyze", lambda text: analysed.append(text) or real(text))
    edit(paths[5], "A closing paragraph about zebras migrating north.")
    report = library.refresh()
    assert report.full_build_reason is None and report.stats is not None
    edited = [p for _, p in library.service.meta.passages_of(json.loads(paths[5].read_text())["id"])]
    assert len(analysed) == len(edited) < report.stats.passages // 10
    hits = library.service.search("zebras migrating north", k=1).hits
    assert hits and "zebras" in hits[0].passage.text


def test_passage_id_collisions_neither_fail_a_build_nor_a_patch(corpus, tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    import sqlite3

    import corpus.chunking as chunking
    from index.store.metadata import META_FILE

    monkeypatch.setattr(chunking, "PASSAGE_ID_DIGITS", 3)  # 4,096 ids: hundreds of passages collide many times
    folder, paths = corpus
    library = Library(folder, tmp_path / "index", HashEncoder())
    library.refresh()

    def ids() -> dict[str, str]:
        db = sqlite3.connect(version_path(library.index_dir, current_version(library.index_dir)) / META_FILE)
        try:
            return dict(db.execute("SELECT id, article_id FROM passages"))
        finally:
            db.close()

    before = ids()
    assert len(before) > 150, "enough passages for collisions among 4,096 ids"
    edit(paths[0], "a changed first paragraph")
    library.refresh()
    after = ids()
    assert len(after) == library.service.manifest.passages  # every passage has its own id
    changed = {a for a in before.values() if a not in set(after.values())} | {before[p] for p in before
                                                                                if p not in after}
    kept = {p: a for p, a in before.items() if a not in changed}
    assert all(after.get(p) == a for p, a in kept.items()), "unchanged articles keep their passages' ids"
