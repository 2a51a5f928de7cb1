"""Confirm / Cancel under a `/corpus` preview, for the moderator who asked and no one else.

Why not persistent (unlike the feedback buttons): the preview holds what was
fetched or uploaded in memory, and a confirmation must apply exactly what was
shown; after a restart or `TIMEOUT` the buttons expire and the moderator runs
the command again.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable

import discord

from bot.chat.replies import NO_MENTIONS

log = logging.getLogger(__name__)

TIMEOUT = 600.0  # seconds a preview waits for its confirmation
Action = Callable[[discord.Interaction], Awaitable[None]]


class ConfirmView(discord.ui.View):
    """Two buttons; `on_confirm` runs on Confirm, the message says "cancelled" on Cancel.

    Args:
        owner_id: the only user whose clicks count (others get a private refusal).
        command: `/corpus add`, for the refusal and the expiry message.
        confirm_label: "Confirm", "Update" or "Remove".
        on_confirm: answers the click (within Discord's 3 seconds) and does the work.
        original: the command's interaction, to mark the preview expired.
    """

    def __init__(self, owner_id: int, command: str, confirm_label: str, on_confirm: Action,
                 original: discord.Interaction, danger: bool = False) -> None:
        super().__init__(timeout=TIMEOUT)
        self.owner_id, self.command, self.on_confirm, self.original = owner_id, command, on_confirm, original
        nonce = secrets.token_hex(4)
        self.confirm = discord.ui.Button(label=confirm_label, custom_id=f"nb:corpus:confirm:{nonce}",
                                         style=discord.ButtonStyle.danger if danger else discord.ButtonStyle.success)
        self.cancel = discord.ui.Button(label="Cancel", custom_id=f"nb:corpus:cancel:{nonce}",
                                        style=discord.ButtonStyle.secondary)
        self.confirm.callback = self._confirmed  # type: ignore[method-assign]
        self.cancel.callback = self._cancelled  # type: ignore[method-assign]
        self.add_item(self.confirm)
        self.add_item(self.cancel)
        self.answered = False

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """Only the moderator who ran the command may press the buttons."""
        if interaction.user.id == self.owner_id:
            return True
        log.info("%s (%s) pressed a %s button of another moderator: refused", interaction.user,
                 interaction.user.id, self.command)
        await interaction.response.send_message(
            f"Only the moderator who ran `{self.command}` can confirm or cancel it; run the command yourself.",
            ephemeral=True, allowed_mentions=NO_MENTIONS)
        return False

    async def _confirmed(self, interaction: discord.Interaction) -> None:
        if self.answered:
            await interaction.response.send_message("This was already answered.", ephemeral=True,
                                                    allowed_mentions=NO_MENTIONS)
            return
        self.answered = True
        self.stop()
        await self.on_confirm(interaction)

    async def _cancelled(self, interaction: discord.Interaction) -> None:
        self.answered = True
        self.stop()
        log.info("%s cancelled by %s (%s)", self.command, interaction.user, interaction.user.id)
        await interaction.response.edit_message(content="Cancelled: nothing was changed.", embed=None, view=None,
                                                allowed_mentions=NO_MENTIONS)

    async def on_timeout(self) -> None:
        """Say the preview expired (the buttons would otherwise fail silently)."""
        if self.answered:
            return
        try:
            await self.original.edit_original_response(
                content=f"This preview expired: nothing was changed. Run `{self.command}` again.", view=None,
                allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as exc:
            log.info("could not mark a %s preview expired: %s", self.command, exc)
