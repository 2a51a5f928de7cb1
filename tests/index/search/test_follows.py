"""The rules a follow's posts are chosen by (`index.search.follows`): what is new, one post per story, nothing
that adds nothing, confident answers only, at most N."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from corpus.article import Article
from index.collections import Collections, Scope
from index.library import Library
from index.search.follows import (NEAR_DUPLICATE, NEAR_IDENTICAL, SAME_ID, SAME_TEXT, SAME_URL, Posted,
                                  adds_nothing, changed_articles, distinct_stories, near_identical, select_updates)
from index.search.ranking import RetrievalConfig
from tests.support.e2e_corpus import BAKERY, CHOIR, CHOIR_QUESTION, LIGHTHOUSE
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


def test_one_article_per_story_keeps_the_earliest_copy() -> None:
    first = article("a", CHOIR_BODY, "https://news.example/choir", published=date(2024, 3, 5))
    same_url = article("b", CHOIR_REWRITTEN, "https://NEWS.example/choir/#top", published=date(2024, 3, 6))
    same_text = article("c", CHOIR_BODY.upper(), "https://other.example/choir", outlet="Coast FM")
    near = article("d", CHOIR_DATELINE, "https://third.example/choir", published=date(2024, 3, 4), outlet="Wire")
    other = article("e", BAKERY_BODY, "https://news.example/bakery")
    kept, skipped = distinct_stories([first, same_url, same_text, near, other])
    assert [a.id for a in kept] == ["d", "e"]  # the near-identical copy was published first
    reasons = {s.article_id: (s.reason, s.like) for s in skipped}
    assert reasons["a"] == (NEAR_IDENTICAL, "d")
    assert reasons["c"][0] in (SAME_TEXT, NEAR_IDENTICAL)
    assert reasons["b"] == (SAME_URL, "d")  # a copy of a copy names the copy kept
    assert set(reasons) == {"a", "b", "c"}


def test_copies_of_posted_articles_are_skipped() -> None:
    posted = [Posted("a", "https://news.example/choir", "k-a", CHOIR_BODY)]
    again = article("a", CHOIR_BODY + " More.", None)
    by_url = article("b", CHOIR_REWRITTEN, "https://news.example/choir")
    fresh = article("c", BAKERY_BODY, "https://news.example/bakery")
    kept, skipped = distinct_stories([again, by_url, fresh], posted)
    assert [a.id for a in kept] == ["c"]
    assert {(s.article_id, s.reason) for s in skipped} == {("a", SAME_ID), ("b", SAME_URL)}


# -- the whole selection, over a real (small) index ---------------------------------------------------------

EVENTS = ("masons replaced the granite blocks of the tower", "a storm broke the lantern glass",
          "the keepers rescued two kayakers", "a new foghorn was fitted", "the board opened the tower to visitors")
FOLLOWED = "Skerryvore lighthouse keepers"


def keepers_story(i: int) -> str:
    """The i-th of several distinct stories that all answer FOLLOWED."""
    return (f"date 2024-06-{i + 1:02d} By Writer {i}, Island News\ntitle Skerryvore lighthouse keepers: {EVENTS[i]}\n"
            f"url https://news.example/skerryvore/{i}\n\nAt the Skerryvore lighthouse the keepers said {EVENTS[i]} "
            f"this week.\n\nReport {i} from the lighthouse keepers of Skerryvore.")


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
    selection = select_updates(parts, FOLLOWED, [], 2, retrieval=config)
    assert [h.rank for h in selection.posts] == [1, 2]
    assert all(h.article.title.startswith("Skerryvore lighthouse keepers:") for h in selection.posts)
    assert selection.more >= 1
    # the old lighthouse story (not new) and the choir story (new, but not about this) are never chosen
    every = select_updates(parts, FOLLOWED, [], 10, retrieval=config)
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
        select_updates(parts, FOLLOWED, [], 0, retrieval=config)
