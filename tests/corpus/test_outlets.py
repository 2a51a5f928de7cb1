"""Outlet names: the publisher's own metadata first, then the feed's title, then the registrable domain (PSL), then the host."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from corpus.outlets import choose_outlet, known_outlet, normalise_outlet, outlet_from_url, outlet_key, registrable_domain
from corpus.readers.html import article_from_html
from corpus.readers.jsonl import record_to_article
from tests.conftest import ROOT


@pytest.mark.parametrize(("url", "outlet"), [
    ("https://edition.cnn.com/2023/05/03/europe/x/index.html", "CNN"),
    ("https://www.theweek.co.uk/quiz-of-the-week/1", "The Week"),
    ("https://news.bbc.co.uk/2/hi/1.stm", "BBC"),
    ("https://apnews.com/article/x", "AP"),
    ("https://news.example.co.uk/a", "example.co.uk"),  # the registrable domain, not the host
    ("https://www.example.com.au/a", "example.com.au"),
    ("https://a.b.example.gov.uk/a", "example.gov.uk"),
    ("https://city.kawasaki.jp/a", "city.kawasaki.jp"),  # a PSL exception rule (!city.kawasaki.jp)
    ("https://someone.blogspot.com/2024/01/post.html", "someone.blogspot.com"),  # a PSL private suffix
    ("https://WWW.Example.ORG./a", "example.org"),
    ("http://127.0.0.1:8000/a", "127.0.0.1"),  # no registrable domain: the bare host is the last resort
    ("http://localhost/a", "localhost"),
    ("https://intranet.example/a", "intranet.example"),
    ("not a url", "unknown outlet"),
])
def test_outlet_from_url(url: str, outlet: str) -> None:
    assert outlet_from_url(url) == outlet


def test_registrable_domain() -> None:
    assert registrable_domain("news.example.co.uk") == "example.co.uk"
    assert registrable_domain("192.168.0.1") is None and registrable_domain("") is None


def test_known_names_and_keys() -> None:
    assert normalise_outlet("THE WEEK") == normalise_outlet("The\u00a0Week") == "The Week"
    assert normalise_outlet("  Example\u00adNews ") == "ExampleNews" and normalise_outlet("Example  News") == "Example News"
    assert known_outlet("Agence France-Presse") == "AFP" and known_outlet("Ana Kowalski") is None
    assert outlet_key("USA Today") == outlet_key("USAtoday")


def test_choose_outlet_order() -> None:
    assert choose_outlet("Example News", "Publisher Inc", "Feed Title", url="https://cnn.com/a") == "Example News"
    assert choose_outlet(None, " ", "Feed Title", url="https://cnn.com/a") == "Feed Title"
    assert choose_outlet(None, url="https://news.example.co.uk/a") == "example.co.uk"
    assert choose_outlet(None) == "unknown outlet"


PARAGRAPHS = ("<p>A long first paragraph of the story, with enough words in it to count as the body of the article "
              "for the extractor.</p><p>A second paragraph of the story follows here.</p>")


def test_pages_name_their_outlet_from_their_own_metadata_first() -> None:
    def outlet(head: str, **kw: object) -> str:
        html = f"<html><head><title>T | Title Site</title>{head}</head><body><article><h1>T</h1>{PARAGRAPHS}</article></body></html>"
        return article_from_html(html, "x.html", url="https://news.example.co.uk/a", **kw).outlet

    ld = json.dumps({"@type": "NewsArticle", "publisher": {"@type": "NewsMediaOrganization", "name": "The Example"}})
    script = f'<script type="application/ld+json">{ld}</script>'
    assert outlet(f"<meta property='og:site_name' content='Example News'>{script}") == "Example News"
    assert outlet(script, fallback={"outlet": "Example feed"}) == "The Example"
    assert outlet("", fallback={"outlet": "Example feed"}) == "Example feed"
    assert outlet("") == "example.co.uk"  # not "Title Site": the <title> is not guessed at


def test_records_without_outlet_use_the_address() -> None:
    assert record_to_article({"text": "x", "url": "https://news.example.co.uk/a"}, "a.jsonl", 1).outlet == "example.co.uk"
    assert record_to_article({"text": "x"}, "a.jsonl", 1).outlet == "unknown outlet"


def test_the_suffix_list_is_the_bundled_snapshot_never_a_download(tmp_path) -> None:  # noqa: ANN001
    """With every connection refused and an empty cache folder, outlets still resolve, and nothing is written."""
    code = ("import socket\n"
            "def refuse(*a, **k):\n    raise AssertionError('network used')\n"
            "socket.socket.connect = refuse\nsocket.create_connection = refuse\nsocket.getaddrinfo = refuse\n"
            "from corpus.outlets import outlet_from_url\n"
            "assert outlet_from_url('https://news.example.co.uk/a') == 'example.co.uk'\n")
    env = {"HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin",
           "TLDEXTRACT_CACHE": str(tmp_path / "tld")}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert not list(tmp_path.rglob("*"))
