"""Refresh planning and deduplication: pure functions over article references."""

from __future__ import annotations

from datetime import date

from corpus.article import Article, article_id
from corpus.folder.planning import (SAME_ID, SAME_TEXT, SAME_URL, SYNDICATED, ArticleRef, IndexedArticle, deduplicate,
                             plan_refresh, text_key)


def ref(aid: str, text: str = "Body text.", outlet: str = "CNN", url: str | None = None,
        published: str | None = "2024-01-02", source: str | None = None, title: str = "T") -> ArticleRef:
    article = Article(id=aid, title=title, outlet=outlet, authors=("A",),
                      published=date.fromisoformat(published) if published else None, url=url, text=text,
                      source=source or f"{aid}.txt")
    return ArticleRef.of(article, source or f"{aid}.txt")


def test_text_key_ignores_case_spacing_and_punctuation() -> None:
    assert text_key("Storm hits   the coast, officials say.") == text_key("storm hits the coast — officials say")
    assert text_key("Storm hits the coast") != text_key("Storm hit the coast")


def test_same_id_keeps_the_first_in_folder_order() -> None:
    d = deduplicate([ref("a", source="1.txt"), ref("a", source="2.txt", text="Other.")])
    assert [r.source for r in d.kept] == ["1.txt"]
    [dup] = d.duplicates
    assert (dup.source, dup.kept_source, dup.reason) == ("2.txt", "1.txt", SAME_ID)


def test_same_url_under_another_id_is_one_article() -> None:
    url = "https://www.cnn.com/2024/01/02/storm"
    d = deduplicate([ref("rec-1", "First version.", url=url), ref(article_id(url, ""), "Saved page.", url=url + "/")])
    assert len(d.kept) == 1 and d.duplicates[0].reason == SAME_URL


def test_records_with_their_own_ids_under_one_url_stay_separate() -> None:
    """Quiz briefs share the quiz page's URL but are different documents (as in rtqa-dev)."""
    url = "https://edition.cnn.com/interactive/2022/06/quiz"
    d = deduplicate([ref("b1", "Brief one.", url=url), ref("b2", "Brief two.", url=url)])
    assert len(d.kept) == 2 and not d.duplicates


def test_syndicated_copies_are_indexed_once_with_all_outlets() -> None:
    text = "The central bank raised rates by half a point on Wednesday."
    refs = [ref("cnn", text, outlet="CNN", published="2024-01-03"),
            ref("ap", text.upper(), outlet="AP", published="2024-01-02"),
            ref("bbc", text + " ", outlet="BBC", published="2024-01-04"),
            ref("cnn-again", text, outlet="CNN", published="2024-01-05")]
    d = deduplicate(refs)
    assert [r.id for r in d.kept] == ["ap"]  # the earliest published copy is kept
    assert d.also_published_by["ap"] == ("BBC", "CNN")
    reasons = {x.id: x.reason for x in d.duplicates}
    assert reasons == {"cnn": SYNDICATED, "bbc": SYNDICATED, "cnn-again": SYNDICATED}
    assert all(x.kept_id == "ap" for x in d.duplicates)
    assert "also publishing it" in d.duplicates[0].describe()


def test_same_text_same_outlet_is_a_plain_duplicate() -> None:
    d = deduplicate([ref("x", "Same words here.", outlet="The Week"), ref("y", "same words here", outlet="THE WEEK")])
    assert d.duplicates[0].reason == SAME_TEXT and d.also_published_by["x"] == ()


def test_the_copy_already_indexed_stays_indexed() -> None:
    """Adding an earlier copy must not change which one is indexed (passage ids users typed stay valid)."""
    text = "Identical syndicated story."
    refs = [ref("new-early", text, outlet="AP", published="2020-01-01"), ref("old", text, outlet="CNN")]
    assert [r.id for r in deduplicate(refs, prefer={"old"}).kept] == ["old"]
    assert [r.id for r in deduplicate(refs).kept] == ["new-early"]


def test_chained_duplicates_name_the_copy_finally_indexed() -> None:
    url = "https://www.cnn.com/story"
    refs = [ref("cnn-rec", "Story text.", outlet="CNN", url=url, published="2024-01-05"),
            ref(article_id(url, ""), "Story text, saved page.", outlet="CNN", url=url, published="2024-01-06"),
            ref("ap", "Story text.", outlet="AP", published="2024-01-01")]
    d = deduplicate(refs)
    assert [r.id for r in d.kept] == ["ap"]
    assert {x.kept_id for x in d.duplicates} == {"ap"}
    assert d.also_published_by["ap"] == ("CNN",)


def test_plan_categories() -> None:
    refs = [ref("same"), ref("edited", "New text."), ref("fresh", "Fresh text."), ref("moved", "Moved.", source="new/moved.txt")]
    indexed = {
        "same": IndexedArticle("same", refs[0].fingerprint, "T", "same.txt"),
        "edited": IndexedArticle("edited", "old-fingerprint", "T", "edited.txt"),
        "gone": IndexedArticle("gone", "fp", "Gone title", "gone.txt"),
        "moved": IndexedArticle("moved", refs[3].fingerprint, "T", "old/moved.txt"),
    }
    plan = plan_refresh(refs, indexed)
    assert [e.id for e in plan.unchanged] == ["same"]
    assert [e.id for e in plan.changed] == ["edited"]
    assert [e.id for e in plan.new] == ["fresh"]
    assert [(e.id, e.note) for e in plan.removed] == [("gone", "no longer in the corpus folder")]
    assert [(e.id, e.note) for e in plan.relabelled] == [("moved", "moved from old/moved.txt")]
    assert plan.has_changes
    assert plan.counts_line() == "added 1, updated 1, removed 1, unchanged 2"


def test_plan_notices_a_new_syndicated_copy_and_a_removal_by_duplication() -> None:
    text = "Wire story text."
    kept = ref("ap", text, outlet="AP", published="2024-01-01")
    indexed = {"ap": IndexedArticle("ap", kept.fingerprint, "T", "ap.txt"),
               "cnn": IndexedArticle("cnn", "fp-cnn", "T", "cnn.txt")}
    plan = plan_refresh([kept, ref("cnn", text, outlet="CNN")], indexed)
    assert [(e.id, e.note) for e in plan.relabelled] == [("ap", "also published by CNN")]
    assert [(e.id, e.note) for e in plan.removed] == [("cnn", "now a duplicate of ap.txt")]
    assert plan.also_published_by["ap"] == ("CNN",)


def test_nothing_to_do() -> None:
    r = ref("a")
    plan = plan_refresh([r], {"a": IndexedArticle("a", r.fingerprint, "T", "a.txt")})
    assert not plan.has_changes and len(plan.unchanged) == 1


def test_ref_round_trips_through_json() -> None:
    r = ref("a", url="https://x.org/a")
    assert ArticleRef.from_json(r.to_json()) == r
