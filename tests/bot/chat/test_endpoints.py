"""Each bot's API base and gateway are its own: two bots in one process, two fake Discords, no global switch."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import discord
import pytest
import yarl

from bot.chat.endpoints import DISCORD_API_BASE, DISCORD_GATEWAY, Endpoints
from index.library import Library
from tests.conftest import SEED_QUESTION, SEEDS
from tests.support.e2e import TOKEN, copy_index, e2e_settings, embed_text, online
from tests.support.fake_discord import FakeDiscord


def test_discord_urls_are_re_pointed_and_others_left_alone() -> None:
    fake = Endpoints("http://127.0.0.1:9/api/v10", "ws://127.0.0.1:9/gateway")
    assert fake.rest(f"{DISCORD_API_BASE}/users/@me") == "http://127.0.0.1:9/api/v10/users/@me"
    assert fake.rest(f"{DISCORD_API_BASE}/interactions/1/t/callback?with_response=true") == \
        "http://127.0.0.1:9/api/v10/interactions/1/t/callback?with_response=true"
    for other in ("https://cdn.discordapp.com/attachments/1/2/a.txt", "https://discord.com/api/v100/x",
                  "http://127.0.0.1:9/api/v10/users/@me"):
        assert fake.rest(other) == other
    asked = str(yarl.URL(DISCORD_GATEWAY).with_query(v=10, encoding="json", compress="zlib-stream"))
    assert fake.gateway(asked) == "ws://127.0.0.1:9/gateway?v=10&encoding=json&compress=zlib-stream"
    resume = "wss://gateway-us-east1-b.discord.gg/?v=10&encoding=json"
    assert fake.gateway(resume) == resume, "a resume goes where READY said"
    discord_itself = Endpoints()
    assert discord_itself.rest(f"{DISCORD_API_BASE}/users/@me") == f"{DISCORD_API_BASE}/users/@me"
    assert discord_itself.gateway(asked) == asked


@pytest.mark.e2e
@pytest.mark.model
async def test_two_bots_in_one_process_each_talk_to_their_own_fake(
        seed_index: Path, encoder, tmp_path: Path) -> None:  # noqa: ANN001
    api_base, gateway = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    async with FakeDiscord(token=TOKEN) as one, FakeDiscord(token=TOKEN) as two, \
            contextlib.AsyncExitStack() as stack:
        fakes = (one, two)
        bots = []
        for fake in fakes:
            index = copy_index(seed_index, tmp_path / f"index-{fake.port}")
            bots.append(await stack.enter_async_context(
                online(fake, e2e_settings(fake, SEEDS, index), Library(SEEDS, index, encoder))))
        assert [bot.endpoints.api_base for bot in bots] == [one.api_base, two.api_base]
        assert discord.http.Route.BASE == api_base and discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY == gateway

        asked = [await fake.slash("ask", {"question": SEED_QUESTION}) for fake in fakes]
        await asyncio.gather(*(fake.wait_for_original_edit(ix, timeout=10) for fake, ix in zip(fakes, asked)))
        for fake, ix in zip(fakes, asked):
            assert (await fake.wait_for_callback(ix)).json == {"type": 5}, "the defer reached this fake"
            assert "Sebastian Shukla" in embed_text(fake.final_message(ix)), "and so did the edited answer"
            assert len(fake.find("GET", r"^/users/@me$")) == 1 and len(fake.identify_payloads) == 1
            fake.assert_no_violations()
    assert discord.http.Route.BASE == api_base and discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY == gateway
