"""Text as people see it: one normalisation at intake, in every reader; copies that differ only invisibly are one."""

from __future__ import annotations

import json
import random
import unicodedata
from pathlib import Path

import pytest

from corpus.article import normalise_body, split_paragraphs
from corpus.readers.html import article_from_html
from corpus.readers.jsonl import record_to_article
from corpus.readers.loader import load_corpus, read_file
from corpus.readers.seed import parse_seed
from corpus.sentences import sentence_spans
from corpus.sources.records import article_record
from corpus.text import INVISIBLE, clean_line, clean_text

SHY, ZWSP, ZWNJ, ZWJ, WJ, BOM, NBSP, NNBSP = "\u00ad", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00a0", "\u202f"


@pytest.mark.parametrize(("raw", "seen"), [
    (f"inter{SHY}national", "international"),
    (f"Kyiv{ZWSP} said", "Kyiv said"),
    (f"a{ZWNJ}b{ZWJ}c{WJ}d{BOM}e", "abcde"),
    (f"10{NBSP}km and 5{NNBSP}%", "10 km and 5 %"),
    ("Cafe\u0301 Zoe\u0308", "Café Zoë"),  # combining marks composed (NFC)
    (f"e{SHY}\u0301", "é"),  # an invisible character between a letter and its accent: removed, then composed
    ("left\u200eright\u200f", "leftright"),
    ("ﬁne", "ﬁne"),  # NFC, not NFKC: compatibility characters are kept as written
])
def test_clean_text(raw: str, seen: str) -> None:
    assert clean_text(raw) == seen


def test_clean_text_keeps_line_breaks_and_makes_unicode_separators_breaks() -> None:
    assert clean_text("one\n\ntwo\u2029three\u2028four") == "one\n\ntwo\n\nthree\nfour"
    assert split_paragraphs(f"one\n{ZWSP}{NBSP}\ntwo") == ["one", "two"]  # a line of only invisible things is blank


def test_clean_line_collapses_whitespace() -> None:
    assert clean_line(f"  Big{NBSP}{NBSP}storm\t hits{SHY}\n coast ") == "Big storm hits coast"


def test_normalisation_is_idempotent_so_offsets_survive_a_round_trip() -> None:
    alphabet = "ae\u0301o\u0308 .\n" + INVISIBLE + NBSP + NNBSP + "\u2029\u1100\u1161\u11a8Ω"
    rng = random.Random(12)
    for _ in range(5000):
        raw = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 16)))
        once = clean_text(raw)
        assert clean_text(once) == once
        assert unicodedata.is_normalized("NFC", once) and not set(once) & set(INVISIBLE + NBSP + NNBSP)
        body = normalise_body(split_paragraphs(raw))
        assert normalise_body(split_paragraphs(body)) == body


DIRTY = (f"The coun{SHY}cil appro{SHY}ved a budget of 10{NBSP}million euros.{ZWSP} The Cafe\u0301 stays open.\n\n"
         f"{BOM}Work starts in May, offi{SHY}cials said.")
CLEAN = "The council approved a budget of 10 million euros. The Café stays open.\n\nWork starts in May, officials said."


def test_every_reader_stores_the_clean_text(tmp_path: Path) -> None:
    seed = parse_seed(f"date 2024-01-02 By Ann Lee, Example News\ntitle Bud{SHY}get{NBSP}vote\n\n{DIRTY}", "x.txt")
    record = record_to_article({"text": DIRTY, "title": f"Bud{SHY}get{NBSP}vote", "outlet": f"Example{NBSP}News"},
                               "x.jsonl", 1)
    paragraphs = "".join(f"<p>{p}</p>" for p in DIRTY.split("\n\n"))
    page = article_from_html(f"<html><head><title>Bud{SHY}get vote</title><meta property='og:site_name' "
                             f"content='Example{NBSP}News'></head><body><article><h1>Bud{SHY}get vote</h1>"
                             f"{paragraphs}</article></body></html>", "x.html")
    for article in (seed, record, page):
        assert article.text == CLEAN and article.title == "Budget vote" and article.outlet == "Example News"


def test_offsets_round_trip_on_the_stored_text(tmp_path: Path) -> None:
    article = record_to_article({"text": DIRTY, "url": "https://example.com/a"}, "x.jsonl", 1)
    spans = sentence_spans(article.text)
    quote = "The Café stays open."
    assert any(article.text[s:e] == quote for s, e in spans)  # an exact quote is found where it is shown
    (tmp_path / "again.jsonl").write_text(json.dumps(article_record(article), ensure_ascii=False) + "\n")
    [again] = read_file(tmp_path / "again.jsonl")
    assert again.text == article.text and sentence_spans(again.text) == spans and again.id == article.id


def test_a_copy_that_differs_only_by_invisible_characters_is_the_same_article(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text(json.dumps({"text": CLEAN, "outlet": "Example News"}) + "\n")
    (tmp_path / "b.jsonl").write_text(json.dumps({"text": DIRTY, "outlet": "Other Paper"}) + "\n")
    (tmp_path / "c.txt").write_text(f"date 2024-01-02 By Ann Lee, Third Times\n\n{DIRTY.replace(' ', NBSP)}")
    report = load_corpus(tmp_path)
    [kept] = report.articles
    assert kept.text == CLEAN and len(report.duplicates) == 2
    assert set(kept.also_published_by) == {"Other Paper", "Third Times"}
