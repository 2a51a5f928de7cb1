"""Rendering within Discord's limits: trimming at sentence boundaries, escaping, message-wide totals."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from bot.presentation import Answer, AnswerItem, Sentence
from bot.chat.render.listing import sources_page
from bot.chat.render.answer import (DESCRIPTION_LIMIT, MESSAGE_EMBEDS_TOTAL, TITLE_LIMIT, answer_embeds, embeds_length,
                        fit_sentences, question_line, shorten)
from bot.chat.render.source import display_source, md_link, sources_embed
from corpus.article import Article


def sentences(n: int, bold: int | None = None, words: int = 12) -> tuple[Sentence, ...]:
    return tuple(Sentence(f"Sentence {i} " + "word " * words + "ends here.", i == bold, i % 3 == 0 and i > 0)
                 for i in range(n))


def item(rank: int, n: int = 40, title: str = "A title") -> AnswerItem:
    return AnswerItem(rank, f"p{rank:09d}", "u0", title, False, "https://x.test/a", "https://x.test/a#:~:text=x",
                      "CNN", ("A", "B"), date(2023, 5, 3), "paragraphs 1-9 of 20", sentences(n, bold=n // 2), 0.5)


def test_fit_keeps_whole_sentences_around_the_bold_one() -> None:
    text = fit_sentences(sentences(30, bold=15), 600)
    assert len(text) <= 600
    assert "**Sentence 15 " in text and text.startswith("… ") and text.endswith(" …")
    pieces = text.strip("… ").replace("\n\n", " ").replace("**", "").split("ends here.")
    assert all(p.strip().startswith("Sentence") for p in pieces if p.strip()), "never cut inside a sentence"


def test_fit_returns_everything_when_it_fits_and_cuts_one_huge_sentence_at_a_word() -> None:
    short = sentences(2)
    assert fit_sentences(short, 4000) == short[0].text + " " + short[1].text
    huge = (Sentence("word " * 2000 + "end.", bold=True),)
    text = fit_sentences(huge, 300)
    assert len(text) <= 300 and text.startswith("**word") and text.endswith("…**")


def test_markdown_and_mentions_in_passages_are_shown_literally() -> None:
    text = fit_sentences((Sentence("*Not bold* @everyone <@123> __x__"),), 200)
    assert "\\*Not bold\\*" in text and "@\u200beveryone" in text and "\\_\\_x\\_\\_" in text


def test_five_long_results_fit_one_message() -> None:
    answer = Answer("q", tuple(item(i, title="T" * 400) for i in range(1, 6)), True, "v0001")
    embeds = answer_embeds(answer)
    assert len(embeds) == 5 and embeds_length(embeds) <= MESSAGE_EMBEDS_TOTAL
    for embed in embeds:
        assert len(embed.title) <= TITLE_LIMIT and len(embed.description) <= DESCRIPTION_LIMIT
        assert "**Sentence 20 " in embed.description
        assert embed.fields[0].value == "CNN · A and B · 3 May 2023 · paragraphs 1-9 of 20"


def test_not_confident_says_so_instead_of_showing_passages() -> None:
    answer = Answer("Who is @everyone?", (item(1),), False, "v0001", "CNN articles since 2023-01-01")
    [embed] = answer_embeds(answer)
    assert embed.title == "No reliable answer" and "Sentence" not in embed.description
    assert "Searched only CNN articles since 2023-01-01" in embed.description
    assert len(answer_embeds(answer, shown_anyway=True)) == 1 and answer_embeds(answer, True)[0].title == "A title"


def test_question_line_and_shorten() -> None:
    assert question_line("hi @everyone") == "> hi @\u200beveryone"
    assert "Low confidence" in question_line("q", low_confidence=True)
    assert shorten("one two three four", 12) == "one two…" and shorten("short", 10) == "short"


def test_sources_page_and_links(tmp_path: Path) -> None:
    articles = [Article(f"u{i:015d}", f"Title {i} (draft)", "BBC" if i % 2 else "CNN", ("X",), date(2024, 1, 1 + i),
                        f"https://x.test/{i}_(a)", "text", str(tmp_path / f"{i}.txt")) for i in range(12)]
    page = sources_page(articles, 5, "bbc")
    assert page.clamped and page.page == 1 and page.matching == 6 and page.outlet_name == "BBC"
    embed = sources_embed(sources_page(articles, 2), "footer")
    assert embed.footer.text == "page 2/2 · footer" and embed.description.count("\n`") == 1
    assert md_link("a", "https://x.test/a_(b)") == "[a](https://x.test/a_%28b%29)"
    assert display_source(str(tmp_path / "sub" / "f.jsonl") + ":12", tmp_path) == "sub/f.jsonl:12"
    assert display_source("/elsewhere/f.txt", tmp_path) == "f.txt"


def test_answer_buttons_two_results_a_row_then_more() -> None:
    from bot.chat.views.answer import answer_view

    answer = Answer("q", tuple(item(i) for i in range(1, 6)), True, "v1")
    view = answer_view(7, answer, more=True, shown=5)
    buttons = [(c.item.custom_id, c.item.row, c.item.label) for c in view.children]  # type: ignore[attr-defined]
    assert buttons[:2] == [("nb:fb:ok:7:p000000001", 0, "Helpful (1)"), ("nb:fb:bad:7:p000000001", 0, "Wrong source (1)")]
    assert buttons[-2][1] == 2 and buttons[-1] == ("nb:more:7:5", 3, "More results")
    doubtful = Answer("q", (item(1),), False, "v1")
    assert [(c.item.custom_id, c.item.label) for c in answer_view(8, doubtful, True, 0).children] == [  # type: ignore[attr-defined]
        ("nb:more:8:0", "Show the closest passages anyway")]
    assert len(answer_view(9, doubtful, True, 0, shown_anyway=True).children) == 3
