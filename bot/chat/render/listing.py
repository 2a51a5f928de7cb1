"""Pages of the article list for `/sources`: pure, so paging and counts are tested directly."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from corpus.article import Article
from corpus.outlets import outlet_key

PER_PAGE = 10


@dataclass(frozen=True)
class SourcesPage:
    """One page of the article list, newest first.

    Attributes:
        page: 1-based page shown (clamped into range).
        pages: how many pages the (filtered) list has, at least 1.
        matching: articles after the outlet filter; `total`: all articles.
        outlet: the outlet filter as the user wrote it ("" for none); `outlet_name`: as the corpus spells it.
        outlets: (outlet, articles) for every outlet, most articles first.
        clamped: True when the requested page was out of range.
    """

    articles: tuple[Article, ...]
    page: int
    pages: int
    matching: int
    total: int
    outlet: str
    outlet_name: str
    outlets: tuple[tuple[str, int], ...]
    clamped: bool = False

    @property
    def first_number(self) -> int:
        """List number of the first article on this page."""
        return (self.page - 1) * PER_PAGE + 1


def outlet_counts(articles: Sequence[Article]) -> tuple[tuple[str, int], ...]:
    """(outlet, articles) for every outlet, most articles first, then by name."""
    counts = Counter(a.outlet for a in articles)
    return tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0].casefold())))


def sources_page(articles: Sequence[Article], page: int = 1, outlet: str = "", per_page: int = PER_PAGE) -> SourcesPage:
    """The requested page of `articles` (already newest first), filtered by outlet when given."""
    outlet = outlet.strip()
    key = outlet_key(outlet) if outlet else ""
    matching = [a for a in articles if not key or outlet_key(a.outlet) == key]
    pages = max(1, math.ceil(len(matching) / per_page))
    clamped = not 1 <= page <= pages
    page = min(max(1, page), pages)
    chosen = matching[(page - 1) * per_page: page * per_page]
    name = matching[0].outlet if matching and key else outlet
    return SourcesPage(tuple(chosen), page, pages, len(matching), len(articles), outlet, name,
                       outlet_counts(articles), clamped)
