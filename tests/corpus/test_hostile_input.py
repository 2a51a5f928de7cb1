"""Odd or hostile input costs one record, entry or file, never the rest; files are never damaged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import corpus.readers.loader as loader
from corpus.article import Article
from corpus.folder.removal import remove_article
from corpus.readers.html import article_from_html
from corpus.readers.loader import load_corpus, read_file
from corpus.sources.fetch import FetchError, Fetcher, FetchPolicy


def record(i: str, text: str, **extra: object) -> str:
    return json.dumps({"id": i, "title": f"Story {i}", "text": text, **extra}, ensure_ascii=False)


def test_line_separators_inside_json_strings_neither_split_a_record_nor_corrupt_the_file(tmp_path: Path) -> None:
    path = tmp_path / "ferries.jsonl"
    b_text = "First part of B.\u2028Second part of B,\u2029then more\u0085and the end."
    path.write_text("\n".join([record("A", "Ferry A sails."), record("B", b_text), record("C", "Ferry C docks.")])
                    + "\n", encoding="utf-8")
    items = read_file(path)
    assert [a.id for a in items if isinstance(a, Article)] == ["A", "B", "C"], items
    remove_article(tmp_path, path, "A")
    lines = path.read_text(encoding="utf-8").split("\n")
    assert [json.loads(line)["id"] for line in lines if line] == ["B", "C"]
    assert [a.id for a in read_file(path) if isinstance(a, Article)] == ["B", "C"]


@pytest.mark.parametrize("line", [
    record("Y0", "Text.", published="0000-01-01"),
    record("EP", "Text.", published=10 ** 400),
    '{"id": "BIG", "text": "x", "n": ' + "9" * 5000 + "}",
    "[" * 100_000,
    json.dumps({"id": "T", "title": 123, "text": ["not", "a", "string"]}),
])
def test_one_odd_record_is_one_problem_and_the_others_are_read(tmp_path: Path, line: str) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join([record("OK1", "A good record."), line, record("OK2", "Another good one.")]) + "\n",
                    encoding="utf-8")
    report = load_corpus(tmp_path)
    assert {a.id for a in report.articles} >= {"OK1", "OK2"}
    for problem in report.problems:
        assert problem.message and "Traceback" not in problem.message


def test_a_page_with_an_impossible_date_keeps_its_article_without_the_date() -> None:
    page = ("<html><head><meta property='article:published_time' content='0000-01-01T00:00:00Z'>"
            "<title>Harbour</title></head><body><article><h1>Harbour</h1><p>The harbour reopened on Monday after "
            "storm repairs to its sea wall, the port authority said in a statement.</p></article></body></html>")
    article = article_from_html(page, "page.html")
    assert article.published is None and article.notes and "outside the calendar" in article.notes[0].message


def test_a_reader_bug_costs_one_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "good.jsonl").write_text(record("G", "Fine.") + "\n", encoding="utf-8")
    (tmp_path / "bad.jsonl").write_text(record("B", "Fine too.") + "\n", encoding="utf-8")
    real = loader.READERS[".jsonl"]

    def flaky(path: Path):  # noqa: ANN202
        if path.name == "bad.jsonl":
            raise RuntimeError("a bug in a reader")
        return real(path)

    monkeypatch.setitem(loader.READERS, ".jsonl", flaky)
    report = load_corpus(tmp_path)
    assert [a.id for a in report.articles] == ["G"]
    [problem] = report.skipped
    assert "bad.jsonl" in problem.message and "could not be read (RuntimeError: a bug in a reader)" in problem.message


@pytest.mark.parametrize(("url", "says"), [
    ("http://example.com:99999/x", "the address is malformed"),
    ("http://example.com:abc/", "the address is malformed"),
    ("http://" + "a" * 70 + ".com/", "is not a valid name"),
])
def test_malformed_addresses_are_fetch_errors(url: str, says: str) -> None:
    with pytest.raises(FetchError, match=says):
        Fetcher(FetchPolicy(timeout=2)).get(url)
