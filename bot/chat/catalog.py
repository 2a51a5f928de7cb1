"""The article catalogue of the index version in service, loaded once per version.

Why cached: autocomplete must answer within Discord's 3 seconds and `/sources`
pages through the same list; both read it from memory, and it is reloaded
only when a refresh swaps in a new version.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from bot.chat.render.listing import outlet_counts
from corpus.article import Article
from index.search.service import SearchService


@dataclass(frozen=True)
class Catalog:
    """Articles newest first, outlets with counts, and figures of one index version."""

    version: str
    articles: tuple[Article, ...]
    outlets: tuple[tuple[str, int], ...]
    passages: int
    built_at: str
    model: str


def load_catalog(service: SearchService) -> Catalog:
    """Read the catalogue of a service's version (blocking: call it in a thread)."""
    articles = tuple(service.articles())
    _, passages = service.meta.counts()
    return Catalog(service.version, articles, outlet_counts(articles), passages, service.manifest.created_at,
                   str(service.manifest.model.get("name", service.encoder.info.name)))


class CatalogCache:
    """The catalogue of the version a service serves, reloaded when a refresh swapped in another."""

    def __init__(self) -> None:
        self._catalog: Catalog | None = None
        self._lock = asyncio.Lock()

    async def get(self, service: SearchService) -> Catalog:
        """The cached catalogue, reloaded in a thread when the version changed."""
        current = self._catalog
        if current is not None and current.version == service.version:
            return current
        async with self._lock:
            if self._catalog is None or self._catalog.version != service.version:
                self._catalog = await asyncio.to_thread(load_catalog, service)
            return self._catalog
