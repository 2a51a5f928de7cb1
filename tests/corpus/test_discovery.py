"""Finding a feed: the link itself, or the feed an HTML page announces with <link rel="alternate">."""

from __future__ import annotations

import pytest

from corpus.sources.discovery import feed_links, find_feed
from corpus.sources.feeds import NotAFeed
from corpus.sources.fetch import FetchError, Fetcher, FetchPolicy
from tests.support.local_site import article_page, local_site

LOCAL = FetchPolicy(allow_private=True, host_delay=0.0)
ITEMS = [("Older story", "http://example.invalid/a", "Sat, 28 Nov 2026 09:00:00 GMT"),
         ("Newest story", "http://example.invalid/b", "Mon, 30 Nov 2026 09:00:00 GMT"),
         ("Middle story", "http://example.invalid/c", "Sun, 29 Nov 2026 09:00:00 GMT")]


def test_feed_links_resolve_relative_hrefs_and_ignore_other_links() -> None:
    html = ('<html><head><link rel="stylesheet" href="/s.css">'
            '<link rel="alternate" type="application/rss+xml" title="All news" href="feed.xml">'
            '<link rel="Alternate" type="application/atom+xml; charset=utf-8" href="//cdn.example.org/atom">'
            '<link rel="alternate" type="text/html" hreflang="fr" href="/fr/">'
            '<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">'
            '<link rel="alternate" type="application/rss+xml" href="feed.xml"></head></html>')
    links = feed_links(html, "https://news.example.org/world/index.html")
    assert [(f.url, f.type, f.title) for f in links] == [
        ("https://news.example.org/world/feed.xml", "application/rss+xml", "All news"),
        ("https://cdn.example.org/atom", "application/atom+xml", "")]
    based = feed_links('<base href="https://other.example.org/x/"><link rel="alternate" '
                       'type="application/rss+xml" href="rss">', "https://news.example.org/")
    assert [f.url for f in based] == ["https://other.example.org/x/rss"]


def test_find_feed_on_a_feed_on_a_page_and_the_errors() -> None:
    fetcher = Fetcher(LOCAL)
    with local_site() as site:
        feed_url = site.feed("/news/feed.xml", "Harbour Post", ITEMS)
        direct = find_feed(fetcher, feed_url)
        assert (direct.url, direct.title, direct.entries, direct.found_on_page) == (feed_url, "Harbour Post", 3, False)
        assert [e.title for e in direct.newest] == ["Newest story", "Middle story", "Older story"]

        page = site.add("/news/index.html", '<html><head><link rel="alternate" type="application/rss+xml" '
                                            'href="feed.xml"></head><body>News</body></html>')
        found = find_feed(fetcher, page)
        assert found.url == feed_url and found.asked == page and found.found_on_page

        plain = site.add("/plain.html", article_page("A story", ["Some text of a story."]))
        with pytest.raises(NotAFeed, match="a web page that links no RSS or Atom feed") as error:
            find_feed(fetcher, plain)
        assert "/feed, /rss or /atom.xml" in error.value.fix
        site.add("/data.json", '{"a": 1}', "application/json")
        with pytest.raises(NotAFeed, match="not an RSS or Atom feed"):
            find_feed(fetcher, site.base + "/data.json")
        site.add("/broken.html", '<link rel="alternate" type="application/rss+xml" href="/data.json">'
                                 '<link rel="alternate" type="application/atom+xml" href="/gone.xml">')
        with pytest.raises(NotAFeed, match="links .*data.json as its feed"):
            find_feed(fetcher, site.base + "/broken.html")
        with pytest.raises(FetchError, match="HTTP 404"):
            find_feed(fetcher, site.base + "/missing.xml")
    with pytest.raises(FetchError, match="private or local address"):
        find_feed(Fetcher(FetchPolicy(host_delay=0.0)), "http://127.0.0.1:9/feed.xml")
