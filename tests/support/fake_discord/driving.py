"""Driving the connected client: gateway readiness and injected events (the test's "user").

Split out of :mod:`.server` to keep each module small; :class:`DriveMixin` is only
meaningful as a base of :class:`~.server.FakeDiscord`, whose attributes it declares.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Sequence

from . import payloads as p
from .commands import CommandRegistry
from .dispatch import EventFactory, OptionValues
from .gateway import GatewayHub
from .payloads import Payload, SnowflakeFactory
from .results import Messageish, ResultsMixin
from .store import InteractionRecord
from .world import FakeChannel, FakeUser, World


class DriveMixin(ResultsMixin):
    """Gateway-side helpers of :class:`~.server.FakeDiscord`."""

    world: World
    ids: SnowflakeFactory
    hub: GatewayHub
    events: EventFactory
    commands: CommandRegistry
    require_registered_commands: bool

    async def wait_until_ready(self, timeout: float = 10.0) -> None:
        """Resolve once a client identified and was sent READY + GUILD_CREATE."""
        try:
            await asyncio.wait_for(self.hub.ready_event.wait(), timeout)
        except TimeoutError:
            raise AssertionError(f"no gateway client became ready within {timeout}s; "
                                 f"identifies={self.hub.identifies} "
                                 f"requests={[r.path for r in self.requests]}") from None

    async def dispatch(self, event: str, data: Payload) -> None:
        """Send any raw gateway event to connected clients."""
        await self.hub.dispatch(event, data)

    async def disconnect_clients(self, code: int = 4000) -> None:
        """Close gateway sockets; 4000 makes discord.py reconnect and RESUME."""
        await self.hub.close_all(code)

    def strip_content(self, message: Payload) -> Payload:
        """What a client without the message-content intent sees of a guild message."""
        mentioned = any(int(u["id"]) == self.world.bot_user.id for u in message.get("mentions", []))
        if "guild_id" not in message or mentioned or int(message["author"]["id"]) == self.world.bot_user.id:
            return message
        return {**message, "content": "", "embeds": [], "attachments": [], "components": []}

    def _channel(self, channel: FakeChannel | int | None, user: FakeUser, guild: bool) -> FakeChannel:
        if not guild:
            return self.world.dm_channel_for(user)
        if channel is None:
            return self.world.text_channel
        return channel if isinstance(channel, FakeChannel) else self.world.channels[int(channel)]

    async def _send_interaction(self, ix: InteractionRecord) -> InteractionRecord:
        await self.hub.dispatch("INTERACTION_CREATE", copy.deepcopy(ix.payload))
        return ix

    async def slash(self, name: str, options: OptionValues | None = None, *, user: FakeUser | None = None,
                    channel: FakeChannel | int | None = None, guild: bool = True,
                    subcommand: str | None = None) -> InteractionRecord:
        """Invoke ``/name``; ``options`` is ``{name: value}`` (typed from the synced definition)
        or a list of raw option dicts. ``subcommand`` is ``"sub"`` or ``"group sub"``."""
        user = user or self.world.normal_user
        data = self.events.command_data(name, options, guild=guild, subcommand=subcommand)
        ix = self.events.interaction(2, data, user=user, channel=self._channel(channel, user, guild))
        return await self._send_interaction(ix)

    async def autocomplete(self, name: str, options: OptionValues | None = None, *, focused: str,
                           user: FakeUser | None = None, channel: FakeChannel | int | None = None,
                           guild: bool = True, subcommand: str | None = None) -> InteractionRecord:
        """Send an autocomplete (type 4) with ``focused`` marked; see :meth:`wait_for_choices`."""
        user = user or self.world.normal_user
        data = self.events.command_data(name, options, guild=guild, subcommand=subcommand, focused=focused)
        ix = self.events.interaction(4, data, user=user, channel=self._channel(channel, user, guild))
        return await self._send_interaction(ix)

    async def click(self, message: Messageish, custom_id: str, *, user: FakeUser | None = None,
                    values: Sequence[str] | None = None) -> InteractionRecord:
        """Click a button (or pick ``values`` in a select) on a message the bot sent."""
        stored = self.message(message)
        component = _find_component(stored.get("components", []), custom_id)
        if component is None:
            raise LookupError(f"message {stored['id']} has no component {custom_id!r}: {stored.get('components')}")
        data: Payload = {"custom_id": custom_id, "component_type": component["type"], "id": component.get("id")}
        if values is not None or component["type"] != 2:
            data["values"] = list(values or [])
        user = user or self.world.normal_user
        channel = self.world.channels[int(stored["channel_id"])]
        ix = self.events.interaction(3, data, user=user, channel=channel, message=stored)
        return await self._send_interaction(ix)

    async def context_menu_message(self, name: str, target_message: Messageish, *,
                                   user: FakeUser | None = None) -> InteractionRecord:
        """Invoke a message context menu command on ``target_message``."""
        return await self._context_menu(name, 3, self.message(target_message), user)

    async def context_menu_user(self, name: str, target: FakeUser, *, user: FakeUser | None = None,
                                channel: FakeChannel | int | None = None) -> InteractionRecord:
        """Invoke a user context menu command on ``target``."""
        return await self._context_menu(name, 2, target, user, channel)

    async def _context_menu(self, name: str, kind: int, target: Payload | FakeUser, user: FakeUser | None,
                            channel: FakeChannel | int | None = None) -> InteractionRecord:
        user = user or self.world.normal_user
        command = self.commands.find(name, kind, self.world.guild_id)
        if command is None and self.require_registered_commands:
            raise LookupError(f"context menu {name!r} (type {kind}) is not registered")
        if isinstance(target, FakeUser):
            resolved: Payload = {"users": {str(target.id): p.user_payload(target)}}
            if target.in_guild:
                resolved["members"] = {str(target.id): p.member_payload(target, with_user=False,
                                                                        permissions=self.world.permissions_for(target))}
            target_id, chan = str(target.id), self._channel(channel, user, True)
        else:
            resolved = {"messages": {target["id"]: copy.deepcopy(target)}}
            target_id, chan = target["id"], self.world.channels[int(target["channel_id"])]
        data: Payload = {"id": (command or {}).get("id", str(self.ids.next())), "name": name, "type": kind,
                         "target_id": target_id, "resolved": resolved}
        if command is not None and "guild_id" in command:
            data["guild_id"] = command["guild_id"]
        return await self._send_interaction(self.events.interaction(2, data, user=user, channel=chan))

    async def send_message(self, content: str, *, author: FakeUser | None = None, mentions_bot: bool = True,
                           channel: FakeChannel | int | None = None, dm: bool = False,
                           reference: Messageish | None = None,
                           attachments: Sequence[Payload] = ()) -> Payload:
        """A user posts a message (MESSAGE_CREATE). Mentions the bot unless ``mentions_bot=False``."""
        author = author or self.world.normal_user
        chan = self._channel(channel, author, not dm)
        ref = self.message(reference) if reference is not None else None
        message = self.events.user_message(content, author=author, channel=chan, mentions_bot=mentions_bot,
                                           reference=ref, attachments=attachments)
        await self.hub.dispatch("MESSAGE_CREATE", copy.deepcopy(message))
        return copy.deepcopy(message)


def _find_component(components: list[Payload], custom_id: str) -> Payload | None:
    for component in components:
        if component.get("custom_id") == custom_id:
            return component
        found = _find_component(component.get("components") or [], custom_id)
        if found is None and isinstance(component.get("accessory"), dict):
            found = _find_component([component["accessory"]], custom_id)
        if found is not None:
            return found
    return None

