"""Accents, case and compatibility forms are folded the same way by BM25 (`index.analysis`) and the quote matcher."""

from __future__ import annotations

import unicodedata
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from corpus.article import Article
from index.analysis import analyze, fold, fold_char, fold_with_offsets
from index.search.links import text_directive
from index.search.quote import find_exact, normalise, quote_parts
from index.store.lexical import LexicalIndex

PROPERTY = settings(max_examples=200, deadline=None, database=None)

# (as an article writes it, as a reader types it)
PAIRS = [
    ("Pokémon", "Pokemon"), ("Beyoncé", "BEYONCE"), ("São Paulo", "sao paulo"), ("Zürich", "Zurich"),
    ("Dvořák", "Dvorak"), ("Straße", "strasse"), ("ﬁnal", "final"), ("ＮＡＴＯ", "NATO"), ("Ἀθῆναι", "Αθηναι"),
    ("cafe\u0301", "café"), ("Łódź", "Łodz"), ("Đoković", "Đokovic"), ("naïve", "NAIVE"),
]


def test_bm25_terms_and_quote_words_fold_alike() -> None:
    for written, typed in PAIRS:
        assert analyze(written) == analyze(typed), (written, typed)
        assert normalise(written).text == normalise(typed).text, (written, typed)
        # one folding: the quote matcher's words are the analyser's folded words
        assert normalise(written).text == " ".join(fold(written).split())


def test_marks_that_change_a_word_in_other_scripts_are_kept() -> None:
    assert fold("が") == "が" and fold("ガ") != fold("カ")  # kana voicing
    assert fold("한국") == "한국"  # Hangul syllables stay composed
    assert fold("שָׁלוֹם") == "שָׁלוֹם"  # Hebrew points are not accents
    assert analyze("Pokémon™ 2½") == ["pokemon", "2½"]  # symbols are not glued to words


def test_bm25_finds_an_accented_passage_from_an_unaccented_question_and_back() -> None:
    index = LexicalIndex.build(["Pokémon cards sold in São Paulo", "Football results from Zurich", "Weather"])
    assert index.normalised("pokemon sao paulo").argmax() == 0
    assert index.normalised("ZÜRICH football").argmax() == 1
    assert index.normalised("Pokémon")[0] == index.normalised("pokemon")[0] > 0


def test_a_quote_typed_without_accents_is_found_exactly_with_its_original_span() -> None:
    text = "The mayor of Sa\u0303o Paulo met Beyoncé.\n\nShe said the naïve plan was ﬁnal."
    art = Article("c0", "T", "o", (), date(2023, 5, 3), None, text, "a.txt")
    span = find_exact(quote_parts("mayor of SAO PAULO met Beyonce"), art)
    assert span and text[span[0]:span[1]] == "mayor of Sa\u0303o Paulo met Beyoncé"
    span = find_exact(quote_parts("naive plan was final"), art)
    assert span and text[span[0]:span[1]] == "naïve plan was ﬁnal"


LETTERS = st.text(st.sampled_from(list("aeiouxyzAEÉÈÊËéèêëÖöÜüßÆæØøÅåÇçÑñŁłĐđ ’'-,.\u0301\u0308ﬁﬂＡｂ１한글がカ“”—…\u2000")),
                  max_size=40)


@PROPERTY
@given(LETTERS)
def test_folding_is_idempotent_and_maps_back_to_the_original(text: str) -> None:
    folded, offsets = fold_with_offsets(text)
    assert folded == fold(text) == "".join(fold_char(c) for c in text) and fold(folded) == folded
    assert len(offsets) == len(folded) and offsets == sorted(offsets)
    assert all(fold(text[offsets[i]]) and folded[i] in fold(text[offsets[i]]) for i in range(len(folded)))
    norm = normalise(text)
    if norm.text:
        a, b = norm.span(0, len(norm.text))
        assert normalise(text[a:b]).text == norm.text
    # what BM25 sees of a (composed, as every stored text is) text does not depend on its accents
    stripped = unicodedata.normalize("NFC", "".join(c for c in unicodedata.normalize("NFD", text)
                                                    if not 0x300 <= ord(c) <= 0x36F))
    assert analyze(text) == analyze(stripped)


def test_text_fragment_of_a_long_sentence_without_spaces_uses_its_first_and_last_clauses() -> None:
    sentence = "東京では今日、朝から強い雨が降り続いており、交通機関に大きな影響が出ているため、気象庁は警戒を呼びかけている。"
    directive = text_directive(sentence)
    start, end = directive.removeprefix("text=").split(",")
    assert unquote(start) == "東京では今日" and unquote(end) == "気象庁は警戒を呼びかけている。"
    assert text_directive("東京は晴れ。") == "text=" + "%E6%9D%B1%E4%BA%AC%E3%81%AF%E6%99%B4%E3%82%8C%E3%80%82"
    assert "," not in text_directive("Officials confirmed the unprecedented, extraordinary decision on Monday.")


def unquote(value: str) -> str:
    from urllib.parse import unquote as _unquote

    return _unquote(value)
