"""Highlights, bold sentences, `/source` sentences and text-fragment links follow the one sentence segmenter."""

from __future__ import annotations

from datetime import date
from urllib.parse import unquote

from bot.presentation import passage_sentences
from corpus.article import Article
from corpus.chunking import Passage
from index.search.highlight import Highlighter
from index.search.lookup import locate
from tests.support.fakes import HashEncoder

TEXT = "東京は晴れ。大阪は雨のため新幹線が止まった！札幌は雪。\n\nThe flight was delayed. Émile Zola said so. Ёлки стоят."


def article() -> Article:
    return Article(id="u1", title="天気", outlet="NHK", authors=(), published=date(2022, 7, 27),
                   url="https://x.test/a", text=TEXT, source="a.txt")


def passage(paragraph: int) -> Passage:
    start, end = article().paragraph_spans[paragraph]
    return Passage(id=f"p{paragraph}", article_id="u1", ordinal=paragraph, text=TEXT[start:end], start=start,
                   end=end, paragraph_first=paragraph + 1, paragraph_last=paragraph + 1)


def test_a_highlight_in_japanese_is_one_sentence_not_the_whole_passage() -> None:
    encoder = HashEncoder()
    question = "大阪は雨のため新幹線が止まった？"
    [mark] = Highlighter(encoder, sentences=1).highlight(question, encoder.encode([question])[0],
                                                         [(passage(0), article())])
    assert mark.text == "大阪は雨のため新幹線が止まった！"


def test_bold_sentences_and_source_sentences_split_at_any_capital() -> None:
    shown = passage_sentences(passage(1), article(), "Who said so?", None)
    assert [s.text for s in shown] == ["The flight was delayed.", "Émile Zola said so.", "Ёлки стоят."]
    assert [s.bold for s in shown] == [False, True, False]
    start = TEXT.index("Émile")
    location = locate(article(), start, start + 5)
    assert location.sentence == "Émile Zola said so."
    assert unquote(location.link or "") == "https://x.test/a#:~:text=Émile Zola said so."
    japanese = locate(article(), TEXT.index("札幌"), TEXT.index("札幌") + 2)
    assert japanese.sentence == "札幌は雪。"
