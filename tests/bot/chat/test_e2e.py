"""newsbot end to end: the real bot and discord.py client over real sockets against the local fake Discord.

Questions, mentions, DMs, input checks, concurrency, feedback and command
registration. Every wait goes through the fake's request log (no sleeps).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import pytest_asyncio

from bot.cli.main import main
from index.library import Library
from tests.conftest import SEED_QUESTION, SEEDS
from tests.support.e2e import TOKEN, copy_index, custom_ids, e2e_settings, embed_text, online
from tests.support.fake_discord import PRIVILEGED_INTENTS, FakeDiscord

pytestmark = [pytest.mark.e2e, pytest.mark.model]

EPHEMERAL = 1 << 6


def pings_nobody(allowed: dict | None) -> bool:
    """`allowed_mentions` that lets no mention ping: empty parse list, no users, roles or replied user."""
    return bool(allowed) and allowed.get("parse") == [] and not allowed.get("users") and \
        not allowed.get("roles") and not allowed.get("replied_user")
COMMANDS = {"ask", "source", "sources", "stats", "refresh", "corpus", "feeds", "settings", "follow", "unfollow",
            "following", "Find source"}


@pytest_asyncio.fixture
async def fake():  # noqa: ANN201
    async with FakeDiscord(token=TOKEN) as server:
        yield server


@pytest.fixture(scope="module")
def index_copy(seed_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed index, copied once for this module (the bot writes its state beside it)."""
    return copy_index(seed_index, tmp_path_factory.mktemp("bot-e2e") / "index")


@pytest.fixture()
def library(index_copy: Path, encoder) -> Library:  # noqa: ANN001
    return Library(SEEDS, index_copy, encoder)


def bot_writes(fake: FakeDiscord, since: int = 0) -> list:
    """Every request by which the bot created or edited a message with text or embeds."""
    out = []
    for r in fake.requests[since:]:
        body = r.json if isinstance(r.json, dict) else {}
        data = body.get("data", body) if r.path.endswith("/callback") else body
        if r.method in ("POST", "PATCH") and isinstance(data, dict) and ("content" in data or "embeds" in data):
            out.append((r, data))
    return out


async def test_connects_registers_commands_once_and_moves_them_when_scope_changes(
        fake: FakeDiscord, library: Library, index_copy: Path) -> None:
    settings = e2e_settings(fake, SEEDS, index_copy)
    async with online(fake, settings, library):
        assert set(fake.registered_command_names()) == COMMANDS
        assert {c["name"] for c in fake.commands.list(fake.guild_id)} == COMMANDS
        assert not fake.find("PUT", r"^/applications/\d+/commands$"), "guild ids set: nothing global"
        assert fake.identify_payloads[0]["intents"] & PRIVILEGED_INTENTS == 0, "no privileged intent needed"
    mark = fake.mark()
    async with online(fake, settings, library):
        assert not fake.find("PUT", r"commands$", since=mark), "unchanged commands are not re-synced"
    mark = fake.mark()
    async with online(fake, e2e_settings(fake, SEEDS, index_copy, DISCORD_GUILD_IDS=""), library):
        put_global = fake.find("PUT", r"^/applications/\d+/commands$", since=mark)
        put_guild = fake.find("PUT", rf"/guilds/{fake.guild_id}/commands$", since=mark)
        assert len(put_global) == 1 and {c["name"] for c in put_global[0].json} == COMMANDS
        assert len(put_guild) == 1 and put_guild[0].json == [], "the old guild copies are cleared"
    fake.assert_no_violations()


async def test_ask_answers_with_attribution_and_records_feedback(
        fake: FakeDiscord, library: Library, index_copy: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    async with online(fake, e2e_settings(fake, SEEDS, index_copy), library):
        ix = await fake.slash("ask", {"question": SEED_QUESTION})
        assert (await fake.wait_for_callback(ix)).json == {"type": 5}, "deferred at once"
        edit = await fake.wait_for_original_edit(ix, timeout=10)
        assert pings_nobody(edit.json["allowed_mentions"])
        answer = fake.final_message(ix)
        text = embed_text(answer)
        assert "CNN" in text and "Sebastian Shukla and Nathan Hodge" in text and "3 May 2023" in text
        first = answer["embeds"][0]
        assert first["description"].startswith("**Moscow alleged Wednesday Ukraine flew two drones")
        assert "paragraphs 1-" in first["fields"][0]["value"] and "of 12" in first["fields"][0]["value"]
        passage_id = first["footer"]["text"].split("passage ", 1)[1].split(" ", 1)[0]
        assert f"/source {passage_id}" in first["footer"]["text"] and "index v0001" in first["footer"]["text"]
        buttons = custom_ids(answer)
        assert any(b.startswith("nb:fb:ok:") and b.endswith(passage_id) for b in buttons)

        helpful = next(b for b in buttons if b.startswith("nb:fb:ok:") and b.endswith(passage_id))
        click = await fake.click(answer, helpful)
        reply = (await fake.wait_for_callback(click)).json["data"]
        assert reply["flags"] & EPHEMERAL and "was helpful" in reply["content"]
        wrong = helpful.replace(":ok:", ":bad:")
        click = await fake.click(answer, wrong)
        reply = (await fake.wait_for_callback(click)).json["data"]
        assert "wrong source" in reply["content"] and "replaced" in reply["content"]
        fake.assert_no_violations()

    export = tmp_path / "feedback.jsonl"
    assert main(["feedback", "--index", str(index_copy), "--export", str(export)]) == 0
    assert "exported 1 feedback record(s)" in capsys.readouterr().err
    [record] = [json.loads(line) for line in export.read_text().splitlines()]
    assert record["verdict"] == "wrong_source" and record["passage_id"] == passage_id
    assert record["user_id"] == fake.normal_user.id and record["question"] == SEED_QUESTION
    assert record["index_version"].startswith("v0001") and record["article_id"]


async def test_mentions_and_dms_get_the_same_answer_as_a_reply(
        fake: FakeDiscord, library: Library, index_copy: Path) -> None:
    async with online(fake, e2e_settings(fake, SEEDS, index_copy), library):
        channel = rf"^/channels/{fake.channel_id}/messages$"
        mark = fake.mark()
        ignored = await fake.send_message("who flew drones toward the Kremlin?", mentions_bot=False)
        asked = await fake.send_message("who flew drones toward the Kremlin?")
        reply = await fake.wait_for_request("POST", channel, since=mark, timeout=10)
        assert int(reply.json["message_reference"]["message_id"]) == int(asked["id"]) != int(ignored["id"])
        assert pings_nobody(reply.json["allowed_mentions"])
        assert "CNN" in embed_text(reply.json) and "3 May 2023" in embed_text(reply.json)
        assert len(fake.find("POST", channel, since=mark)) == 1, "a message not addressed to the bot is ignored"

        dm = fake.dm_channel_id(fake.moderator_user)
        await fake.send_message("Who does Moscow blame for the drones?", dm=True, mentions_bot=False,
                                author=fake.moderator_user)
        reply = await fake.wait_for_request("POST", rf"^/channels/{dm}/messages$", since=mark, timeout=10)
        assert "Sebastian Shukla" in embed_text(reply.json) and pings_nobody(reply.json["allowed_mentions"])

        await fake.send_message("   ")  # only the mention: told what to do
        reply = await fake.wait_for_request("POST", channel, since=reply.index + 1, timeout=10)
        assert "question is empty" in reply.json["content"]
        fake.assert_no_violations()


async def test_text_from_questions_never_pings_anyone(fake: FakeDiscord, library: Library, index_copy: Path) -> None:
    question = f"@everyone @here <@{fake.owner.id}> <@&{fake.moderator_role_id}> who flew drones to the Kremlin?"
    async with online(fake, e2e_settings(fake, SEEDS, index_copy), library):
        ix = await fake.slash("ask", {"question": question})
        await fake.wait_for_original_edit(ix, timeout=10)
        await fake.send_message(question)
        await fake.wait_for_request("POST", rf"^/channels/{fake.channel_id}/messages$", timeout=10)
        writes = bot_writes(fake)
        assert len(writes) >= 2
        for request, data in writes:
            assert pings_nobody(data.get("allowed_mentions")), (request.method, request.path, data)
        for message in fake.messages_in(fake.channel_id):
            if int(message["author"]["id"]) == fake.bot_user_id:
                assert not message["mention_everyone"] and message["mentions"] == []
                assert message["mention_roles"] == []
        fake.assert_no_violations()


async def test_bad_questions_get_an_ephemeral_error_that_names_the_limit(
        fake: FakeDiscord, library: Library, index_copy: Path) -> None:
    cases = {
        "x" * 301: "the limit is 300",
        "?! …": "no words",
    }
    async with online(fake, e2e_settings(fake, SEEDS, index_copy), library):
        for question, expected in cases.items():
            ix = await fake.slash("ask", {"question": question})
            data = (await fake.wait_for_callback(ix)).json["data"]
            assert data["flags"] & EPHEMERAL and expected in data["content"], data
        ix = await fake.slash("ask", {"question": "who?", "since": "May 2023"})
        data = (await fake.wait_for_callback(ix)).json["data"]
        assert data["flags"] & EPHEMERAL and "YYYY-MM-DD" in data["content"]
        ix = await fake.slash("ask", {"question": "who?", "outlet": "Daily Planet"})
        data = (await fake.wait_for_callback(ix)).json["data"]
        assert data["flags"] & EPHEMERAL and "Outlets: CNN" in data["content"]
        fake.assert_no_violations()


async def test_nothing_found_is_said_plainly(fake: FakeDiscord, library: Library, index_copy: Path) -> None:
    async with online(fake, e2e_settings(fake, SEEDS, index_copy), library):
        ix = await fake.slash("ask", {"question": SEED_QUESTION, "since": "2030-01-01"})
        await fake.wait_for_original_edit(ix, timeout=10)
        [embed] = fake.final_message(ix)["embeds"]
        # no article lies in the window: said plainly, with the nearest day that has one
        assert embed["title"] == "No articles in that window"
        assert embed["description"].startswith("No articles since 1 January 2030; the nearest is from 3 May 2023.")
        assert custom_ids(fake.final_message(ix)) == [], "no passage to rate or show"
        fake.assert_no_violations()


async def test_two_users_asking_at_once_both_get_answers(fake: FakeDiscord, library: Library,
                                                         index_copy: Path) -> None:
    async with online(fake, e2e_settings(fake, SEEDS, index_copy), library):
        first = await fake.slash("ask", {"question": SEED_QUESTION}, user=fake.normal_user)
        second = await fake.slash("ask", {"question": "What did Zelensky's spokesman say?"},
                                  user=fake.moderator_user, channel=fake.other_channel_id)
        await asyncio.gather(fake.wait_for_original_edit(first, timeout=10),
                             fake.wait_for_original_edit(second, timeout=10))
        for ix in (first, second):
            assert (await fake.wait_for_callback(ix)).json == {"type": 5}
            assert "Sebastian Shukla" in embed_text(fake.final_message(ix))
        assert "Nykyforov" in embed_text(fake.final_message(second))
        fake.assert_no_violations()


async def test_per_user_cooldown(fake: FakeDiscord, library: Library, index_copy: Path) -> None:
    settings = e2e_settings(fake, SEEDS, index_copy, NEWSBOT_COOLDOWN_SECONDS="60")
    async with online(fake, settings, library):
        first = await fake.slash("ask", {"question": SEED_QUESTION})
        await fake.wait_for_original_edit(first, timeout=10)
        again = await fake.slash("ask", {"question": SEED_QUESTION})
        data = (await fake.wait_for_callback(again)).json["data"]
        assert data["flags"] & EPHEMERAL and "try again in" in data["content"] and " s." in data["content"]
        other = await fake.slash("ask", {"question": SEED_QUESTION}, user=fake.moderator_user)
        assert (await fake.wait_for_callback(other)).json == {"type": 5}, "other users are not held back"
        await fake.wait_for_original_edit(other, timeout=10)
