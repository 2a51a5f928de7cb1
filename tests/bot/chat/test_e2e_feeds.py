"""newsbot end to end: feeds that poll themselves, and /feeds add | remove | list for moderators.

The real bot over real sockets against the local fake Discord; feeds and article pages come
from a local web site on 127.0.0.1 whose feed changes between requests and answers 304 to a
conditional request for an unchanged feed. Time is the schedule's injected clock
(`bot.polling.clock`), moved forward by the test; a poll is started with `bot.polling.wake()`
exactly as the schedule's own tick starts one.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import pytest_asyncio

from index.feeds.store import FeedStore
from index.library import Library
from tests.support.e2e import TOKEN, copy_index, custom_ids, e2e_settings, embed_text, online
from tests.support.fake_discord import FakeDiscord
from tests.support.local_site import article_page, local_site

pytestmark = [pytest.mark.e2e, pytest.mark.model]

EPHEMERAL = 1 << 6
T0 = datetime(2026, 11, 30, 10, 0, tzinfo=timezone.utc)
DAY = "Mon, 30 Nov 2026 09:00:00 GMT"
STORIES = {
    "otters": ("Otters return to the city canal after forty years", [
        "A family of otters has been filmed in the city canal for the first time in forty years, the wildlife trust "
        "said on Thursday.",
        "Volunteers who cleared rubbish from the towpath said the clean water had brought back fish and, with them, "
        "the otters."]),
    "bridge": ("Harbour swing bridge to close for six weeks of repairs", [
        "The old swing bridge over the harbour will close for repairs for six weeks from Monday, the council said, "
        "after engineers found rusted cables in its turning gear.",
        "Ferries will run every twenty minutes across the harbour while the bridge is shut, the council added."]),
}


@pytest_asyncio.fixture
async def fake():  # noqa: ANN201
    async with FakeDiscord(token=TOKEN) as server:
        yield server


def serve_feed(site, names: list[str], path: str = "/feed.xml") -> str:  # noqa: ANN001
    items = []
    for name in names:
        title, paragraphs = STORIES[name]
        link = site.add(f"/news/{name}.html", article_page(title, paragraphs, site="Harbour Post", day="2026-11-30"))
        items.append((title, link, DAY))
    return site.feed(path, "Harbour Post", items)


class Clock:
    """The schedule's clock, moved by the test."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


async def tick(bot, clock: Clock, when: datetime, timeout: float = 60.0) -> None:  # noqa: ANN001
    """Move the clock to `when` and wait for the schedule's next poll to finish."""
    clock.now = when
    before = bot.polling.polls
    bot.polling.wake()
    for _ in range(int(timeout * 20)):
        if bot.polling.polls > before:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the schedule did not poll")


async def answer_text(fake: FakeDiscord, question: str) -> str:
    ix = await fake.slash("ask", {"question": question})
    await fake.wait_for_original_edit(ix, timeout=20)
    return embed_text(fake.final_message(ix))


async def private_reply(fake: FakeDiscord, ix) -> dict:  # noqa: ANN001
    """The ephemeral reply that replaces the "thinking…" message."""
    assert (await fake.wait_for_callback(ix)).json["data"]["flags"] & EPHEMERAL
    await fake.wait_for_original_edit(ix, timeout=20)
    return fake.final_message(ix)


def schedule_refreshes(library: Library) -> int:
    return sum(1 for e in library.history(100) if e.kind == "refresh" and e.actor == "schedule")


async def test_feeds_poll_themselves_304_backoff_and_recovery(fake: FakeDiscord, seed_corpus: Path, seed_index: Path,
                                                              encoder, tmp_path: Path) -> None:  # noqa: ANN001
    index = copy_index(seed_index, tmp_path / "index")
    clock = Clock()
    with local_site() as site:
        url = serve_feed(site, ["otters"])
        settings = e2e_settings(fake, seed_corpus, index, NEWSBOT_FEEDS=url, NEWSBOT_ALLOW_PRIVATE_URLS="true",
                                NEWSBOT_HOST_DELAY_MS="0")
        library = Library(seed_corpus, index, encoder, feeds=settings.feed_config())
        async with online(fake, settings, library) as bot:
            bot.polling.clock, bot.polling.tick = clock, 3600.0  # polls only when the test wakes it
            await tick(bot, clock, T0)
            assert schedule_refreshes(library) == 1, "the first poll fetched the feed, saved its article, refreshed"
            assert "Otters return to the city canal" in await answer_text(
                fake, "Where have otters been filmed for the first time in forty years?")

            # unchanged: one conditional request answered 304, nothing parsed, saved or refreshed
            requests = len(site.requests)
            await tick(bot, clock, T0 + timedelta(minutes=30))
            assert [(r.path, r.status) for r in site.requests[requests:]] == [("/feed.xml", 304)]
            assert site.requests[-1].if_none_match == site.validators("/feed.xml")[0]
            assert site.requests[-1].if_modified_since == site.validators("/feed.xml")[1]
            assert schedule_refreshes(library) == 1

            # not due yet: no request at all
            await tick(bot, clock, T0 + timedelta(minutes=45))
            assert len(site.requests) == requests + 1

            serve_feed(site, ["otters", "bridge"])
            await tick(bot, clock, T0 + timedelta(minutes=60))
            assert schedule_refreshes(library) == 2
            assert "Harbour swing bridge to close" in await answer_text(
                fake, "How long will the harbour swing bridge be closed for repairs?")

            site.fail("/feed.xml", 500)
            await tick(bot, clock, T0 + timedelta(minutes=90))
            await tick(bot, clock, T0 + timedelta(minutes=120))  # backed off: due at +150, not now
            await tick(bot, clock, T0 + timedelta(minutes=150))
            with FeedStore(index) as store:
                [feed] = store.feeds()
            assert feed.failures == 2 and feed.next_due == (T0 + timedelta(minutes=270)).isoformat()
            assert [r.status for r in site.seen("/feed.xml")][-2:] == [500, 500]

            ix = await fake.slash("feeds", {}, subcommand="list", user=fake.moderator_user)
            listed = embed_text(await private_reply(fake, ix))
            assert "failing (2 in a row)" in listed and "HTTP 500" in listed and "retry" in listed, listed
            stats = await fake.slash("stats")
            data = (await fake.wait_for_callback(stats)).json["data"]
            shown = embed_text(data)
            assert "Feeds (shared corpus)" in shown and "1 failing" in shown and "2 saved" in shown, shown

            site.fail("/feed.xml", None)
            await tick(bot, clock, T0 + timedelta(minutes=270))
            with FeedStore(index) as store:
                [feed] = store.feeds()
            assert feed.failures == 0 and feed.last_error is None
            assert feed.next_due == (T0 + timedelta(minutes=300)).isoformat()
            assert schedule_refreshes(library) == 2, "recovered with nothing new: no refresh"
            fake.assert_no_violations()

        # a restart: the schedule is read back from the state database; the schedule's own tick polls (no wake)
        clock.now = T0 + timedelta(minutes=280)
        requests = len(site.requests)
        async with online(fake, settings, Library(seed_corpus, index, encoder, feeds=settings.feed_config())) as bot:
            bot.polling.clock, bot.polling.tick = clock, 0.1
            for _ in range(400):
                if bot.polling.polls >= 3:
                    break
                await asyncio.sleep(0.05)
            assert bot.polling.polls >= 3, "the schedule ticks by itself once the bot is online"
            assert len(site.requests) == requests, "not due until +300 minutes, as recorded before the restart"
            clock.now = T0 + timedelta(minutes=300)
            for _ in range(400):
                if len(site.requests) > requests:
                    break
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.5)
            assert [r.status for r in site.requests[requests:]] == [304], "polled on time, once"


def button(message: dict, kind: str) -> str:
    return next(i for i in custom_ids(message) if i.startswith(f"nb:corpus:{kind}:"))


async def test_feeds_add_finds_a_pages_feed_confirm_cancel_remove_and_refusals(
        fake: FakeDiscord, seed_corpus: Path, seed_index: Path, encoder, tmp_path: Path) -> None:  # noqa: ANN001
    index = copy_index(seed_index, tmp_path / "index")
    with local_site() as site:
        feed_url = serve_feed(site, ["otters", "bridge"], path="/harbour/rss.xml")
        page = site.add("/harbour/index.html", '<html><head><title>Harbour Post</title><link rel="alternate" '
                                               'type="application/rss+xml" title="Harbour Post" href="rss.xml"></head>'
                                               '<body><h1>Harbour Post</h1></body></html>')
        plain = site.add("/plain.html", article_page("A story", ["Some text of a story, long enough to read."]))
        settings = e2e_settings(fake, seed_corpus, index, NEWSBOT_ALLOW_PRIVATE_URLS="true", NEWSBOT_HOST_DELAY_MS="0")
        library = Library(seed_corpus, index, encoder, feeds=settings.feed_config())
        async with online(fake, settings, library) as bot:
            bot.polling.tick = 3600.0
            refused = await fake.slash("feeds", {"url": page}, subcommand="add", user=fake.normal_user)
            data = (await fake.wait_for_callback(refused)).json["data"]
            assert data["flags"] & EPHEMERAL and "may use `/feeds add`" in data["content"]
            assert site.hits == [], "a refused member fetches nothing"

            ix = await fake.slash("feeds", {"url": page}, subcommand="add", user=fake.moderator_user)
            preview = await private_reply(fake, ix)
            shown = embed_text(preview)
            assert preview["content"] == "Add this feed (found on the page you gave) to the shared corpus?"
            assert preview["embeds"][0]["title"] == "Harbour Post" and f"Feed: {feed_url}" in shown
            assert "Entries: 2" in shown and "Otters return to the city canal" in shown and "Format: RSS 2.0" in shown

            cancel = await fake.click(preview, button(preview, "cancel"), user=fake.moderator_user)
            await fake.wait_for_callback(cancel)
            assert fake.final_message(ix)["content"] == "Cancelled: nothing was changed."
            with FeedStore(index) as store:
                assert store.feeds() == []

            ix = await fake.slash("feeds", {"url": page}, subcommand="add", user=fake.moderator_user)
            preview = await private_reply(fake, ix)
            other = await fake.click(preview, button(preview, "confirm"), user=fake.mod_role_only_user)
            data = (await fake.wait_for_callback(other)).json["data"]
            assert data["flags"] & EPHEMERAL and data["content"].startswith("Only the moderator who ran `/feeds add`")
            click = await fake.click(preview, button(preview, "confirm"), user=fake.moderator_user)
            assert (await fake.wait_for_callback(click)).json["type"] == 7
            assert fake.final_message(ix)["content"].startswith("Added the feed “Harbour Post” to the shared corpus")
            with FeedStore(index) as store:
                [feed] = store.feeds()
            assert (feed.url, feed.origin, feed.title) == (feed_url, "added", "Harbour Post")
            assert str(fake.moderator_user.id) in feed.added_by

            again = await fake.slash("feeds", {"url": feed_url}, subcommand="add", user=fake.moderator_user)
            assert "is already polled here" in (await private_reply(fake, again))["content"]
            nofeed = await fake.slash("feeds", {"url": plain}, subcommand="add", user=fake.moderator_user)
            text = (await private_reply(fake, nofeed))["content"]
            assert text.startswith("Cannot add this feed: this is a web page that links no RSS or Atom feed — give the "
                                   "feed's own address"), text
            gone = await fake.slash("feeds", {"url": site.base + "/missing.xml"}, subcommand="add",
                                    user=fake.moderator_user)
            assert "HTTP 404" in (await private_reply(fake, gone))["content"]

            typed = await fake.autocomplete("feeds", {"feed": "harb"}, focused="feed", subcommand="remove",
                                            user=fake.moderator_user)
            [offered] = await fake.wait_for_choices(typed)
            assert offered["name"].startswith("Harbour Post")
            ix = await fake.slash("feeds", {"feed": offered["value"]}, subcommand="remove", user=fake.moderator_user)
            assert (await private_reply(fake, ix))["content"].startswith("Removed the feed “Harbour Post”")
            with FeedStore(index) as store:
                assert store.feeds() == []

            hist = await fake.slash("corpus", {}, subcommand="history", user=fake.moderator_user)
            history = embed_text(await private_reply(fake, hist))
            assert "feeds add by" in history and "feeds remove by" in history and feed_url in history
            fake.assert_no_violations()
