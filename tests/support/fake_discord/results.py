"""Reading what the bot did: the request log, interaction responses, message state.

Split out of :mod:`.server`; :class:`ResultsMixin` is only meaningful as a base of
:class:`~.server.FakeDiscord`, whose attributes it declares.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable

from .limits import Violation
from .payloads import FLAG_EPHEMERAL, Payload
from .records import Predicate, Recorded, RequestLog
from .store import InteractionRecord, MessageStore
from .world import FakeChannel, World

Interactionish = InteractionRecord | int
Messageish = Payload | int


class ResultsMixin:
    """Request-log and message-state helpers of :class:`~.server.FakeDiscord`."""

    log: RequestLog
    store: MessageStore
    world: World
    violations: list[Violation]

    @property
    def requests(self) -> list[Recorded]:
        """Every request so far, in arrival order."""
        return self.log.requests

    def mark(self) -> int:
        """Counter to pass as ``since=`` so later waits ignore older requests."""
        return self.log.mark()

    def find(self, method: str, path_regex: str, *, since: int = 0,
             predicate: Predicate | None = None) -> list[Recorded]:
        """Recorded requests from index ``since`` on whose method and path (``re.search``) match."""
        return self.log.find(method, path_regex, since=since, predicate=predicate)

    async def wait_for_request(self, method: str, path_regex: str, *, timeout: float = 5.0,
                               predicate: Predicate | None = None, since: int = 0) -> Recorded:
        """First request at index >= ``since`` matching; raises AssertionError on timeout."""
        return await self.log.wait_for(method, path_regex, timeout=timeout, predicate=predicate, since=since)

    async def wait_until(self, condition: Callable[[], bool], timeout: float = 5.0) -> None:
        """Wait until ``condition()`` holds, re-checking after every request (the only thing that
        changes the fake's state), e.g. ``lambda: "done" in fake.final_message(ix)["content"]``."""
        if not condition():
            await self.log.wait_for("*", "", timeout=timeout, since=self.mark(), predicate=lambda _r: condition())

    def assert_no_violations(self) -> None:
        """Fail with every recorded limit violation, if any."""
        assert not self.violations, "Discord limit violations:\n" + "\n".join(map(str, self.violations))

    def interaction(self, ix: Interactionish) -> InteractionRecord:
        """The record of an interaction the fake dispatched (by record or id)."""
        return ix if isinstance(ix, InteractionRecord) else self.store.interactions[int(ix)]

    def interaction_responses(self, ix: Interactionish) -> list[Recorded]:
        """Every request the bot made for this interaction, in order (callback, webhooks)."""
        rec = self.interaction(ix)
        pattern = rf"^/interactions/{rec.id}/|^/webhooks/{self.world.application_id}/{re.escape(rec.token)}(/|$)"
        return self.find("*", pattern)

    def final_message(self, ix: Interactionish) -> Payload | None:
        """Current state of the interaction's original response (after edits), or None."""
        msg_id = self.interaction(ix).original_message_id
        return copy.deepcopy(self.store.messages[msg_id]) if msg_id in self.store.messages else None

    def followups(self, ix: Interactionish) -> list[Payload]:
        """Current state of the interaction's followup messages."""
        ids = self.interaction(ix).followup_ids
        return [copy.deepcopy(self.store.messages[i]) for i in ids if i in self.store.messages]

    def messages_in(self, channel_id: FakeChannel | int, *, include_ephemeral: bool = True) -> list[Payload]:
        """Every live message in a channel, oldest first."""
        messages = self.store.in_channel(channel_id.id if isinstance(channel_id, FakeChannel) else int(channel_id))
        return [m for m in messages if include_ephemeral or not int(m.get("flags", 0)) & FLAG_EPHEMERAL]

    def message(self, message: Messageish) -> Payload:
        """Current stored state of a message (by payload or id)."""
        msg_id = int(message["id"]) if isinstance(message, dict) else int(message)
        return copy.deepcopy(self.store.messages[msg_id])

    def _ix_path(self, ix: InteractionRecord) -> str:
        return f"^/webhooks/{self.world.application_id}/{re.escape(ix.token)}"

    async def wait_for_callback(self, ix: Interactionish, timeout: float = 5.0) -> Recorded:
        """The interaction's ``POST .../callback`` (successful or not)."""
        rec = self.interaction(ix)
        return await self.wait_for_request("POST", rf"^/interactions/{rec.id}/[^/]+/callback$", timeout=timeout)

    async def wait_for_original_edit(self, ix: Interactionish, timeout: float = 5.0,
                                     predicate: Predicate | None = None) -> Recorded:
        """The first (or first matching) ``PATCH .../messages/@original``."""
        path = self._ix_path(self.interaction(ix)) + "/messages/@original$"
        return await self.wait_for_request("PATCH", path, timeout=timeout, predicate=predicate)

    async def wait_for_followup(self, ix: Interactionish, timeout: float = 5.0,
                                predicate: Predicate | None = None) -> Recorded:
        """The first (or first matching) followup ``POST /webhooks/{app}/{token}``."""
        path = self._ix_path(self.interaction(ix)) + "$"
        return await self.wait_for_request("POST", path, timeout=timeout, predicate=predicate)

    async def wait_for_choices(self, ix: Interactionish, timeout: float = 5.0) -> list[Payload]:
        """Choices the bot answered an autocomplete with."""
        rec = await self.wait_for_callback(ix, timeout)
        choices = self.interaction(ix).choices
        if choices is None:
            raise AssertionError(f"autocomplete was not answered with choices: {rec.status} {rec.json}")
        return choices

