"""Where a corpus change from Discord goes: the operator's base corpus, or the server's own collection.

The rule (README, "Many servers: who may do what"):

- In a home server, its moderators change the base corpus, as before servers had collections.
- In any other server, its moderators change that server's own collection; a base article they
  "remove" is hidden in their server only.
- The operator's people (owners, the application's team) may name the base explicitly from anywhere
  (`corpus: base`); anyone else who names it is refused with a message saying who may and how.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.chat.authority import base_refusal
from bot.chat.checks import NotModerator
from bot.chat.replies import NO_MENTIONS
from index.library import Library

if TYPE_CHECKING:
    from bot.chat.client import NewsBot

log = logging.getLogger(__name__)

BASE, SERVER = "base", "server"
CHOICES = [app_commands.Choice(name="this server's own articles", value=SERVER),
           app_commands.Choice(name="the bot's shared articles (operators only)", value=BASE)]


@dataclass(frozen=True)
class Target:
    """The corpus a change goes to.

    Attributes:
        library: its library.
        server_id: the server whose collection it is (None: the base corpus).
    """

    library: Library
    server_id: int | None

    @property
    def is_base(self) -> bool:
        """True for the operator's base corpus."""
        return self.server_id is None

    @property
    def name(self) -> str:
        """`the shared corpus` or `this server's articles`, for messages."""
        return "the shared corpus" if self.is_base else "this server's articles"


async def change_target(bot: NewsBot, interaction: discord.Interaction, command: str,
                        asked: str | None = None) -> Target:
    """The corpus this moderator's change goes to (see the module's rule).

    Args:
        command: the command as typed (`corpus add`), for the refusal.
        asked: `base` or `server` when the user chose; None for the default of where they are.

    Raises:
        NotModerator: the base was asked for (or is the only choice, in a DM) by someone who may not change
            it; the message says who may and how the operator names a home server.
    """
    base_ok = await bot.may_change_base(interaction)
    guild = interaction.guild_id
    home = guild is not None and guild in bot.operators.home_server_ids
    wants_base = asked == BASE or (asked is None and (guild is None or (home and base_ok)))
    if wants_base:
        if not base_ok:
            raise NotModerator(base_refusal(command, bot.operators))
        return Target(bot.collections.base, None)
    if guild is None:
        raise NotModerator(f"`/{command}` changes a server's articles: use it in the server.")
    return Target(bot.collections.library(guild), guild)


async def target_or_refuse(bot: NewsBot, interaction: discord.Interaction, command: str,
                           asked: str | None = None) -> Target | None:
    """`change_target`, or None after telling the user privately why they may not make this change."""
    try:
        return await change_target(bot, interaction, command, asked)
    except NotModerator as exc:
        log.info("/%s refused for %s: %s", command, actor_of(interaction), exc)
        await interaction.response.send_message(str(exc), ephemeral=True, allowed_mentions=NO_MENTIONS)
        return None


def actor_of(interaction: discord.Interaction) -> str:
    """`name (id)`: who made a change, for the history and the log."""
    return f"{interaction.user} ({interaction.user.id})"
