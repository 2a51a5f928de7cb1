"""/follow, /unfollow and /following: saved queries the bot answers again after every refresh.

Who may make a follow in a server channel: members with Manage Messages in that channel, and the server's
moderators (Manage Server or its moderator role, `bot.chat.checks`) and the operator's people
(`NewsBot.may_moderate`). Anyone may follow by DM, for themselves: those posts go to the DM and answer
from the base corpus only, as DMs do. Refusals are private and say who may. The posting itself is
`bot.chat.following`; the tables are `bot.follows`.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.chat.checks import who_may
from bot.chat.render.text import choice, fit_text, plain, shorten
from bot.chat.replies import NO_MENTIONS, send_private
from bot.follows import Follow
from bot.inputs import InputError, clean_question

if TYPE_CHECKING:
    from bot.chat.client import NewsBot

log = logging.getLogger(__name__)

THREAD_NAME_LIMIT = 100  # Discord's limit on a thread's name
THREAD_ARCHIVE_MINUTES = 10080  # a week without posts before Discord hides the thread (a post brings it back)
LIST_LIMIT = 25  # follows listed by /following (the rest are counted)
SERVER_LIMIT = 100  # follows one server may have: each costs a search per refresh
DM_LIMIT = 10  # follows one member may have by DM
_FOLLOW_ID = re.compile(r"^\s*#?(\d{1,18})\b")


def where_text(follow: Follow) -> str:
    """Where a follow posts: `<#thread> (a thread in <#channel>)`, `<#channel>`, or `this DM`."""
    if follow.guild_id is None:
        return "this DM"
    if follow.thread_id:
        return f"<#{follow.thread_id}> (a thread in <#{follow.channel_id}>)"
    return f"<#{follow.channel_id}>"


def follow_listing(follows: list[Follow], where: str) -> str:
    """The `/following` reply: one line per follow (id, query, where it posts, when made and by whom, posts so
    far, and its problem if the last post failed), within a message's 2,000 characters."""
    if not follows:
        return (f"No follows {where}. Make one with `/follow query:` — after each refresh, new articles that "
                "answer it are posted.")
    lines = [f"**Follows {where}** ({len(follows)}):"]
    shown = 0
    for follow in follows[:LIST_LIMIT]:
        made = follow.created_at[:10]
        line = (f"`#{follow.id}` “{fit_text(plain(follow.query), 120)}” → {where_text(follow)} · since {made}"
                f" by {fit_text(plain(follow.user_name), 40)} · {follow.posts} post{'s' if follow.posts != 1 else ''}")
        if follow.problem:
            line += f" · ⚠ not posting: {fit_text(plain(follow.problem), 120)}"
        if sum(len(x) + 1 for x in lines) + len(line) > 1900:
            break
        lines.append(line)
        shown += 1
    if shown < len(follows):
        lines.append(f"…and {len(follows) - shown} more.")
    lines.append("Stop one with `/unfollow follow:<id>`.")
    return "\n".join(lines)


class FollowCog(commands.Cog, name="Follow"):
    """Following stories: saved queries answered again after every refresh."""

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot

    def _store(self):  # noqa: ANN202 - bot.follows.FollowStore
        return self.bot.following._store()

    async def may_follow_in(self, interaction: discord.Interaction, channel: discord.abc.GuildChannel) -> bool:
        """Manage Messages in that channel, or a moderator of this server (or one of the operator's people)."""
        if channel.id == interaction.channel_id:
            manage = interaction.permissions.manage_messages
        else:
            user = interaction.user
            manage = isinstance(user, discord.Member) and channel.permissions_for(user).manage_messages
        return manage or await self.bot.may_moderate(interaction)

    def refusal(self, interaction: discord.Interaction, channel: discord.abc.GuildChannel, what: str) -> str:
        """Why a member may not make (or stop) a follow in a channel, and who may."""
        role = self.bot.settings_of(interaction.guild_id).moderator_role_id
        return (f"Only members with the Manage Messages permission in {channel.mention}, or {who_may(role)}, may "
                f"{what} there. Ask one of them, or follow it for yourself: send `/follow` to the bot in a DM.")

    # -- /follow ------------------------------------------------------------------------------------
    @app_commands.command(name="follow", description="After each refresh, post new articles that answer a query")
    @app_commands.describe(query="What to follow, as you would /ask it (e.g. harbour ferry strike)",
                           channel="Where to post (default: this channel; in a DM, the posts come to you)",
                           thread="Open a thread for this follow in that channel and post there")
    async def follow(self, interaction: discord.Interaction, query: str,
                     channel: discord.TextChannel | None = None, thread: bool = False) -> None:
        """Save a follow for a channel (or a thread the bot opens in it), or for oneself in a DM."""
        try:
            text = clean_question(query)
        except InputError as exc:
            await send_private(interaction, str(exc))
            return
        user = interaction.user
        if interaction.guild_id is None:
            if channel is not None or thread:
                await send_private(interaction, "In a DM a follow posts here, to you: leave out `channel` and "
                                                "`thread`. To follow in a server channel, use `/follow` there.")
                return
            store = self._store()
            if len(await self.bot.run_blocking(store.of_dm, user.id)) >= DM_LIMIT:
                await send_private(interaction, f"You already follow {DM_LIMIT} queries by DM, the most one member "
                                                "may: stop one with `/unfollow` first (`/following` lists them).")
                return
            await interaction.response.defer(ephemeral=True, thinking=True)  # a first look at the index may be slow
            follow = await self.bot.run_blocking(store.add, text, None, interaction.channel_id, user.id, str(user))
        else:
            target = channel or interaction.channel
            if not isinstance(target, (discord.TextChannel, discord.Thread)):
                await send_private(interaction, "Follows post in text channels and threads: name one with "
                                                "`channel:`.")
                return
            if thread and isinstance(target, discord.Thread):
                await send_private(interaction, "This is already a thread: leave out `thread`, or name a text "
                                                "channel with `channel:` to open a thread there.")
                return
            if not await self.may_follow_in(interaction, target):
                await send_private(interaction, self.refusal(interaction, target, "make a follow"))
                return
            if len(await self.bot.run_blocking(self._store().in_server, interaction.guild_id)) >= SERVER_LIMIT:
                await send_private(interaction, f"This server already has {SERVER_LIMIT} follows, the most one server "
                                                "may have: stop one with `/unfollow` first (`/following` lists them).")
                return
            await interaction.response.defer(ephemeral=True, thinking=True)
            thread_id = None
            if thread:
                assert isinstance(target, discord.TextChannel)
                try:
                    made = await target.create_thread(name=shorten(f"Following: {text}", THREAD_NAME_LIMIT),
                                                      type=discord.ChannelType.public_thread,
                                                      auto_archive_duration=THREAD_ARCHIVE_MINUTES,
                                                      reason=f"/follow by {user}")
                except discord.HTTPException as exc:
                    log.warning("could not open a thread in channel %s for a follow: %s", target.id, exc)
                    reason = exc.text or f"HTTP {exc.status}"
                    await send_private(interaction, f"I could not open a thread in {target.mention} ({reason}): I "
                                                    "need the Create Public Threads permission there. Nothing was "
                                                    "saved.")
                    return
                thread_id = made.id
            store = self._store()
            follow = await self.bot.run_blocking(store.add, text, interaction.guild_id, target.id, user.id,
                                                 str(user), thread_id)
        await self.bot.following.ensure_baseline(interaction.guild_id)
        limit = self.bot.settings.follow_max_posts
        await send_private(interaction, (
            f"Following #{follow.id}: “{fit_text(plain(text), 300)}”. After each refresh, new articles that answer "
            f"it confidently are posted in {where_text(follow)} (at most {limit} per refresh; copies of a story "
            f"already posted are skipped). `/following` lists follows; `/unfollow follow:{follow.id}` stops it."))

    # -- /unfollow ------------------------------------------------------------------------------------
    def _visible(self, interaction: discord.Interaction) -> list[Follow]:
        store = self._store()
        if interaction.guild_id is None:
            return store.of_dm(interaction.user.id)
        return store.in_server(interaction.guild_id)

    @app_commands.command(name="unfollow", description="Stop a follow (see /following for the ids)")
    @app_commands.describe(follow="The follow's id (start typing its query to find it)")
    async def unfollow(self, interaction: discord.Interaction, follow: str) -> None:
        """Delete a follow: its maker, or whoever may make follows in its channel."""
        match = _FOLLOW_ID.match(follow or "")
        found = None
        if match:
            wanted = int(match.group(1))
            found = next((f for f in await self.bot.run_blocking(self._visible, interaction) if f.id == wanted), None)
        if found is None:
            where = "in this server" if interaction.guild_id else "of yours in DMs"
            await send_private(interaction, f"There is no follow {fit_text(plain(follow or ''), 40)!s} {where}: give "
                                            "its number, as `/following` lists them.")
            return
        if found.guild_id is not None and found.user_id != interaction.user.id:
            channel = interaction.guild.get_channel(found.channel_id) if interaction.guild else None
            allowed = (await self.may_follow_in(interaction, channel) if channel is not None
                       else await self.bot.may_moderate(interaction))
            if not allowed:
                shown = channel or discord.Object(found.channel_id)
                text = (self.refusal(interaction, channel, "stop a follow made by someone else") if channel else
                        f"Only {who_may(self.bot.settings_of(interaction.guild_id).moderator_role_id)} may stop "
                        f"follow #{found.id} (its channel <#{shown.id}> is gone).")
                await send_private(interaction, text)
                return
        await self.bot.run_blocking(self._store().remove, found.id)
        await send_private(interaction, f"Stopped follow #{found.id} (“{fit_text(plain(found.query), 300)}”): "
                                        "nothing more is posted for it.")

    @unfollow.autocomplete("follow")
    async def follow_autocomplete(self, interaction: discord.Interaction,
                                  current: str) -> list[app_commands.Choice[str]]:
        """This place's follows whose id or query contains what was typed."""
        wanted = current.casefold().strip().lstrip("#")
        follows = await self.bot.run_blocking(self._visible, interaction)
        return [choice(f"#{f.id} {f.query}", str(f.id)) for f in follows
                if wanted in f.query.casefold() or wanted == str(f.id)][:25]

    # -- /following ------------------------------------------------------------------------------------
    @app_commands.command(name="following", description="The follows of this server (in a DM: yours)")
    async def following(self, interaction: discord.Interaction) -> None:
        """List follows with their ids, queries, where they post, when made and how many posts so far."""
        follows = await self.bot.run_blocking(self._visible, interaction)
        where = "in this server" if interaction.guild_id else "of yours in DMs"
        await interaction.response.send_message(follow_listing(follows, where), ephemeral=True,
                                                allowed_mentions=NO_MENTIONS)


async def setup(bot: NewsBot) -> None:
    """Extension entry point."""
    await bot.add_cog(FollowCog(bot))
