"""/settings: a server's moderators see and change how the bot answers there, for their server alone.

The fields, their bounds and their messages are `bot.server_settings.FIELDS`; this cog only shows and
changes them (ephemeral, logged). A discord.py extension (`setup`).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.chat.checks import moderator_only
from bot.chat.render.answer import DESCRIPTION_LIMIT, shorten
from bot.chat.replies import NO_MENTIONS
from bot.server_settings import FIELDS, ServerSettings, SettingError, describe

if TYPE_CHECKING:
    from bot.chat.client import NewsBot

log = logging.getLogger(__name__)

NAME_CHOICES = [app_commands.Choice(name=name, value=name) for name in FIELDS]


def settings_embed(values: ServerSettings, defaults: ServerSettings, changed: str = "") -> discord.Embed:
    """Every setting of this server, those changed here marked, and how to change one."""
    lines = [f"**{name}**: {value}" + (" *(changed here)*" if here else "")
             for name, value, here in describe(values, defaults)]
    lines.append("\nChange one with `/settings name:<setting> value:<value>`; setting a value back to the "
                 "default follows the bot's defaults again.")
    embed = discord.Embed(title="Settings of this server", description=shorten("\n".join(lines), DESCRIPTION_LIMIT),
                          colour=discord.Colour.blurple())
    if changed:
        embed.set_footer(text=shorten(changed, 200))
    return embed


class SettingsCog(commands.Cog, name="Settings"):
    """Per-server settings."""

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot

    @app_commands.command(name="settings", description="Show or change how the bot answers in this server (moderators)")
    @app_commands.describe(name="The setting to change (leave empty to see them all)",
                           value="Its new value (e.g. 3, #news #politics, @Editors, yes/no, all, none)")
    @app_commands.choices(name=NAME_CHOICES)
    @app_commands.guild_only()
    @moderator_only()
    async def settings(self, interaction: discord.Interaction, name: str | None = None,
                       value: str | None = None) -> None:
        """Show every setting; with `name` and `value`, change one for this server only."""
        store = self.bot.server_settings
        guild = interaction.guild_id
        if name is None:
            values = await self.bot.run_blocking(store.get, guild)
            await interaction.response.send_message(embed=settings_embed(values, store.defaults), ephemeral=True,
                                                    allowed_mentions=NO_MENTIONS)
            return
        if value is None:
            await interaction.response.send_message(f"Give a `value` for `{name}`: {FIELDS[name].help}.",
                                                    ephemeral=True, allowed_mentions=NO_MENTIONS)
            return
        actor = f"{interaction.user} ({interaction.user.id})"
        try:
            values = await self.bot.run_blocking(store.change, guild, name, value, actor)
        except SettingError as exc:
            await interaction.response.send_message(f"Nothing was changed: {exc}.", ephemeral=True,
                                                    allowed_mentions=NO_MENTIONS)
            return
        log.info("/settings in server %s by %s: %s = %s", guild, actor, name, value)
        await interaction.response.send_message(embed=settings_embed(values, store.defaults, f"{name} changed"),
                                                ephemeral=True, allowed_mentions=NO_MENTIONS)


async def setup(bot: NewsBot) -> None:
    """Extension entry point: add `/settings`."""
    await bot.add_cog(SettingsCog(bot))
