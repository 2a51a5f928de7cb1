"""Every message the bot builds stays within Discord's limits, whatever the articles hold (property tests).

Random long titles, author lists with bios, outlets, markdown-laden and mention-laden text, URLs
with parentheses and spaces, and 1-5 (up to 10) cards go through every renderer; each message is
checked by the same function the local fake Discord uses to refuse a request
(`tests.support.fake_discord.limits.check_message`).
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.chat.answering import answer_message
from bot.chat.render.answer import answer_embeds, attribution_text, fit_sentences, no_answer_embed, question_line
from bot.chat.render.budget import embeds_length
from bot.chat.render.corpus import history_embed, preview_embed, refused_file_text, removal_embed
from bot.chat.render.listing import sources_page
from bot.chat.render.source import IndexStats, source_embed, sources_embed, stats_embed
from bot.chat.render.text import (CHOICE_LIMIT, MESSAGE_EMBEDS_TOTAL, choice, encode_url, escape_title, fit_names,
                                  fit_text, link_label, md_link)
from bot.chat.views.answer import answer_view
from bot.chat.views.sources import sources_view
from bot.presentation import Answer, AnswerItem, Sentence, split_dateline, without_datelines
from corpus.article import Article
from corpus.chunking import Passage
from corpus.errors import BadJsonLine
from corpus.folder.planning import ArticleRef
from corpus.sources.uploads import CheckedUpload, UploadRejected
from index.curation.changes import Preview
from index.search.lookup import Location, SourceAnswer
from index.search.quote import QuoteMatch, QuoteResult
from index.store.state import HistoryEntry
from tests.support.fake_discord.limits import check_choices, check_message, message_body

PROPERTY = settings(max_examples=40, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# -- what articles may hold ------------------------------------------------------------------------------------------

MARKUP = ["*", "**", "_", "__", "~~", "||", "`", "```", "\\", "[", "]", "(", ")", "#", "# ", "> ", "- ", "<", ">",
          "@everyone", "@here", "<@123>", "<@&456>", "<#789>", "<t:1700000000>", "[a](https://evil.test)",
          "https://x.test/a_b_(c)", "—", "“", "”", "’", "é", "日本", "🙂", "\n", "\n\n"]
WORDS = ["Live", "updates", "Ukraine", "Russia", "war", "WASHINGTON", "(CNN)", "—", "Reuters", "said", "the", "a",
         "Kremlin", "drones", "strike", "latest", "news", "minister", "correspondent", "senior", "covering",
         "politics", "and", "of", "in", "2024:", "U.S.", "Zelensky’s"]

token = st.one_of(st.sampled_from(WORDS), st.sampled_from(MARKUP), st.text(min_size=1, max_size=12))


def prose(min_words: int = 0, max_words: int = 60) -> st.SearchStrategy[str]:
    """Words, markdown, mentions, emoji and stray whitespace."""
    return st.lists(token, min_size=min_words, max_size=max_words).map(" ".join)


long_title = st.one_of(prose(1, 120), st.text(min_size=1, max_size=700))
author = st.one_of(prose(1, 4), prose(5, 40))  # names, or names with their bios
authors = st.lists(author, max_size=30).map(tuple)
outlet = st.one_of(st.sampled_from(["CNN", "Reuters", "BBC", "The Associated Press"]), prose(1, 40))
url = st.one_of(st.none(), st.just("https://x.test/a_(b) c"), st.builds(
    lambda path, frag: f"https://news.test/{path}" + (f"#:~:text={frag}" if frag else ""),
    st.text(min_size=0, max_size=400), st.text(max_size=200)))
dates = st.one_of(st.none(), st.dates(date(1990, 1, 1), date(2030, 12, 31)))
sentence = st.builds(Sentence, st.one_of(prose(1, 40), st.text(min_size=1, max_size=900)), st.booleans(),
                     st.booleans())
sentences = st.lists(sentence, min_size=1, max_size=30).map(tuple)


@st.composite
def items(draw: st.DrawFn, rank: int) -> AnswerItem:
    link = draw(url)
    return AnswerItem(rank=rank, passage_id=f"p{rank:09x}", article_id=f"u{rank}", title=draw(long_title),
                      title_derived=draw(st.booleans()), url=link, link=draw(st.one_of(st.none(), st.just(link))),
                      outlet=draw(outlet), authors=draw(authors), published=draw(dates),
                      paragraphs=draw(st.sampled_from(["paragraph 1 of 1", "paragraphs 1-3 of 240"])),
                      sentences=draw(sentences), score=draw(st.floats(0, 1)))


@st.composite
def answers(draw: st.DrawFn, most: int = 5) -> Answer:
    count = draw(st.integers(1, most))
    return Answer(draw(prose(1, 60)), tuple(draw(items(i)) for i in range(1, count + 1)), draw(st.booleans()),
                  draw(st.sampled_from(["v0001", "v0042-20240501T120000"])), draw(st.one_of(st.just(""), prose(1, 80))))


@st.composite
def articles(draw: st.DrawFn, number: int = 0) -> Article:
    paragraphs = draw(st.lists(prose(1, 80).filter(lambda t: t.strip()), min_size=1, max_size=8))
    text = "\n\n".join(" ".join(p.split()) for p in paragraphs)
    return Article(id=f"u{number:015d}", title=draw(long_title), outlet=draw(outlet), authors=draw(authors),
                   published=draw(dates), url=draw(url), text=text,
                   source=draw(st.sampled_from(["feeds/x.jsonl:3", "/srv/corpus/" + "deep/" * 60 + "f.txt"])))


def problems(**kwargs: object) -> list:
    """Every Discord limit a send/edit call with these arguments would break."""
    return check_message(message_body(**kwargs))


# -- answers ---------------------------------------------------------------------------------------------------------

@PROPERTY
@given(answers(), st.booleans(), st.integers(0, 10**9))
def test_every_answer_message_is_within_every_limit(answer: Answer, anyway: bool, answer_id: int) -> None:
    message = answer_message(answer, answer_id, more=True, shown=0, anyway=anyway)
    assert problems(**message) == []
    assert embeds_length(message["embeds"]) <= MESSAGE_EMBEDS_TOTAL


@PROPERTY
@given(answers(most=10))
def test_up_to_ten_cards_fit_one_message(answer: Answer) -> None:
    assert problems(embeds=answer_embeds(answer, shown_anyway=True)) == []


@PROPERTY
@given(answers())
def test_each_card_keeps_its_title_link_and_first_author(answer: Answer) -> None:
    """Shortening never loses a card: each keeps a title, an attribution with the outlet's start, a passage."""
    embeds = answer_embeds(answer, shown_anyway=True)
    assert len(embeds) == len(answer.items)
    for embed, item in zip(embeds, answer.items):
        assert embed.title and embed.fields[0].value and embed.footer.text.startswith(f"#{item.rank} · passage")
        if item.link or item.url:
            assert " " not in embed.url and ")" not in embed.url


@PROPERTY
@given(prose(0, 400), st.booleans())
def test_the_question_line_fits_and_pings_nobody(question: str, low: bool) -> None:
    line = question_line(question, low)
    assert len(line) <= 2000 and "@everyone" not in line and "\n> " not in line


@PROPERTY
@given(sentences, st.integers(0, 5000))
def test_a_passage_fits_any_budget(passage: tuple[Sentence, ...], budget: int) -> None:
    assert len(fit_sentences(passage, budget)) <= budget


@PROPERTY
@given(items(1), st.integers(0, 1024))
def test_an_attribution_fits_any_room(item: AnswerItem, room: int) -> None:
    text = attribution_text(item, room)
    assert len(text) <= room
    if room >= 160 and item.outlet.strip() and item.authors and len(attribution_text(item)) > room:
        assert " other" in text or len(item.authors) == 1 or "…" in text


# -- /source, /sources, /stats ---------------------------------------------------------------------------------------

@st.composite
def locations(draw: st.DrawFn) -> SourceAnswer:
    article = draw(articles())
    spans = article.paragraph_spans
    first = draw(st.integers(1, len(spans)))
    last = draw(st.integers(first, len(spans)))
    start, end = spans[first - 1][0], spans[last - 1][1]
    passage = Passage("p0123456789", article.id, 0, article.text[start:end], start, end, first, last)
    context = st.one_of(st.none(), prose(1, 120))
    loc = Location(article, draw(st.one_of(st.none(), st.just(passage))), start, end, first, last,
                   article.text[start:end][:80], draw(url), draw(context), draw(context), "2024-05-01T12:03:00")
    kind = draw(st.sampled_from(["passage", "article", "quote"]))
    match = QuoteMatch(article, passage, start, end, "close", 74.0, 0.89)
    return SourceAnswer(kind, draw(prose(1, 50)), loc, QuoteResult("q", match) if kind == "quote" else None)


@PROPERTY
@given(locations(), st.sampled_from([None, Path("/srv/corpus")]))
def test_every_source_message_is_within_every_limit(answer: SourceAnswer, corpus_dir: Path | None) -> None:
    assert problems(content="note", embed=source_embed(answer, corpus_dir, "v0001")) == []


@PROPERTY
@given(st.lists(articles(), min_size=1, max_size=5), prose(1, 50))
def test_a_source_without_a_match_lists_candidates_within_limits(found: list[Article], query: str) -> None:
    candidates = tuple(QuoteMatch(a, Passage("p1", a.id, 0, a.text, 0, len(a.text), 1, 1), 0, len(a.text), "close",
                                  50.0, None) for a in found)
    answer = SourceAnswer("quote", query, None, QuoteResult(query, None, candidates))
    assert problems(embed=source_embed(answer, None, "v0001")) == []


@PROPERTY
@given(st.lists(articles(), min_size=0, max_size=25), st.integers(1, 4), prose(0, 5), prose(1, 60))
def test_every_sources_page_is_within_every_limit(listed: list[Article], page: int, outlet_name: str,
                                                   footer: str) -> None:
    listed = [Article(f"u{i:015d}", a.title, a.outlet, a.authors, a.published, a.url, a.text, a.source)
              for i, a in enumerate(listed)]
    for shown in (sources_page(listed, page), sources_page(listed, page, outlet_name)):
        message = {"embed": sources_embed(shown, footer), "view": sources_view(shown.page, shown.pages, "cnn")}
        assert problems(**message) == []


@PROPERTY
@given(prose(1, 60), st.text(max_size=300))
def test_stats_are_within_every_limit(model: str, version: str) -> None:
    stats = IndexStats(10**9, 10**12, 10**6, model, version, "2024-05-01T12:03:00", True, 10**9, 10**9)
    assert problems(embed=stats_embed(stats)) == []


# -- /corpus ---------------------------------------------------------------------------------------------------------

@PROPERTY
@given(st.lists(articles(), min_size=1, max_size=12), st.integers(0, 4000), st.booleans(), st.integers(0, 8),
       prose(1, 30))
def test_every_corpus_preview_and_removal_is_within_every_limit(found: list[Article], passages: int, upload: bool,
                                                                existing: int, name: str) -> None:
    refs = tuple(ArticleRef(a.id, "f", a.title, a.outlet, a.url, "k", None, a.source, a.source) for a in found)
    checked = CheckedUpload(name, b"", tuple(found)) if upload else None
    preview = Preview(tuple(found), passages, upload=checked, existing=(refs * 8)[:existing])
    assert problems(content="Add this to the shared corpus?", embed=preview_embed(preview, Path("/srv/corpus"))) == []
    assert problems(embed=removal_embed(found[0], Path("/srv/corpus"))) == []


@PROPERTY
@given(st.lists(prose(1, 120), max_size=25), prose(1, 30))
def test_every_history_is_within_every_limit(summaries: list[str], actor: str) -> None:
    entries = [HistoryEntry(i, "corpus add", actor, "2024-05-01T10:00:00+00:00", None, "ok", None, None, 1, 0, 0, 0, 0,
                            0, 0, 0.0, summary, {}) for i, summary in enumerate(summaries)]
    assert problems(embed=history_embed(entries)) == []


@PROPERTY
@given(prose(1, 20), prose(1, 200), st.lists(prose(1, 80), max_size=400))
def test_a_refused_file_fits_one_message(name: str, problem: str, lines: list[str]) -> None:
    found = tuple(BadJsonLine(name, text, "fix it", line=i) for i, text in enumerate(lines, 1))
    assert problems(content=refused_file_text(UploadRejected(name, problem, "fix them", found))) == []


@PROPERTY
@given(answers())
def test_the_no_answer_card_is_within_every_limit(answer: Answer) -> None:
    assert problems(embed=no_answer_embed(answer)) == []


# -- text in its context ---------------------------------------------------------------------------------------------

@PROPERTY
@given(prose(0, 80), st.text(max_size=200))
def test_a_masked_link_label_has_no_escapes_or_brackets_and_its_url_stays_inside(label: str, address: str) -> None:
    link = md_link(label, "https://x.test/" + address)
    shown, target = re.fullmatch(r"\[([^\[\]]*)\]\(([^()\s]*)\)", link, re.S).groups()
    assert "\\" not in shown and "\n" not in shown and shown.strip()
    assert not re.search(r"[*_~|`]", shown), "no markdown inside the label"
    assert "@everyone" not in shown and "<@" not in shown


def test_masked_links_show_titles_as_written() -> None:
    assert md_link("#1 in *charts* [live]_now_", "https://x.test/a b_(c)") == \
        "[#1 in ∗charts∗ (live)ˍnowˍ](https://x.test/a%20b_%28c%29)"
    assert md_link("", "https://x.test") == "[link](https://x.test)"
    assert encode_url("https://x.test/%7Ea?q=1#:~:text=a%20b,c-d") == "https://x.test/%7Ea?q=1#:~:text=a%20b,c-d"
    assert link_label("<#123> <@&4> @here a\\b") == "‹#123> ‹@&4> @\u200bhere a⧵b"


def test_titles_escape_only_what_renders_in_a_title() -> None:
    assert escape_title("# 10 *best* - [live] _now_ > `x`") == "# 10 \\*best\\* - [live] \\_now\\_ > \\`x\\`"
    short = fit_text("a_b " * 100, 20, escape_title)
    assert short.endswith("…") and len(short) <= 20 and "\\_" in short


@PROPERTY
@given(authors, st.integers(0, 1024))
def test_author_lists_fit_any_room(names: tuple[str, ...], room: int) -> None:
    assert len(fit_names(names, room)) <= room


def test_author_lists_name_as_many_as_fit_then_count_the_others() -> None:
    names = tuple(f"Author Number{i}" for i in range(12))
    assert fit_names(names, 1000) == ", ".join(names[:-1]) + " and " + names[-1]
    assert fit_names(names, 50) == "Author Number0, Author Number1 and 10 others"
    assert fit_names(("A",), 10) == "A" and fit_names((), 10) == ""


@PROPERTY
@given(prose(0, 60), st.text(max_size=300))
def test_autocomplete_choices_fit(name: str, value: str) -> None:
    made = choice(name, value)
    assert check_choices({"choices": [{"name": made.name, "value": made.value}]}) == []
    assert len(made.name) <= CHOICE_LIMIT


# -- datelines -------------------------------------------------------------------------------------------------------

def test_datelines_are_not_part_of_the_highlight() -> None:
    for text, dateline in [("WASHINGTON (CNN) — The Senate voted.", "WASHINGTON (CNN) —"),
                           ("LONDON, May 3 (Reuters) - Britain's economy grew.", "LONDON, May 3 (Reuters) -"),
                           ("(AP) — Officials said it was over.", "(AP) —"),
                           ("KYIV, Ukraine (AP) — Russia struck at night.", "KYIV, Ukraine (AP) —"),
                           ("Hong Kong CNN — Protesters gathered.", "Hong Kong CNN —"),
                           ("WASHINGTON — The House passed it.", "WASHINGTON —")]:
        assert split_dateline(text) == (dateline, text[len(dateline):].strip())
    for text in ("Former President Donald Trump (R) said so.", "Moscow alleged Wednesday Ukraine flew drones.",
                 "The EU — a bloc of 27 — said.", "NATO — the alliance — agreed."):
        assert split_dateline(text) == ("", text)
    shown = without_datelines((Sentence("WASHINGTON (CNN) — The Senate voted.", True),
                               Sentence("KYIV (AP) — Not bold."), Sentence("More.", True, True)))
    assert shown == (Sentence("WASHINGTON (CNN) —"), Sentence("The Senate voted.", True),
                     Sentence("KYIV (AP) — Not bold."), Sentence("More.", True, True))
    assert fit_sentences(shown, 4000).startswith("WASHINGTON (CNN) — **The Senate voted.**")


# -- the 6,000 of one message ----------------------------------------------------------------------------------------

def live_blog_item(rank: int) -> AnswerItem:
    bios = tuple(f"Reporter Number{i}, a senior correspondent covering the war in Ukraine for the network"
                 for i in range(14))
    title = (f"Live updates {rank}: Russia’s war in Ukraine — drones over the Kremlin, Zelensky’s response and "
             "the latest from the front line as Moscow blames Kyiv for what it calls an attempt on Putin’s life, "
             "with reactions from Washington, London and Brussels through the night")
    text = ("Moscow alleged Wednesday Ukraine flew two drones toward the Kremlin overnight in what it claims was an "
            "attempt to kill President Vladimir Putin. ")
    passage = tuple(Sentence(text * 2, i == 3, i % 4 == 0) for i in range(12))
    return AnswerItem(rank, f"p{rank:09d}", f"u{rank}", title, False, "https://x.test/live_(1)",
                      "https://x.test/live_(1)#:~:text=Moscow", "CNN", bios, date(2023, 5, 3),
                      "paragraphs 40-42 of 240", passage, 0.8)


def test_a_confident_five_card_live_blog_answer_fits_by_shortening_later_cards_first() -> None:
    answer = Answer("Who flew drones toward the Kremlin?", tuple(live_blog_item(i) for i in range(1, 6)), True, "v1")
    embeds = answer_embeds(answer)
    assert problems(embeds=embeds, view=answer_view(1, answer, True, 0)) == []
    descriptions = [len(e.description) for e in embeds]
    assert descriptions[0] >= max(descriptions[1:]) and descriptions[0] > 300, descriptions
    assert all("**Moscow alleged" in e.description for e in embeds), "every card keeps its bold sentence"
    assert all(" others ·" in e.fields[0].value and e.fields[0].value.startswith("CNN · Reporter Number0")
               for e in embeds), "long author lists name the first and count the others"
    assert all(e.url == "https://x.test/live_%281%29#:~:text=Moscow" for e in embeds)


# -- the budget and the fake's checks --------------------------------------------------------------------------------

def test_the_budget_shortens_parts_in_order_and_never_below_their_floor() -> None:
    import discord

    from bot.chat.render.budget import Part, fit_embeds

    embeds = [discord.Embed(title=f"card {i}", description="x " * 1400) for i in range(3)]
    parts = [Part("description", lambda n: "y" * n, 1000, 2), Part("description", lambda n: "z" * n, 1000, 1),
             Part("description", lambda n: "w" * n, 10, 0)]
    fitted = fit_embeds(embeds, parts, budget=4000)
    assert [len(e.description) for e in fitted] == [4000 - 2000 - 3 * 6, 1000, 1000]
    cut = fit_embeds([discord.Embed(title="t" * 300, description="d " * 3000).add_field(name="n", value="v" * 2000)
                      for _ in range(12)])
    assert len(cut) == 10 and problems(embeds=cut) == [], "no part given: the longest texts are cut"


def test_the_fake_refuses_what_discord_refuses() -> None:
    choices = {"choices": [{"name": "n" * 101, "value": "v" * 101}, {"name": "", "value": "x"}]
               + [{"name": "ok", "value": "x"}] * 24}
    assert {f for f, *_ in check_choices(choices)} == {"data.choices", "data.choices.0.name", "data.choices.0.value",
                                                       "data.choices.1.name"}
    five = {"embeds": [{"title": "t", "description": "d" * 1500}] * 5}  # each embed fine, 7,505 together
    assert [(f, actual) for f, _, _, actual in check_message(five)] == [("embeds", 7505)]
