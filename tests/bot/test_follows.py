"""The follow tables (`bot.follows`): follows, posts recorded once, and progress per collection and consumer."""

from __future__ import annotations

from pathlib import Path

from bot.follows import BASE_SCOPE, FollowStore
from index.search.follows import Posted


def posted(article_id: str) -> Posted:
    return Posted(article_id, f"https://news.example/{article_id}", f"key-{article_id}", f"text of {article_id}")


def test_follows_are_listed_where_they_were_made_and_survive_reopening(tmp_path: Path) -> None:
    store = FollowStore(tmp_path)
    one = store.add("harbour ferry", 10, 100, 7, "mod")
    thread = store.add("choir", 10, 101, 7, "mod", thread_id=555)
    dm = store.add("bakery", None, 900, 8, "alice")
    other = store.add("lighthouse", 20, 200, 9, "bob")
    assert (one.id, thread.target_id, dm.target_id) == (1, 555, 900)
    assert [f.id for f in store.in_server(10)] == [one.id, thread.id]
    assert [f.id for f in store.of_dm(8)] == [dm.id] and store.of_dm(7) == []
    assert [f.id for f in store.for_scope(BASE_SCOPE)] == [one.id, thread.id, dm.id, other.id]
    assert [f.id for f in store.for_scope(20)] == [other.id]
    assert store.scopes() == {BASE_SCOPE, 10, 20}
    store.close()
    again = FollowStore(tmp_path)
    assert again.get(one.id) == one and again.remove(one.id) and not again.remove(one.id)
    assert again.get(one.id) is None


def test_a_post_is_recorded_once_and_counted_when_sent(tmp_path: Path) -> None:
    store = FollowStore(tmp_path)
    follow = store.add("harbour ferry", 10, 100, 7, "mod")
    assert store.record(follow.id, [("p1", posted("a")), ("p2", posted("b"))], "v1") == ["a", "b"]
    assert store.record(follow.id, [("p1", posted("a")), ("p3", posted("c"))], "v2") == ["c"]  # a: never twice
    assert store.get(follow.id).posts == 0  # recorded, not sent yet
    store.mark_sent(follow.id, ["a", "b"], 1234)
    store.forget(follow.id, ["c", "a"])  # refused by Discord: c is dropped; a went out and stays
    assert [p.article_id for p in store.posted(follow.id)] == ["a", "b"]
    assert store.get(follow.id).posts == 2
    store.set_problem(follow.id, "the channel is gone")
    assert store.get(follow.id).problem == "the channel is gone"
    store.set_problem(follow.id, None)
    assert store.get(follow.id).problem is None
    store.remove(follow.id)
    assert store.posted(follow.id) == []


def test_progress_is_kept_per_collection_and_consumer(tmp_path: Path) -> None:
    store = FollowStore(tmp_path)
    assert store.progress(BASE_SCOPE, "all") is None
    store.mark_processed(BASE_SCOPE, "all", "v1", [("a", "fa"), ("b", "fb")])
    store.mark_processed(BASE_SCOPE, "all", "v2", [("a", "fa2"), ("c", "fc")])
    assert store.progress(BASE_SCOPE, "all") == "v2"
    assert store.seen(BASE_SCOPE, "all") == {"a": "fa2", "c": "fc"}
    assert store.progress(BASE_SCOPE, "0/2") is None and store.seen(10, "all") == {}
