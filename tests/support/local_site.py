"""A local web site on 127.0.0.1 serving article pages, for tests that fetch pages (no internet needed)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


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
    """Pages by path; `hits` lists the paths requested."""

    def __init__(self) -> None:
        self.pages: dict[str, bytes] = {}
        self.hits: list[str] = []
        self.base = ""

    def add(self, path: str, html: str) -> str:
        """Serve `html` at `path`; returns the page's full URL."""
        self.pages[path] = html.encode()
        return self.base + path


@contextlib.contextmanager
def local_site() -> Iterator[LocalSite]:
    """Run a site on a free port of 127.0.0.1 until the block ends."""
    site = LocalSite()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            site.hits.append(self.path)
            body = site.pages.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            payload = body if body is not None else b"not found"
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
