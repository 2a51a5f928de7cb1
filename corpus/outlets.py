"""Outlet names: one spelling per publisher, and where a name comes from when a record has none.

Why: crawled data spells one outlet several ways ("THE WEEK", "The Week",
"USAtoday"); filters and "also published by" lists need one name each.

Where an outlet name comes from, in order (`choose_outlet`):

1. the publisher's own metadata: a record's `outlet`, a page's `og:site_name` or
   JSON-LD `publisher.name` (see `corpus.readers.html`), a seed header's outlet;
2. the feed's own title, for an article found through a feed;
3. the registrable domain of the article's address, by the Public Suffix List
   (`news.example.co.uk` → `example.co.uk`; a known publisher's domain gives its
   name: `edition.cnn.com` → `CNN`). The list is the snapshot bundled with
   `tldextract`, read without any network fetch or cache directory, so the
   same address gives the same outlet on every machine and offline. PSL private
   suffixes count (`someone.blogspot.com` stays a publisher of its own);
4. the bare host (`127.0.0.1`, `localhost`), when the address has no registrable domain.
"""

from __future__ import annotations

import functools
import re
from urllib.parse import urlsplit

from corpus.text import clean_line

UNKNOWN_OUTLET = "unknown outlet"

_KNOWN = {
    "cnn": "CNN",
    "usatoday": "USA Today",
    "theweek": "The Week",
    "week": "The Week",
    "nytimes": "The New York Times",
    "newyorktimes": "The New York Times",
    "washingtonpost": "The Washington Post",
    "bbc": "BBC",
    "reuters": "Reuters",
    "apnews": "AP",
    "ap": "AP",
    "associatedpress": "AP",
    "theguardian": "The Guardian",
    "guardian": "The Guardian",
    "npr": "NPR",
    "foxnews": "Fox News",
    "nbcnews": "NBC News",
    "cbsnews": "CBS News",
    "abcnews": "ABC News",
    "aljazeera": "Al Jazeera",
    "bloomberg": "Bloomberg",
    "politico": "Politico",
    # news agencies, which bylines credit ("By Ana Kowalski, Agence France-Presse")
    "afp": "AFP",
    "agencefrancepresse": "AFP",
    "upi": "UPI",
    "unitedpressinternational": "UPI",
    "canadianpress": "The Canadian Press",
    "pressassociation": "PA Media",
    "pamedia": "PA Media",
    "australianassociatedpress": "AAP",
    "aap": "AAP",
    "dpa": "dpa",
    "efe": "EFE",
    "ansa": "ANSA",
    "kyodonews": "Kyodo News",
    "xinhua": "Xinhua",
    "yonhap": "Yonhap",
}


def _key(name: str) -> str:
    key = re.sub(r"[^a-z0-9]", "", clean_line(name).casefold())
    return key[3:] if key.startswith("the") and key[3:] in _KNOWN else key


def normalise_outlet(name: str) -> str:
    """The canonical spelling of a known outlet, else the name as given (cleaned and trimmed)."""
    return _KNOWN.get(_key(name), clean_line(name))


def known_outlet(name: str) -> str | None:
    """The canonical name when `name` is a known publisher or news agency ("Associated Press" → "AP"), else None."""
    return _KNOWN.get(_key(name))


@functools.cache
def _extractor():  # noqa: ANN202 - tldextract's type, imported lazily
    """The Public Suffix List from tldextract's bundled snapshot: no URL to fetch, no cache directory."""
    import tldextract  # imported here: it loads requests, which most commands never need

    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True,
                                 include_psl_private_domains=True)


def registrable_domain(host: str) -> str | None:
    """The host's registrable domain by the Public Suffix List (`news.example.co.uk` → `example.co.uk`), else None.

    None for addresses without one: IP addresses, `localhost`, hosts under no known suffix.
    """
    host = host.strip().rstrip(".").lower()
    if not host:
        return None
    parts = _extractor()(host)
    if not parts.suffix or not parts.domain:
        return None
    return f"{parts.domain}.{parts.suffix}"


def outlet_from_url(url: str) -> str:
    """Best outlet name for an address: a known publisher's name, else its registrable domain, else its host.

    `https://edition.cnn.com/…` → `CNN`; `https://news.example.co.uk/…` → `example.co.uk`;
    `http://127.0.0.1:8000/…` → `127.0.0.1`.
    """
    host = (urlsplit(url.strip()).hostname or "").lower().rstrip(".")
    if not host:
        return UNKNOWN_OUTLET
    domain = registrable_domain(host)
    if domain is None:
        return host
    label = domain.split(".", 1)[0]
    return _KNOWN.get(_key(label)) or domain


def choose_outlet(*named: str | None, url: str | None = None) -> str:
    """The first non-empty name of `named` (in order of trust), normalised; else the address's outlet.

    Readers pass the publisher's own metadata first and a feed's title after it.
    """
    for name in named:
        if isinstance(name, str) and clean_line(name):
            return normalise_outlet(name)
    return outlet_from_url(url) if url else UNKNOWN_OUTLET


@functools.lru_cache(maxsize=8192)
def outlet_key(name: str) -> str:
    """Case- and punctuation-insensitive key, for filtering by outlet.

    Cached: a refresh's plan keys every article's outlet (1.6 s for 87,000 articles at a million passages),
    and a corpus has few distinct outlet spellings.
    """
    return _key(normalise_outlet(name))
