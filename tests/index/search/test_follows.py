"""The rules a follow's posts are chosen by (`index.search.follows`): what is new, one post per story, nothing
that adds nothing, confident answers only, at most N."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from corpus.article import Article, article_id
from corpus.chunking import Passage
from index.collections import Collections, Scope
from index.library import Library
from index.search.follows import (NEAR_DUPLICATE, NEAR_IDENTICAL, SAME_ID, SAME_TEXT, SAME_URL, Posted, adds_nothing,
                                  changed_articles, confident_among, copy_of, distinct_stories, near_identical,
                                  select_updates, Skipped)
from index.search.ranking import RetrievalConfig
from index.search.results import Hit
from tests.support.e2e_corpus import BAKERY, CHOIR, CHOIR_QUESTION, EVENTS, KEEPERS, LIGHTHOUSE, keepers_story
from tests.support.fakes import HashEncoder

CHOIR_BODY = CHOIR.split("\n\n", 1)[1].strip()
# the same story as another outlet ran it: a dateline added, one word changed (token_sort_ratio 93)
CHOIR_DATELINE = "HARBOUR TOWN (Herald) - " + CHOIR_BODY.replace("sang sea shanties", "sang old sea shanties")
# one figure corrected (ratio 99, but a figure differs: that is news)
CHOIR_CORRECTED = CHOIR_BODY.replace("1952", "1953")
# the same event written apart by another writer (ratio 76)
CHOIR_REWRITTEN = ("Singers of the harbour choir performed shanties on the quay when the fishing boats came home after "
                   "winter storms. The choir has performed for the fleet each spring since 1952.")
BAKERY_BODY = BAKERY.split("\n\n", 1)[1].strip()


def article(i: str, text: str, url: str | None = None, published: date | None = date(2024, 3, 5),
            outlet: str = "Harbour Herald") -> Article:
    return Article(id=i, title=f"Story {i}", outlet=outlet, authors=(), published=published, url=url, text=text,
                   source=f"{i}.txt")


def test_changed_articles_are_the_new_ones_and_those_whose_content_changed() -> None:
    seen = {"a": "fa", "b": "fb", "gone": "fg"}
    assert changed_articles([("a", "fa"), ("b", "fb2"), ("c", "fc")], seen) == {"b", "c"}
    assert changed_articles([("a", "fa")], seen) == set()


def test_near_identical_on_both_sides_of_the_threshold() -> None:
    assert near_identical(CHOIR_BODY, CHOIR_DATELINE)  # 93 >= 90
    assert not near_identical(CHOIR_BODY, CHOIR_DATELINE, threshold=95)  # the same pair under a stricter rule
    assert not near_identical(CHOIR_BODY, CHOIR_REWRITTEN)  # 76
    assert not near_identical(CHOIR_BODY, BAKERY_BODY)  # 51
    assert NEAR_DUPLICATE == 90.0


def test_a_differing_figure_is_news_but_an_added_dateline_is_not() -> None:
    assert not near_identical(CHOIR_BODY, CHOIR_CORRECTED)  # 99 by words, but 1952 became 1953
    template = "The harbour master said ferry number {0} returned to the harbour after repairs to engine {0}."
    assert not near_identical(template.format(1), template.format(2))
    dated = "LONDON, March 3 (Reuters) - " + CHOIR_BODY  # a dateline only adds numbers
    assert near_identical(CHOIR_BODY, dated)


def test_adds_nothing_compares_with_every_posted_passage() -> None:
    assert adds_nothing(CHOIR_DATELINE, [BAKERY_BODY, CHOIR_BODY])
    assert not adds_nothing(CHOIR_REWRITTEN, [BAKERY_BODY, CHOIR_BODY])
    assert not adds_nothing(CHOIR_BODY, [])


def by_url(url: str, text: str, published: date | None = date(2024, 3, 5), outlet: str = "Harbour Herald") -> Article:
    """An article identified by its URL, as the readers make them."""
    return article(article_id(url, ""), text, url, published, outlet)


def test_one_article_per_story_keeps_the_earliest_copy() -> None:
    first = by_url("https://news.example/choir", CHOIR_BODY, published=date(2024, 3, 5))
    same_url = by_url("https://NEWS.example/choir/#top", CHOIR_REWRITTEN, published=date(2024, 3, 4))
    same_text = by_url("https://other.example/choir", CHOIR_BODY.upper(), published=date(2024, 3, 6),
                       outlet="Coast FM")
    near = by_url("https://third.example/choir", CHOIR_DATELINE, published=date(2024, 3, 7), outlet="Wire")
    other = by_url("https://news.example/bakery", BAKERY_BODY)
    kept, skipped = distinct_stories([first, same_url, same_text, near, other])
    # the same URL: the copy published first is kept; the same text (case and punctuation aside) follows it
    assert [a.id for a in kept] == [same_url.id, other.id, near.id]
    # (`first` and `same_url` share their canonical URL, hence their id: the readers give them one id)
    assert {s.article_id: (s.reason, s.like) for s in skipped} == {first.id: (SAME_ID, same_url.id),
                                                                   same_text.id: (SAME_TEXT, same_url.id)}


def test_a_shared_url_makes_copies_only_when_one_of_them_is_named_by_it() -> None:
    brief_1 = article("brief-1", CHOIR_BODY, "https://quiz.example/week-27")
    brief_2 = article("brief-2", BAKERY_BODY, "https://quiz.example/week-27")
    kept, skipped = distinct_stories([brief_1, brief_2])
    assert [a.id for a in kept] == ["brief-1", "brief-2"] and skipped == []  # a quiz page's briefs
    page = by_url("https://quiz.example/week-27/", CHOIR_REWRITTEN, published=date(2024, 3, 9))
    kept, skipped = distinct_stories([brief_1, brief_2, page])
    assert [a.id for a in kept] == ["brief-1", "brief-2"] and skipped == [Skipped(page.id, SAME_URL, "brief-1")]


def test_copies_of_posted_articles_are_skipped() -> None:
    posted = [Posted.of_parts(by_url("https://news.example/choir", CHOIR_BODY), CHOIR_BODY)]
    again = article(posted[0].article_id, CHOIR_BODY + " More.", None)
    moved = by_url("https://news.example/choir/", CHOIR_REWRITTEN)
    reprinted = article("wire-7", CHOIR_BODY.replace(".", "!"), None, outlet="Wire")
    fresh = by_url("https://news.example/bakery", BAKERY_BODY)
    kept, skipped = distinct_stories([again, moved, reprinted, fresh], posted)
    assert [a.id for a in kept] == [fresh.id]
    assert {(s.article_id, s.reason) for s in skipped} == {(again.id, SAME_ID), (moved.id, SAME_ID),
                                                          ("wire-7", SAME_TEXT)}
    assert copy_of(reprinted, posted) == Skipped("wire-7", SAME_TEXT, posted[0].article_id)
    assert copy_of(fresh, posted) is None


def test_a_near_identical_copy_is_no_competitor_of_the_story_it_copies() -> None:
    story = by_url("https://news.example/choir", CHOIR_BODY)
    copy = by_url("https://wire.example/choir", CHOIR_DATELINE, outlet="Wire")
    other = by_url("https://news.example/bakery", BAKERY_BODY)

    def hit(a: Article, score: float) -> Hit:
        return Hit(Passage(f"p-{a.id}", a.id, 0, a.text, 0, len(a.text), 1, 1), a, score, 0)

    config = RetrievalConfig()
    ranked = [hit(story, 0.35), hit(copy, 0.34), hit(other, 0.1)]
    assert confident_among(0, ranked, {}, config)  # its lead is over the bakery story: 0.35 + 3 × 0.25
    assert not confident_among(0, ranked, {}, config, threshold=100)  # were the copy a rival: no lead, weak
    assert confident_among(0, ranked, {copy.id: story.id}, config, threshold=100)  # a known copy is no rival
    strong = [hit(story, 0.45), hit(other, 0.44)]
    assert confident_among(0, strong, {}, config)  # a strong match needs no lead (strong_score 0.4)


# -- the whole selection, over a real (small) index ---------------------------------------------------------

@pytest.fixture()
def refreshed(tmp_path: Path):  # noqa: ANN201 - (view parts restricted to what the refresh brought, config)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "lighthouse.txt").write_text(LIGHTHOUSE)
    (corpus / "bakery.txt").write_text(BAKERY)
    config = RetrievalConfig(recency=0.0)
    library = Library(corpus, tmp_path / "index", HashEncoder(), retrieval=config)
    library.build()
    before = {a: f for a, f, *_ in library.service.meta.article_states()}
    for i in range(len(EVENTS)):
        (corpus / f"keepers_{i}.txt").write_text(keepers_story(i))
    (corpus / "choir.txt").write_text(CHOIR)
    library.refresh(fetch_feeds=False)
    fresh = changed_articles([(a, f) for a, f, *_ in library.service.meta.article_states()], before)
    assert len(fresh) == len(EVENTS) + 1
    view = Collections(library).view(Scope(None))
    yield [replace(p, only=frozenset(fresh)) for p in view.parts], config
    shutil.rmtree(tmp_path / "index", ignore_errors=True)


def test_only_confident_new_articles_are_posted_at_most_n_and_the_rest_counted(refreshed) -> None:  # noqa: ANN001
    parts, config = refreshed
    selection = select_updates(parts, KEEPERS, [], 2, retrieval=config)
    assert [h.rank for h in selection.posts] == [1, 2]
    assert all(h.article.title.startswith("Skerryvore lighthouse keepers:") for h in selection.posts)
    assert selection.more >= 1
    # the old lighthouse story (not new) and the choir story (new, but not about this) are never chosen
    every = select_updates(parts, KEEPERS, [], 10, retrieval=config)
    titles = [h.article.title for h in every.posts]
    assert len(titles) == 2 + selection.more and len(set(titles)) == len(titles)
    assert all(t.startswith("Skerryvore lighthouse keepers:") for t in titles)


def test_a_question_nothing_new_answers_gets_nothing(refreshed) -> None:  # noqa: ANN001
    parts, config = refreshed
    assert select_updates(parts, "Which bakery won the national bread prize?", [], 3, retrieval=config).posts == []
    choir = select_updates(parts, CHOIR_QUESTION, [], 3, retrieval=config)
    assert [h.article.title for h in choir.posts] == ["Harbour choir sings for the returning fishing fleet"]


def test_what_was_posted_is_not_posted_again(refreshed) -> None:  # noqa: ANN001
    parts, config = refreshed
    first = select_updates(parts, CHOIR_QUESTION, [], 3, retrieval=config)
    posted = [Posted.of(h) for h in first.posts]
    again = select_updates(parts, CHOIR_QUESTION, posted, 3, retrieval=config)
    assert again.posts == [] and [(s.reason, s.like) for s in again.skipped] == [(SAME_ID, posted[0].article_id)]
    # another article whose passage repeats the posted one adds nothing
    echo = [replace(posted[0], article_id="other", url=None, text_key="other")]
    repeat = select_updates(parts, CHOIR_QUESTION, echo, 3, retrieval=config)
    assert repeat.posts == [] and [s.reason for s in repeat.skipped] == [NEAR_IDENTICAL]


def test_max_posts_must_be_positive(refreshed) -> None:  # noqa: ANN001
    parts, config = refreshed
    with pytest.raises(ValueError, match="max_posts"):
        select_updates(parts, KEEPERS, [], 0, retrieval=config)
