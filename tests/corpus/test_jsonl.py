"""JSON Lines records, plain and gzip, on synthetic and real benchmark data."""

from __future__ import annotations

import gzip
import json
from datetime import date
from pathlib import Path

import pytest

from corpus.errors import BadJsonLine, DroppedDate, EmptyBody, UnreadableFile
from corpus.readers.loader import load_corpus, read_file
from corpus.folder.planning import text_key
from tests.conftest import BENCH


def write_jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_record_fields_and_derived_outlet(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", [json.dumps({
        "url": "https://edition.cnn.com/2023/05/03/europe/x/index.html", "title": "Drones",
        "text": "One.\n\nTwo.", "authors": ["A B", "C D"], "publish_date": "2023-05-03T10:00:00Z"})])
    [article] = read_file(path)
    assert article.outlet == "CNN" and article.published == date(2023, 5, 3)
    assert article.authors == ("A B", "C D") and article.paragraph_count == 2
    assert article.source == f"{path}:1"


def test_authors_as_encoded_list_and_byline(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", [
        json.dumps({"text": "x", "authors": '["Ann"]', "outlet": "THE WEEK"}),
        json.dumps({"text": "y", "authors": "By Ann Lee and Bo Chan", "outlet": "USAtoday"})])
    first, second = read_file(path)
    assert first.authors == ("Ann",) and first.outlet == "The Week"
    assert second.authors == ("Ann Lee", "Bo Chan") and second.outlet == "USA Today"


@pytest.mark.parametrize(("line", "error", "words"), [
    ("{not json", BadJsonLine, "not valid JSON"),
    (json.dumps({"title": "no text"}), BadJsonLine, "no `text`"),
    (json.dumps({"text": "   "}), EmptyBody, "empty"),
    (json.dumps({"text": "x", "authors": 3}), BadJsonLine, "authors"),
    (json.dumps({"text": "x", "credits": "AP"}), BadJsonLine, "credits"),
    (json.dumps([1, 2]), BadJsonLine, "not a JSON object"),
    (json.dumps({"text": "x", "url": "javascript:alert(1)"}), BadJsonLine, "http"),
])
def test_bad_lines_are_reported_and_the_rest_kept(tmp_path: Path, line: str, error: type, words: str) -> None:
    good = json.dumps({"text": "Good article."})
    path = write_jsonl(tmp_path / "a.jsonl", [good, "", line, good.replace("Good", "Other")])
    items = read_file(path)
    problems = [i for i in items if isinstance(i, Exception)]
    assert len(items) == 3 and len(problems) == 1
    assert isinstance(problems[0], error) and problems[0].line == 3 and words in problems[0].problem


def test_an_unreadable_date_is_left_out_with_a_warning_and_the_record_kept(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", [json.dumps({"text": "Kept.", "published": "yesterday"}),
                                              json.dumps({"text": "Dated.", "published": 1520410500})])
    note, kept, dated = read_file(path)
    assert isinstance(note, DroppedDate) and note.warning and note.line == 1
    assert "yesterday: not a date" in note.problem and "kept without a date" in note.fix
    assert kept.text == "Kept." and kept.published is None and kept.notes == (note,)
    assert dated.published == date(2018, 3, 7)  # epoch seconds in JSON: the UTC day
    report = load_corpus(tmp_path)
    assert len(report.articles) == 2 and [n.message for n in report.notes] == [note.message]
    assert not report.skipped


def test_truncated_gzip_is_unreadable(tmp_path: Path) -> None:
    data = gzip.compress(b'{"text": "x"}\n' * 100)
    (tmp_path / "a.jsonl.gz").write_bytes(data[: len(data) // 2])
    [problem] = read_file(tmp_path / "a.jsonl.gz")
    assert isinstance(problem, UnreadableFile)


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile, match="does not exist"):
        load_corpus(tmp_path / "nope")


@pytest.mark.skipif(not BENCH.exists(), reason="the shared dev benchmark is not beside the checkout")
def test_real_benchmark_loads_from_gzip() -> None:
    report = load_corpus(BENCH / "articles.jsonl.gz")
    assert not report.problems
    # 2,160 lines; 17 repeat an earlier record's id (the same quiz brief twice): kept once; 24 more carry
    # the same text under another id (scraped paywall notices, repeated briefs): indexed once too
    reasons = [copy.reason for copy in report.copies]
    assert reasons.count("same id") == 17 and reasons.count("same text") == 24
    assert len(report.articles) == 2160 - 17 - 24 and len(report.duplicates) == 41
    assert all(dup.text == kept.text for (dup, kept), copy in zip(report.duplicates, report.copies)
               if copy.reason == "same id")
    assert all(text_key(dup.text) == text_key(kept.text) for dup, kept in report.duplicates)
    outlets = {a.outlet for a in report.articles}
    assert outlets == {"CNN", "USA Today", "The Week"}
    assert all(a.published for a in report.articles)
