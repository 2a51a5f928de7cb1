"""Following stories, end to end: /follow, then every refresh posts what is new for it, once.

The real bot over real sockets against the local fake Discord; the index uses the hashed test encoder. A
refresh is run the ways the bot meets them: `/refresh` in this process, `Library.refresh` on the bot's own
library (as the feeds poller does), and a second `Library` over the same index directory (as `newsbot refresh`
or another shard process does), with the bot running or stopped. Whether a check happened is read from the
bot (`Following.rounds`, the progress it stored), so no test sleeps.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import pytest_asyncio

from bot.chat.client import NewsBot
from bot.chat.cogs.follow import DM_LIMIT
from bot.follows import BASE_SCOPE
from bot.settings import Settings
from index.library import Library
from index.store.layout import current_version
from tests.support.e2e import TOKEN, e2e_settings, online
from tests.support.e2e_corpus import BAKERY, CHOIR, CHOIR_QUESTION, CHOIR_TITLE, EVENTS, KEEPERS, LIGHTHOUSE, keepers_story
from tests.support.fake_discord import FakeDiscord, FakeUser
from tests.support.fake_discord.payloads import CREATE_PUBLIC_THREADS, MANAGE_MESSAGES, SEND_MESSAGES
from tests.support.fakes import HashEncoder
from tests.support.local_site import article_page, local_site

pytestmark = [pytest.mark.e2e]

EPHEMERAL = 1 << 6
FOLLOW_LINE = "**Following #"
# the choir story as a wire service ran it: another outlet and URL, a dateline, one word changed
CHOIR_WIRE = CHOIR.replace("By Ana Ruiz, Harbour Herald", "By Ana Ruiz, Coast Wire").replace(
    "https://news.example/2024/03/05/harbour-choir", "https://wire.example/choir-fleet").replace(
    "The harbour choir sang sea shanties", "HARBOUR TOWN (Wire) - The harbour choir sang old sea shanties")
# … and as a radio station ran it a day later
CHOIR_RADIO = CHOIR.replace("By Ana Ruiz, Harbour Herald", "By Ana Ruiz, Coast FM").replace(
    "https://news.example/2024/03/05/harbour-choir", "https://radio.example/choir").replace(
    "The harbour choir sang sea shanties", "HARBOUR TOWN (Coast FM) - The harbour choir sang sea shanties")
LIBRARY = """date 2024-03-01 By Sam Hill, Daily Bugle
title City library extends its opening hours
url https://news.example/2024/03/01/library-hours

The city library will stay open until ten at night from Monday, the council said.

Students had asked for longer opening hours during the exam season.
"""
@dataclass
class World:
    fake: FakeDiscord
    corpus: Path
    index: Path
    editor: FakeUser  # Manage Messages, nothing else

    def settings(self, **env: str) -> Settings:
        return e2e_settings(self.fake, self.corpus, self.index, NEWSBOT_RECENCY_DAYS="0",
                            NEWSBOT_MODERATOR_ROLE_ID=str(self.fake.moderator_role_id), **env)

    def library(self) -> Library:
        return Library(self.corpus, self.index, HashEncoder(), retrieval=self.settings().retrieval())

    def add(self, name: str, text: str) -> None:
        (self.corpus / f"{name}.txt").write_text(text, encoding="utf-8")


@pytest_asyncio.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with FakeDiscord(token=TOKEN) as fake:
        editor = fake.guild.add_user("editor", permissions=MANAGE_MESSAGES)
        corpus = tmp_path / "corpus"
        corpus.mkdir()
        w = World(fake, corpus, tmp_path / "index", editor)
        w.add("lighthouse", LIGHTHOUSE)
        w.add("bakery", BAKERY)
        Library(corpus, w.index, HashEncoder()).build()
        yield w


# -- helpers ---------------------------------------------------------------------------------------------


async def reply(fake: FakeDiscord, name: str, options: dict | None = None, user: FakeUser | None = None,
                guild: bool = True, channel: int | None = None) -> dict:
    """A command's private reply (sent at once, or after a defer)."""
    ix = await fake.slash(name, options or {}, user=user, guild=guild, channel=channel)
    callback = await fake.wait_for_callback(ix, timeout=10)
    assert callback.json["data"]["flags"] & EPHEMERAL, callback.json
    if callback.json["type"] == 5:
        await fake.wait_for_original_edit(ix, timeout=20)
    return fake.final_message(ix)


async def follow(fake: FakeDiscord, query: str, user: FakeUser, guild: bool = True, **options: object) -> str:
    return (await reply(fake, "follow", {"query": query, **options}, user=user, guild=guild))["content"]


def follow_posts(fake: FakeDiscord, channel_id: int, since: int = 0) -> list[dict]:
    """The follow posts the bot sent to a channel (and Discord took)."""
    return [r.json for r in fake.find("POST", rf"^/channels/{channel_id}/messages$", since=since)
            if r.status == 200 and (r.json or {}).get("content", "").startswith(FOLLOW_LINE)]


def titles(message: dict) -> list[str]:
    return [e.get("title") or "" for e in message.get("embeds", [])]


async def eventually(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "the condition did not hold in time"
        await asyncio.sleep(0.05)


async def processed(bot: NewsBot, w: World) -> None:
    """The bot processed the version now current, and checked once more after it."""
    await eventually(lambda: bot.following.store.progress(BASE_SCOPE, "all") == current_version(w.index))
    rounds = bot.following.rounds
    await eventually(lambda: bot.following.rounds > rounds)


async def refresh_here(bot: NewsBot) -> None:
    """A refresh through the bot's own library (as a scheduled poll runs it)."""
    await asyncio.to_thread(bot.library.refresh, fetch_feeds=False)


async def slash_refresh(fake: FakeDiscord) -> str:
    ix = await fake.slash("refresh", user=fake.moderator_user)
    await fake.wait_for_callback(ix)
    await fake.wait_for_original_edit(ix, timeout=60, predicate=lambda r: r.json.get("content", "").startswith(
        ("Refresh finished", "The refresh failed")))
    return fake.final_message(ix)["content"]


# -- posting -------------------------------------------------------------------------------------------------


async def test_a_follow_posts_a_new_matching_article_once_not_after_another_refresh_nor_a_restart(
        world: World) -> None:
    w, fake = world, world.fake
    general = fake.channel_id
    async with online(fake, w.settings(), w.library()) as bot:
        text = await follow(fake, CHOIR_QUESTION, fake.moderator_user)
        assert text.startswith("Following #1: “Which choir sang") and f"<#{general}>" in text, text
        await processed(bot, w)
        assert follow_posts(fake, general) == []  # what was there before the follow is not news

        w.add("choir", CHOIR)
        w.add("library", LIBRARY)  # new, but not about the choir
        assert (await slash_refresh(fake)).startswith("Refresh finished")
        await fake.wait_until(lambda: len(follow_posts(fake, general)) == 1, timeout=20)
        [post] = follow_posts(fake, general)
        assert post["content"].startswith("**Following #1** “Which choir sang") and "1 new article" in post["content"]
        assert titles(post) == [CHOIR_TITLE]
        assert "Harbour Herald" in post["embeds"][0]["fields"][0]["value"]  # the usual attribution

        (w.corpus / "choir.txt").touch()  # an unchanged article, read again
        w.add("otters", LIGHTHOUSE.replace("Skerryvore", "Bell Rock").replace("skerryvore", "bell-rock"))
        await refresh_here(bot)
        await processed(bot, w)
        assert len(follow_posts(fake, general)) == 1

    async with online(fake, w.settings(), w.library()) as bot:
        await processed(bot, w)
        assert len(follow_posts(fake, general)) == 1
        listing = (await reply(fake, "following", user=fake.normal_user))["content"]
        assert "`#1` “Which choir sang" in listing and f"<#{general}>" in listing and "1 post" in listing


async def test_one_post_per_story_copies_and_repeats_skipped_at_most_n_with_the_rest_counted(world: World) -> None:
    w, fake = world, world.fake
    general, news = fake.channel_id, fake.other_channel_id
    async with online(fake, w.settings(NEWSBOT_FOLLOW_MAX_POSTS="2"), w.library()) as bot:
        await follow(fake, CHOIR_QUESTION, fake.moderator_user)  # #1 in #general
        await follow(fake, KEEPERS, fake.moderator_user, channel=news)  # #2 in #news
        await processed(bot, w)

        w.add("choir", CHOIR)
        w.add("choir_wire", CHOIR_WIRE)  # the same story from another outlet, near-identical text
        w.add("library", LIBRARY)
        for i in range(len(EVENTS)):
            w.add(f"keepers_{i}", keepers_story(i))
        await refresh_here(bot)
        await processed(bot, w)
        [choir] = follow_posts(fake, general)
        assert titles(choir) == [CHOIR_TITLE] and "1 new article" in choir["content"]
        [keepers] = follow_posts(fake, news)
        assert len(titles(keepers)) == 2
        assert all(t.startswith("Skerryvore lighthouse keepers:") for t in titles(keepers))
        first, more = keepers["content"].split("\n")
        assert first.startswith("**Following #2**") and "2 new articles" in first
        assert more.startswith("…and ") and more.endswith(f"more — `/ask question: {KEEPERS}`"), more

        # a follow made now has posted nothing: the radio copy is new to it, and confident
        await follow(fake, CHOIR_QUESTION, fake.moderator_user, channel=news)  # #3 in #news
        mark = fake.mark()
        w.add("choir_radio", CHOIR_RADIO)  # another outlet, another URL, a passage repeating what #1 posted
        await refresh_here(bot)
        await processed(bot, w)
        assert follow_posts(fake, general, since=mark) == []  # #1 already posted it: the repeat adds nothing
        [radio] = follow_posts(fake, news, since=mark)
        assert radio["content"].startswith("**Following #3**") and titles(radio) == [CHOIR_TITLE]
        assert "Coast FM" in radio["embeds"][0]["fields"][0]["value"]
        fake.assert_no_violations()


async def test_a_switch_by_another_process_is_posted_while_running_and_after_being_down(world: World) -> None:
    w, fake = world, world.fake
    general = fake.channel_id
    async with online(fake, w.settings(), w.library()) as bot:
        await follow(fake, CHOIR_QUESTION, fake.moderator_user)
        await processed(bot, w)
        w.add("choir", CHOIR)
        other = Library(w.corpus, w.index, HashEncoder())  # as `newsbot refresh` or another shard would
        await asyncio.to_thread(other.refresh, fetch_feeds=False)
        await fake.wait_until(lambda: len(follow_posts(fake, general)) == 1, timeout=20)
        assert titles(follow_posts(fake, general)[0]) == [CHOIR_TITLE]
        await follow(fake, KEEPERS, fake.moderator_user)

    w.add("keepers_0", keepers_story(0))  # switched while the bot is down
    await asyncio.to_thread(Library(w.corpus, w.index, HashEncoder()).refresh, fetch_feeds=False)
    async with online(fake, w.settings(), w.library()) as bot:
        await fake.wait_until(lambda: len(follow_posts(fake, general)) == 2, timeout=20)
        assert follow_posts(fake, general)[1]["content"].startswith("**Following #2**")
        await processed(bot, w)
        assert len(follow_posts(fake, general)) == 2


async def test_a_crash_between_recording_and_posting_never_posts_twice(world: World) -> None:
    w, fake = world, world.fake
    general, news = fake.channel_id, fake.other_channel_id
    async with online(fake, w.settings(), w.library()) as bot:
        await follow(fake, CHOIR_QUESTION, fake.moderator_user)  # #1 in #general
        await follow(fake, CHOIR_QUESTION, fake.moderator_user, channel=news)  # #2 in #news
        await processed(bot, w)
        send = bot.following._send
        hung = asyncio.Event()

        async def crash_on_second(channel_id: int, **message: object):  # noqa: ANN202
            if channel_id == news:  # the process dies while this message is on its way
                hung.set()
                await asyncio.Event().wait()
            return await send(channel_id, **message)

        bot.following._send = crash_on_second  # type: ignore[method-assign]
        w.add("choir", CHOIR)
        await refresh_here(bot)
        await asyncio.wait_for(hung.wait(), 20)
        assert len(follow_posts(fake, general)) == 1
        assert [p.article_id for p in bot.following.store.posted(2)]  # recorded before sending
        assert bot.following.store.progress(BASE_SCOPE, "all") != current_version(w.index)  # not processed

    async with online(fake, w.settings(), w.library()) as bot:  # the restart processes the version again
        await processed(bot, w)
        assert len(follow_posts(fake, general)) == 1 and follow_posts(fake, news) == []
        lines = (await reply(fake, "following", user=fake.moderator_user))["content"].splitlines()
        assert next(x for x in lines if x.startswith("`#1`")).endswith("· 1 post")
        assert next(x for x in lines if x.startswith("`#2`")).endswith("· 0 posts")


# -- who may follow, and where -----------------------------------------------------------------------------


async def test_who_may_follow_in_a_channel_by_dm_and_who_may_stop_a_follow(world: World) -> None:
    w, fake = world, world.fake
    general, news = fake.channel_id, fake.other_channel_id
    alice = fake.normal_user
    # commands registered globally, as a bot that members may DM is set up (guild commands do not reach DMs)
    async with online(fake, w.settings(DISCORD_GUILD_IDS=""), w.library()) as bot:
        refused = await follow(fake, CHOIR_QUESTION, alice)
        assert refused.startswith(f"Only members with the Manage Messages permission in <#{general}>"), refused
        assert "Manage Server" in refused and "DM" in refused
        assert "Only members" in await follow(fake, CHOIR_QUESTION, alice, channel=news)
        assert (await follow(fake, CHOIR_QUESTION, w.editor)).startswith("Following #1")
        assert (await follow(fake, CHOIR_QUESTION, fake.mod_role_only_user, channel=news)).startswith("Following #2")
        dm = await follow(fake, CHOIR_QUESTION, alice, guild=False)
        assert dm.startswith("Following #3") and "this DM" in dm
        assert "leave out `channel` and `thread`" in await follow(fake, CHOIR_QUESTION, alice, guild=False, thread=True)
        await processed(bot, w)

        w.add("choir", CHOIR)
        await refresh_here(bot)
        dm_channel = fake.world.dm_channel_for(alice).id
        await fake.wait_until(lambda: len(follow_posts(fake, dm_channel)) == 1, timeout=20)
        await processed(bot, w)
        assert len(follow_posts(fake, general)) == len(follow_posts(fake, news)) == 1

        listing = (await reply(fake, "following", user=alice))["content"]  # in the server: its follows
        assert "`#1`" in listing and "`#2`" in listing and "`#3`" not in listing
        assert "by editor" in listing and f"<#{news}>" in listing
        mine = (await reply(fake, "following", user=alice, guild=False))["content"]
        assert "`#3`" in mine and "this DM" in mine and "`#1`" not in mine

        ix = await fake.autocomplete("unfollow", {"follow": ""}, focused="follow", user=alice)
        assert [c["value"] for c in await fake.wait_for_choices(ix)] == ["1", "2"]
        refused = (await reply(fake, "unfollow", {"follow": "1"}, user=alice))["content"]
        assert refused.startswith(f"Only members with the Manage Messages permission in <#{general}>"), refused
        assert "no follow" in (await reply(fake, "unfollow", {"follow": "3"}, user=alice))["content"]
        assert (await reply(fake, "unfollow", {"follow": "#1"}, user=w.editor))["content"].startswith(
            "Stopped follow #1")
        assert (await reply(fake, "unfollow", {"follow": "3"}, user=alice, guild=False))["content"].startswith(
            "Stopped follow #3")
        remaining = (await reply(fake, "following", user=fake.moderator_user))["content"]
        assert "`#1`" not in remaining and "`#2`" in remaining

        for _ in range(DM_LIMIT):
            assert (await follow(fake, KEEPERS, alice, guild=False)).startswith("Following #")
        full = await follow(fake, KEEPERS, alice, guild=False)
        assert full.startswith(f"You already follow {DM_LIMIT} queries by DM"), full


async def test_a_follow_in_a_thread_the_bot_opens(world: World) -> None:
    w, fake = world, world.fake
    general = fake.channel_id
    async with online(fake, w.settings(), w.library()) as bot:
        mark = fake.mark()
        text = await follow(fake, CHOIR_QUESTION, fake.moderator_user, thread=True)
        opened = fake.find("POST", rf"^/channels/{general}/threads$", since=mark)
        assert len(opened) == 1 and opened[0].status == 201
        assert opened[0].json["name"].startswith("Following: Which choir") and opened[0].json["type"] == 11
        thread = int(opened[0].response["id"])
        assert fake.world.channels[thread].parent_id == general and fake.world.channels[thread].type == 11
        assert f"<#{thread}> (a thread in <#{general}>)" in text, text
        await processed(bot, w)
        w.add("choir", CHOIR)
        await refresh_here(bot)
        await fake.wait_until(lambda: len(follow_posts(fake, thread)) == 1, timeout=20)
        assert titles(follow_posts(fake, thread)[0]) == [CHOIR_TITLE] and follow_posts(fake, general) == []

        fake.world.bot_role.permissions &= ~CREATE_PUBLIC_THREADS  # taken away: nothing is saved, the mod is told
        text = await follow(fake, KEEPERS, fake.moderator_user, thread=True)
        assert text.startswith(f"I could not open a thread in <#{general}>") and "Nothing was saved" in text, text
        assert "`#2`" not in (await reply(fake, "following", user=fake.moderator_user))["content"]


async def test_a_follow_whose_channel_is_gone_is_marked_and_the_others_still_post(world: World) -> None:
    w, fake = world, world.fake
    general, news = fake.channel_id, fake.other_channel_id
    async with online(fake, w.settings(), w.library()) as bot:
        await follow(fake, CHOIR_QUESTION, fake.moderator_user, channel=news)  # #1 in #news
        await follow(fake, CHOIR_QUESTION, fake.moderator_user)  # #2 in #general
        await processed(bot, w)
        del fake.world.channels[news]  # deleted on Discord's side
        w.add("choir", CHOIR)
        mark = fake.mark()
        await refresh_here(bot)
        await processed(bot, w)
        assert len(follow_posts(fake, general)) == 1
        attempts = fake.find("POST", rf"^/channels/{news}/messages$", since=mark)
        assert [r.status for r in attempts] == [404]
        public = [r.json for r in fake.find("POST", r"^/channels/\d+/messages$", since=mark)]
        assert all(m["content"].startswith(FOLLOW_LINE) for m in public)  # nobody is told in public
        listing = (await reply(fake, "following", user=fake.moderator_user))["content"]
        line = next(x for x in listing.splitlines() if x.startswith("`#1`"))
        assert "⚠ not posting: the channel is gone" in line and "0 posts" in line


async def test_a_servers_own_collection_posts_to_its_follows_only(world: World) -> None:
    w, fake = world, world.fake
    general = fake.channel_id
    alice = fake.normal_user
    async with online(fake, w.settings(DISCORD_GUILD_IDS=""), w.library()) as bot:
        await follow(fake, CHOIR_QUESTION, fake.moderator_user)  # #1 in the server
        await follow(fake, CHOIR_QUESTION, alice, guild=False)  # #2 by DM: the base corpus only
        await processed(bot, w)
        # the server's own article, indexed by its collection's refresh (what `/corpus add` runs after saving)
        server = bot.collections.library(fake.guild_id)
        server.corpus_dir.mkdir(parents=True, exist_ok=True)
        (server.corpus_dir / "choir.txt").write_text(CHOIR, encoding="utf-8")
        await asyncio.to_thread(server.refresh, fetch_feeds=False)
        await fake.wait_until(lambda: len(follow_posts(fake, general)) == 1, timeout=20)
        assert titles(follow_posts(fake, general)[0]) == [CHOIR_TITLE]
        await eventually(lambda: bot.following.store.progress(fake.guild_id, "all")
                         == current_version(server.index_dir))
        assert follow_posts(fake, fake.world.dm_channel_for(alice).id) == []


async def test_with_shards_each_process_posts_for_the_servers_of_its_shards(tmp_path: Path) -> None:
    async with FakeDiscord(token=TOKEN) as fake:
        zero, one = fake.add_guild("Zero", shard=(0, 2)), fake.add_guild("One", shard=(1, 2))
        corpus = tmp_path / "corpus"
        corpus.mkdir()
        (corpus / "lighthouse.txt").write_text(LIGHTHOUSE, encoding="utf-8")
        index = tmp_path / "index"
        Library(corpus, index, HashEncoder()).build()
        settings = e2e_settings(fake, corpus, index, DISCORD_GUILD_IDS=f"{zero.id},{one.id}",
                                NEWSBOT_RECENCY_DAYS="0")

        def library() -> Library:
            return Library(corpus, index, HashEncoder(), retrieval=settings.retrieval())

        async with (online(fake, settings, library(), timeout=40, shard_count=2, shard_ids=[0]) as first,
                    online(fake, settings, library(), timeout=40, shard_count=2, shard_ids=[1]) as second):
            for guild in (zero, one):
                ix = await fake.slash("follow", {"query": CHOIR_QUESTION}, user=guild.owner, guild=guild)
                await fake.wait_for_callback(ix, timeout=10)
                await fake.wait_for_original_edit(ix, timeout=20)
                assert fake.final_message(ix)["content"].startswith("Following #")
            for bot, consumer in ((first, "0/2"), (second, "1/2")):
                await eventually(lambda b=bot, c=consumer: b.following.store.progress(BASE_SCOPE, c) is not None)
            sent_by: dict[int, list[int]] = {0: [], 1: []}
            for shard, bot in enumerate((first, second)):
                send = bot.following._send

                async def noted(channel_id: int, shard: int = shard, send=send,  # noqa: ANN001
                                **message: object):  # noqa: ANN202
                    sent_by[shard].append(channel_id)
                    return await send(channel_id, **message)

                bot.following._send = noted  # type: ignore[method-assign]
            (corpus / "choir.txt").write_text(CHOIR, encoding="utf-8")
            await asyncio.to_thread(Library(corpus, index, HashEncoder()).refresh, fetch_feeds=False)
            for bot, consumer in ((first, "0/2"), (second, "1/2")):
                await eventually(lambda b=bot, c=consumer: b.following.store.progress(BASE_SCOPE, c)
                                 == current_version(index))
            rounds = (first.following.rounds, second.following.rounds)
            await eventually(lambda: (first.following.rounds, second.following.rounds) > rounds
                             and first.following.rounds > rounds[0] and second.following.rounds > rounds[1])
            for guild in (zero, one):
                [post] = follow_posts(fake, guild.text_channel.id)  # once
                assert titles(post) == [CHOIR_TITLE]
            # by the process holding the server's shard (the other never tried: not only the records kept it out)
            assert sent_by == {0: [zero.text_channel.id], 1: [one.text_channel.id]}


async def test_a_follow_where_the_bot_lost_send_messages_is_marked_and_posts_again_once_allowed(
        world: World) -> None:
    w, fake = world, world.fake
    general = fake.channel_id
    async with online(fake, w.settings(), w.library()) as bot:
        await follow(fake, CHOIR_QUESTION, fake.moderator_user)
        await processed(bot, w)
        roles = (fake.guild.everyone_role, fake.world.bot_role)
        for role in roles:
            role.permissions &= ~SEND_MESSAGES
        w.add("choir", CHOIR)
        mark = fake.mark()
        await refresh_here(bot)
        await processed(bot, w)
        assert [r.status for r in fake.find("POST", rf"^/channels/{general}/messages$", since=mark)] == [403]
        listing = (await reply(fake, "following", user=fake.moderator_user))["content"]
        assert "⚠ not posting: the bot may not post there" in listing and "0 posts" in listing

        for role in roles:
            role.permissions |= SEND_MESSAGES
        w.add("choir_wire", CHOIR_WIRE.replace("harbour choir", "quay choir"))
        await refresh_here(bot)
        await processed(bot, w)
        [post] = follow_posts(fake, general)
        assert "Coast Wire" in post["embeds"][0]["fields"][0]["value"]
        listing = (await reply(fake, "following", user=fake.moderator_user))["content"]
        assert "⚠" not in listing and "1 post" in listing


async def test_a_scheduled_feed_poll_posts_to_a_follow(world: World) -> None:
    w, fake = world, world.fake
    general = fake.channel_id
    otters = ("Otters return to the city canal after forty years", [
        "A family of otters has been filmed in the city canal for the first time in forty years, the wildlife trust "
        "said on Thursday.",
        "Volunteers who cleared rubbish from the towpath said the clean water had brought back fish and, with them, "
        "the otters."])
    with local_site() as site:
        url = site.feed("/feed.xml", "City Post", [])
        settings = w.settings(NEWSBOT_FEEDS=url, NEWSBOT_ALLOW_PRIVATE_URLS="true", NEWSBOT_HOST_DELAY_MS="0")
        library = Library(w.corpus, w.index, HashEncoder(), feeds=settings.feed_config(),
                          retrieval=settings.retrieval())
        async with online(fake, settings, library) as bot:
            now = [datetime(2026, 11, 30, 10, 0, tzinfo=timezone.utc)]
            bot.polling.clock, bot.polling.tick = (lambda: now[0]), 3600.0  # polls only when the test wakes it
            await follow(fake, "Where have otters been filmed for the first time in forty years?", fake.moderator_user)
            await processed(bot, w)
            await eventually(lambda: bot.polling.polls >= 1)  # the schedule's first poll, once online: nothing new
            assert follow_posts(fake, general) == []
            link = site.add("/news/otters.html", article_page(otters[0], otters[1], site="City Post", day="2026-11-30"))
            site.feed("/feed.xml", "City Post", [(otters[0], link, "Mon, 30 Nov 2026 09:00:00 GMT")])
            polls = bot.polling.polls
            now[0] += timedelta(minutes=31)  # the feed is due again (NEWSBOT_REFRESH_MINUTES, default 30)
            bot.polling.wake()  # as the schedule's own tick starts a poll
            await fake.wait_until(lambda: len(follow_posts(fake, general)) == 1, timeout=30)
            assert bot.polling.polls > polls and titles(follow_posts(fake, general)[0]) == [otters[0]]
