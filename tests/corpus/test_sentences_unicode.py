"""Sentence boundaries in any script: one mechanism for passages, highlights, `/source`, links and derived titles."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from corpus.article import Article, derive_title, normalise_body
from corpus.chunking import ChunkConfig, chunk_article
from corpus.sentences import first_sentence, sentence_spans

PROPERTY = settings(max_examples=150, deadline=None, database=None)


def split(text: str) -> list[str]:
    return [text[a:b] for a, b in sentence_spans(text)]


def test_a_capital_of_any_latin_alphabet_starts_a_sentence() -> None:
    assert split("The flight was delayed. Émile said it was fine. Ørsted agreed. Łukasz did not.") == [
        "The flight was delayed.", "Émile said it was fine.", "Ørsted agreed.", "Łukasz did not."]
    assert split("Das Spiel endete 2:1. Über 40.000 Fans jubelten! Çok güzel. İstanbul bekliyor.") == [
        "Das Spiel endete 2:1.", "Über 40.000 Fans jubelten!", "Çok güzel.", "İstanbul bekliyor."]


def test_cyrillic_greek_and_armenian_sentences() -> None:
    assert split("Москва заявила об атаке. Жители не пострадали? Ясно.") == [
        "Москва заявила об атаке.", "Жители не пострадали?", "Ясно."]
    assert split("Η πτήση καθυστέρησε. Ωστόσο έφτασε. Έτσι είπε.") == [
        "Η πτήση καθυστέρησε.", "Ωστόσο έφτασε.", "Έτσι είπε."]
    assert split("Բարև։ Ինչպե՞ս ես։") == ["Բարև։", "Ինչպե՞ս ես։"]


def test_full_width_terminators_need_no_space_after_them() -> None:
    assert split("東京は晴れ。大阪は雨！本当？「はい。」それでいい。") == [
        "東京は晴れ。", "大阪は雨！", "本当？", "「はい。」", "それでいい。"]
    assert split("北京今天下雨。上海晴天。") == ["北京今天下雨。", "上海晴天。"]
    assert split("半角の句点｡次の文") == ["半角の句点｡", "次の文"]


def test_caseless_scripts_after_a_terminator_and_a_space() -> None:
    assert split("قال المسؤول إن الرحلة تأخرت. وصلت الطائرة مساء؟ نعم.") == [
        "قال المسؤول إن الرحلة تأخرت.", "وصلت الطائرة مساء؟", "نعم."]
    assert split("उड़ान में देरी हुई। यात्री सुरक्षित हैं।") == ["उड़ान में देरी हुई।", "यात्री सुरक्षित हैं।"]
    assert split("비행기가 지연되었다. 승객들은 안전하다.") == ["비행기가 지연되었다.", "승객들은 안전하다."]
    assert split("הטיסה התעכבה. כולם בסדר.") == ["הטיסה התעכבה.", "כולם בסדר."]


def test_quotes_and_brackets_of_any_language_stay_with_their_sentence() -> None:
    assert split("Il a dit « Non. » Élise a ri. « Oui ? » Puis rien.") == [
        "Il a dit « Non. »", "Élise a ri.", "« Oui ? »", "Puis rien."]
    assert split("Er sagte: »Nein.« Danach ging er. (Später kam er zurück.) Ende.") == [
        "Er sagte: »Nein.«", "Danach ging er.", "(Später kam er zurück.)", "Ende."]
    assert split("¿Dónde está? ¡Allí! Bien.") == ["¿Dónde está?", "¡Allí!", "Bien."]


def test_abbreviations_initials_and_lower_case_continuations_end_nothing() -> None:
    assert split("Gov. J.B. Pritzker spoke. Democratic Sens. Mark Kelly and Reps. Liz Cheney agreed.") == [
        "Gov. J.B. Pritzker spoke.", "Democratic Sens. Mark Kelly and Reps. Liz Cheney agreed."]
    assert split("M. É. Zola et Mme Curie. Le prix No. 1 est parti.") == [
        "M. É. Zola et Mme Curie.", "Le prix No. 1 est parti."]
    assert split("He hit .313 in the AL. Judge led. “Wait!” she said. Then she left…") == [
        "He hit .313 in the AL.", "Judge led.", "“Wait!” she said.", "Then she left…"]
    assert split("The version on Vol. 3 is best. Prices rose 2.5 percent. Tokyo.Osaka") == [
        "The version on Vol. 3 is best.", "Prices rose 2.5 percent.", "Tokyo.Osaka"]


def test_a_sentence_mixing_scripts() -> None:
    assert split("The sign read 東京駅。Then we left. Москва was next.") == [
        "The sign read 東京駅。", "Then we left.", "Москва was next."]


TEXTS = st.lists(st.sampled_from([
    "The flight was delayed.", "Émile said so!", "東京は晴れ。", "Москва заявила?", "“Stop.”", " ", "  ", "\n",
    "Mr.", "J.B.", "word", "。", "…", "« Oui »", "¿Qué?", "a.", "Ω.", "3.5", "(x)", "दिल्ली।", "\u3000",
]), max_size=25).map(" ".join)


@PROPERTY
@given(TEXTS, st.integers(0, 5), st.integers(0, 5))
def test_spans_are_ordered_trimmed_and_cover_every_visible_character(text: str, lead: int, trail: int) -> None:
    start, end = min(lead, len(text)), max(min(lead, len(text)), len(text) - trail)
    spans = sentence_spans(text, start, end)
    last = start
    for a, b in spans:
        assert last <= a < b <= end
        assert not text[a].isspace() and not text[b - 1].isspace()
        assert not text[last:a].strip(), "nothing but whitespace between sentences"
        last = b
    assert not text[last:end].strip()
    # a sentence split again is itself: boundaries do not depend on where the scan starts
    for a, b in spans:
        assert sentence_spans(text, a, b) == [(a, b)]


def test_derived_titles_use_the_same_sentence_rules() -> None:
    assert derive_title("U.S. officials met Gov. J.B. Pritzker on Monday. Then they left.") == \
        "U.S. officials met Gov. J.B. Pritzker on Monday"
    assert derive_title("東京は晴れ。大阪は雨。") == "東京は晴れ"
    assert derive_title("Le vol a été retardé. Émile l'a dit.") == "Le vol a été retardé"
    assert first_sentence("  Москва. Жители.") == "Москва."


def test_chinese_and_japanese_passages_are_cut_between_sentences(count_tokens) -> None:  # noqa: ANN001
    sentences = [f"第{i}号の報告によると、東京都の気温は今日も高く、多くの住民が熱中症に注意している。" for i in range(60)]
    text = normalise_body(["".join(sentences[:30]), "".join(sentences[30:])])
    article = Article(id="c1", title="東京の天気", outlet="o", authors=(), published=None, url=None, text=text,
                      source="mem")
    passages = chunk_article(article, count_tokens, ChunkConfig())
    assert len(passages) > 2
    for p in passages:
        assert p.text.endswith("。") and not p.split_sentence
        assert [article.text[a:b] for a, b in sentence_spans(article.text, p.start, p.end)] == \
            [s for s in sentences if s in p.text]
