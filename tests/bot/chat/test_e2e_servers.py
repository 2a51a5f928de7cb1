"""newsbot end to end in two servers and a DM: who may change what, and what each place sees.

The real bot over real sockets against the local fake Discord, which hosts two guilds: A (the fake's
default guild) and B, whose admin has Manage Server and Administrator there and is a plain member of A.
Commands are registered in both (DISCORD_GUILD_IDS), but neither is a home server unless a test says so.
Article pages come from a local web site on 127.0.0.1; the index uses the hashed test encoder (fast)
except where the command line must open it with the real model.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
import pytest_asyncio

from bot.cli.main import main
from bot.settings import Settings
from index.collections import ARCHIVED, SERVERS
from index.library import Library
from index.store.layout import current_version, list_versions
from tests.support.e2e import TOKEN, custom_ids, e2e_settings, embed_text, online
from tests.support.e2e_corpus import (BAKERY, BAKERY_QUESTION, BAKERY_TITLE, CHOIR, CHOIR_QUESTION, CHOIR_TITLE,
                                      LIGHTHOUSE)
from tests.support.fake_discord import ADMINISTRATOR, MANAGE_GUILD, FakeDiscord, FakeGuild, FakeUser
from tests.support.fakes import HashEncoder
from tests.support.local_site import LocalSite, article_page, local_site

pytestmark = [pytest.mark.e2e]

EPHEMERAL = 1 << 6
NO_ANSWER = "No reliable answer"

LIGHTHOUSE_TITLE = "Keepers return to the Skerryvore lighthouse for a summer of repairs"
LIGHTHOUSE_QUESTION = "Who will live at the Skerryvore lighthouse this summer?"
LIBRARY_TITLE = "City library extends its opening hours"
LIBRARY_QUESTION = "Until when will the city library stay open at night?"
LIBRARY = f"""date 2024-03-01 By Sam Hill, Daily Bugle
title {LIBRARY_TITLE}
url https://news.example/2024/03/01/library-hours

The city library will stay open until ten at night from Monday, the council said.

Students had asked for longer opening hours during the exam season.
"""
OTTERS_TITLE = "Otters return to the city canal after forty years"
OTTERS_QUESTION = "Where have otters been filmed for the first time in forty years?"
OTTERS_QUOTE = "A family of otters has been filmed in the city canal for the first time in forty years"
OTTERS = [
    OTTERS_QUOTE + ", the wildlife trust said on Thursday.",
    "Volunteers who cleared rubbish from the towpath said the clean water had brought back fish and, with them, "
    "the otters.",
    "The trust asked boaters to slow down near the old lock, where the otters have made a holt.",
]


@dataclass
class Servers:
    """The fake Discord with its two guilds, the people in them, the base corpus and the local web site."""

    fake: FakeDiscord
    a: FakeGuild
    b: FakeGuild
    admin_b: FakeUser
    corpus: Path
    index: Path
    site: LocalSite
    otters_url: str

    @property
    def mod_a(self) -> FakeUser:
        """Moderator of A (Manage Server there); not a member of B."""
        return self.fake.moderator_user

    def server_dir(self, guild: FakeGuild) -> Path:
        return self.index / SERVERS / str(guild.id)

    def settings(self, **env: str) -> Settings:
        """Commands registered in A and B; no home server unless NEWSBOT_HOME_SERVER_IDS is given.

        (An empty NEWSBOT_HOME_SERVER_IDS means "the DISCORD_GUILD_IDS servers" in .env, so "none" is set here.)
        """
        values = {"DISCORD_GUILD_IDS": f"{self.a.id},{self.b.id}", "NEWSBOT_RECENCY_DAYS": "0",
                  "NEWSBOT_ALLOW_PRIVATE_URLS": "true", "NEWSBOT_HOST_DELAY_MS": "0", **env}
        settings = e2e_settings(self.fake, self.corpus, self.index, **values)
        return settings if "NEWSBOT_HOME_SERVER_IDS" in env else replace(settings, home_server_ids=())

    def library(self, settings: Settings, encoder=None) -> Library:  # noqa: ANN001 - an Encoder
        return Library(self.corpus, self.index, encoder or HashEncoder(), retrieval=settings.retrieval())


@pytest.fixture()
def site() -> Iterator[LocalSite]:
    with local_site() as running:
        yield running


@pytest_asyncio.fixture
async def servers(tmp_path: Path, site: LocalSite) -> AsyncIterator[Servers]:
    async with FakeDiscord(token=TOKEN) as fake:
        b = fake.add_guild("Server B")
        admin_b = b.add_user("admin-b", permissions=MANAGE_GUILD | ADMINISTRATOR)
        fake.guild.add_member(admin_b)  # a plain member of A
        b.add_member(fake.normal_user)  # alice: a plain member of both
        corpus = tmp_path / "corpus"
        corpus.mkdir()
        for name, text in (("lighthouse", LIGHTHOUSE), ("library", LIBRARY), ("bakery", BAKERY)):
            (corpus / f"{name}.txt").write_text(text, encoding="utf-8")
        url = site.add("/nature/otters.html", article_page(OTTERS_TITLE, OTTERS, author="Ann Lee", day="2024-04-05",
                                                           site="City Post"))
        servers = Servers(fake, fake.guild, b, admin_b, corpus, tmp_path / "index", site, url)
        Library(corpus, servers.index, HashEncoder()).build()
        yield servers


# -- helpers ---------------------------------------------------------------------------------------------


def titles(message: dict) -> list[str]:
    """The cards' titles of an answer (`No reliable answer` when it has none)."""
    return [e.get("title") or "" for e in message.get("embeds", [])]


async def ask(fake: FakeDiscord, question: str, guild: FakeGuild | bool = True, user: FakeUser | None = None,
              **options: object) -> dict:
    """`/ask` and its answer."""
    ix = await fake.slash("ask", {"question": question, **options}, guild=guild, user=user)
    await fake.wait_for_original_edit(ix, timeout=20)
    return fake.final_message(ix)


async def mention(fake: FakeDiscord, question: str, guild: FakeGuild | bool = True,
                  user: FakeUser | None = None) -> dict:
    """A question asked by mentioning the bot (or in a DM, `guild=False`), and the bot's reply."""
    mark = fake.mark()
    sent = await fake.send_message(question, guild=guild, author=user, mentions_bot=guild is not False)
    reply = await fake.wait_for_request("POST", rf"^/channels/{sent['channel_id']}/messages$", since=mark, timeout=20)
    assert int(reply.json["message_reference"]["message_id"]) == int(sent["id"])
    return reply.json


async def refused(fake: FakeDiscord, ix) -> str:  # noqa: ANN001
    """The private refusal an interaction was answered with."""
    data = (await fake.wait_for_callback(ix)).json["data"]
    assert data["flags"] & EPHEMERAL, data
    return data["content"]


async def reply_of(fake: FakeDiscord, ix) -> dict:  # noqa: ANN001
    """The reply of a deferred command (a preview, a refusal after looking, a history)."""
    await fake.wait_for_callback(ix)
    await fake.wait_for_original_edit(ix, timeout=20)
    return fake.final_message(ix)


def button(message: dict, kind: str) -> str:
    return next(i for i in custom_ids(message) if i.startswith(f"nb:corpus:{kind}:"))


async def confirm(fake: FakeDiscord, preview: dict, user: FakeUser) -> str:
    """Press Confirm under a preview and wait for the summary of the change."""
    click = await fake.click(preview, button(preview, "confirm"), user=user)
    assert (await fake.wait_for_callback(click)).json["type"] == 7
    await fake.wait_for_original_edit(click, timeout=60, predicate=lambda r: r.json.get("content", "").startswith(
        ("Refresh finished", "Nothing was changed", "The change")))
    return fake.final_message(click)["content"]


async def add_page(s: Servers, user: FakeUser, guild: FakeGuild, **options: str) -> tuple[str, str]:
    """`/corpus add url:` with the otters page, confirmed: (the preview's question, the summary)."""
    ix = await s.fake.slash("corpus", {"url": s.otters_url, **options}, subcommand="add", user=user, guild=guild)
    preview = await reply_of(s.fake, ix)
    assert preview["embeds"][0]["title"] == OTTERS_TITLE, preview
    return preview["content"], await confirm(s.fake, preview, user)


async def refresh(fake: FakeDiscord, user: FakeUser, guild: FakeGuild) -> str:
    """`/refresh` by someone allowed, and its summary."""
    ix = await fake.slash("refresh", user=user, guild=guild)
    assert (await fake.wait_for_callback(ix)).json["data"]["content"].startswith("Refreshing the corpus")
    await fake.wait_for_original_edit(ix, timeout=60, predicate=lambda r: r.json.get("content", "").startswith(
        ("Refresh finished", "The refresh failed")))
    return fake.final_message(ix)["content"]


async def choices(fake: FakeDiscord, name: str, options: dict, focused: str, guild: FakeGuild, user: FakeUser,
                  subcommand: str | None = None) -> list[dict]:
    ix = await fake.autocomplete(name, options, focused=focused, guild=guild, user=user, subcommand=subcommand)
    return await fake.wait_for_choices(ix)


def files_of(folder: Path) -> dict[str, bytes]:
    """Every file under a folder with its bytes (SQLite's -wal/-shm side files aside)."""
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.name.endswith(("-wal", "-shm"))}


async def eventually(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait for something the bot does without a request to the fake (files moved in a thread)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "the condition did not hold in time"
        await asyncio.sleep(0.05)


# -- who may change what -----------------------------------------------------------------------------------


async def test_the_admin_of_another_server_cannot_change_the_base_or_a_neighbours_articles(
        servers: Servers) -> None:
    s, fake = servers, servers.fake
    settings = s.settings()
    async with online(fake, settings, s.library(settings)):
        question, summary = await add_page(s, s.mod_a, s.a)
        assert question == "Add this to this server's articles?" and "added 1" in summary, summary
        s.site.hits.clear()
        base_before = (current_version(s.index), list_versions(s.index), files_of(s.corpus))
        a_before = files_of(s.server_dir(s.a))
        assert any(name.startswith("corpus/") for name in a_before)

        for ix in (await fake.slash("refresh", user=s.admin_b, guild=s.b),
                   await fake.slash("refresh", {"dry_run": True}, user=s.admin_b, guild=s.b)):
            text = await refused(fake, ix)
            assert text.startswith("Only the bot's owner (or its team), the users in NEWSBOT_OWNER_IDS may use "
                                   "`/refresh`"), text
            assert "no home server is named" in text and "NEWSBOT_HOME_SERVER_IDS in .env" in text

        ix = await fake.slash("corpus", {"url": s.otters_url, "corpus": "base"}, subcommand="add", user=s.admin_b,
                              guild=s.b)
        text = await refused(fake, ix)
        assert "may use `/corpus add`" in text and "NEWSBOT_HOME_SERVER_IDS" in text and s.site.hits == []

        [library] = await choices(fake, "corpus", {"article": "library"}, "article", s.b, s.admin_b, "remove")
        assert library["name"].startswith(LIBRARY_TITLE)
        for command, options in (("remove", {"article": library["value"], "corpus": "base"}),
                                 ("restore", {"article": library["value"], "corpus": "base"}),
                                 ("history", {"corpus": "base"})):
            ix = await fake.slash("corpus", options, subcommand=command, user=s.admin_b, guild=s.b)
            text = await refused(fake, ix)
            assert f"may use `/corpus {command}`" in text and "NEWSBOT_HOME_SERVER_IDS" in text, text
        # removing a shared article without naming the base only offers to hide it in B
        ix = await fake.slash("corpus", {"article": library["value"]}, subcommand="remove", user=s.admin_b, guild=s.b)
        offer = await reply_of(fake, ix)
        assert offer["content"].startswith("This article is in the bot's shared corpus. Hide it in this server?")
        assert [c["label"] for row in offer["components"] for c in row["components"]] == ["Hide here", "Cancel"]
        cancel = await fake.click(offer, button(offer, "cancel"), user=s.admin_b)
        await fake.wait_for_callback(cancel)

        # A's own article: B's admin finds nothing of it from B, and is a plain member in A
        ix = await fake.slash("corpus", {"article": OTTERS_TITLE}, subcommand="remove", user=s.admin_b, guild=s.b)
        assert (await reply_of(fake, ix))["content"].startswith("Nothing to remove")
        assert await choices(fake, "corpus", {"article": "otters"}, "article", s.b, s.admin_b, "remove") == []
        for command, options in (("remove", {"article": OTTERS_TITLE}), ("add", {"url": s.otters_url}),
                                 ("restore", {"article": OTTERS_TITLE}), ("history", {})):
            ix = await fake.slash("corpus", options, subcommand=command, user=s.admin_b, guild=s.a)
            text = await refused(fake, ix)
            assert text.startswith(f"Only members with the Manage Server permission may use `/corpus {command}`")
        ix = await fake.slash("refresh", user=s.admin_b, guild=s.a)
        assert "may use `/refresh`" in await refused(fake, ix)
        ix = await fake.slash("settings", {"name": "results", "value": "1"}, user=s.admin_b, guild=s.a)
        assert "may use `/settings`" in await refused(fake, ix)

        assert (current_version(s.index), list_versions(s.index), files_of(s.corpus)) == base_before
        assert files_of(s.server_dir(s.a)) == a_before and s.site.hits == []
        assert OTTERS_TITLE in titles(await ask(fake, OTTERS_QUESTION, s.a))
        assert LIBRARY_TITLE in titles(await ask(fake, LIBRARY_QUESTION, s.b)), "nothing was hidden in B"
        fake.assert_no_violations()


async def test_an_article_added_in_one_server_is_seen_there_only(servers: Servers) -> None:
    s, fake = servers, servers.fake
    settings = s.settings()
    async with online(fake, settings, s.library(settings)):
        stats = await fake.slash("stats", guild=s.b)
        await fake.wait_for_callback(stats)
        b_stats_before = embed_text(fake.final_message(stats))

        question, summary = await add_page(s, s.mod_a, s.a)
        assert question == "Add this to this server's articles?" and OTTERS_TITLE in summary
        assert not (s.corpus / "added").exists(), "nothing went to the base corpus"
        assert list((s.server_dir(s.a) / "corpus").rglob("*.jsonl"))

        in_a = await ask(fake, OTTERS_QUESTION, s.a)
        assert titles(in_a)[0] == OTTERS_TITLE
        assert titles(await mention(fake, OTTERS_QUESTION, s.a))[0] == OTTERS_TITLE
        assert LIGHTHOUSE_TITLE in titles(await ask(fake, LIGHTHOUSE_QUESTION, s.a)), "A still sees the base"
        for answer in (await ask(fake, OTTERS_QUESTION, s.b, user=s.admin_b),
                       await mention(fake, OTTERS_QUESTION, s.b, user=s.admin_b),
                       await mention(fake, OTTERS_QUESTION, False, user=s.mod_a)):
            assert OTTERS_TITLE not in embed_text(answer) and titles(answer) == [NO_ANSWER], titles(answer)

        passage_id = next(i for i in custom_ids(in_a) if i.startswith("nb:fb:ok:")).rsplit(":", 1)[1]
        for query in (OTTERS_QUOTE, passage_id, OTTERS_TITLE):
            ix = await fake.slash("source", {"query": query}, guild=s.b, user=s.admin_b)
            found = await reply_of(fake, ix)
            shown = embed_text(found).replace(f"“{query}”", "")  # the query itself is quoted back
            assert found["embeds"][0]["title"] == "No close match", (query, shown)
            assert "Otters return" not in shown and "otters" not in shown and "City Post" not in shown, (query, shown)
        ix = await fake.slash("source", {"query": passage_id}, guild=s.a, user=s.mod_a)
        assert (await reply_of(fake, ix))["embeds"][0]["title"] == OTTERS_TITLE

        typed = await choices(fake, "source", {"query": "otters"}, "query", s.a, s.mod_a)
        assert any(c["name"].startswith(OTTERS_TITLE) for c in typed)
        shown_to_alice = [c["value"] for c in await choices(fake, "source", {"query": "p"}, "query", s.a,
                                                            fake.normal_user)]
        assert passage_id in shown_to_alice, "the passages /ask showed her in A"
        in_b = await choices(fake, "source", {"query": "p"}, "query", s.b, fake.normal_user)
        assert passage_id not in [c["value"] for c in in_b], "B never suggests what A showed her"
        for user in (s.admin_b, fake.normal_user):
            assert not [c for c in await choices(fake, "source", {"query": "otters"}, "query", s.b, user)
                        if "Otters" in c["name"]]
        assert any("City Post" in c["name"] for c in await choices(
            fake, "ask", {"question": "x", "outlet": "city"}, "outlet", s.a, s.mod_a))
        assert not [c for c in await choices(fake, "ask", {"question": "x", "outlet": "city"}, "outlet", s.b,
                                             s.admin_b) if "City Post" in c["name"]]
        assert not [c for c in await choices(fake, "sources", {"outlet": "city"}, "outlet", s.b, s.admin_b)
                    if "City Post" in c["name"]]

        for guild, seen in ((s.a, True), (s.b, False)):
            ix = await fake.slash("sources", guild=guild)
            await fake.wait_for_callback(ix)
            assert (OTTERS_TITLE in embed_text(fake.final_message(ix))) is seen
        for guild, articles in ((s.a, 4), (s.b, 3)):
            ix = await fake.slash("stats", guild=guild)
            await fake.wait_for_callback(ix)
            assert f"Articles: {articles}" in embed_text(fake.final_message(ix))
            assert ("Outlets: 4" if articles == 4 else "Outlets: 3") in embed_text(fake.final_message(ix))
        ix = await fake.slash("stats", guild=s.b)
        await fake.wait_for_callback(ix)
        assert embed_text(fake.final_message(ix)) == b_stats_before, "B's figures did not change"

        histories = {}
        for guild, user in ((s.a, s.mod_a), (s.b, s.admin_b)):
            ix = await fake.slash("corpus", {"count": 25}, subcommand="history", user=user, guild=guild)
            histories[guild.id] = embed_text(await reply_of(fake, ix))
        assert OTTERS_TITLE in histories[s.a.id] and str(s.mod_a.id) in histories[s.a.id]
        assert OTTERS_TITLE not in histories[s.b.id] and str(s.mod_a.id) not in histories[s.b.id]
        fake.assert_no_violations()


async def test_feedback_given_in_one_server_is_not_counted_in_another(servers: Servers) -> None:
    s, fake = servers, servers.fake
    settings = s.settings()
    async with online(fake, settings, s.library(settings)):
        answer = await ask(fake, LIGHTHOUSE_QUESTION, s.a)
        helpful = next(i for i in custom_ids(answer) if i.startswith("nb:fb:ok:"))
        click = await fake.click(answer, helpful)
        assert (await refused(fake, click)).startswith("Thanks: noted that passage")
        for guild, count in ((s.a, 1), (s.b, 0)):
            ix = await fake.slash("stats", guild=guild)
            await fake.wait_for_callback(ix)
            assert f"Feedback: {count} helpful" in embed_text(fake.final_message(ix)), guild
        fake.assert_no_violations()


async def test_a_shared_article_removed_in_one_server_is_hidden_there_only(servers: Servers) -> None:
    s, fake = servers, servers.fake
    settings = s.settings()
    async with online(fake, settings, s.library(settings)):
        base_before = (current_version(s.index), files_of(s.corpus))
        [library] = await choices(fake, "corpus", {"article": "library"}, "article", s.b, s.admin_b, "remove")
        ix = await fake.slash("corpus", {"article": library["value"]}, subcommand="remove", user=s.admin_b,
                              guild=s.b)
        offer = await reply_of(fake, ix)
        assert offer["content"].startswith("This article is in the bot's shared corpus. Hide it in this server?")
        click = await fake.click(offer, button(offer, "confirm"), user=s.admin_b)
        assert (await fake.wait_for_callback(click)).json["type"] == 7
        assert fake.message(offer)["content"].startswith("Hidden in this server")

        assert LIBRARY_TITLE not in titles(await ask(fake, LIBRARY_QUESTION, s.b))
        assert LIBRARY_TITLE not in embed_text(await mention(fake, LIBRARY_QUESTION, s.b))
        assert titles(await ask(fake, LIBRARY_QUESTION, s.a))[0] == LIBRARY_TITLE
        assert titles(await mention(fake, LIBRARY_QUESTION, False, user=s.admin_b))[0] == LIBRARY_TITLE
        ix = await fake.slash("sources", guild=s.b)
        await fake.wait_for_callback(ix)
        assert LIBRARY_TITLE not in embed_text(fake.final_message(ix))
        for guild, seen in ((s.b, False), (s.a, True)):
            ix = await fake.slash("source", {"query": "The city library will stay open until ten at night"},
                                  guild=guild, user=s.admin_b)
            assert ((await reply_of(fake, ix))["embeds"][0]["title"] == LIBRARY_TITLE) is seen
            outlets = await choices(fake, "ask", {"question": "x", "outlet": "bugle"}, "outlet", guild, s.admin_b)
            assert bool(outlets) is seen, outlets
        assert (current_version(s.index), files_of(s.corpus)) == base_before, "the base corpus is untouched"
        ix = await fake.slash("corpus", {}, subcommand="history", user=s.admin_b, guild=s.b)
        assert "corpus hide" in embed_text(await reply_of(fake, ix))

        [hidden] = await choices(fake, "corpus", {"article": "library"}, "article", s.b, s.admin_b, "restore")
        assert hidden["name"].startswith(LIBRARY_TITLE)
        ix = await fake.slash("corpus", {"article": hidden["value"]}, subcommand="restore", user=s.admin_b,
                              guild=s.b)
        assert (await reply_of(fake, ix))["content"] == "This server's answers use this article again."
        assert titles(await ask(fake, LIBRARY_QUESTION, s.b))[0] == LIBRARY_TITLE
        assert (current_version(s.index), files_of(s.corpus)) == base_before
        fake.assert_no_violations()


async def test_the_operator_refreshes_the_base_from_any_server(servers: Servers) -> None:
    s, fake = servers, servers.fake
    listed = s.b.add_user("operator-friend")  # named in NEWSBOT_OWNER_IDS, a plain member of B
    s.b.add_member(fake.owner)  # the application's owner, a plain member of B (and A's owner)
    settings = s.settings(NEWSBOT_OWNER_IDS=str(listed.id))
    async with online(fake, settings, s.library(settings)):
        (s.corpus / "choir.txt").write_text(CHOIR, encoding="utf-8")
        summary = await refresh(fake, fake.owner, s.b)
        assert "added 1" in summary and CHOIR_TITLE in summary, summary
        for guild in (s.a, s.b):
            assert titles(await ask(fake, CHOIR_QUESTION, guild))[0] == CHOIR_TITLE
        assert titles(await mention(fake, CHOIR_QUESTION, False))[0] == CHOIR_TITLE

        (s.corpus / "bakery.txt").unlink()
        summary = await refresh(fake, listed, s.b)
        assert "removed 1" in summary and BAKERY_TITLE in summary, summary
        assert BAKERY_TITLE not in titles(await ask(fake, BAKERY_QUESTION, s.a))

        question, summary = await add_page(s, fake.owner, s.b, corpus="base")
        assert question == "Add this to the shared corpus?" and "added 1" in summary
        assert list((s.corpus / "added").rglob("*.jsonl")) and not s.server_dir(s.b).exists()
        assert titles(await ask(fake, OTTERS_QUESTION, s.a))[0] == OTTERS_TITLE
        fake.assert_no_violations()


@pytest.mark.model
async def test_the_command_line_refreshes_the_base_the_servers_answer_from(
        servers: Servers, encoder, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    s, fake = servers, servers.fake
    monkeypatch.chdir(s.index.parent)  # no .env of the developer's
    settings = s.settings()
    library = s.library(settings, encoder)
    shutil.rmtree(s.index)  # the base indexed with the real model, which the command line loads
    await asyncio.to_thread(library.build)
    async with online(fake, settings, library):
        assert CHOIR_TITLE not in titles(await ask(fake, CHOIR_QUESTION, s.b))
        (s.corpus / "choir.txt").write_text(CHOIR, encoding="utf-8")
        code = await asyncio.to_thread(main, ["refresh", "--no-feeds", "--corpus", str(s.corpus),
                                              "--index", str(s.index)])
        assert code == 0
        ok = False
        for _ in range(40):  # the bot serves a version another process switched to within seconds
            if CHOIR_TITLE in titles(await ask(fake, CHOIR_QUESTION, s.b)):
                ok = True
                break
            await asyncio.sleep(0.25)
        assert ok, "B answers from the refreshed base"
        assert titles(await ask(fake, CHOIR_QUESTION, s.a))[0] == CHOIR_TITLE
        fake.assert_no_violations()


async def test_the_moderators_of_a_home_server_change_the_base(servers: Servers) -> None:
    s, fake = servers, servers.fake
    settings = s.settings(NEWSBOT_HOME_SERVER_IDS=str(s.a.id))
    async with online(fake, settings, s.library(settings)):
        (s.corpus / "choir.txt").write_text(CHOIR, encoding="utf-8")
        summary = await refresh(fake, s.mod_a, s.a)
        assert "added 1" in summary and CHOIR_TITLE in summary
        assert titles(await ask(fake, CHOIR_QUESTION, s.b))[0] == CHOIR_TITLE

        question, summary = await add_page(s, s.mod_a, s.a)
        assert question == "Add this to the shared corpus?" and "added 1" in summary
        assert list((s.corpus / "added").rglob("*.jsonl")) and not s.server_dir(s.a).exists()
        for guild in (s.a, s.b):
            assert titles(await ask(fake, OTTERS_QUESTION, guild))[0] == OTTERS_TITLE
        assert titles(await mention(fake, OTTERS_QUESTION, False, user=s.admin_b))[0] == OTTERS_TITLE

        text = await refused(fake, await fake.slash("refresh", user=s.admin_b, guild=s.b))
        assert text.startswith("Only the bot's owner (or its team), the users in NEWSBOT_OWNER_IDS and the moderators "
                               "of the bot's home servers may use `/refresh`")
        fake.assert_no_violations()


# -- per-server settings and leaving ------------------------------------------------------------------------


def add_to_server(s: Servers, settings: Settings, guild: FakeGuild, name: str, text: str) -> None:
    """Give a server its own article before the bot starts (as `/corpus add` would, without the round trip)."""
    folder = s.server_dir(guild)
    library = Library(folder / "corpus", folder / "index", HashEncoder(), retrieval=settings.retrieval())
    library.corpus_dir.mkdir(parents=True)
    (library.corpus_dir / f"{name}.txt").write_text(text, encoding="utf-8")
    library.refresh()


async def change_setting(fake: FakeDiscord, guild: FakeGuild, user: FakeUser, name: str, value: str) -> str:
    ix = await fake.slash("settings", {"name": name, "value": value}, user=user, guild=guild)
    await fake.wait_for_callback(ix)
    message = fake.final_message(ix)
    assert message["flags"] & EPHEMERAL
    return embed_text(message)


async def test_settings_change_one_server_only(servers: Servers) -> None:
    s, fake = servers, servers.fake
    settings = s.settings()
    add_to_server(s, settings, s.a, "choir", CHOIR)
    async with online(fake, settings, s.library(settings)):
        assert len(titles(await ask(fake, LIBRARY_QUESTION, s.a))) == 3
        assert "results changed" in await change_setting(fake, s.a, s.mod_a, "results", "1")
        assert titles(await ask(fake, LIBRARY_QUESTION, s.a)) == [LIBRARY_TITLE]
        assert titles(await mention(fake, LIBRARY_QUESTION, s.a)) == [LIBRARY_TITLE]
        assert len(titles(await ask(fake, LIBRARY_QUESTION, s.b))) == 3
        assert len(titles(await mention(fake, LIBRARY_QUESTION, s.b))) == 3
        assert len(titles(await mention(fake, LIBRARY_QUESTION, False))) == 3

        await change_setting(fake, s.a, s.mod_a, "channels", s.a.other_channel.mention)
        ix = await fake.slash("ask", {"question": LIBRARY_QUESTION}, guild=s.a)
        text = await refused(fake, ix)
        assert text.startswith(f"In this server I answer questions in {s.a.other_channel.mention}.")
        ix = await fake.slash("ask", {"question": LIBRARY_QUESTION}, guild=s.a, channel=s.a.other_channel)
        await fake.wait_for_original_edit(ix, timeout=20)
        assert titles(fake.final_message(ix)) == [LIBRARY_TITLE]
        assert titles(await ask(fake, LIBRARY_QUESTION, s.b))[0] == LIBRARY_TITLE, "B answers in every channel"
        await change_setting(fake, s.a, s.mod_a, "channels", "all")

        assert titles(await ask(fake, LIBRARY_QUESTION, s.a)) == [LIBRARY_TITLE]
        shown = await change_setting(fake, s.a, s.mod_a, "base_articles", "no")
        assert "**base_articles**: no *(changed here)*" in shown
        assert titles(await ask(fake, LIBRARY_QUESTION, s.a)) == [NO_ANSWER]
        assert titles(await ask(fake, CHOIR_QUESTION, s.a)) == [CHOIR_TITLE]
        ix = await fake.slash("sources", guild=s.a)
        await fake.wait_for_callback(ix)
        listed = embed_text(fake.final_message(ix))
        assert CHOIR_TITLE in listed and LIBRARY_TITLE not in listed and LIGHTHOUSE_TITLE not in listed
        assert titles(await ask(fake, LIBRARY_QUESTION, s.b))[0] == LIBRARY_TITLE
        assert CHOIR_TITLE not in titles(await ask(fake, CHOIR_QUESTION, s.b))

        ix = await fake.slash("settings", user=s.admin_b, guild=s.b)
        await fake.wait_for_callback(ix)
        b_settings = embed_text(fake.final_message(ix))
        assert "**results**: 3" in b_settings and "**base_articles**: yes" in b_settings
        assert "changed here" not in b_settings
        fake.assert_no_violations()


async def test_a_server_the_bot_left_is_archived_and_back_when_it_rejoins(servers: Servers) -> None:
    s, fake = servers, servers.fake
    settings = s.settings()
    add_to_server(s, settings, s.a, "choir", CHOIR)
    folder, archive = s.server_dir(s.a), s.index / ARCHIVED
    async with online(fake, settings, s.library(settings)) as bot:
        assert titles(await ask(fake, CHOIR_QUESTION, s.a))[0] == CHOIR_TITLE
        await bot.wait_until_ready()  # past discord.py's start-up wait for guilds: a GUILD_CREATE is a join
        await fake.remove_bot_from_guild(s.a)
        await eventually(lambda: not folder.exists())
        [archived] = list(archive.iterdir())
        assert archived.name.startswith(f"{s.a.id}-") and list((archived / "corpus").glob("choir.txt"))
        assert titles(await mention(fake, LIBRARY_QUESTION, s.b))[0] == LIBRARY_TITLE, "B is unaffected"

        mark = fake.mark()
        await fake.add_bot_to_guild(s.a)
        await eventually(folder.exists)
        assert not list(archive.iterdir()) and (folder / "corpus" / "choir.txt").exists()
        await fake.wait_for_request("PUT", rf"/guilds/{s.a.id}/commands$", since=mark, timeout=10)
        assert titles(await ask(fake, CHOIR_QUESTION, s.a))[0] == CHOIR_TITLE
        assert titles(await mention(fake, CHOIR_QUESTION, s.a))[0] == CHOIR_TITLE
        assert CHOIR_TITLE not in titles(await ask(fake, CHOIR_QUESTION, s.b))
        fake.assert_no_violations()


# -- feeds -------------------------------------------------------------------------------------------------


async def test_a_servers_feed_is_polled_into_that_servers_articles_only(servers: Servers) -> None:
    from datetime import datetime, timezone

    from index.feeds.store import FeedStore

    s = servers
    feed = s.site.feed("/city/rss.xml", "City Post", [(OTTERS_TITLE, s.otters_url, "Fri, 05 Apr 2024 09:00:00 GMT")])
    settings = s.settings()
    now = [datetime(2026, 11, 30, 10, 0, tzinfo=timezone.utc)]
    async with online(s.fake, settings, s.library(settings)) as bot:
        bot.polling.clock, bot.polling.tick = (lambda: now[0]), 3600.0
        ix = await s.fake.slash("feeds", {"url": feed}, subcommand="add", user=s.admin_b, guild=s.b)
        preview = await reply_of(s.fake, ix)
        assert preview["content"] == "Add this feed to this server's articles?", preview["content"]
        click = await s.fake.click(preview, button(preview, "confirm"), user=s.admin_b)
        await s.fake.wait_for_callback(click)
        with FeedStore(s.server_dir(s.b) / "index") as store:
            assert store.urls() == (feed,)
        with FeedStore(s.index) as store:
            assert store.urls() == (), "not the shared corpus's"

        # Confirm woke the schedule: it polls B's feed into B's collection, through a refresh of B's library
        await eventually(lambda: any(e.kind == "refresh" and e.actor == "schedule" and e.status == "ok"
                                     for e in bot.collections.history(s.b.id)), timeout=30)
        assert not [e for e in bot.collections.history(None) if e.actor == "schedule"]
        assert titles(await ask(s.fake, OTTERS_QUESTION, guild=s.b))[0] == OTTERS_TITLE
        assert OTTERS_TITLE not in titles(await ask(s.fake, OTTERS_QUESTION, guild=s.a))
        assert list((s.server_dir(s.b) / "corpus" / "feeds").rglob("*.jsonl"))
        assert not (s.corpus / "feeds").exists()

        refused_a = await s.fake.slash("feeds", {"url": feed}, subcommand="add", user=s.admin_b, guild=s.a)
        assert "may use `/feeds add`" in await refused(s.fake, refused_a), "a plain member of A"
        base = await s.fake.slash("feeds", {"url": feed, "corpus": "base"}, subcommand="add", user=s.admin_b,
                                  guild=s.b)
        assert "may use `/feeds add`" in await refused(s.fake, base), "B's admin may not name the shared corpus"
        s.fake.assert_no_violations()
