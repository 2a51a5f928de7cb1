"""Who may run moderator commands: Manage Server, or the server's moderator role (default NEWSBOT_MODERATOR_ROLE_ID).

The rule is a pure function (tested directly); `moderator_only` wraps it as an
app-command check whose failure message says who may, for the ephemeral refusal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

import discord
from discord import app_commands

T = TypeVar("T")


class NotModerator(app_commands.CheckFailure):
    """The user may not run a moderator command; `str(exc)` is the refusal shown to them."""


def is_moderator(manage_guild: bool, role_ids: Iterable[int], moderator_role_id: int | None) -> bool:
    """True for members with Manage Server, or holding the configured moderator role."""
    return manage_guild or (moderator_role_id is not None and moderator_role_id in set(role_ids))


def who_may(moderator_role_id: int | None) -> str:
    """`members with the Manage Server permission or the @role role`, for refusals."""
    who = "members with the Manage Server permission"
    return who + (f" or the <@&{moderator_role_id}> role" if moderator_role_id else "")


def interaction_is_moderator(interaction: discord.Interaction, moderator_role_id: int | None) -> bool:
    """The rule applied to an interaction's user (never true outside a server).

    Manage Server is read from the permissions Discord computed for this
    interaction (owner and Administrator included), so it holds even when the
    guild's roles are not cached.
    """
    user = interaction.user
    if interaction.guild_id is None or not isinstance(user, discord.Member):
        return False
    manage = interaction.permissions.manage_guild or user.guild_permissions.manage_guild
    return is_moderator(manage, (role.id for role in user.roles), moderator_role_id)


def moderator_only() -> Callable[[T], T]:
    """App-command check: this server's moderators (Manage Server, or the server's moderator role) and the
    operator's people (`NewsBot.may_moderate`). What they may change is decided per command
    (`bot.chat.targets`): a server's moderators change their server's articles, only the operator's people
    the base corpus."""

    async def predicate(interaction: discord.Interaction) -> bool:
        bot = interaction.client
        if await bot.may_moderate(interaction):  # type: ignore[attr-defined]
            return True
        role_id = bot.settings_of(interaction.guild_id).moderator_role_id  # type: ignore[attr-defined]
        name = interaction.command.qualified_name if interaction.command else "this command"
        raise NotModerator(f"Only {who_may(role_id)} may use `/{name}`. Ask one of them to run it for you.")

    return app_commands.check(predicate)
