"""The article catalogue of what a place sees (the base corpus, a server's view), loaded once per version.

Why cached: autocomplete must answer within Discord's 3 seconds and `/sources`
pages through the same list; both read it from memory, and it is reloaded
only when a refresh swaps in a new version.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from bot.chat.render.listing import outlet_counts
from corpus.article import Article
from collections import OrderedDict

from index.collections import SearchView


@dataclass(frozen=True)
class Catalog:
    """Articles newest first, outlets with counts, and figures of one index version.

    The articles carry their attribution only (`Article.text` is empty): a catalogue of 100,000 articles would
    otherwise hold every body in memory (+150 MB at 122,000 passages); what shows a body reads it from the view.
    """

    version: str
    articles: tuple[Article, ...]
    outlets: tuple[tuple[str, int], ...]
    passages: int
    built_at: str
    model: str


def load_catalog(view: SearchView) -> Catalog:
    """Read the catalogue of a view (blocking: call it in a thread)."""
    articles = tuple(view.articles(with_text=False))  # attribution only: bodies stay on disk
    _, passages = view.meta.counts()
    return Catalog(view.key, articles, outlet_counts(articles), passages, view.manifest.created_at,
                   str(view.manifest.model.get("name", view.encoder.info.name)))


class CatalogCache:
    """The catalogue of each place's view, reloaded when a refresh swapped in another version or a server hid
    an article; at most `size` places are kept."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._catalogs: OrderedDict[object, Catalog] = OrderedDict()
        self._lock = asyncio.Lock()

    async def get(self, view: SearchView) -> Catalog:
        """The cached catalogue of this view's place, reloaded in a thread when what it shows changed."""
        place = view.scope
        current = self._catalogs.get(place)
        if current is not None and current.version == view.key:
            return current
        async with self._lock:
            current = self._catalogs.get(place)
            if current is None or current.version != view.key:
                current = self._catalogs[place] = await asyncio.to_thread(load_catalog, view)
            self._catalogs.move_to_end(place)
            while len(self._catalogs) > self.size:
                self._catalogs.popitem(last=False)
            return current
