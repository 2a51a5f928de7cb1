"""The fake Discord works with the real discord.py client over real sockets.

A throwaway ``commands.Bot`` defined here exercises each interaction style the newsbot
uses (defer + edit with an embed, buttons, autocomplete, mentions, context menus,
attachments, permission checks); nothing from discord.py is mocked. Synchronisation
is done with the fake's wait helpers and asyncio events, never sleeps.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
from typing import Any

import aiohttp
import discord
import pytest
from discord import app_commands
from discord.ext import commands

from tests.support.fake_discord import (
    ADMINISTRATOR,
    INTENT_MESSAGE_CONTENT,
    MANAGE_GUILD,
    FakeDiscord,
    check_message,
    fixtures,
    snowflake_time,
)
from tests.support.fake_discord.harness import pointed_at, running_bot

fake_discord = fixtures.fake_discord  # the shared fixture, until a conftest provides it

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio]

TOPICS = ["Rust", "Python", "Elections", "Energy prices"]


class Seen:
    """Collects what the bot observed, with an event per arrival for race-free waits."""

    def __init__(self) -> None:
        self.items: list[Any] = []
        self._event = asyncio.Event()

    def add(self, item: Any) -> None:
        self.items.append(item)
        self._event.set()

    async def next(self, timeout: float = 5.0) -> Any:
        count = len(self.items)
        while len(self.items) <= count:
            self._event.clear()
            await asyncio.wait_for(self._event.wait(), timeout)
        return self.items[count]


class ConfirmView(discord.ui.View):
    @discord.ui.button(label="Confirm", custom_id="confirm", style=discord.ButtonStyle.success)
    async def confirm(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
        await interaction.response.edit_message(content=f"Confirmed by {interaction.user.name}", view=None)


def make_bot(fake: FakeDiscord, seen: Seen, *, intents: discord.Intents | None = None) -> commands.Bot:
    """A small bot with one of each interaction style, synced to the fake guild."""
    bot = commands.Bot(command_prefix="!", intents=intents or discord.Intents.default())
    guild = discord.Object(fake.guild_id)

    @bot.tree.command(name="headline", description="Deferred, then the original response gets an embed")
    async def headline(interaction: discord.Interaction, topic: str, count: int = 1) -> None:
        await interaction.response.defer(thinking=True)
        embed = discord.Embed(title=f"News about {topic}", description="item " * count)
        embed.add_field(name="Asked by", value=interaction.user.name)
        await interaction.edit_original_response(embed=embed)
        await interaction.followup.send("Sources: example.org", ephemeral=True)

    @bot.tree.command(name="confirm", description="Replies with a button")
    async def confirm(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("Please confirm", view=ConfirmView())

    async def topic_autocomplete(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=t, value=t) for t in TOPICS if current.lower() in t.lower()]

    @bot.tree.command(name="follow", description="Follow a topic")
    @app_commands.autocomplete(topic=topic_autocomplete)
    async def follow(interaction: discord.Interaction, topic: str) -> None:
        await interaction.response.send_message(f"Following {topic}")

    @bot.tree.context_menu(name="Summarize")
    async def summarize(interaction: discord.Interaction, message: discord.Message) -> None:
        await interaction.response.send_message(f"{message.author.name} wrote {len(message.content)} chars",
                                                ephemeral=True)

    @bot.tree.command(name="upload", description="Reads an attached file")
    async def upload(interaction: discord.Interaction, file: discord.Attachment) -> None:
        data = await file.read()
        echo = discord.File(io.BytesIO(data[::-1]), filename="echo.txt")
        await interaction.response.send_message(f"{file.filename}: {data.decode()}", file=echo)

    @bot.tree.command(name="admin", description="Manage Guild only")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def admin(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("allowed", ephemeral=True)

    @admin.error
    async def admin_error(interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        await interaction.response.send_message(f"denied: {type(error).__name__}", ephemeral=True)

    feeds = app_commands.Group(name="feeds", description="Manage feeds")

    @feeds.command(name="add", description="Add a feed")
    async def feeds_add(interaction: discord.Interaction, url: str, owner: discord.Member, weight: float) -> None:
        seen.add(("feeds add", url, owner, weight, interaction.permissions.manage_guild))
        await interaction.response.send_message(f"added {url} for {owner.display_name}")

    bot.tree.add_command(feeds)

    @bot.tree.command(name="long", description="Sends too much text")
    async def long(interaction: discord.Interaction) -> None:
        try:
            await interaction.response.send_message("x" * 2001)
        except discord.HTTPException as exc:
            seen.add(exc)

    @bot.event
    async def on_message(message: discord.Message) -> None:
        if message.author.bot:
            return
        seen.add(message)
        if bot.user in message.mentions:
            await message.reply(f"Hi {message.author.mention}!", allowed_mentions=discord.AllowedMentions.none())

    async def setup_hook() -> None:
        await bot.tree.sync()  # global: usable in DMs
        bot.tree.copy_global_to(guild=guild)
        await bot.tree.sync(guild=guild)  # guild copy: what guild interactions resolve to

    bot.setup_hook = setup_hook  # type: ignore[method-assign]
    return bot


# -- REST basics, auth, gateway --------------------------------------------------------------


async def test_rest_basics_and_exact_json_content_type(fake_discord: FakeDiscord) -> None:
    fake = fake_discord
    auth = {"Authorization": f"Bot {fake.token}"}
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{fake.api_base}/users/@me", headers=auth) as resp:
            assert resp.status == 200
            assert resp.headers["Content-Type"] == "application/json"
            assert int((await resp.json())["id"]) == fake.bot_user_id
        async with http.get(f"{fake.api_base}/users/@me", headers={"Authorization": "Bot nope"}) as resp:
            assert resp.status == 401
            assert await resp.json() == {"message": "401: Unauthorized", "code": 0}
        async with http.get(f"{fake.api_base}/gateway/bot", headers=auth) as resp:
            body = await resp.json()
            assert body["url"] == fake.gateway_url and body["shards"] == 1
        async with http.post(f"{fake.api_base}/no/such/route", headers=auth, json={"a": 1}) as resp:
            assert resp.status == 404
    assert [r.path for r in fake.unhandled] == ["/no/such/route"]
    assert fake.find("POST", r"^/no/such")[0].json == {"a": 1}
    # Snowflakes carry real timestamps (discord.py derives interaction expiry from them).
    assert abs((discord.utils.utcnow() - snowflake_time(fake.guild_id)).total_seconds()) < 60


async def test_wrong_token_is_rejected_by_login(fake_discord: FakeDiscord) -> None:
    client = discord.Client(intents=discord.Intents.default())
    with pointed_at(fake_discord):
        with pytest.raises(discord.LoginFailure):
            await client.login("wrong-token")
    await client.close()


async def test_disallowed_privileged_intents_close_4014() -> None:
    async with FakeDiscord(allowed_privileged_intents=INTENT_MESSAGE_CONTENT) as fake:
        bot = commands.Bot(command_prefix="!", intents=discord.Intents.all())
        with pytest.raises(discord.PrivilegedIntentsRequired):
            async with running_bot(fake, bot):
                pass
        assert fake.identify_payloads[0]["intents"] == discord.Intents.all().value


async def test_sync_stores_commands_with_stable_ids(fake_discord: FakeDiscord) -> None:
    fake, seen = fake_discord, Seen()
    async with running_bot(fake, make_bot(fake, seen)) as bot:
        synced = fake.commands.list(fake.guild_id)
        assert {c["name"] for c in synced} >= {"headline", "confirm", "follow", "Summarize", "feeds"}
        ids = {c["name"]: c["id"] for c in synced}
        again = await bot.tree.sync(guild=discord.Object(fake.guild_id))
        assert {c.name: str(c.id) for c in again} == ids
        fetched = await bot.tree.fetch_commands(guild=discord.Object(fake.guild_id))
        assert {c.name for c in fetched} == set(ids)


async def test_auto_sharded_bot_uses_gateway_bot(fake_discord: FakeDiscord) -> None:
    bot = commands.AutoShardedBot(command_prefix="!", intents=discord.Intents.default())
    async with running_bot(fake_discord, bot):
        assert fake_discord.find("GET", r"^/gateway/bot$")
        assert fake_discord.identify_payloads[-1]["shard"] == [0, 1]


# -- interactions ------------------------------------------------------------------------------


async def test_slash_defer_then_edit_with_embed_and_followup(fake_discord: FakeDiscord) -> None:
    fake, seen = fake_discord, Seen()
    async with running_bot(fake, make_bot(fake, seen)):
        ix = await fake.slash("headline", {"topic": "rust", "count": 2})
        callback = await fake.wait_for_callback(ix)
        assert callback.json == {"type": 5}
        await fake.wait_for_followup(ix)
        final = fake.final_message(ix)
        assert final is not None
        assert final["embeds"][0]["title"] == "News about rust"
        assert final["embeds"][0]["fields"] == [{"name": "Asked by", "value": "alice", "inline": True}]
        assert not final["flags"] & (1 << 7), "loading flag is cleared by the edit"
        kinds = [(r.method, r.path.rsplit("/", 1)[-1]) for r in fake.interaction_responses(ix)]
        assert kinds == [("POST", "callback"), ("PATCH", "@original"), ("POST", ix.token)]
        followup = fake.followups(ix)[0]
        assert followup["content"] == "Sources: example.org" and followup["flags"] & 64
        fake.assert_no_violations()


async def test_slash_in_dm_uses_global_command_and_user_payload(fake_discord: FakeDiscord) -> None:
    fake, seen = fake_discord, Seen()
    async with running_bot(fake, make_bot(fake, seen)):
        ix = await fake.slash("follow", {"topic": "Rust"}, guild=False, user=fake.moderator_user)
        await fake.wait_for_callback(ix)
        assert "member" not in ix.payload and ix.payload["user"]["username"] == "mod"
        assert "guild_id" not in ix.payload["data"], "global command"
        assert fake.messages_in(fake.dm_channel_id(fake.moderator_user))[0]["content"] == "Following Rust"


async def test_button_click_edits_the_message(fake_discord: FakeDiscord) -> None:
    fake, seen = fake_discord, Seen()
    async with running_bot(fake, make_bot(fake, seen)):
        ix = await fake.slash("confirm")
        await fake.wait_for_callback(ix)
        sent = fake.final_message(ix)
        assert sent is not None and sent["components"][0]["components"][0]["custom_id"] == "confirm"
        click = await fake.click(sent, "confirm", user=fake.moderator_user)
        await fake.wait_until(lambda: fake.message(sent)["content"].startswith("Confirmed"))
        assert fake.interaction_responses(click)[0].json["type"] == 7
        after = fake.message(sent)
        assert after["content"] == "Confirmed by mod" and after["components"] == []
        assert fake.final_message(click) == after


async def test_autocomplete_returns_choices(fake_discord: FakeDiscord) -> None:
    fake, seen = fake_discord, Seen()
    async with running_bot(fake, make_bot(fake, seen)):
        ix = await fake.autocomplete("follow", {"topic": "py"}, focused="topic")
        assert await fake.wait_for_choices(ix) == [{"name": "Python", "value": "Python"}]


async def test_message_context_menu(fake_discord: FakeDiscord) -> None:
    fake, seen = fake_discord, Seen()
    async with running_bot(fake, make_bot(fake, seen)):
        target = await fake.send_message("twelve chars", mentions_bot=False, author=fake.moderator_user)
        ix = await fake.context_menu_message("Summarize", target)
        await fake.wait_for_callback(ix)
        final = fake.final_message(ix)
        assert final is not None and final["content"] == "mod wrote 12 chars" and final["flags"] & 64


async def test_subcommand_options_are_typed_and_resolved(fake_discord: FakeDiscord) -> None:
    fake, seen = fake_discord, Seen()
    async with running_bot(fake, make_bot(fake, seen)):
        owner = fake.mod_role_only_user
        ix = await fake.slash("feeds", {"url": "https://x.test/rss", "owner": owner, "weight": 2},
                              subcommand="add", user=fake.moderator_user)
        name, url, member, weight, can_manage = await seen.next()
        assert (name, url, weight, can_manage) == ("feeds add", "https://x.test/rss", 2.0, True)
        assert isinstance(member, discord.Member) and member.id == owner.id
        assert member.get_role(fake.moderator_role_id) is not None
        await fake.wait_for_callback(ix)
        options = ix.payload["data"]["options"][0]["options"]
        assert [o["type"] for o in options] == [3, 6, 10]


async def test_permission_check_reads_member_permissions(fake_discord: FakeDiscord) -> None:
    fake, seen = fake_discord, Seen()
    async with running_bot(fake, make_bot(fake, seen)):
        allowed = await fake.slash("admin", user=fake.moderator_user)
        denied = await fake.slash("admin", user=fake.mod_role_only_user)
        await fake.wait_for_callback(allowed)
        await fake.wait_for_callback(denied)
        assert fake.final_message(allowed)["content"] == "allowed"  # type: ignore[index]
        assert fake.final_message(denied)["content"] == "denied: MissingPermissions"  # type: ignore[index]


async def test_attachment_option_is_downloadable(fake_discord: FakeDiscord) -> None:
    fake, seen = fake_discord, Seen()
    async with running_bot(fake, make_bot(fake, seen)):
        attachment = fake.add_attachment("notes.txt", b"hello file", "text/plain")
        ix = await fake.slash("upload", {"file": attachment})
        await fake.wait_for_callback(ix)
        final = fake.final_message(ix)
        assert final is not None and final["content"] == "notes.txt: hello file"
        assert ix.payload["data"]["options"][0]["type"] == 11
        assert final["attachments"][0]["filename"] == "echo.txt", "multipart callback stored the upload"
        async with aiohttp.ClientSession() as http, http.get(final["attachments"][0]["url"]) as resp:
            assert await resp.read() == b"elif olleh"


async def test_limits_are_enforced(fake_discord: FakeDiscord) -> None:
    fake, seen = fake_discord, Seen()
    async with running_bot(fake, make_bot(fake, seen)):
        ix = await fake.slash("long")
        error = await seen.next()
        assert isinstance(error, discord.HTTPException) and error.status == 400 and error.code == 50035
        assert (await fake.wait_for_callback(ix)).status == 400
        assert [(v.field, v.limit, v.actual) for v in fake.violations] == [("content", 2000, 2001)]
    embed = {"title": "t" * 257, "description": "d" * 4000, "fields": [{"name": "n", "value": "v" * 1025}] * 26,
             "footer": {"text": "f" * 2049}, "author": {"name": "a" * 257}}
    buttons = [{"type": 2, "style": 1, "custom_id": f"b{i}" + "x" * 100, "label": "l" * 81} for i in range(6)]
    body = {"embeds": [embed] * 11, "components": [{"type": 1, "components": buttons}] * 6}
    fields = {f for f, *_ in check_message(body)}
    assert {"embeds", "embeds.0.title", "embeds.0.fields", "embeds.0.fields.0.value", "embeds.0.footer.text",
            "embeds.0.author.name", "embeds.0", "components", "components.0.components",
            "components.0.components.0.custom_id", "components.0.components.0.label"} <= fields


async def test_callback_twice_and_followup_before_ack_fail_like_discord(fake_discord: FakeDiscord) -> None:
    fake, seen = fake_discord, Seen()
    async with running_bot(fake, make_bot(fake, seen)):
        ix = await fake.slash("confirm")
        await fake.wait_for_callback(ix)
    async with aiohttp.ClientSession() as http:
        url = f"{fake.api_base}/interactions/{ix.id}/{ix.token}/callback"
        async with http.post(url, json={"type": 4, "data": {"content": "again"}}) as resp:
            assert resp.status == 400 and (await resp.json())["code"] == 40060
        other = fake.store.new_interaction(2, fake.channel_id, fake.guild_id, fake.normal_user)
        async with http.post(f"{fake.api_base}/webhooks/{fake.application_id}/{other.token}",
                             json={"content": "too early"}) as resp:
            assert resp.status == 404 and (await resp.json())["code"] == 10015


# -- messages ------------------------------------------------------------------------------


async def test_mention_reply_pings_nobody(fake_discord: FakeDiscord) -> None:
    fake, seen = fake_discord, Seen()
    async with running_bot(fake, make_bot(fake, seen)):
        mark = fake.mark()
        sent = await fake.send_message("what's new?")
        received = await seen.next()
        assert received.content == f"<@{fake.bot_user_id}> what's new?"
        reply = await fake.wait_for_request("POST", rf"^/channels/{fake.channel_id}/messages$", since=mark)
        assert reply.json["allowed_mentions"] == {"parse": []}
        assert int(reply.json["message_reference"]["message_id"]) == int(sent["id"])
        stored = fake.message(int(reply.response["id"]))
        assert stored["content"] == f"Hi <@{fake.normal_user.id}>!"
        assert stored["mentions"] == [] and stored["referenced_message"]["id"] == sent["id"]
        assert [m["id"] for m in fake.messages_in(fake.channel_id)] == [sent["id"], stored["id"]]


async def test_message_content_intent_and_dms(fake_discord: FakeDiscord) -> None:
    fake, seen = fake_discord, Seen()
    async with running_bot(fake, make_bot(fake, seen)):
        await fake.send_message("no mention here", mentions_bot=False)
        assert (await seen.next()).content == "", "without the message-content intent, content is hidden"
        mark = fake.mark()
        await fake.send_message("hello in private", dm=True, mentions_bot=False, author=fake.moderator_user)
        received = await seen.next()
        assert received.content == "hello in private" and isinstance(received.channel, discord.DMChannel)
        assert received.guild is None
        dm = fake.dm_channel_id(fake.moderator_user)
        await fake.send_message("ping", dm=True, author=fake.moderator_user)
        await seen.next()
        reply = await fake.wait_for_request("POST", rf"^/channels/{dm}/messages$", since=mark)
        assert reply.status == 200 and fake.messages_in(dm)[-1]["content"] == f"Hi <@{fake.moderator_user.id}>!"


async def test_privileged_intents_get_members_and_content(fake_discord: FakeDiscord) -> None:
    fake, seen = fake_discord, Seen()
    intents = discord.Intents.default()
    intents.members = intents.message_content = True
    async with running_bot(fake, make_bot(fake, seen, intents=intents)) as bot:
        await fake.send_message("plain text, no mention", mentions_bot=False)
        message = await seen.next()  # a round trip: GUILD_CREATE was processed before this
        assert message.content == "plain text, no mention"
        guild = bot.get_guild(fake.guild_id)
        assert guild is not None and guild.chunked and guild.member_count == len(fake.world.members())
        moderator = guild.get_member(fake.moderator_user.id)
        assert moderator is not None and moderator.guild_permissions.manage_guild
        assert not guild.get_member(fake.mod_role_only_user.id).guild_permissions.manage_guild  # type: ignore[union-attr]


async def test_resume_after_disconnect(fake_discord: FakeDiscord) -> None:
    fake, seen = fake_discord, Seen()
    async with running_bot(fake, make_bot(fake, seen)):
        await fake.disconnect_clients(4000)
        await fake.wait_until_ready()
        assert any(frame.get("op") == 6 for frame in fake.hub.received)
        ix = await fake.slash("confirm")
        assert (await fake.wait_for_callback(ix)).status == 200


async def test_multipart_uploads_are_parsed(fake_discord: FakeDiscord) -> None:
    fake = fake_discord
    client = discord.Client(intents=discord.Intents.default())
    with pointed_at(fake):
        await client.login(fake.token)
        try:
            channel = await client.fetch_channel(fake.channel_id)
            assert isinstance(channel, discord.TextChannel)
            msg = await channel.send("report", file=discord.File(io.BytesIO(b"abc"), filename="r.txt"))
            assert msg.attachments[0].filename == "r.txt"
            assert await msg.attachments[0].read() == b"abc"
            rec = fake.find("POST", rf"^/channels/{fake.channel_id}/messages$")[0]
            assert rec.json["content"] == "report" and rec.files[0].data == b"abc"
            assert json.loads(json.dumps(rec.response))["attachments"][0]["size"] == 3
        finally:
            await client.close()


async def test_bot_edits_and_deletes_are_echoed(fake_discord: FakeDiscord, caplog: pytest.LogCaptureFixture) -> None:
    fake, seen = fake_discord, Seen()
    async with running_bot(fake, make_bot(fake, seen)) as bot:
        channel = await bot.fetch_channel(fake.channel_id)
        assert isinstance(channel, discord.TextChannel)
        edited = asyncio.create_task(bot.wait_for("raw_message_edit", timeout=5))
        deleted = asyncio.create_task(bot.wait_for("raw_message_delete", timeout=5))
        await asyncio.sleep(0)  # let both tasks register their listeners (ordering, not timing)
        msg = await channel.send("draft")
        await msg.edit(content="final")
        assert fake.message(msg.id)["content"] == "final"
        await msg.delete()
        assert (await edited).message_id == msg.id
        assert (await deleted).message_id == msg.id
        assert msg.id in fake.store.deleted and fake.messages_in(fake.channel_id) == []
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


# -- several guilds ------------------------------------------------------------------------------


async def test_a_second_guild_with_its_own_roles_members_and_commands(fake_discord: FakeDiscord) -> None:
    fake, seen = fake_discord, Seen()
    b = fake.add_guild("Server B")
    admin_b = b.add_user("admin-b", permissions=MANAGE_GUILD | ADMINISTRATOR)
    b.add_member(fake.normal_user, permissions=MANAGE_GUILD)  # plain member of A, Manage Server in B
    intents = discord.Intents.default()
    intents.members = True
    bot = make_bot(fake, seen, intents=intents)
    inner = bot.setup_hook

    async def setup_hook() -> None:
        await inner()
        bot.tree.copy_global_to(guild=discord.Object(b.id))
        await bot.tree.sync(guild=discord.Object(b.id))

    bot.setup_hook = setup_hook  # type: ignore[method-assign]
    async with running_bot(fake, bot):
        ready = next(f for f in fake.hub.sent if f["t"] == "READY")
        assert [g["id"] for g in ready["d"]["guilds"]] == [str(fake.guild_id), str(b.id)]
        assert {c["name"] for c in fake.commands.list(b.id)} >= {"admin", "feeds"}
        await fake.send_message("hello B", guild=b, author=admin_b)
        message = await seen.next()  # GUILD_CREATE of both guilds was processed before this
        guild_b = bot.get_guild(b.id)
        assert message.guild == guild_b and guild_b.name == "Server B" and guild_b.owner_id == b.owner.id
        assert {m.id for m in guild_b.members} == {bot.user.id, b.owner.id, admin_b.id, fake.normal_user.id}
        assert admin_b.id not in {m.id for m in bot.get_guild(fake.guild_id).members}
        assert guild_b.get_member(admin_b.id).guild_permissions.administrator
        assert not bot.get_guild(fake.guild_id).get_member(fake.normal_user.id).guild_permissions.manage_guild

        in_b = await fake.slash("admin", user=fake.normal_user, guild=b)
        in_a = await fake.slash("admin", user=fake.normal_user)
        await fake.wait_for_callback(in_b)
        await fake.wait_for_callback(in_a)
        assert fake.final_message(in_b)["content"] == "allowed" and in_b.guild_id == b.id
        assert in_b.payload["data"]["guild_id"] == str(b.id), "the guild's own copy of the command"
        assert fake.final_message(in_a)["content"] == "denied: MissingPermissions"
        assert int(fake.final_message(in_b)["channel_id"]) == b.text_channel.id
        with pytest.raises(ValueError, match="not in guild"):
            await fake.slash("admin", guild=b, channel=fake.channel_id)

        auth = {"Authorization": f"Bot {fake.token}"}
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{fake.api_base}/guilds/{b.id}/roles", headers=auth) as resp:
                names = {r["name"] for r in await resp.json()}
            assert "Moderator" not in names and {"@everyone", "newsbot", "admin-b-perms"} <= names
            async with http.get(f"{fake.api_base}/guilds/{b.id}/members/{admin_b.id}", headers=auth) as resp:
                assert resp.status == 200
            async with http.get(f"{fake.api_base}/guilds/{fake.guild_id}/members/{admin_b.id}", headers=auth) as resp:
                assert resp.status == 404
        fake.assert_no_violations()


async def test_the_bot_removed_from_a_guild_and_invited_back(fake_discord: FakeDiscord) -> None:
    fake, seen = fake_discord, Seen()
    b = fake.add_guild("Server B")
    bot = make_bot(fake, seen)
    events: asyncio.Queue[tuple[str, int]] = asyncio.Queue()

    @bot.event
    async def on_guild_remove(guild: discord.Guild) -> None:
        events.put_nowait(("remove", guild.id))

    @bot.event
    async def on_guild_join(guild: discord.Guild) -> None:
        events.put_nowait(("join", guild.id))

    async with running_bot(fake, bot):
        await bot.wait_until_ready()  # past discord.py's start-up wait for guilds: a GUILD_CREATE is a join
        await fake.remove_bot_from_guild(b)
        assert await asyncio.wait_for(events.get(), 5) == ("remove", b.id)
        assert bot.get_guild(b.id) is None
        with pytest.raises(LookupError, match="not in guild"):
            await fake.send_message("anyone?", guild=b)
        async with aiohttp.ClientSession() as http:
            url = f"{fake.api_base}/applications/{fake.application_id}/guilds/{b.id}/commands"
            async with http.put(url, json=[], headers={"Authorization": f"Bot {fake.token}"}) as resp:
                assert resp.status == 403 and (await resp.json())["code"] == 50001
        await fake.add_bot_to_guild(b)
        assert await asyncio.wait_for(events.get(), 5) == ("join", b.id)
        assert bot.get_guild(b.id) is not None and bot.get_guild(b.id).name == "Server B"


async def test_start_thread_without_message_follows_discord(fake_discord: FakeDiscord) -> None:
    fake = fake_discord
    auth = {"Authorization": f"Bot {fake.token}"}
    url = f"{fake.api_base}/channels/{{}}/threads"
    body = {"name": "Following: ferries", "type": 11, "auto_archive_duration": 10080}
    async with aiohttp.ClientSession() as http:
        async with http.post(url.format(fake.channel_id), headers=auth, json=body) as resp:
            assert resp.status == 201
            thread = await resp.json()
        assert thread["type"] == 11 and thread["parent_id"] == str(fake.channel_id)
        assert thread["thread_metadata"]["auto_archive_duration"] == 10080
        async with http.post(url.format(thread["id"]).replace("/threads", "/messages"), headers=auth,
                             json={"content": "in the thread"}) as resp:
            assert resp.status == 200
        async with http.post(url.format(12345), headers=auth, json=body) as resp:
            assert resp.status == 404 and (await resp.json())["code"] == 10003
        async with http.post(url.format(thread["id"]), headers=auth, json=body) as resp:
            assert resp.status == 400 and (await resp.json())["code"] == 50024  # not in a thread
        async with http.post(url.format(fake.channel_id), headers=auth, json={**body, "name": ""}) as resp:
            assert resp.status == 400
        async with http.post(url.format(fake.channel_id), headers=auth, json={**body, "type": 12}) as resp:
            assert resp.status == 403 and (await resp.json())["code"] == 50013  # no Create Private Threads
    assert [m["content"] for m in fake.messages_in(int(thread["id"]))] == ["in the thread"]
    fake.violations.clear()
