"""The base corpus and servers' own collections: stored apart, searched together, nobody sees another's."""

from __future__ import annotations

import json
import tarfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from index.collections import Collections, Scope
from index.library import Library
from tests.support.fakes import HashEncoder

A, B = 111111111111111111, 222222222222222222


def record(folder: Path, name: str, title: str, text: str, outlet: str = "Example News") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.jsonl"
    path.write_text(json.dumps({"id": name, "title": title, "outlet": outlet, "published": "2024-03-01",
                                "text": text}) + "\n", encoding="utf-8")
    return path


@pytest.fixture()
def collections(tmp_path: Path) -> Collections:
    corpus = tmp_path / "base"
    record(corpus, "harbour", "Harbour reopens", "The harbour reopened after storm repairs to the sea wall.")
    record(corpus, "library", "Library extends hours", "The city library now stays open until ten at night.")
    base = Library(corpus, tmp_path / "index", HashEncoder())
    base.refresh()
    return Collections(base, loaded=2)


def add_to_server(collections: Collections, server: int, name: str, title: str, text: str) -> None:
    library = collections.library(server)
    record(library.corpus_dir, name, title, text)
    library.refresh()


def titles(result) -> list[str]:  # noqa: ANN001
    return [h.article.title for h in result.hits]


def test_a_servers_article_is_found_there_and_nowhere_else(collections: Collections) -> None:
    add_to_server(collections, A, "derby", "Local derby ends in a draw", "The football derby ended in a draw, one goal each.")
    question = "football derby draw goal"
    assert titles(collections.view(Scope(A)).search(question, k=1)) == ["Local derby ends in a draw"]
    for scope in (Scope(B), Scope(None)):
        view = collections.view(scope)
        assert "Local derby ends in a draw" not in titles(view.search(question, k=5))
        assert all(a.title != "Local derby ends in a draw" for a in view.articles())
    a_view = collections.view(Scope(A))
    [hit] = a_view.search(question, k=1).hits
    assert a_view.passage(hit.passage.id) is not None and a_view.meta.article("derby") is not None
    assert collections.view(Scope(B)).passage(hit.passage.id) is None
    assert collections.view(Scope(B)).meta.article("derby") is None
    assert "+" in a_view.version and a_view.meta.counts()[0] == 3 and collections.view(Scope(B)).meta.counts()[0] == 2


def test_a_server_refresh_never_rewrites_the_base(collections: Collections) -> None:
    base_version = collections.base.service.version
    base_files = {p: p.stat().st_mtime_ns for p in (collections.base.index_dir / "versions").rglob("*") if p.is_file()}
    calls = len(collections.base.encoder.calls)
    add_to_server(collections, A, "derby", "Local derby", "The football derby ended in a draw.")
    assert collections.base.service.version == base_version
    assert {p: p.stat().st_mtime_ns for p in base_files} == base_files
    assert sum(collections.base.encoder.calls[calls:]) < 10, "only the server's new texts are embedded"


def test_hiding_a_base_article_changes_one_server_only(collections: Collections) -> None:
    question = "library open until ten at night"
    collections.hide(A, "library", "mod (1)")
    assert "Library extends hours" not in titles(collections.view(Scope(A)).search(question, k=5))
    assert all(a.id != "library" for a in collections.view(Scope(A)).articles())
    assert titles(collections.view(Scope(B)).search(question, k=1)) == ["Library extends hours"]
    assert titles(collections.view(Scope(None)).search(question, k=1)) == ["Library extends hours"]
    assert collections.unhide(A, "library") and not collections.unhide(A, "library")
    assert titles(collections.view(Scope(A)).search(question, k=1)) == ["Library extends hours"]


def test_a_server_without_base_articles_answers_from_its_own(collections: Collections) -> None:
    add_to_server(collections, A, "derby", "Local derby", "The football derby ended in a draw.")
    view = collections.view(Scope(A, use_base=False))
    assert [a.id for a in view.articles()] == ["derby"]
    assert titles(view.search("harbour sea wall storm", k=5)) in ([], ["Local derby"])


def test_only_a_few_server_collections_stay_loaded(collections: Collections) -> None:
    for server in (A, B, 333333333333333333):
        add_to_server(collections, server, f"s{server}", f"Story of {server}", f"Only server {server} has it.")
        collections.view(Scope(server)).search("story", k=1)
    assert len(collections.loaded_libraries()) == 1 + collections.loaded


def test_export_delete_archive_restore_and_purge(collections: Collections, tmp_path: Path) -> None:
    add_to_server(collections, A, "derby", "Local derby", "The football derby ended in a draw.")
    collections.hide(A, "library", "mod")
    exported = collections.export(A, tmp_path, extra={"settings": {"results_per_answer": 5}})
    with tarfile.open(exported) as tar:
        names = tar.getnames()
        meta = json.loads(tar.extractfile("server.json").read())
    assert "corpus/derby.jsonl" in names and meta["hidden_base_articles"] == ["library"]
    assert meta["settings"] == {"results_per_answer": 5}

    left = datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert collections.archive(A, now=left) is not None and not collections.has_collection(A)
    assert "Local derby" not in titles(collections.view(Scope(A)).search("football derby", k=5))
    assert collections.restore_archived(A) is not None and collections.has_collection(A)
    assert titles(collections.view(Scope(A)).search("football derby draw", k=1)) == ["Local derby"]
    collections.archive(A, now=left)
    assert collections.purge_archived(30, now=left + timedelta(days=29)) == []
    assert collections.purge_archived(30, now=left + timedelta(days=31)) == [A]
    assert list(collections.archived()) == [] and collections.hidden(A) == frozenset()

    add_to_server(collections, B, "b", "B story", "Only B has it.")
    assert collections.delete(B) and not collections.delete(B) and B not in collections.server_ids()
    with pytest.raises(FileNotFoundError, match="has no collection"):
        collections.export(B, tmp_path)


def test_another_process_switch_is_picked_up(collections: Collections, tmp_path: Path) -> None:
    other = Library(collections.base.corpus_dir, collections.base.index_dir, HashEncoder())
    before = collections.base.service.version
    assert collections.base.reload_if_switched() is None
    record(collections.base.corpus_dir, "ferry", "Ferry returns", "The ferry returned to service.")
    other.refresh()
    assert collections.reload_changed() == [other.service.version] != [before]
    assert collections.base.service.version == other.service.version


def test_hiding_on_a_read_only_index_changes_nothing(collections: Collections,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import index.store.access as access
    from index.store.access import IndexReadOnly

    monkeypatch.setattr(access, "writable", lambda folder: False)
    with pytest.raises(IndexReadOnly):
        collections.hide(A, "library", "mod")
    with pytest.raises(IndexReadOnly):
        collections.unhide(A, "library")
    monkeypatch.undo()
    assert collections.hidden(A) == frozenset()


def test_background_work_does_not_push_used_collections_out_of_memory(tmp_path) -> None:  # noqa: ANN001
    from index.collections import Collections
    from index.library import Library
    from tests.support.fakes import HashEncoder

    collections = Collections(Library(tmp_path / "corpus", tmp_path / "index", HashEncoder()), loaded=1)
    used = collections.library(1)
    polled = collections.library(2, use=False)
    assert collections.loaded_libraries() == [collections.base, used], "the polled one was not kept"
    assert collections.library(1, use=False) is used, "one in memory is the one polled"
    assert polled is not collections.library(2, use=False)


def test_every_version_switch_served_here_is_told_whoever_made_it(collections: Collections) -> None:
    heard: list[tuple[int | None, str]] = []
    add_to_server(collections, A, "derby", "Local derby", "The football derby ended in a draw.")  # made before …
    collections.on_switch(lambda server, version: heard.append((server, version)))  # … the listener
    base = collections.base
    for library in (base, collections.library(A)):
        library.service  # noqa: B018 - loaded, as a serving bot has them
    record(base.corpus_dir, "bakery", "Bakery wins prize", "The village bakery won the bread prize.")
    base.refresh()  # in this process
    add_to_server(collections, A, "match", "Cup match", "The cup match was moved to Sunday.")
    add_to_server(collections, B, "fair", "Summer fair", "The summer fair opens on Friday.")  # made after the listener
    assert heard == [(None, base.service.version), (A, collections.library(A).service.version)]
    collections.library(B).service  # noqa: B018 - loaded by a question, say
    add_to_server(collections, B, "parade", "Parade route", "The parade goes along the quay.")
    assert heard[-1] == (B, collections.library(B).service.version)
    other = Library(base.corpus_dir, base.index_dir, HashEncoder())  # another process, as `newsbot refresh`
    record(base.corpus_dir, "choir", "Choir sings", "The harbour choir sang for the fleet.")
    other.refresh()
    assert len(heard) == 3  # not served here yet …
    assert collections.reload_changed() == [other.service.version]  # … until this process looks
    assert heard[-1] == (None, other.service.version) != heard[0]
