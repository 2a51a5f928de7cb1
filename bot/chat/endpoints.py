"""Where one bot's traffic goes: Discord itself, or the REST base and gateway its settings name.

DISCORD_API_BASE / DISCORD_GATEWAY_URL point the bot at a REST proxy, or at
the tests' fake Discord. discord.py reads both from class attributes
(`discord.http.Route.BASE`, `DiscordWebSocket.DEFAULT_GATEWAY`); setting those
would point every client in the process at one place, for good. Here they are
a property of one client instead: `NewsBot` gets a `RoutedHTTPClient`, whose
aiohttp session sends each request aimed at Discord's REST API or gateway to
the bot's `Endpoints`. The session is where all of a client's traffic passes:
REST calls (`HTTPClient.request`), interaction responses and follow-ups
(discord.py's webhook adapter is handed the session directly, bypassing
`HTTPClient.request`), and the gateway connection (`HTTPClient.ws_connect`).
Two bots in one process can so talk to two different servers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aiohttp
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import HTTPClient, Route
from discord.utils import MISSING

if TYPE_CHECKING:
    from bot.settings import Settings

DISCORD_API_BASE = "https://discord.com/api/v10"
DISCORD_GATEWAY = "wss://gateway.discord.gg/"


@dataclass(frozen=True)
class Endpoints:
    """The REST base (versioned, like `https://discord.com/api/v10`) and gateway URL one client uses."""

    api_base: str = DISCORD_API_BASE
    gateway_url: str = DISCORD_GATEWAY

    @classmethod
    def from_settings(cls, settings: Settings) -> Endpoints:
        """DISCORD_API_BASE / DISCORD_GATEWAY_URL as parsed into the settings; Discord's own where unset."""
        return cls(settings.api_base or DISCORD_API_BASE, settings.gateway_url or DISCORD_GATEWAY)

    def rest(self, url: str) -> str:
        """`url` moved under `api_base` when discord.py built it under its own base (`Route.BASE`).

        Any other URL (an attachment on the CDN, a webhook URL given in full) is returned unchanged.
        """
        base = Route.BASE
        if base == self.api_base or not url.startswith(base) or url[len(base):len(base) + 1] not in ("", "/", "?"):
            return url
        return self.api_base + url[len(base):]

    def gateway(self, url: str) -> str:
        """`url` sent to `gateway_url` (its query kept) when it is discord.py's default gateway.

        Other URLs are returned unchanged: a resume goes where the gateway's READY
        said (`resume_gateway_url`), as discord.py does.
        """
        default = yarl.URL(str(DiscordWebSocket.DEFAULT_GATEWAY))
        if self.gateway_url == str(default):
            return url
        asked = yarl.URL(url)
        if asked.with_query(None) != default.with_query(None):
            return url
        return str(yarl.URL(self.gateway_url).with_query(asked.query))


class RoutedSession:
    """An aiohttp session whose requests aimed at Discord go to `endpoints`; all else is the session's own.

    It wraps the session discord.py creates at login (aiohttp discourages
    subclassing `ClientSession`); discord.py uses `request`, `get`, `ws_connect`,
    `close` and `closed`, and every other attribute is passed through too.
    """

    def __init__(self, session: aiohttp.ClientSession, endpoints: Endpoints) -> None:
        self.session = session
        self.endpoints = endpoints

    def request(self, method: str, url: Any, **kwargs: Any) -> Any:
        """`ClientSession.request`, with a Discord REST URL re-pointed (see `Endpoints.rest`)."""
        return self.session.request(method, self.endpoints.rest(url) if isinstance(url, str) else url, **kwargs)

    def get(self, url: Any, **kwargs: Any) -> Any:
        """`ClientSession.get`, likewise."""
        return self.session.get(self.endpoints.rest(url) if isinstance(url, str) else url, **kwargs)

    def ws_connect(self, url: Any, **kwargs: Any) -> Any:
        """`ClientSession.ws_connect`, with Discord's default gateway re-pointed (see `Endpoints.gateway`)."""
        return self.session.ws_connect(self.endpoints.gateway(url) if isinstance(url, str) else url, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.session, name)


class RoutedHTTPClient(HTTPClient):
    """discord.py's HTTP client for one bot, its session routed to `endpoints`.

    Why a property with this odd name: discord.py keeps the session in the
    private `HTTPClient.__session` (stored as `_HTTPClient__session`), creates
    it in `static_login` and hands it from there to interactions and webhooks.
    The property wraps it in a `RoutedSession` as it is stored, so every user
    of it, inside and outside this class, is routed.
    """

    def __init__(self, endpoints: Endpoints, *args: Any, **kwargs: Any) -> None:
        self.endpoints = endpoints
        self._routed_session: Any = MISSING
        super().__init__(*args, **kwargs)

    @classmethod
    def like(cls, http: HTTPClient, endpoints: Endpoints) -> RoutedHTTPClient:
        """A routed client configured like `http` (connector, proxy, clock, trace, rate-limit timeout).

        Raises:
            RuntimeError: `http` has logged in already (it has a session and a token to keep).
        """
        if http.token is not None:
            raise RuntimeError("route the HTTP client before logging in")
        return cls(endpoints, http.loop, None if http.connector is MISSING else http.connector,
                   proxy=http.proxy, proxy_auth=http.proxy_auth, unsync_clock=not http.use_clock,
                   http_trace=http.http_trace, max_ratelimit_timeout=http.max_ratelimit_timeout)

    @property
    def _HTTPClient__session(self) -> Any:  # noqa: N802 - discord.py's mangled name
        return self._routed_session

    @_HTTPClient__session.setter
    def _HTTPClient__session(self, session: Any) -> None:  # noqa: N802
        if session is not MISSING and not isinstance(session, RoutedSession):
            session = RoutedSession(session, self.endpoints)
        self._routed_session = session

