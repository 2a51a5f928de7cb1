"""newsbot sharded, end to end: the guilds of every shard answer, and several processes share one index.

Discord requires sharding from 2,500 servers: each gateway connection (shard) gets the events of the guilds
whose `(guild_id >> 22) % shard_count` is its number, and DMs on shard 0. The local fake Discord routes the
same way, so a guild answered here was answered by the bot holding its shard. `newsbot run --shards N
--shard-ids …` runs some shards in one process (`ShardedNewsBot`); other processes run the others over the
same index directory: one refresh at a time across processes (the index's lock), and each process serves a
version another switched to within seconds (`NewsBot.keep_house` watching `CURRENT`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.cli.main import main
from bot.settings import Settings
from index.library import Library
from index.store.layout import current_version
from tests.conftest import ROOT
from tests.support.e2e import TOKEN, e2e_env, e2e_settings, embed_text, online
from tests.support.e2e_corpus import (BAKERY, BAKERY_QUESTION, BAKERY_TITLE, CHOIR, CHOIR_QUESTION, CHOIR_TITLE,
                                      LIGHTHOUSE)
from tests.support.fake_discord import FakeDiscord, FakeGuild, FakeUser, InteractionRecord
from tests.support.fakes import HashEncoder

pytestmark = [pytest.mark.e2e]

LIGHTHOUSE_TITLE = "Keepers return to the Skerryvore lighthouse for a summer of repairs"
LIGHTHOUSE_QUESTION = "Who will live at the Skerryvore lighthouse this summer?"
SERVE_NEW_VERSION_S = 8.0  # a process polls CURRENT every RELOAD_SECONDS (2 s): "within a few seconds"
SUBPROCESS_READY_S = 120.0  # the other process imports discord.py and torch and loads the real model


def titles(message: dict) -> list[str]:
    """The cards' titles of an answer."""
    return [e.get("title") or "" for e in message.get("embeds", [])]


async def ask(fake: FakeDiscord, question: str, guild: FakeGuild | bool) -> tuple[InteractionRecord, list[str]]:
    """`/ask` in a guild (or a DM: False): the interaction and the titles of its answer."""
    ix = await fake.slash("ask", {"question": question}, guild=guild)
    await fake.wait_for_original_edit(ix, timeout=30)
    return ix, titles(fake.final_message(ix))


def shard_of_delivery(fake: FakeDiscord, ix: InteractionRecord) -> list[tuple[int, int]]:
    """The shards ([id, count]) whose sessions were sent this interaction."""
    return [shard for shard, frame in fake.hub.sent_to
            if frame["t"] == "INTERACTION_CREATE" and frame["d"]["id"] == str(ix.id)]


def write_corpus(folder: Path) -> Path:
    folder.mkdir()
    (folder / "lighthouse.txt").write_text(LIGHTHOUSE, encoding="utf-8")
    (folder / "bakery.txt").write_text(BAKERY, encoding="utf-8")
    return folder


def guilds_on_both_shards(fake: FakeDiscord) -> tuple[FakeGuild, FakeGuild]:
    """A guild on shard 0 and one on shard 1 (of 2), the operator owning both, alice a member of both."""
    zero = fake.add_guild("Shard Zero", owner=fake.owner, shard=(0, 2))
    one = fake.add_guild("Shard One", owner=fake.owner, shard=(1, 2))
    for guild in (zero, one):
        guild.add_member(fake.normal_user)
    assert (zero.shard_id(2), one.shard_id(2)) == (0, 1)
    return zero, one


# -- the fake routes as Discord does -------------------------------------------------------------------------


async def test_gateway_bot_recommends_the_fakes_shard_count() -> None:
    async with FakeDiscord(token=TOKEN, shard_count=3) as fake:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{fake.api_base}/gateway/bot", headers={"Authorization": f"Bot {fake.token}"}) as r:
                assert (await r.json())["shards"] == 3
        guild = fake.add_guild("Two of three", shard=(2, 3))
        assert guild.shard_id(3) == 2 and (guild.id >> 22) % 3 == 2


# -- one process, both shards --------------------------------------------------------------------------------


@pytest.mark.slow
async def test_one_process_running_both_shards_answers_in_the_guilds_of_each(tmp_path: Path) -> None:
    async with FakeDiscord(token=TOKEN) as fake:
        zero, one = guilds_on_both_shards(fake)
        corpus = write_corpus(tmp_path / "corpus")
        index = tmp_path / "index"
        Library(corpus, index, HashEncoder()).build()
        guild_ids = ",".join(str(g.id) for g in fake.guilds)
        settings = e2e_settings(fake, corpus, index, DISCORD_GUILD_IDS=guild_ids, NEWSBOT_RECENCY_DAYS="0")
        library = Library(corpus, index, HashEncoder(), retrieval=settings.retrieval())
        async with online(fake, settings, library, timeout=40, shard_count=2) as bot:  # as `newsbot run --shards 2`
            assert sorted(d["shard"] for d in fake.identify_payloads) == [[0, 2], [1, 2]]
            ready = {tuple(shard): [g["id"] for g in frame["d"]["guilds"]] for shard, frame in fake.hub.sent_to
                     if frame["t"] == "READY"}
            assert ready == {(0, 2): [str(g.id) for g in fake.guilds if g.shard_id(2) == 0],
                             (1, 2): [str(g.id) for g in fake.guilds if g.shard_id(2) == 1]}
            assert {g.id: g.shard_id for g in bot.guilds} == {g.id: g.shard_id(2) for g in fake.guilds}

            for guild, shard in ((zero, 0), (one, 1)):
                ix, answer = await ask(fake, LIGHTHOUSE_QUESTION, guild)
                assert answer[0] == LIGHTHOUSE_TITLE, (guild, answer)
                assert shard_of_delivery(fake, ix) == [(shard, 2)], "only the guild's shard was sent it"
            mark = fake.mark()
            sent = await fake.send_message(BAKERY_QUESTION, dm=True)  # a DM: shard 0
            reply = await fake.wait_for_request("POST", rf"^/channels/{sent['channel_id']}/messages$", since=mark,
                                                timeout=30)
            assert titles(reply.json)[0] == BAKERY_TITLE
            assert [shard for shard, frame in fake.hub.sent_to if frame["t"] == "MESSAGE_CREATE"
                    and frame["d"]["id"] == sent["id"]] == [(0, 2)]
            fake.assert_no_violations()


# -- two processes, two shards, one index ----------------------------------------------------------------------


class HeldRefresh:
    """A progress callback for `newsbot refresh` that stops the refresh at its first step (the index's lock
    is held by then) until the test lets it go on."""

    def __init__(self) -> None:
        self.holding = threading.Event()
        self.release = threading.Event()

    def progress(self) -> HeldRefresh:  # stands in for `CommandProgress()`
        return self

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.holding.is_set():
            self.holding.set()
            if not self.release.wait(60):
                raise TimeoutError("the test never let the refresh go on")

    def __enter__(self) -> HeldRefresh:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


@contextlib.asynccontextmanager
async def bot_process(args: list[str], env: dict[str, str], cwd: Path, log: Path) -> AsyncIterator[
        asyncio.subprocess.Process]:
    """`python -m bot.cli.main …` as a separate process; stopped with SIGTERM (then killed) when the block ends,
    however it ends."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSBOT_", "DISCORD_"))}
    clean["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), clean.get("PYTHONPATH")]))
    with log.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot.cli.main", *args, cwd=cwd,
                                                    env={**clean, **env}, stdout=out, stderr=out)
    try:
        yield proc
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), 30)
            except TimeoutError:
                proc.kill()
                await proc.wait()


async def until_shard_ready(fake: FakeDiscord, proc: asyncio.subprocess.Process, log: Path, shard: int,
                            count: int) -> None:
    """Wait for the other process's shard to be ready; fail at once, with its log, if it exits first."""
    ready = asyncio.ensure_future(fake.wait_until_ready(SUBPROCESS_READY_S, shard_ids=[shard], shard_count=count))
    exited = asyncio.ensure_future(proc.wait())
    try:
        await asyncio.wait({ready, exited}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        exited.cancel()
    if not ready.done():
        ready.cancel()
        raise AssertionError(f"the bot process exited ({proc.returncode}) before its shard was ready:\n"
                             f"{log.read_text(errors='replace')[-4000:]}")
    ready.result()


async def refresh_reply(fake: FakeDiscord, guild: FakeGuild, user: FakeUser) -> str:
    """`/refresh` in a guild, and what it finally says."""
    ix = await fake.slash("refresh", user=user, guild=guild)
    assert (await fake.wait_for_callback(ix)).json["data"]["content"].startswith("Refreshing the corpus")
    await fake.wait_for_original_edit(ix, timeout=30, predicate=lambda r: not r.json.get("content", "").startswith(
        "Refreshing the corpus"))
    return fake.final_message(ix)["content"]


async def until_answered(fake: FakeDiscord, question: str, title: str, guild: FakeGuild, since: float,
                         deadline: float) -> float:
    """Ask again until `title` is the top answer in `guild`; seconds from `since` until it was."""
    loop = asyncio.get_running_loop()
    while True:
        _, answer = await ask(fake, question, guild)
        if answer and answer[0] == title:
            return loop.time() - since
        assert loop.time() < deadline, f"{guild.name} still answers {answer} from the old version"
        await asyncio.sleep(0.2)


@pytest.mark.slow
@pytest.mark.model
async def test_two_processes_serve_two_shards_from_one_index_and_both_serve_a_refresh(
        tmp_path: Path, encoder, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    monkeypatch.chdir(tmp_path)  # no .env of the developer's, here or in the other process
    async with FakeDiscord(token=TOKEN) as fake:
        zero, one = guilds_on_both_shards(fake)
        corpus = write_corpus(tmp_path / "corpus")
        index = tmp_path / "index"
        env = e2e_env(fake, corpus, index, DISCORD_GUILD_IDS=f"{zero.id},{one.id}", NEWSBOT_RECENCY_DAYS="0",
                      NEWSBOT_LOG_LEVEL="INFO")
        settings = Settings.from_env(env)
        library = Library(corpus, index, encoder, retrieval=settings.retrieval())
        await asyncio.to_thread(library.build)  # prebuilt with the real model: both processes only load it
        log = tmp_path / "shard-1.log"
        args = ["run", "--shards", "2", "--shard-ids", "1", "--corpus", str(corpus), "--index", str(index)]
        async with bot_process(args, env, tmp_path, log) as proc:
            async with online(fake, settings, library, timeout=60, shard_count=2, shard_ids=[0]) as bot:
                await until_shard_ready(fake, proc, log, 1, 2)
                assert bot.get_guild(zero.id) is not None and bot.get_guild(one.id) is None, "shard 0's only"

                for guild, shard in ((zero, 0), (one, 1)):
                    ix, answer = await ask(fake, LIGHTHOUSE_QUESTION, guild)
                    assert answer[0] == LIGHTHOUSE_TITLE, (guild, answer)
                    assert shard_of_delivery(fake, ix) == [(shard, 2)]
                    _, answer = await ask(fake, CHOIR_QUESTION, guild)
                    assert CHOIR_TITLE not in answer

                # a refresh of the base corpus, held while it holds the index's lock
                (corpus / "choir.txt").write_text(CHOIR, encoding="utf-8")
                held = HeldRefresh()
                monkeypatch.setattr("bot.cli.refresh.CommandProgress", held.progress)
                refreshing = asyncio.ensure_future(asyncio.to_thread(
                    main, ["refresh", "--no-feeds", "--corpus", str(corpus), "--index", str(index)]))
                try:
                    assert await asyncio.to_thread(held.holding.wait, 60), "the refresh never started"
                    # a second refresh, from either process, is refused by the lock rather than run alongside
                    for guild in (one, zero):
                        text = await refresh_reply(fake, guild, fake.owner)
                        assert text.startswith("Nothing was refreshed: a refresh started"), text
                        assert text.count("already running") == 1 and "keeps answering" in text, text
                        assert f"(process {os.getpid()} on" in text, text  # whose: the command line's
                finally:
                    held.release.set()
                    code = await refreshing
                switched = asyncio.get_running_loop().time()
                assert code == 0
                assert current_version(index).startswith("v0002"), "one refresh, one new version"
                assert [(h.kind, h.status) for h in library.history()] == [("refresh", "ok"), ("build", "ok")]

                # both processes answer from the new version within seconds, neither restarted
                deadline = switched + SERVE_NEW_VERSION_S
                waited = {guild.name: await until_answered(fake, CHOIR_QUESTION, CHOIR_TITLE, guild, switched,
                                                           deadline) for guild in (one, zero)}
                assert all(s < SERVE_NEW_VERSION_S for s in waited.values()), waited
                for guild in (one, zero):  # what each process lists is the new version's too
                    ix = await fake.slash("stats", guild=guild)
                    await fake.wait_for_callback(ix)
                    stats = embed_text(fake.final_message(ix))
                    assert "Articles: 3" in stats and "v0002" in stats, stats
                assert proc.returncode is None and sorted(d["shard"] for d in fake.identify_payloads) == [
                    [0, 2], [1, 2]], "no process restarted or reconnected"
                fake.assert_no_violations()

                started = time.monotonic()
                proc.send_signal(signal.SIGTERM)  # `newsbot run` closes the bot cleanly
                assert await asyncio.wait_for(proc.wait(), 30) == 0, log.read_text(errors="replace")[-4000:]
                assert time.monotonic() - started < 30
                await asyncio.wait_for(fake.hub.wait_for(lambda: not fake.hub.shards_ready([1], 2)), 10)
                assert fake.hub.shards_ready([0], 2), "the other process's shard is still online"
        output = log.read_text(errors="replace")
        assert "Traceback" not in output and " ERROR " not in output, output[-4000:]
        assert "now serving index version v0002" in output, output[-4000:]


# -- feeds: each library is polled by one process ---------------------------------------------------------------


async def test_the_base_is_polled_by_shard_zero_and_a_servers_feeds_by_the_process_holding_it(tmp_path: Path) -> None:
    from index.collections import SERVERS
    from index.feeds.store import FeedStore
    from tests.support.local_site import local_site

    async with FakeDiscord(token=TOKEN) as fake:
        zero, one = guilds_on_both_shards(fake)
        corpus = write_corpus(tmp_path / "corpus")
        index = tmp_path / "index"
        Library(corpus, index, HashEncoder()).build()
        with local_site() as site:
            base_feed = site.feed("/base.xml", "Base", [])
            for guild in (zero, one):
                with FeedStore(index / SERVERS / str(guild.id) / "index") as store:
                    store.add(site.base + f"/{guild.id}.xml", "Server feed", "test", datetime_now())
                site.feed(f"/{guild.id}.xml", "Server feed", [])
            guild_ids = ",".join(str(g.id) for g in fake.guilds)
            settings = e2e_settings(fake, corpus, index, DISCORD_GUILD_IDS=guild_ids, NEWSBOT_FEEDS=base_feed,
                                    NEWSBOT_ALLOW_PRIVATE_URLS="true", NEWSBOT_HOST_DELAY_MS="0")
            for shard, expected in ((1, [one.id]), (0, [None, zero.id])):
                library = Library(corpus, index, HashEncoder(), feeds=settings.feed_config())
                mark = len(site.requests)
                async with online(fake, settings, library, timeout=40, shard_count=2, shard_ids=[shard]) as bot:
                    bot.polling.tick = 3600.0
                    assert await bot.run_blocking(bot.polling.targets) == expected
                    await bot.polling.poll_once()  # (the schedule's first poll, once online, may have done it)
                    polled = sorted(r.path for r in site.requests[mark:])
                    wanted = sorted("/base.xml" if g is None else f"/{g}.xml" for g in expected)
                    assert polled == wanted, f"shard {shard} polled {polled}: each due feed once, only its own"
            fake.assert_no_violations()


def datetime_now():  # noqa: ANN201
    from datetime import datetime, timezone

    return datetime.now(timezone.utc)
