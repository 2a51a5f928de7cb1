"""Answer composition (pure): which sentence is bold, the attribution, honesty when not confident."""

from __future__ import annotations

from datetime import date

from bot.presentation import best_sentence, compose_answer, passage_sentences
from bot.cli.ask import render_item_body
from corpus.article import Article
from corpus.chunking import Passage
from index.search.results import Highlight, Hit, SearchResult

TEXT = ("Officials said the bridge will reopen in May. Repairs cost 3 million dollars.\n\n"
        "Engineers found cracks in two pillars during an inspection in January. The mayor thanked them.")


def article(url: str | None = "https://example.org/bridge") -> Article:
    return Article(id="u0123456789abcde", title="Bridge to reopen", outlet="Reuters", authors=("A. Writer", "B. Editor"),
                   published=date(2024, 3, 1), url=url, text=TEXT, source="/corpus/bridge.txt")


def passage() -> Passage:
    return Passage(id="pabc123def", article_id="u0123456789abcde", ordinal=0, text=TEXT, start=0, end=len(TEXT),
                   paragraph_first=1, paragraph_last=2)


def test_fallback_bolds_the_sentence_sharing_most_question_words() -> None:
    sentences = passage_sentences(passage(), article(), "When were the cracks in the pillars found?", None)
    assert [s.text for s in sentences if s.bold] == ["Engineers found cracks in two pillars during an inspection in "
                                                     "January."]
    assert [s.new_paragraph for s in sentences] == [False, False, True, False]


def test_fallback_bolds_nothing_when_no_word_is_shared() -> None:
    assert best_sentence("Who won the election?", ["The bridge is closed.", "Repairs continue."]) is None


def test_highlight_from_search_wins_over_the_fallback() -> None:
    start = TEXT.index("Repairs")
    sentences = passage_sentences(passage(), article(), "When were cracks found?", [(start, start + 10)])
    assert [s.text for s in sentences if s.bold] == ["Repairs cost 3 million dollars."]


def test_a_highlight_of_two_sentences_apart_bolds_both_and_nothing_between() -> None:
    first, last = TEXT.index("Officials"), TEXT.index("Engineers")
    sentences = passage_sentences(passage(), article(), "q", [(first, first + 5), (last, last + 5)])
    assert [s.text for s in sentences if s.bold] == ["Officials said the bridge will reopen in May.",
                                                     "Engineers found cracks in two pillars during an inspection in January."]
    assert not next(s for s in sentences if s.text.startswith("Repairs")).bold


def test_compose_answer_keeps_attribution_link_and_confidence() -> None:
    start = TEXT.index("Engineers")
    hit = Hit(passage(), article(), 0.71, 1, Highlight(((start, start + 20),), TEXT[start:start + 20]))
    answer = compose_answer(SearchResult("When were cracks found?", [hit], "v0003-x"))
    [item] = answer.items
    assert answer.confident and item.attribution == "Reuters · A. Writer and B. Editor · 1 March 2024 · paragraphs 1-2 of 2"
    assert item.link == "https://example.org/bridge#:~:text=Engineers%20found%20cracks%20in%20two%20pillars,inspection%20in%20January."
    assert item.passage_id == "pabc123def" and item.score == 0.71

    doubtful = compose_answer(SearchResult("When were cracks found?", [hit], "v0003-x", confident=False))
    assert not doubtful.confident and doubtful.items, "items stay available to show anyway"
    assert not compose_answer(SearchResult("q", [], "v1")).confident


def test_skip_leaves_out_results_already_shown() -> None:
    hits = [Hit(passage(), article(None), 0.7 - i / 10, i + 1) for i in range(3)]
    answer = compose_answer(SearchResult("q", hits, "v1"), skip=2)
    assert [i.rank for i in answer.items] == [3] and answer.items[0].link is None


def test_the_command_line_bolds_each_stretch_of_a_highlight() -> None:
    first, last = TEXT.index("Officials"), TEXT.index("Engineers")
    mark = Highlight.of(TEXT, [(first, TEXT.index(" Repairs")), (last, TEXT.index(" The mayor"))])
    [item] = compose_answer(SearchResult("q", [Hit(passage(), article(), 0.5, 1, mark)], "v1")).items
    body = render_item_body(item, width=1000)
    assert body == ("**Officials said the bridge will reopen in May.** Repairs cost 3 million dollars.\n"
                    "**Engineers found cracks in two pillars during an inspection in January.** The mayor thanked them.")
    assert Hit(passage(), article(), 0.5, 1, mark).to_dict()["highlight"]["spans"] == [list(s) for s in mark.spans]
