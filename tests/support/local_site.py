"""A local web site on 127.0.0.1 serving article pages and feeds, for tests that fetch pages (no internet needed).

Feeds (`LocalSite.feed`) answer as polite servers do: each response carries an `ETag` and a
`Last-Modified`, and a request that sends them back (`If-None-Match`, `If-Modified-Since`)
while the feed is unchanged gets `304 Not Modified` with no body. `requests` records every
request's path, conditional headers and status, so a test can check what the server saw.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape


@dataclass(frozen=True)
class Seen:
    """One request as the server saw it."""

    path: str
    if_none_match: str | None
    if_modified_since: str | None
    status: int


def rss(title: str, items: list[tuple[str, str, str]], link: str = "http://example.invalid/") -> str:
    """An RSS 2.0 document: `items` are (title, link, pubDate as RFC 822) tuples, in feed order."""
    entries = "".join(f"<item><title>{escape(t)}</title><link>{escape(u)}</link><pubDate>{d}</pubDate></item>"
                      for t, u, d in items)
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{escape(title)}</title>'
            f"<link>{escape(link)}</link><description>news</description>{entries}</channel></rss>")


def article_page(title: str, paragraphs: list[str], author: str = "Jane Roe", day: str = "2024-03-04",
                 site: str = "Example News", canonical: str | None = None) -> str:
    """A news page the way sites mark them up: navigation, metadata, the article, a footer."""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    link = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    return (f"<html><head><title>{title} | {site}</title>{link}<meta property='og:site_name' content='{site}'>"
            f"<meta name='author' content='{author}'><meta property='article:published_time' content='{day}T09:00:00Z'>"
            f"</head><body><nav>Home | World | Sport</nav><article><h1>{title}</h1>{body}</article>"
            f"<footer>Copyright {site}</footer></body></html>")


class LocalSite:
    """Pages by path; `hits` lists the paths requested, `requests` what each request sent and got."""

    def __init__(self) -> None:
        self.pages: dict[str, bytes] = {}
        self.types: dict[str, str] = {}
        self.failing: dict[str, int] = {}
        self.versions: dict[str, int] = {}
        self.hits: list[str] = []
        self.requests: list[Seen] = []
        self.base = ""

    def add(self, path: str, html: str, content_type: str = "text/html; charset=utf-8") -> str:
        """Serve `html` at `path`; returns the page's full URL."""
        self.pages[path] = html.encode()
        self.types[path] = content_type
        self.versions[path] = self.versions.get(path, 0) + 1
        return self.base + path

    def feed(self, path: str, title: str, items: list[tuple[str, str, str]]) -> str:
        """Serve an RSS feed at `path` (replacing what was there: a new ETag and Last-Modified); returns its URL."""
        return self.add(path, rss(title, items, self.base + "/"), "application/rss+xml; charset=utf-8")

    def fail(self, path: str, status: int | None) -> None:
        """Answer `path` with this HTTP error status from now on (None: serve it normally again)."""
        if status is None:
            self.failing.pop(path, None)
        else:
            self.failing[path] = status

    def validators(self, path: str) -> tuple[str, str]:
        """The ETag and Last-Modified the page is served with now (they change with each `add`)."""
        digest = hashlib.sha256(self.pages[path]).hexdigest()[:16]
        version = self.versions.get(path, 1)
        return f'"{digest}"', formatdate(1_700_000_000 + 60 * version, usegmt=True)

    def seen(self, path: str) -> list[Seen]:
        """The requests for `path`, in order."""
        return [r for r in self.requests if r.path == path]


@contextlib.contextmanager
def local_site() -> Iterator[LocalSite]:
    """Run a site on a free port of 127.0.0.1 until the block ends."""
    site = LocalSite()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            site.hits.append(self.path)
            body = site.pages.get(self.path)
            sent_etag, sent_since = self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since")
            status = 200 if body is not None else 404
            status = site.failing.get(self.path, status)
            headers: dict[str, str] = {}
            if status == 200:
                etag, modified = site.validators(self.path)
                headers = {"ETag": etag, "Last-Modified": modified}
                if (sent_etag and sent_etag == etag) or (not sent_etag and sent_since and sent_since == modified):
                    status = 304
            site.requests.append(Seen(self.path, sent_etag, sent_since, status))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            if status == 304:
                self.end_headers()
                return
            self.send_header("Content-Type", site.types.get(self.path, "text/html; charset=utf-8") if status == 200
                             else "text/html; charset=utf-8")
            payload = body if status == 200 and body is not None else b"not found" if status == 404 else b"error"
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    site.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
