"""newsbot end to end: moderator /refresh, start-up (index built before going online) and token errors.

The real bot over real sockets against the local fake Discord.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
import pytest_asyncio

from bot.cli.main import main
from bot.cli.run import prepare_library
from index.store.layout import current_version, list_versions
from index.library import Library
from tests.conftest import SEEDS
from tests.support.e2e_corpus import LIGHTHOUSE
from tests.support.e2e import TOKEN, copy_index, e2e_settings, embed_text, online
from tests.support.fake_discord import FakeDiscord

pytestmark = [pytest.mark.e2e, pytest.mark.model]

EPHEMERAL = 1 << 6
LIGHTHOUSE_TITLE = "Keepers return to the Skerryvore lighthouse for a summer of repairs"


@pytest_asyncio.fixture
async def fake():  # noqa: ANN201
    async with FakeDiscord(token=TOKEN) as server:
        yield server


async def test_refresh_is_refused_to_members_without_permission_and_changes_nothing(
        fake: FakeDiscord, seed_corpus: Path, seed_index: Path, encoder, tmp_path: Path) -> None:  # noqa: ANN001
    index = copy_index(seed_index, tmp_path / "index")
    (seed_corpus / "lighthouse.txt").write_text(LIGHTHOUSE, encoding="utf-8")
    before = (current_version(index), list_versions(index))
    library = Library(seed_corpus, index, encoder)
    async with online(fake, e2e_settings(fake, seed_corpus, index), library):
        for user in (fake.normal_user, fake.mod_role_only_user):
            ix = await fake.slash("refresh", user=user)
            data = (await fake.wait_for_callback(ix)).json["data"]
            assert data["flags"] & EPHEMERAL
            assert data["content"].startswith("Only members with the Manage Server permission may use `/refresh`")
    settings = e2e_settings(fake, seed_corpus, index, NEWSBOT_MODERATOR_ROLE_ID=str(fake.moderator_role_id))
    async with online(fake, settings, library):
        ix = await fake.slash("refresh", user=fake.normal_user)
        data = (await fake.wait_for_callback(ix)).json["data"]
        assert f"or the <@&{fake.moderator_role_id}> role" in data["content"] and data["flags"] & EPHEMERAL
    assert (current_version(index), list_versions(index)) == before, "nothing was rebuilt"
    fake.assert_no_violations()


async def test_moderator_refresh_adds_an_article_that_the_next_answer_finds(
        fake: FakeDiscord, seed_corpus: Path, seed_index: Path, encoder, tmp_path: Path) -> None:  # noqa: ANN001
    index = copy_index(seed_index, tmp_path / "index")
    library = Library(seed_corpus, index, encoder)
    settings = e2e_settings(fake, seed_corpus, index, NEWSBOT_MODERATOR_ROLE_ID=str(fake.moderator_role_id))
    async with online(fake, settings, library):
        (seed_corpus / "lighthouse.txt").write_text(LIGHTHOUSE, encoding="utf-8")
        (seed_corpus / "broken.txt").write_text("dated yesterday by nobody\n\nSome text.\n", encoding="utf-8")
        first = await fake.slash("refresh", user=fake.mod_role_only_user)  # allowed through the role
        second = await fake.slash("refresh", user=fake.moderator_user)  # allowed through Manage Server
        started = (await fake.wait_for_callback(first)).json
        assert started["type"] == 4 and started["data"]["content"].startswith("Refreshing the corpus (started by")
        refused = (await fake.wait_for_callback(second)).json["data"]
        assert refused["flags"] & EPHEMERAL and "is still running" in refused["content"]

        await fake.wait_for_original_edit(
            first, timeout=30, predicate=lambda r: r.json.get("content", "").startswith("Refresh finished"))
        summary = fake.final_message(first)["content"]
        # what was added (by title), updated, removed, and what was skipped with its reason
        assert "added 1" in summary and LIGHTHOUSE_TITLE in summary
        assert "updated 0" in summary and "removed 0" in summary
        assert "skipped 1" in summary and "broken.txt:1:" in summary and "not in the seed format" in summary
        assert current_version(index).startswith("v0002")

        ix = await fake.slash("ask", {"question": "Who will live at the Skerryvore lighthouse this summer?"})
        await fake.wait_for_original_edit(ix, timeout=10)
        top = fake.final_message(ix)["embeds"][0]
        assert top["title"] == LIGHTHOUSE_TITLE
        assert top["url"].startswith("https://news.example/2024/02/10/skerryvore-lighthouse-keepers#:~:text=The%20")
        assert "Reuters · Jane Doe and Ravi Patel · 10 February 2024 · paragraph" in embed_text(fake.final_message(ix))
        assert "index v0002" in top["footer"]["text"]

        ix = await fake.slash("stats")
        await fake.wait_for_callback(ix)
        assert "Articles: 2" in embed_text(fake.final_message(ix))
        fake.assert_no_violations()


async def test_a_running_refresh_is_the_bots_shown_by_stats_and_refusing_another(
        fake: FakeDiscord, seed_index: Path, encoder, tmp_path: Path) -> None:  # noqa: ANN001
    index = copy_index(seed_index, tmp_path / "index")
    async with online(fake, e2e_settings(fake, SEEDS, index), Library(SEEDS, index, encoder)) as bot:
        with bot.refreshing.track("<@42>"):  # as /refresh holds it while the library refreshes
            ix = await fake.slash("stats")
            await fake.wait_for_callback(ix)
            assert "(a refresh is running now)" in embed_text(fake.final_message(ix))
            ix = await fake.slash("refresh", user=fake.moderator_user)
            data = (await fake.wait_for_callback(ix)).json["data"]
            assert data["flags"] & EPHEMERAL
            assert data["content"].startswith("A refresh started by <@42> is still running")
        assert not bot.refreshing.running
        ix = await fake.slash("stats")
        await fake.wait_for_callback(ix)
        assert "running now" not in embed_text(fake.final_message(ix))
        fake.assert_no_violations()


async def test_a_missing_index_is_built_before_the_bot_goes_online(
        fake: FakeDiscord, encoder, tmp_path: Path) -> None:  # noqa: ANN001
    index = tmp_path / "fresh-index"
    library = Library(SEEDS, index, encoder)
    identifies_when_ready: list[int] = []

    def prepare() -> None:
        prepare_library(library)
        identifies_when_ready.append(len(fake.identify_payloads))

    async with online(fake, e2e_settings(fake, SEEDS, index), library, prepare=prepare):
        assert identifies_when_ready == [0], "the gateway was joined only after the index was ready"
        assert fake.find("GET", r"^/users/@me$")[0].index < fake.find("PUT", r"commands$")[0].index
        ix = await fake.slash("ask", {"question": "Who says the Kremlin was attacked by drones?"})
        await fake.wait_for_original_edit(ix, timeout=10)
        assert "CNN" in embed_text(fake.final_message(ix))


async def test_a_rejected_token_is_a_clear_error_before_any_work(
        fake: FakeDiscord, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    index = tmp_path / "never-built"
    monkeypatch.setattr(logging.getLogger(), "level", logging.getLogger().level)
    for name, value in {"DISCORD_TOKEN": "MTAx.not-the.right-token", "DISCORD_API_BASE": fake.base_url,
                        "DISCORD_GATEWAY_URL": fake.gateway_url, "DISCORD_GUILD_IDS": str(fake.guild_id)}.items():
        monkeypatch.setenv(name, value)
    code = await asyncio.to_thread(main, ["run", "--corpus", str(SEEDS), "--index", str(index)])
    err = capsys.readouterr().err
    assert code == 2
    assert "Discord rejected DISCORD_TOKEN (401 Unauthorized)" in err and "Reset Token" in err
    assert "Traceback" not in err
    assert not index.exists(), "the token is checked before the index is built"
    assert [r.status for r in fake.find("GET", r"^/users/@me$")] == [401]
