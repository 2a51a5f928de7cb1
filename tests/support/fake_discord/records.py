"""Recording of every HTTP request the bot makes, with race-free waiting.

Tests assert on what the bot *sent*; they must never sleep to let it happen. Each
record gets a monotonically increasing ``index`` so a test can take ``mark = fake.mark()``
before triggering something and then wait for a request with ``since=mark``: a request
that already arrived after the mark matches immediately, one that has not yet arrived
is awaited. That closes the window between "trigger" and "start waiting".
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import BodyPartReader, web

Predicate = Callable[["Recorded"], bool]


@dataclass
class UploadedFile:
    """A file part of a multipart request (``files[N]``)."""

    field: str
    filename: str
    content_type: str
    data: bytes


@dataclass
class Recorded:
    """One request as the fake saw it.

    ``path`` is relative to the API base (``/api/v10`` stripped), e.g. ``/users/@me``.
    ``json`` is the parsed JSON body, or the parsed ``payload_json`` part of a multipart
    body, or ``None``. ``status``/``response`` are what the fake answered.
    """

    method: str
    path: str
    query: dict[str, str]
    json: Any
    headers: dict[str, str]
    files: list[UploadedFile] = field(default_factory=list)
    index: int = -1
    status: int = 0
    response: Any = None
    at: float = field(default_factory=time.monotonic)

    def matches(self, method: str, path_regex: str) -> bool:
        """Case-insensitive method match and ``re.search`` on the path."""
        return (method == "*" or self.method.upper() == method.upper()) and re.search(path_regex, self.path) is not None


class RequestLog:
    """Append-only list of :class:`Recorded` plus waiters woken on each append."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._waiters: list[tuple[Callable[[Recorded], bool], asyncio.Future[Recorded]]] = []

    def mark(self) -> int:
        """Index the next request will get; pass it as ``since=``."""
        return len(self.requests)

    def append(self, record: Recorded) -> None:
        """Store ``record`` and resolve any waiter it satisfies."""
        record.index = len(self.requests)
        self.requests.append(record)
        still_waiting = []
        for check, fut in self._waiters:
            if fut.done():
                continue
            if check(record):
                fut.set_result(record)
            else:
                still_waiting.append((check, fut))
        self._waiters = still_waiting

    def find(
        self, method: str, path_regex: str, *, since: int = 0, predicate: Predicate | None = None
    ) -> list[Recorded]:
        """All recorded requests from ``since`` on matching method, path regex and predicate."""
        return [
            r for r in self.requests[since:]
            if r.matches(method, path_regex) and (predicate is None or predicate(r))
        ]

    async def wait_for(
        self,
        method: str,
        path_regex: str,
        *,
        timeout: float = 5.0,
        predicate: Predicate | None = None,
        since: int = 0,
    ) -> Recorded:
        """First request at or after ``since`` that matches; waits up to ``timeout`` seconds."""
        found = self.find(method, path_regex, since=since, predicate=predicate)
        if found:
            return found[0]

        def check(record: Recorded) -> bool:
            if record.index < since or not record.matches(method, path_regex):
                return False
            return predicate is None or predicate(record)

        fut: asyncio.Future[Recorded] = asyncio.get_running_loop().create_future()
        self._waiters.append((check, fut))
        try:
            return await asyncio.wait_for(fut, timeout)
        except TimeoutError:
            seen = "\n  ".join(f"{r.method} {r.path} -> {r.status}" for r in self.requests[since:]) or "(none)"
            raise AssertionError(
                f"no {method} {path_regex!r} request within {timeout}s; requests since {since}:\n  {seen}"
            ) from None


async def read_body(request: web.Request) -> tuple[Any, list[UploadedFile]]:
    """JSON body, or ``payload_json`` + ``files[N]`` parts of a multipart body."""
    if not request.can_read_body:
        return None, []
    if request.content_type == "multipart/form-data":
        body: Any = None
        files: list[UploadedFile] = []
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader):
                continue
            if part.name == "payload_json":
                body = json.loads(await part.text())
            else:
                data = bytes(await part.read(decode=False))
                content_type = part.headers.get("Content-Type", "")
                files.append(UploadedFile(part.name or "", part.filename or "", content_type, data))
        return body, files
    raw = await request.read()
    if not raw:
        return None, []
    try:
        return json.loads(raw), []
    except ValueError:
        return raw.decode(errors="replace"), []


