"""How the bot speaks: never pinging anyone, and errors told privately to whoever asked.

Every message the bot sends or edits passes `allowed_mentions=NO_MENTIONS`, so
text quoted from questions or articles (`@everyone`, `<@id>`, role mentions)
never pings. Cogs, views and the client's error handler import these from here.
"""

from __future__ import annotations

import logging

import discord

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()


async def send_private(interaction: discord.Interaction, text: str) -> None:
    """An ephemeral message, whether or not the interaction was already answered.

    After a defer, the "thinking…" message is replaced (a follow-up would leave it hanging).
    Never raises for Discord's refusal (`discord.HTTPException`, e.g. an expired
    interaction): that is logged as a warning, since there is no one left to tell.
    """
    try:
        if interaction.response.type == discord.InteractionResponseType.deferred_channel_message:
            await interaction.edit_original_response(content=text, embeds=[], view=None,
                                                     allowed_mentions=NO_MENTIONS)
        elif interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
        else:
            await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
    except discord.HTTPException as exc:
        log.warning("could not tell the user about an error: %s", exc)
