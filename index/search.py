"""The search service: one loaded index version answering questions.

The CLI, the bot and the benchmarks all go through `SearchService.search`, so
what is measured is what users get. It holds the model and the index loaded
once; every call is read-only and thread-safe.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from corpus.article import Article
from corpus.chunking import Passage
from corpus.outlets import outlet_key
from index.encoder import Encoder
from index.layout import version_path
from index.manifest import Manifest
from index.metadata import MetadataStore
from index.results import Hit, SearchResult
from index.vectors import VectorIndex

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Filters:
    """Restrictions on which articles may answer (applied before ranking)."""

    outlets: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None

    @property
    def active(self) -> bool:
        """True when any restriction is set."""
        return bool(self.outlets or self.since or self.until)


class SearchService:
    """Answers questions from one index version."""

    def __init__(self, folder: Path, encoder: Encoder, verify: bool = False) -> None:
        self.folder = folder
        self.version = folder.name
        self.encoder = encoder
        self.manifest = Manifest.load(folder)
        self.manifest.check_model(encoder.info)
        if verify:
            self.manifest.verify(folder)
        self.vectors = VectorIndex.load(folder, self.manifest.passages, self.manifest.dim)
        self.meta = MetadataStore(folder)
        self._filter_cache: dict[Filters, np.ndarray] = {}
        self._lock = threading.Lock()

    @classmethod
    def open(cls, index_dir: Path, encoder: Encoder, version: str | None = None, verify: bool = False) -> SearchService:
        """Load the current (or a named) version of the index in `index_dir`."""
        return cls(version_path(index_dir, version), encoder, verify=verify)

    def close(self) -> None:
        """Release the metadata database."""
        self.meta.close()

    def _allowed_rows(self, filters: Filters) -> np.ndarray | None:
        if not filters.active:
            return None
        with self._lock:
            cached = self._filter_cache.get(filters)
        if cached is None:
            keys = {outlet_key(o) for o in filters.outlets} or None
            outlets = {a.outlet for a in self.meta.list_articles()}
            rows = self.meta.rows_where(keys, filters.since, filters.until, {o: outlet_key(o) for o in outlets})
            cached = np.array(rows, dtype=np.int64)
            with self._lock:
                if len(self._filter_cache) > 64:
                    self._filter_cache.clear()
                self._filter_cache[filters] = cached
        return cached

    def embed_query(self, question: str) -> np.ndarray:
        """The question's vector (the same model as the passages)."""
        return self.encoder.encode([question])[0]

    def search(self, question: str, k: int = 5, per_article: int = 2, filters: Filters = Filters()) -> SearchResult:
        """The top `k` passages for a question, at most `per_article` from one article.

        Args:
            question: free text.
            k: how many passages to return.
            per_article: cap per article, so the first results show several sources.
            filters: outlet/date restrictions, applied before taking the top k.
        """
        allowed = self._allowed_rows(filters)
        if allowed is not None and len(allowed) == 0:
            return SearchResult(question, [], self.version)
        query = self.embed_query(question)
        fetch = max(k * (4 if per_article else 1), 20)
        scores, rows = self.vectors.search(query, fetch, allowed)
        ranked = self._diversify(list(zip(rows.tolist(), scores.tolist())), k, per_article)
        return SearchResult(question, self._hits(ranked), self.version)

    def _diversify(self, ranked: list[tuple[int, float]], k: int, per_article: int) -> list[tuple[int, float]]:
        if not per_article:
            return ranked[:k]
        passages = self.meta.passages_by_rows(r for r, _ in ranked)
        taken: dict[str, int] = {}
        out = []
        for row, score in ranked:
            article_id = passages[row].article_id
            if taken.get(article_id, 0) >= per_article:
                continue
            taken[article_id] = taken.get(article_id, 0) + 1
            out.append((row, score))
            if len(out) == k:
                break
        return out

    def _hits(self, ranked: list[tuple[int, float]]) -> list[Hit]:
        passages = self.meta.passages_by_rows(r for r, _ in ranked)
        articles = self.meta.articles(p.article_id for p in passages.values())
        return [Hit(passage=passages[row], article=articles[passages[row].article_id], score=score, rank=i + 1)
                for i, (row, score) in enumerate(ranked)]

    def passage(self, passage_id: str) -> tuple[Passage, Article] | None:
        """Look up a passage by id (or unique id prefix) with its article."""
        found = self.meta.passage(passage_id.strip().lower())
        if not found:
            return None
        _, passage = found
        article = self.meta.article(passage.article_id)
        return (passage, article) if article else None

    def articles(self) -> list[Article]:
        """Every article in this version, newest first."""
        return self.meta.list_articles()
