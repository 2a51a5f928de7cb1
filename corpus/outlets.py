"""Outlet names: one spelling per publisher, derived from a URL when missing.

Why: crawled data spells one outlet several ways ("THE WEEK", "The Week",
"USAtoday"); filters and "also published by" lists need one name each.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

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
}


def _key(name: str) -> str:
    key = re.sub(r"[^a-z0-9]", "", name.lower())
    return key[3:] if key.startswith("the") and key[3:] in _KNOWN else key


def normalise_outlet(name: str) -> str:
    """The canonical spelling of a known outlet, else the name as given (trimmed)."""
    return _KNOWN.get(_key(name), " ".join(name.split()))


def outlet_from_url(url: str) -> str:
    """Best outlet name for a URL's host: `edition.cnn.com` → `CNN`."""
    host = (urlsplit(url).hostname or "").lower()
    labels = [l for l in host.split(".") if l not in ("www", "edition", "amp", "m", "eu", "us", "uk")]
    if not labels:
        return host or "unknown outlet"
    # the registrable name is the label before the public suffix (co.uk, com, …)
    core = labels[-3] if len(labels) >= 3 and labels[-2] in ("co", "com", "org", "net") else labels[-2] if len(labels) >= 2 else labels[0]
    return _KNOWN.get(_key(core), host.removeprefix("www."))


def outlet_key(name: str) -> str:
    """Case- and punctuation-insensitive key, for filtering by outlet."""
    return _key(normalise_outlet(name))
