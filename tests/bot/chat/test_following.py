"""The pure parts of `bot.chat.following`: the line above a follow's cards, and which process posts for whom."""

from __future__ import annotations

from types import SimpleNamespace

from bot.chat.following import Following, follow_line
from bot.follows import Follow


def a_follow(guild_id: int | None, query: str = "harbour ferry strike") -> Follow:
    return Follow(12, query, guild_id, 100, None, 7, "mod", "2026-11-30T09:00:00+00:00")


def test_the_line_names_the_follow_and_counts_what_was_left_out() -> None:
    assert follow_line(a_follow(1), 1, 0) == "**Following #12** “harbour ferry strike” — 1 new article"
    two = follow_line(a_follow(1), 2, 4)
    assert two.splitlines() == ["**Following #12** “harbour ferry strike” — 2 new articles",
                                "…and 4 more — `/ask question: harbour ferry strike`"]
    assert "25+ more" in follow_line(a_follow(1), 3, 25)
    # markdown and mentions in a query are shown as typed (escaped; the /ask hint is a code span), within limits
    noisy = follow_line(a_follow(1, "@everyone `ferry` *bold* " + "word " * 200), 1, 1)
    first, hint = noisy.splitlines()
    assert first.startswith("**Following #12** “@\u200beveryone \\`ferry\\` \\*bold\\* word")
    assert hint.startswith("…and 1 more — `/ask question: @everyone 'ferry' *bold* word") and hint.endswith("…`")
    assert len(noisy) <= 2000


def following_for(shard_count: int | None, shard_ids: list[int] | None) -> Following:
    return Following(SimpleNamespace(shard_count=shard_count, shard_ids=shard_ids))  # type: ignore[arg-type]


def test_each_process_posts_for_the_servers_of_its_shards_and_dms_on_shard_0() -> None:
    guild = 3 << 22  # a server on shard (3 % 2) = 1 of 2
    unsharded = following_for(None, None)
    assert unsharded.consumer == "all" and unsharded.owns(a_follow(guild)) and unsharded.owns(a_follow(None))
    first, second = following_for(2, [0]), following_for(2, [1])
    assert (first.consumer, second.consumer) == ("0/2", "1/2")
    assert not first.owns(a_follow(guild)) and second.owns(a_follow(guild))
    assert first.owns(a_follow(None)) and not second.owns(a_follow(None))
