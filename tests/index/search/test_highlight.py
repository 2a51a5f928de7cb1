"""Highlights: the two best sentences, the headline's help, and the passage of an article worth showing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from corpus.article import Article
from corpus.chunking import Passage
from index.search.ranking import RetrievalConfig
from index.search.highlight import Highlighter, best_sentences
from index.library import Library
from index.search.results import Highlight
from index.search.service import SearchService
from tests.conftest import SEEDS
from tests.support.fakes import HashEncoder

PARAGRAPHS = [
    "At least five people died after a powerful earthquake struck the northern Philippines on Wednesday.",
    "The 7.0-magnitude earthquake shook the island of Luzon this week, seismologists said. "
    "Schools were closed for the day. Quakes are frequent in the Philippines.",
    "Rescue teams reached the mountain villages by the evening.",
]
TEXT = "\n\n".join(PARAGRAPHS)
QUESTION = "Which country was shaken by a 7.0-magnitude earthquake this week?"


def article(title: str = "Philippines earthquake kills five") -> Article:
    return Article(id="u1", title=title, outlet="CNN", authors=(), published=date(2022, 7, 27), url=None,
                   text=TEXT, source="quake.txt")


def passages() -> list[Passage]:
    out, start = [], 0
    for i, para in enumerate(PARAGRAPHS):
        out.append(Passage(id=f"p{i}", article_id="u1", ordinal=i, text=para, start=start, end=start + len(para),
                           paragraph_first=i + 1, paragraph_last=i + 1))
        start += len(para) + 2
    return out


def test_best_sentences_are_the_top_scores_in_text_order() -> None:
    assert best_sentences([0.1, 0.9, 0.3, 0.8], 2) == [1, 3]
    assert best_sentences([0.5, 0.5, 0.1], 1) == [0], "ties go to the earlier sentence"
    assert best_sentences([0.2], 2) == [0]


def test_highlight_spans_merge_when_adjacent_and_join_when_apart() -> None:
    text = "One. Two. Three."
    together = Highlight.of(text, [(5, 9), (0, 4)])
    assert together.spans == ((0, 9),) and together.text == "One. Two." == text[together.start:together.end]
    apart = Highlight.of(text, [(0, 4), (10, 16)])
    assert apart.spans == ((0, 4), (10, 16)) and apart.text == "One. … Three."
    assert (apart.start, apart.end) == (0, 16)
    with pytest.raises(ValueError):
        Highlight.of(text, [])


def test_two_sentences_apart_form_the_highlight() -> None:
    encoder = HashEncoder()
    middle, query = passages()[1], encoder.encode([QUESTION])[0]
    [mark] = Highlighter(encoder, sentences=2).highlight(QUESTION, query, [(middle, article())])
    assert mark.text == ("The 7.0-magnitude earthquake shook the island of Luzon this week, seismologists said. … "
                         "Quakes are frequent in the Philippines.")
    assert [TEXT[a:b] for a, b in mark.spans] == mark.text.split(" … ")
    [single] = Highlighter(encoder, sentences=1).highlight(QUESTION, query, [(middle, article())])
    assert len(single.spans) == 1 and single.text in mark.text


def test_the_headline_names_what_the_question_lacks() -> None:
    encoder = HashEncoder()
    query = encoder.encode([QUESTION])[0]
    sentences = ["The 7.0-magnitude quake shook the region this week, seismologists said.",
                 "Buildings swayed in the Philippines capital."]
    plain = Highlighter(encoder, headline_weight=0.0).sentence_scores(QUESTION, query, sentences, article().title)
    helped = Highlighter(encoder, headline_weight=0.3).sentence_scores(QUESTION, query, sentences, article().title)
    # the headline's terms that the question lacks: philippin, kill, five; the second sentence names one of three
    assert helped[0] == pytest.approx(plain[0]) and helped[1] - plain[1] == pytest.approx(0.3 / 3)
    # a headline whose words the question already has changes nothing
    same = Highlighter(encoder, headline_weight=0.3).sentence_scores(QUESTION, query, sentences, "7.0-magnitude earthquake")
    assert list(same) == pytest.approx(list(plain))


def test_best_passage_prefers_the_one_that_answers_using_known_vectors_only() -> None:
    encoder = HashEncoder()
    query = encoder.encode([QUESTION])[0]
    first, middle, last = passages()
    cold = Highlighter(encoder)
    encoder.calls.clear()
    assert cold.best_passage(QUESTION, query, article(), last, [first, middle]) == last
    assert encoder.calls == [1], "only the current passage's one sentence was embedded"
    warm = Highlighter(encoder)
    warm.highlight(QUESTION, query, [(p, article()) for p in passages()])  # every sentence now cached
    scores = {p.id: warm.passage_score(QUESTION, query, article(), p) for p in passages()}
    best = max(scores, key=scores.get)
    assert best != last.id
    assert warm.best_passage(QUESTION, query, article(), last, [first, middle]).id == best
    assert warm.best_passage(QUESTION, query, article(), last, []).id == last.id


def test_refocus_keeps_articles_and_order_and_scores_what_it_shows(tmp_path: Path) -> None:
    Library(SEEDS, tmp_path / "idx", HashEncoder()).build()
    question = "What did the Kremlin say about the drone attack on Putin?"
    plain = SearchService.open(tmp_path / "idx", HashEncoder(), retrieval=RetrievalConfig(refocus=False))
    service = SearchService.open(tmp_path / "idx", HashEncoder())
    before, after = plain.search(question, k=3), service.search(question, k=3)
    assert [h.article.id for h in after.hits] == [h.article.id for h in before.hits]
    assert len({h.passage.id for h in after.hits}) == len(after.hits), "no passage shown twice"
    assert [h.passage.id for h in after.hits] != [h.passage.id for h in before.hits], "this question moves a passage"
    query = service.embed_query(question)
    for old, new in zip(before.hits, after.hits):
        rows = {p.id: row for row, p in service.meta.passages_of(new.article.id)}
        expected = service.retriever.scores(question, query, service.retrieval, [rows[new.passage.id]],
                                            service.reference_day())[0]
        assert new.score == pytest.approx(max(0.0, float(expected)), abs=1e-5), "the score is the shown passage's"
        score = service.highlighter.passage_score
        assert score(question, query, new.article, new.passage) >= score(question, query, old.article, old.passage)
    plain.close()
    service.close()
