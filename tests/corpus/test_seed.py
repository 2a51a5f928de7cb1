"""The seed format: the shipped seed parses exactly; each malformed variant gives its own error."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from corpus.errors import DroppedDate, EmptyBody, MalformedHeader, NotUtf8
from corpus.readers.loader import load_corpus, read_file
from corpus.readers.seed import parse_seed
from tests.conftest import SEEDS

SEED_FILE = next(SEEDS.glob("*.txt"))


def test_seed_parses_to_its_metadata_and_paragraphs() -> None:
    article = parse_seed(SEED_FILE.read_text(encoding="utf-8"), SEED_FILE)
    assert article.published == date(2023, 5, 3)
    assert article.authors == ("Sebastian Shukla", "Nathan Hodge")
    assert article.outlet == "CNN"
    assert article.paragraph_count == 12
    assert article.text.startswith("Moscow alleged Wednesday Ukraine flew two drones toward the Kremlin")
    assert article.text.endswith("southeast of the capital.")
    assert article.title_derived and article.title.startswith("Moscow alleged Wednesday")
    assert article.url is None and article.id.startswith("c")
    assert article.source == str(SEED_FILE)


def test_optional_title_and_url_lines() -> None:
    text = ("date 2023-05-03 By Ann Lee, Reuters\ntitle Drones over the Kremlin\nurl https://example.com/a\n\n"
            "First paragraph. Second sentence.\n\nSecond paragraph.")
    article = parse_seed(text, "x.txt")
    assert article.title == "Drones over the Kremlin" and not article.title_derived
    assert article.url == "https://example.com/a" and article.id.startswith("u")
    assert article.authors == ("Ann Lee",) and article.outlet == "Reuters"


def test_three_authors_with_commas() -> None:
    article = parse_seed("date 2022-01-02 By A One, B Two and C Three, USA Today\n\nBody.", "x.txt")
    assert article.authors == ("A One", "B Two", "C Three")
    assert article.outlet == "USA Today"


@pytest.mark.parametrize(("text", "error", "line", "words"), [
    ("Moscow alleged…\n\nBody.", MalformedHeader, 1, "seed format"),
    ("date 2023-05-03 By ada@example.org, CNN\n\nBody.", MalformedHeader, 1, "names no author"),
    ("date 2023-05-03 CNN\n\nBody.", MalformedHeader, 1, "seed format"),
    ("date 2023-05-03 By A, CNN\nsubtitle x\n\nBody.", MalformedHeader, 2, "unexpected header"),
    ("date 2023-05-03 By A, CNN\nurl ftp://x\n\nBody.", MalformedHeader, 2, "http"),
    ("date 2023-05-03 By A, CNN\n\n   \n", EmptyBody, None, "no text"),
    ("", EmptyBody, None, "empty"),
])
def test_malformed_variants(text: str, error: type, line: int | None, words: str) -> None:
    with pytest.raises(error) as info:
        parse_seed(text, "bad.txt")
    assert info.value.line == line
    assert words in info.value.problem
    assert "bad.txt" in info.value.message and info.value.fix


def test_an_impossible_date_is_left_out_with_a_warning_not_the_file() -> None:
    article = parse_seed("date 2023-13-40 By A One, CNN\n\nBody.", "bad.txt")
    assert article.published is None and article.authors == ("A One",) and article.text == "Body."
    [note] = article.notes
    assert isinstance(note, DroppedDate) and note.warning and note.line == 1
    assert note.message.startswith("bad.txt:1: the publication date was left out (2023-13-40: there is no month 13)")


def test_the_header_date_is_the_publishers_local_day() -> None:
    article = parse_seed("date 2019-03-10T23:30:00-08:00 By A One, CNN\n\nBody.", "x.txt")
    assert article.published == date(2019, 3, 10) and not article.notes


def test_non_utf8_file_is_reported_with_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes("date 2023-05-03 By A, CNN\n\nCaf\xe9 opened.".encode("latin-1"))
    [problem] = read_file(path)
    assert isinstance(problem, NotUtf8) and problem.line == 3 and "UTF-8" in problem.fix


def test_folder_with_bad_files_loads_the_rest(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text(SEED_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "bad.txt").write_text("no header here\n\nBody.", encoding="utf-8")
    (tmp_path / "notes.pdf").write_bytes(b"%PDF")
    (tmp_path / ".hidden.txt").write_text("ignored")
    report = load_corpus(tmp_path)
    assert [a.outlet for a in report.articles] == ["CNN"]
    assert sorted(p.path.name for p in report.problems) == ["bad.txt", "notes.pdf"]
