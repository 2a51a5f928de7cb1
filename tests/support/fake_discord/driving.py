"""Driving the connected client: gateway readiness and injected events (the test's "user").

Split out of :mod:`.server` to keep each module small; :class:`DriveMixin` is only
meaningful as a base of :class:`~.server.FakeDiscord`, whose attributes it declares.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Iterable, Sequence

from . import payloads as p
from .commands import CommandRegistry
from .dispatch import EventFactory, OptionValues
from .gateway import GatewayHub
from .payloads import Payload, SnowflakeFactory
from .results import Messageish, ResultsMixin
from .store import InteractionRecord
from .world import FakeChannel, FakeGuild, FakeUser, World

GuildChoice = bool | FakeGuild | int


class DriveMixin(ResultsMixin):
    """Gateway-side helpers of :class:`~.server.FakeDiscord`."""

    world: World
    ids: SnowflakeFactory
    hub: GatewayHub
    events: EventFactory
    commands: CommandRegistry
    require_registered_commands: bool

    async def wait_until_ready(self, timeout: float = 10.0, *, shard_ids: Iterable[int] | None = None,
                               shard_count: int | None = None) -> None:
        """Resolve once a client identified and was sent READY + GUILD_CREATE.

        With ``shard_count`` (and ``shard_ids``, default all of them): once each of those shards has a
        session that was, whatever other sessions (another process's shards) were ready before.
        """
        if shard_count is None and shard_ids is None:
            waiting = self.hub.ready_event.wait()
        else:
            count = shard_count or 1
            wanted = list(range(count) if shard_ids is None else shard_ids)
            waiting = self.hub.wait_for(lambda: self.hub.shards_ready(wanted, count))
        try:
            await asyncio.wait_for(waiting, timeout)
        except TimeoutError:
            raise AssertionError(f"no gateway client became ready within {timeout}s; "
                                 f"identifies={self.hub.identifies} "
                                 f"requests={[r.path for r in self.requests]}") from None

    async def dispatch(self, event: str, data: Payload) -> None:
        """Send any raw gateway event to connected clients (those of its guild's shard: see :mod:`.gateway`)."""
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

    def _channel(self, channel: FakeChannel | int | None, user: FakeUser, guild: GuildChoice) -> FakeChannel:
        """Where an event happens: ``guild`` False → the user's DM with the bot; True → ``channel`` (its own
        guild) or the default guild's ``#general``; a guild (or id) → ``channel``, which must be one of
        its channels, or that guild's ``#general``."""
        if guild is False:
            return self.world.dm_channel_for(user)
        chosen = None
        if channel is not None:
            chosen = channel if isinstance(channel, FakeChannel) else self.world.channels[int(channel)]
        if guild is True:
            return chosen or self.world.text_channel
        place = self.world.guild_of(guild)
        if chosen is None:
            return place.text_channel
        if chosen.guild_id != place.id:
            raise ValueError(f"channel {chosen.name!r} ({chosen.id}) is not in guild {place.name!r} ({place.id})")
        return chosen

    async def _send_interaction(self, ix: InteractionRecord) -> InteractionRecord:
        await self.hub.dispatch("INTERACTION_CREATE", copy.deepcopy(ix.payload))
        return ix

    async def slash(self, name: str, options: OptionValues | None = None, *, user: FakeUser | None = None,
                    channel: FakeChannel | int | None = None, guild: GuildChoice = True,
                    subcommand: str | None = None) -> InteractionRecord:
        """Invoke ``/name``; ``options`` is ``{name: value}`` (typed from the synced definition)
        or a list of raw option dicts. ``subcommand`` is ``"sub"`` or ``"group sub"``.

        ``guild``: True (default: ``channel``'s guild, else the default guild), a :class:`FakeGuild` or
        guild id (its ``#general`` unless ``channel`` says), or False for the user's DM with the bot.
        The command is looked up as Discord's client does: that guild's commands, then the global ones."""
        user = user or self.world.normal_user
        chan = self._channel(channel, user, guild)
        data = self.events.command_data(name, options, guild=chan.guild_id, subcommand=subcommand)
        ix = self.events.interaction(2, data, user=user, channel=chan)
        return await self._send_interaction(ix)

    async def autocomplete(self, name: str, options: OptionValues | None = None, *, focused: str,
                           user: FakeUser | None = None, channel: FakeChannel | int | None = None,
                           guild: GuildChoice = True, subcommand: str | None = None) -> InteractionRecord:
        """Send an autocomplete (type 4) with ``focused`` marked; see :meth:`wait_for_choices`.
        ``guild`` as for :meth:`slash`."""
        user = user or self.world.normal_user
        chan = self._channel(channel, user, guild)
        data = self.events.command_data(name, options, guild=chan.guild_id, subcommand=subcommand, focused=focused)
        ix = self.events.interaction(4, data, user=user, channel=chan)
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
        if isinstance(target, FakeUser):
            chan = self._channel(channel, user, True)
            resolved: Payload = {"users": {str(target.id): p.user_payload(target)}}
            guild = self.world.guild_of(chan.guild_id) if chan.guild_id is not None else None
            if guild is not None and guild.is_member(target):
                resolved["members"] = {str(target.id): guild.member_payload(
                    target, with_user=False, permissions=guild.permissions_for(target))}
            target_id = str(target.id)
        else:
            resolved = {"messages": {target["id"]: copy.deepcopy(target)}}
            target_id, chan = target["id"], self.world.channels[int(target["channel_id"])]
        command = self.commands.find(name, kind, chan.guild_id)
        if command is None and self.require_registered_commands:
            raise LookupError(f"context menu {name!r} (type {kind}) is not registered")
        data: Payload = {"id": (command or {}).get("id", str(self.ids.next())), "name": name, "type": kind,
                         "target_id": target_id, "resolved": resolved}
        if command is not None and "guild_id" in command:
            data["guild_id"] = command["guild_id"]
        return await self._send_interaction(self.events.interaction(2, data, user=user, channel=chan))

    async def send_message(self, content: str, *, author: FakeUser | None = None, mentions_bot: bool = True,
                           channel: FakeChannel | int | None = None, dm: bool = False,
                           reference: Messageish | None = None,
                           attachments: Sequence[Payload] = (), guild: GuildChoice = True) -> Payload:
        """A user posts a message (MESSAGE_CREATE). Mentions the bot unless ``mentions_bot=False``.
        ``dm=True`` (or ``guild=False``) posts in the author's DM with the bot; ``guild`` as for :meth:`slash`."""
        author = author or self.world.normal_user
        chan = self._channel(channel, author, False if dm else guild)
        if chan.guild_id is not None and not self.world.guild_of(chan.guild_id).bot_member:
            raise LookupError(f"the bot is not in guild {chan.guild_id}: it would not see this message")
        ref = self.message(reference) if reference is not None else None
        message = self.events.user_message(content, author=author, channel=chan, mentions_bot=mentions_bot,
                                           reference=ref, attachments=attachments)
        await self.hub.dispatch("MESSAGE_CREATE", copy.deepcopy(message))
        return copy.deepcopy(message)

    # -- guilds the bot is in -----------------------------------------------------------------
    async def remove_bot_from_guild(self, guild: FakeGuild | int) -> None:
        """The bot is kicked from (or leaves) ``guild``: GUILD_DELETE without ``unavailable``, which
        discord.py turns into ``on_guild_remove``. Its command registrations there are dropped."""
        place = self.world.guild_of(guild)
        place.bot_member = False
        self.commands.scopes.pop(place.id, None)
        await self.hub.dispatch("GUILD_DELETE", {"id": str(place.id)})

    async def add_bot_to_guild(self, guild: FakeGuild | int) -> None:
        """The bot is (re)invited to ``guild``: GUILD_CREATE without ``unavailable``, which discord.py
        turns into ``on_guild_join`` (once the client is past its start-up wait for guilds)."""
        place = self.world.guild_of(guild)
        place.bot_member = True
        await self.hub.guild_create(place, join=True)


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

