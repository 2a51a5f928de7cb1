"""The discord-free corpus operations: add a page or a file, remove, restore, history (fast encoder, real files)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from corpus.sources.fetch import FetchError, FetchPolicy
from corpus.folder.removal import removed_dir
from corpus.sources.uploads import UploadRejected, safe_name, unique_path
from index.curation.changes import AlreadyInCorpus, NotInCorpus
from index.curation.operations import CorpusManager
from index.library import Library
from tests.conftest import SEEDS
from tests.support.e2e_corpus import LIGHTHOUSE
from tests.support.fakes import HashEncoder
from tests.support.local_site import article_page, local_site

LOCAL = FetchPolicy(timeout=3.0, max_bytes=200_000, allow_private=True, host_delay=0.0)
RECORDS = [
    {"id": "rec-one", "title": "Orchard growers count a record apple harvest", "outlet": "Farm Weekly",
     "text": "Orchard growers in the valley counted a record apple harvest this autumn, the cooperative said."},
    {"id": "rec-two", "title": "Ferry timetable changes for the winter", "outlet": "Coast News",
     "text": "The ferry operator will run four crossings a day from November, down from six in summer."},
    {"id": "rec-three", "title": "Library extends its opening hours", "outlet": "Town Crier",
     "text": "The town library will open until nine in the evening on weekdays from next month."},
]
PAGE_TEXT = ["Volunteers planted four thousand oak saplings along the river bank on Sunday, the trust said.",
             "The new woodland will shade the water and cool it for salmon in hot summers, ecologists said."]


def jsonl(records: list[dict]) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


@pytest.fixture()
def manager(tmp_path: Path) -> CorpusManager:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for src in SEEDS.iterdir():
        (corpus / src.name).write_bytes(src.read_bytes())
    (corpus / "sub").mkdir()
    (corpus / "sub" / "batch.jsonl").write_text(jsonl(RECORDS), encoding="utf-8")
    library = Library(corpus, tmp_path / "index", HashEncoder())
    library.build()
    return CorpusManager(library, LOCAL, max_upload_bytes=50_000)


def indexed_ids(manager: CorpusManager) -> set[str]:
    return {a.id for a in manager.library.service.articles()}


def test_removing_one_record_of_a_many_record_file_moves_only_that_line_and_restore_puts_it_back(
        manager: CorpusManager) -> None:
    corpus = manager.corpus_dir
    source, removed = corpus / "sub" / "batch.jsonl", removed_dir(corpus) / "sub" / "batch.jsonl"
    article = manager.find_indexed("Ferry timetable")  # a title fragment naming one article
    assert article.id == "rec-two"
    change = manager.remove(article.id, actor="mod-a")
    assert [json.loads(x)["id"] for x in source.read_text().splitlines()] == ["rec-one", "rec-three"]
    assert [json.loads(x)["id"] for x in removed.read_text().splitlines()] == ["rec-two"]
    assert "sub/batch.jsonl → removed/sub/batch.jsonl (one record)" in change.summary
    assert change.report is not None and [e.id for e in change.report.plan.removed] == ["rec-two"]
    assert "rec-two" not in indexed_ids(manager) and {"rec-one", "rec-three"} <= indexed_ids(manager)
    assert not list(corpus.rglob(".*.tmp")), "no temp file is left behind"

    assert manager.find_removed("a:rec-two").article.title == "Ferry timetable changes for the winter"
    change = manager.restore("rec-two", actor="mod-b")
    assert not removed.exists(), "the last removed record went back with its file"
    assert sorted(json.loads(x)["id"] for x in source.read_text().splitlines()) == ["rec-one", "rec-three", "rec-two"]
    assert change.report is not None and [e.id for e in change.report.plan.new] == ["rec-two"]
    assert "rec-two" in indexed_ids(manager)

    kinds = [(e.kind, e.actor, e.status) for e in manager.history(10)]
    assert kinds[:4] == [("refresh", "mod-b", "ok"), ("corpus restore", "mod-b", "ok"),
                         ("refresh", "mod-a", "ok"), ("corpus remove", "mod-a", "ok")]
    assert manager.history(10)[3].summary.startswith("removed “Ferry timetable changes for the winter” (rec-two)")


def test_removing_a_single_article_file_moves_the_file_and_nothing_is_deleted(manager: CorpusManager) -> None:
    corpus = manager.corpus_dir
    [seed] = [a for a in manager.library.service.articles() if a.outlet == "CNN"]
    original = corpus / "000_404b26da54f33bfd.txt"
    content = original.read_bytes()
    manager.remove(seed.id, actor="mod")
    assert not original.exists() and (removed_dir(corpus) / original.name).read_bytes() == content
    assert seed.id not in indexed_ids(manager)
    with pytest.raises(NotInCorpus, match="no article in the index matches"):
        manager.find_indexed(seed.title)
    manager.restore(seed.id, actor="mod")
    assert original.read_bytes() == content and seed.id in indexed_ids(manager)
    with pytest.raises(NotInCorpus, match="no removed article has the id"):
        manager.restore(seed.id, actor="mod")


def test_a_page_is_previewed_added_then_offered_as_an_update(manager: CorpusManager) -> None:
    with local_site() as site:
        url = site.add("/2024/oaks.html", article_page("Volunteers plant oaks by the river", PAGE_TEXT))
        preview = manager.preview_url(url)
        assert not list(manager.corpus_dir.rglob("*oak*")), "a preview writes nothing"
        assert preview.article.title == "Volunteers plant oaks by the river"
        assert preview.article.outlet == "Example News" and preview.article.authors == ("Jane Roe",)
        assert preview.passages >= 1 and preview.existing == ()
        change = manager.add(preview, actor="mod")
        [saved] = change.paths
        assert saved.parent.parent == manager.corpus_dir / "added" and saved.suffix == ".jsonl"
        record = json.loads(saved.read_text())
        assert record["added_by"] == "mod" and record["fetched_from"] == url
        assert preview.article.id in indexed_ids(manager)

        again = manager.preview_url(url + "#comments")  # the same page under another spelling of its URL
        assert [r.id for r in again.existing] == [preview.article.id]
        with pytest.raises(AlreadyInCorpus, match="is already in the corpus as “Volunteers plant oaks"):
            manager.add(again, actor="mod")
        site.add("/2024/oaks.html", article_page("Volunteers plant oaks by the river",
                                                 PAGE_TEXT + ["Another planting day is set for March."]))
        change = manager.add(manager.preview_url(url), actor="mod2", update=True)
    assert change.report is not None and [e.id for e in change.report.plan.changed] == [preview.article.id]
    assert "Another planting day" in json.loads(saved.read_text())["text"]
    assert (removed_dir(manager.corpus_dir) / saved.relative_to(manager.corpus_dir)).exists(), "old copy kept"
    assert manager.history(5)[1].kind == "corpus update"


@pytest.mark.parametrize("url, problem", [
    ("ftp://127.0.0.1/file.html", "only http and https links can be fetched"),
    ("file:///etc/passwd", "only http and https links can be fetched"),
    ("http://127.0.0.1:9/x.html", "resolves to the private or local address 127.0.0.1"),
    ("http://10.1.2.3/x.html", "resolves to the private or local address 10.1.2.3"),
    ("http://[::1]:9/x.html", "resolves to the private or local address ::1"),
])
def test_non_http_and_private_addresses_are_refused_by_default(manager: CorpusManager, url: str,
                                                               problem: str) -> None:
    strict = CorpusManager(manager.library)  # the default policy: public http(s) only
    with pytest.raises(FetchError, match=problem.replace(".", r"\.")):
        strict.preview_url(url)


def test_files_are_checked_by_the_corpus_readers_and_refused_whole(manager: CorpusManager) -> None:
    good = manager.preview_file("lighthouse.txt", LIGHTHOUSE.encode())
    assert good.article.title.startswith("Keepers return to the Skerryvore") and good.passages >= 1
    path = manager.add(good, actor="mod").paths[0]
    assert path == manager.corpus_dir / "added" / "lighthouse.txt"
    again = manager.preview_file("lighthouse.txt", LIGHTHOUSE.encode())
    assert [r.id for r in again.existing] == [good.article.id]
    assert manager.add(again, actor="mod").paths[0].name == "lighthouse-2.txt", "a name in use is made unique"

    bad = jsonl(RECORDS[:1]) + '{"title": "no text"}\n' + "{broken\n"
    with pytest.raises(UploadRejected) as info:
        manager.preview_file("../../news.jsonl", bad.encode())
    assert "2 problem(s) in the file, so nothing was added" in info.value.message
    assert [p.location for p in info.value.problems] == ["news.jsonl:2", "news.jsonl:3"]
    assert "no `text` field" in info.value.problems[0].message
    with pytest.raises(UploadRejected, match=r"files of type \.pdf cannot be read .*\.jsonl\.gz"):
        manager.preview_file("report.pdf", b"%PDF-1.4")
    with pytest.raises(UploadRejected, match="over the 50,000 byte limit"):
        manager.preview_file("big.txt", b"x" * 50_001)
    assert not list(manager.corpus_dir.rglob("news*")) and not list(manager.corpus_dir.rglob("report*"))


def test_names_are_made_safe_and_unique(tmp_path: Path) -> None:
    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name(".hidden.jsonl") == "hidden.jsonl"
    assert safe_name("my file (1).jsonl.gz") == "my_file_1_.jsonl.gz"
    (tmp_path / "a.jsonl.gz").write_bytes(b"")
    assert unique_path(tmp_path, "a.jsonl.gz").name == "a-2.jsonl.gz"


def test_a_change_while_a_refresh_runs_is_refused_and_moves_nothing(manager: CorpusManager) -> None:
    from index.errors import IndexBusy
    from index.store.lock import RefreshLock

    source = manager.corpus_dir / "sub" / "batch.jsonl"
    before = source.read_bytes()
    with RefreshLock(manager.library.index_dir, "someone", "refresh"):
        with pytest.raises(IndexBusy, match="refresh .*by someone"):
            manager.remove("rec-one", actor="mod")
    assert source.read_bytes() == before and not removed_dir(manager.corpus_dir).exists()
    assert "corpus remove" not in [e.kind for e in manager.history(5)]


def test_copies_indexed_as_the_article_leave_with_it_and_gzip_records_move_one_line(manager: CorpusManager) -> None:
    import gzip

    corpus = manager.corpus_dir
    copy = dict(RECORDS[2], id="rec-copy", outlet="Town Crier")  # the same text: indexed once, as rec-three
    packed = corpus / "packed.jsonl.gz"
    packed.write_bytes(gzip.compress(jsonl([copy, {"id": "rec-four", "text": "The pier reopens on Friday after "
                                                   "repairs to its decking, the council said."}]).encode()))
    manager.library.refresh()
    assert "rec-copy" not in indexed_ids(manager) and "rec-four" in indexed_ids(manager)
    change = manager.remove("rec-three", actor="mod")
    assert "packed.jsonl.gz → removed/packed.jsonl.gz (one record)" in change.summary
    left = gzip.decompress(packed.read_bytes()).decode().splitlines()
    assert [json.loads(x)["id"] for x in left] == ["rec-four"]
    assert {"rec-three", "rec-copy"}.isdisjoint(indexed_ids(manager)) and "rec-four" in indexed_ids(manager)
    manager.restore("rec-copy", actor="mod")
    assert "rec-copy" in indexed_ids(manager), "the copy comes back on its own"


def test_restoring_over_a_different_file_is_refused(manager: CorpusManager) -> None:
    from corpus.folder.removal import RemovalError

    [seed] = [a for a in manager.library.service.articles() if a.outlet == "CNN"]
    manager.remove(seed.id, actor="mod")
    (manager.corpus_dir / "000_404b26da54f33bfd.txt").write_text(LIGHTHOUSE, encoding="utf-8")
    with pytest.raises(RemovalError, match="a file of that name is already there"):
        manager.restore(seed.id, actor="mod")
    assert (removed_dir(manager.corpus_dir) / "000_404b26da54f33bfd.txt").exists(), "the removed copy stays"


def test_a_removed_feed_article_is_not_fetched_back_by_the_next_refresh(tmp_path: Path) -> None:
    from corpus.sources.feeds import FeedConfig

    with local_site() as site:
        url = site.add("/oaks.html", article_page("Volunteers plant oaks by the river", PAGE_TEXT))
        feed = site.add("/feed.xml", f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><item>'
                                     f'<title>Oaks</title><link>{url}</link></item></channel></rss>')
        corpus = tmp_path / "corpus"
        corpus.mkdir()
        library = Library(corpus, tmp_path / "index", HashEncoder(),
                          feeds=FeedConfig(urls=(feed,), policy=LOCAL))
        [added] = library.refresh(actor="cron").plan.new
        manager = CorpusManager(library, LOCAL)
        manager.remove(added.id, actor="mod")
        report = library.refresh(actor="cron")
    assert report.plan.new == () and report.feeds is not None and report.feeds.saved == ()
    assert site.hits.count("/oaks.html") == 1, "the removed page is not fetched again"
    assert added.id not in indexed_ids(manager)
