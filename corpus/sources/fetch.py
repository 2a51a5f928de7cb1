"""Fetch web pages for the corpus, safely: only http(s), public addresses, bounded size and time, polite.

Why hand-written over urllib's opener: every hop of a redirect must be checked
against private and loopback addresses (the bot must not become a way to probe
the host's network), and the connection must go to the address that was
checked, not to a second DNS answer; `http.client` with the socket opened by us
does both in a few lines.
"""

from __future__ import annotations

import http.client
import ipaddress
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from corpus.errors import CorpusError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FetchPolicy:
    """Limits of every fetch.

    Attributes:
        timeout: seconds for a whole request (connect, headers and body).
        max_bytes: largest body read; a larger page is refused.
        allow_private: allow private, loopback and link-local addresses (tests, intranets).
        host_delay: seconds between two requests to the same host (politeness).
        max_redirects: redirects followed, each checked like the first address.
    """

    timeout: float = 15.0
    max_bytes: int = 5_000_000
    allow_private: bool = False
    host_delay: float = 1.0
    max_redirects: int = 5
    user_agent: str = "newsbot/0.1 (news corpus refresh)"


class FetchError(CorpusError):
    """A page or feed could not be fetched; its location is the URL."""

    def __init__(self, url: str, problem: str, fix: str) -> None:
        self.url = url
        super().__init__(Path("."), problem, fix)

    @property
    def location(self) -> str:
        """The URL, where file errors show a path."""
        return self.url


@dataclass(frozen=True)
class Page:
    """A fetched page: the final URL after redirects, its content type and body.

    Attributes:
        status: the HTTP status (200; 304 for a conditional request the server answered "not modified",
            with an empty body).
        etag, last_modified: the validators the server sent (`ETag`, `Last-Modified`), to send back next
            time as `If-None-Match` / `If-Modified-Since` (RFC 9110 §13.1); None when it sent none.
    """

    url: str
    content_type: str
    body: bytes
    status: int = 200
    etag: str | None = None
    last_modified: str | None = None

    @property
    def not_modified(self) -> bool:
        """True when the server said the resource is unchanged since the validators sent (HTTP 304)."""
        return self.status == 304


def _forbidden(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    ip = getattr(ip, "ipv4_mapped", None) or ip
    return bool(ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved
                or ip.is_unspecified)


class Fetcher:
    """GETs pages under a `FetchPolicy`, waiting between requests to one host; thread-safe."""

    def __init__(self, policy: FetchPolicy = FetchPolicy(), clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.policy = policy
        self._clock = clock
        self._sleep = sleep
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    def _resolve(self, url: str, host: str, port: int) -> str:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise FetchError(url, f"the host {host!r} cannot be resolved ({exc.strerror})",
                             "check the address") from None
        except UnicodeError as exc:  # a label over 63 characters, a name IDNA cannot encode
            raise FetchError(url, f"the host name {host[:80]!r} is not a valid name ({exc})", "check the address") from None
        addresses = [info[4][0] for info in infos]
        if not self.policy.allow_private:
            for address in addresses:
                if _forbidden(ipaddress.ip_address(address.split("%")[0])):
                    raise FetchError(url, f"{host} resolves to the private or local address {address}",
                                     "only public addresses are fetched; set NEWSBOT_ALLOW_PRIVATE_URLS=true "
                                     "to allow this one")
        return addresses[0]

    def _wait_turn(self, host: str) -> None:
        with self._lock:
            now = self._clock()
            ready = self._last.get(host, float("-inf")) + self.policy.host_delay
            start = max(now, ready)
            self._last[host] = start
        if start > now:
            self._sleep(start - now)

    def get(self, url: str, accept: str = "text/html,application/xhtml+xml,*/*;q=0.5", *,
            etag: str | None = None, last_modified: str | None = None) -> Page:
        """The body of `url`, following redirects; a conditional request when validators are given.

        Args:
            etag: the `ETag` the server sent last time: sent as `If-None-Match`.
            last_modified: the `Last-Modified` it sent last time: sent as `If-Modified-Since`.
                With either, an unchanged resource costs one `304 Not Modified` (a `Page` with
                `not_modified` True and an empty body): nothing is downloaded or parsed.

        Raises:
            FetchError: bad scheme, forbidden address, HTTP error, too large, too slow, network error.
        """
        conditions = {}
        if etag:
            conditions["If-None-Match"] = etag
        if last_modified:
            conditions["If-Modified-Since"] = last_modified
        deadline = self._clock() + self.policy.timeout
        current = url
        for _ in range(self.policy.max_redirects + 1):
            status, headers, body = self._request(current, accept, deadline, conditions)
            if status in (301, 302, 303, 307, 308) and headers.get("location"):
                current = urljoin(current, headers["location"])
                continue
            if status >= 400:
                raise FetchError(url, f"the server answered HTTP {status}", "check the address, or try again later")
            if status == 304 and not conditions:
                raise FetchError(url, "the server answered 304 Not Modified to a plain request",
                                 "check the address, or try again later")
            return Page(url=current, content_type=headers.get("content-type", ""), body=b"" if status == 304 else body,
                        status=status, etag=headers.get("etag") or (etag if status == 304 else None),
                        last_modified=headers.get("last-modified") or (last_modified if status == 304 else None))
        raise FetchError(url, f"more than {self.policy.max_redirects} redirects", "check the address")

    def _request(self, url: str, accept: str, deadline: float,
                 conditions: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        try:
            parts = urlsplit(url)
            port = parts.port or (443 if parts.scheme == "https" else 80)  # a port out of range raises here
        except ValueError as exc:
            raise FetchError(url, f"the address is malformed ({exc})", "check the link") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchError(url, "only http and https links can be fetched", "give an http(s) address")
        address = self._resolve(url, parts.hostname, port)
        self._wait_turn(parts.hostname)
        remaining = deadline - self._clock()
        if remaining <= 0:
            raise FetchError(url, f"no answer within {self.policy.timeout:g}s", "try again later")
        conn = _PinnedConnection(parts.scheme, parts.hostname, port, address, remaining)
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        try:
            conn.request("GET", path, headers={"Host": parts.netloc, "User-Agent": self.policy.user_agent,
                                               "Accept": accept, "Accept-Encoding": "identity",
                                               **(conditions or {})})
            resp = conn.getresponse()
            headers = {k.lower(): v for k, v in resp.getheaders()}
            length = headers.get("content-length", "")
            if length.isdigit() and int(length) > self.policy.max_bytes:
                raise FetchError(url, f"the page is {int(length):,} bytes, over the {self.policy.max_bytes:,} "
                                 "byte limit", "raise NEWSBOT_MAX_PAGE_BYTES if this page is wanted")
            chunks, size = [], 0
            while True:
                if self._clock() > deadline:
                    raise FetchError(url, f"the page did not arrive within {self.policy.timeout:g}s",
                                     "try again later")
                chunk = resp.read(65536)
                if not chunk:
                    break
                size += len(chunk)
                if size > self.policy.max_bytes:
                    raise FetchError(url, f"the page is over the {self.policy.max_bytes:,} byte limit",
                                     "raise NEWSBOT_MAX_PAGE_BYTES if this page is wanted")
                chunks.append(chunk)
            return resp.status, headers, b"".join(chunks)
        except FetchError:
            raise
        except (TimeoutError, socket.timeout):
            raise FetchError(url, f"no answer within {self.policy.timeout:g}s", "try again later") from None
        except (OSError, http.client.HTTPException, ssl.SSLError) as exc:
            raise FetchError(url, f"the request failed ({exc.__class__.__name__}: {exc})",
                             "check the address, or try again later") from None
        finally:
            conn.close()


class _PinnedConnection:
    """An HTTP(S) connection to a checked address, with the URL's host name for Host and TLS."""

    def __init__(self, scheme: str, host: str, port: int, address: str, timeout: float) -> None:
        if scheme == "https":
            self._conn: http.client.HTTPConnection = http.client.HTTPSConnection(host, port, timeout=timeout,
                                                                                  context=ssl.create_default_context())
        else:
            self._conn = http.client.HTTPConnection(host, port, timeout=timeout)
        self._conn._create_connection = (  # type: ignore[attr-defined]
            lambda _addr, timeout=timeout, source_address=None: socket.create_connection(
                (address, port), timeout, source_address))

    def request(self, method: str, path: str, headers: dict[str, str]) -> None:
        self._conn.request(method, path, headers=headers)

    def getresponse(self) -> http.client.HTTPResponse:
        return self._conn.getresponse()

    def close(self) -> None:
        self._conn.close()
