"""The search service: one loaded index version answering questions.

The CLI, the bot and the benchmarks all go through `SearchService.search`, so
what is measured is what users get. It holds the model and the index loaded
once; every call is read-only and thread-safe.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import numpy as np

from corpus.article import Article
from corpus.chunking import Passage
from corpus.outlets import outlet_key
from index.encoder import Encoder
from index.search.ranking import RetrievalConfig, is_confident
from index.search.highlight import Highlighter
from index.search.hybrid import HybridRetriever, rank_candidates
from index.store.layout import version_path
from index.store.lexical import PARAMS_FILE as LEXICAL_PARAMS
from index.store.lexical import LexicalIndex
from index.store.manifest import PATCH_RECORD, Manifest
from index.store.metadata import MetadataStore
from index.search.results import Hit, SearchResult
from index.store.sentences import SentenceStore
from index.store.vectors import VectorIndex, limit_blas_threads

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


@dataclass(frozen=True)
class Part:
    """One index version taking part in a search, and the articles of it that may not answer there.

    Attributes:
        service: the version's search service.
        hidden: ids of articles hidden from this search (a server hides a base article for itself).
        only: when set, only these articles may answer (a follow searches what one refresh added or changed,
            `index.search.follows`); None: every article.
    """

    service: SearchService
    hidden: frozenset[str] = frozenset()
    only: frozenset[str] | None = None


class SearchService:
    """Answers questions from one index version."""

    def __init__(self, folder: Path, encoder: Encoder, verify: bool = False,
                 retrieval: RetrievalConfig = RetrievalConfig(), sentence_root: Path | None = None,
                 previous: SearchService | None = None) -> None:
        """`sentence_root`: where the sentence store is (default: the index directory holding `folder`).

        `previous`: the service this one replaces; when this version is a patch of that one (its manifest's
        `PATCH_RECORD`), each row's article and each article's day are carried over from it and only the
        patched rows are read (`_numbers_after_patch`), instead of reading every row again (about 1 s at a
        million passages, while the swap waits).
        """
        self.folder = folder
        self.version = folder.name
        self.encoder = encoder
        self.manifest = Manifest.load(folder)
        self.manifest.check_model(encoder.info)
        if verify:
            self.manifest.verify(folder)
        limit_blas_threads()
        # memory-mapped vectors, and the version's flat index (small) or its approximate one (large)
        self.vectors = VectorIndex.load(folder, self.manifest.passages, self.manifest.dim)
        self.meta = MetadataStore(folder)
        # versions built before the lexical index existed still answer, densely
        lexical = (LexicalIndex.load(folder, self.manifest.passages)
                   if (folder / LEXICAL_PARAMS).exists() else None)
        if lexical is None and retrieval.mode != "dense":
            log.warning("index version %s has no lexical index: answering with dense retrieval only — "
                        "run `newsbot build` for hybrid retrieval", self.version)
        carried = _numbers_after_patch(previous, self.manifest, self.meta) if previous is not None else None
        if carried is not None:
            article_of_row, article_ids, article_day = carried
        else:
            article_of_row, article_ids = self.meta.article_numbers()  # for grouping passages by article
            dates = self.meta.publication_dates()
            article_day = np.array([dates[a].toordinal() if dates.get(a) else np.nan for a in article_ids],
                                   dtype=np.float64)
        self.article_ids: list[str] = article_ids  # article number → id (sorted), what a patched successor reuses
        # "now" for the recency prior: today, or the newest article's day when the corpus is older
        self.newest_day = float(np.nanmax(article_day)) if np.isfinite(article_day).any() else None
        self.retriever = HybridRetriever(self.vectors, lexical, article_of_row, article_day)
        self.retrieval = self.retriever.effective(retrieval)
        # sentence vectors embedded at build time, beside the versions (INDEX/versions/<this> → INDEX)
        self.sentences = SentenceStore(sentence_root or folder.parent.parent, encoder.info.fingerprint)
        self.highlighter = Highlighter(encoder, retrieval.highlight_lexical, retrieval.highlight_headline,
                                       retrieval.highlight_sentences, store=self.sentences)
        self._filter_cache: dict[Filters, np.ndarray] = {}
        self._query_cache: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    @classmethod
    def open(cls, index_dir: Path, encoder: Encoder, version: str | None = None, verify: bool = False,
             retrieval: RetrievalConfig = RetrievalConfig(), sentence_root: Path | None = None,
             previous: SearchService | None = None) -> SearchService:
        """Load the current (or a named) version of the index in `index_dir` (`previous`: see `__init__`)."""
        return cls(version_path(index_dir, version), encoder, verify=verify, retrieval=retrieval,
                   sentence_root=sentence_root, previous=previous)

    def close(self) -> None:
        """Release the metadata database and the sentence store."""
        self.meta.close()
        self.sentences.close()

    def allowed_rows(self, filters: Filters = Filters(), hidden: frozenset[str] = frozenset(),
                     only: frozenset[str] | None = None) -> np.ndarray | None:
        """Rows that may answer under `filters`, less the passages of the `hidden` article ids, and only those of
        the `only` article ids when given (None: every row).

        Cached per (filters, hidden, only); an empty array means nothing may answer.
        """
        if only is not None:
            rows = np.array(sorted(row for article_id in only for row, _ in self.meta.passages_of(article_id)),
                            dtype=np.int64)
            wider = self.allowed_rows(filters, hidden)
            return rows if wider is None else np.intersect1d(rows, wider, assume_unique=True)
        if not filters.active and not hidden:
            return None
        key = (filters, hidden)
        with self._lock:
            cached = self._filter_cache.get(key)
        if cached is None:
            if filters.active:
                keys = {outlet_key(o) for o in filters.outlets} or None
                outlets = self.meta.outlets()
                cached = np.array(self.meta.rows_where(keys, filters.since, filters.until,
                                                       {o: outlet_key(o) for o in outlets}), dtype=np.int64)
            else:
                cached = np.arange(self.manifest.passages, dtype=np.int64)
            if hidden:
                gone = [row for article_id in hidden for row, _ in self.meta.passages_of(article_id)]
                cached = np.setdiff1d(cached, np.array(gone, dtype=np.int64), assume_unique=True)
            with self._lock:
                if len(self._filter_cache) > 64:
                    self._filter_cache.clear()
                self._filter_cache[key] = cached
        return cached

    def nearest_dates(self, filters: Filters = Filters(),
                      hidden: frozenset[str] = frozenset()) -> tuple[date | None, date | None]:
        """The publication days nearest to the filters' date window, among the articles its other filters admit.

        Returns:
            (the latest day before `filters.since`, the earliest after `filters.until`); None on an open side
            or where no article (of the filtered outlets, not hidden) lies there.
        """
        keys = {outlet_key(o) for o in filters.outlets}

        def admits(article_id: str, outlet: str) -> bool:
            return article_id not in hidden and (not keys or outlet_key(outlet) in keys)

        return self.meta.nearest_published(filters.since, filters.until, admits)

    def embed_query(self, question: str) -> np.ndarray:
        """The question's vector (the same model as the passages); repeated questions are not re-embedded."""
        with self._lock:
            cached = self._query_cache.get(question)
        if cached is not None:
            return cached
        vector = self.encoder.encode([question])[0]
        with self._lock:
            if len(self._query_cache) >= 512:
                self._query_cache.pop(next(iter(self._query_cache)))
            self._query_cache[question] = vector
        return vector

    def reference_day(self, as_of: date | None = None) -> float | None:
        """The day number questions are asked about: `as_of`, else today capped at the newest article's day."""
        if as_of is not None:
            return float(as_of.toordinal())
        if self.newest_day is None:
            return None
        return min(float(date.today().toordinal()), self.newest_day)

    def search(self, question: str, k: int = 5, per_article: int = 2, filters: Filters = Filters(),
               highlight: bool = True, as_of: date | None = None) -> SearchResult:
        """The top `k` passages for a question from this version alone, diverse across articles.

        The arguments and the result are `search_parts`'s (this is its one-version case).
        """
        return search_parts([Part(self)], question, k, per_article, filters, highlight, as_of)

    def hits(self, located: list[tuple[int, float]]) -> list[Hit]:
        """(row, ranking score) → hits with their passages and articles (ranks are set by the caller)."""
        passages = self.meta.passages_by_rows(r for r, _ in located)
        articles = self.meta.articles(p.article_id for p in passages.values())
        # the focus prior can push a weak match just below zero: shown as 0, the order is already set
        return [Hit(passage=passages[row], article=articles[passages[row].article_id], score=max(0.0, score),
                    rank=0) for row, score in located]

    def refocus(self, question: str, query: np.ndarray, hits: list[Hit], reference_day: float | None,
                config: RetrievalConfig, shown: set[str]) -> list[Hit]:
        """Each hit's passage swapped for the passage of its article whose best sentence answers best.

        The retriever finds the right article; its best-ranked passage often restates the
        question while another (often the lead) holds the answer. A swapped hit gets the
        ranking score of the passage now shown; the articles and their order stay.

        Args:
            shown: ids of every passage shown in the answer (updated here), so no passage is shown twice.
        """
        self.highlighter.prefetch([(h.passage, h.article) for h in hits])  # without a store: one model pass
        moved: dict[int, tuple[int, Passage]] = {}  # hit position → (row, passage now shown)
        for i, hit in enumerate(hits):
            rows = {p.id: (row, p) for row, p in self.meta.passages_of(hit.article.id)}
            others = [p for pid, (_, p) in rows.items() if pid not in shown]
            best = self.highlighter.best_passage(question, query, hit.article, hit.passage, others)
            if best.id != hit.passage.id:
                shown.discard(hit.passage.id)
                shown.add(best.id)
                moved[i] = rows[best.id]
        if not moved:
            return hits
        # one scoring pass (the BM25 scores of the question are computed once) for every moved hit
        scores = self.retriever.scores(question, query, config, [row for row, _ in moved.values()], reference_day)
        out = list(hits)
        for (i, (_, passage)), score in zip(moved.items(), scores):
            out[i] = replace(hits[i], passage=passage, score=max(0.0, float(score)))
        return out

    def passage(self, passage_id: str) -> tuple[Passage, Article] | None:
        """Look up a passage by id (or unique id prefix) with its article."""
        found = self.meta.passage(passage_id.strip().lower())
        if not found:
            return None
        _, passage = found
        article = self.meta.article(passage.article_id)
        return (passage, article) if article else None

    def articles(self, with_text: bool = True) -> list[Article]:
        """Every article in this version, newest first (`with_text=False`: bodies left empty)."""
        return self.meta.list_articles(with_text)


def _numbers_after_patch(previous: SearchService, manifest: Manifest,
                         meta: MetadataStore) -> tuple[np.ndarray, list[str], np.ndarray] | None:
    """(article number of each row, article ids, each article's day) of a version patched from `previous`,
    from `previous`'s and the patch's record (`PATCH_RECORD` in the manifest's `extra`: the base's name and
    rows, the articles dropped and added, the rows written); None when this version is not such a patch.

    Rows the patch did not write hold the same passage as in the base (`index.store.rowfiles.assign_rows`):
    their article is carried over, renumbered; the written rows' articles and the added articles' days are
    read from the metadata. Same arrays as reading every row (tested).
    """
    record = manifest.extra.get(PATCH_RECORD)
    old_of_row = previous.retriever.article_of_row
    if (not isinstance(record, dict) or record.get("base") != previous.version
            or record.get("rows_before") != len(old_of_row) or len(previous.article_ids) != len(previous.retriever.article_day)):
        return None
    drop, add = set(record["drop"]), set(record["add"])
    old_ids = previous.article_ids
    ids = sorted({a for a in old_ids if a not in drop} | add)
    position = {a: n for n, a in enumerate(ids)}
    remap = np.fromiter((position.get(a, -1) for a in old_ids), dtype=np.int64, count=len(old_ids))
    n = manifest.passages
    of_row = np.full(n, -1, dtype=np.int64)
    keep = min(n, len(old_of_row))
    of_row[:keep] = remap[old_of_row[:keep]]
    written = [int(r) for r in record["rows"]]
    found = meta.articles_of_rows(written)
    if len(found) != len(set(written)):
        return None
    for row, article in found.items():
        of_row[row] = position.get(article, -1)
    if len(of_row) and of_row.min() < 0:
        return None  # a row whose article the record does not account for: read everything instead
    day = np.full(len(ids), np.nan, dtype=np.float64)
    kept = remap >= 0
    day[remap[kept]] = previous.retriever.article_day[kept]
    for article, published in meta.publication_dates_of(add).items():
        day[position[article]] = published.toordinal() if published else np.nan
    return of_row, ids, day


def nearest_dates(parts: list[Part], filters: Filters) -> tuple[date | None, date | None]:
    """The publication days nearest to `filters`' date window over several versions (see `SearchService.nearest_dates`)."""
    found = [p.service.nearest_dates(filters, p.hidden) for p in parts]
    before = [b for b, _ in found if b is not None]
    after = [a for _, a in found if a is not None]
    return (max(before) if before else None, min(after) if after else None)


def search_parts(parts: list[Part], question: str, k: int = 5, per_article: int = 2, filters: Filters = Filters(),
                 highlight: bool = True, as_of: date | None = None,
                 retrieval: RetrievalConfig | None = None) -> SearchResult:
    """The top `k` passages for a question from one or several index versions, ranked together, diverse across articles.

    The one search path: `SearchService.search` is this with one part; a server's view adds its own
    collection beside the base corpus (`index.collections`). Scores are absolute, so the passages of
    several versions compete as if they were one index.

    Args:
        parts: the versions that may answer (the first one's model embeds the question), with hidden articles.
        question: free text.
        k: how many passages to return.
        per_article: most passages one article may contribute (0 = no cap); the
            first results come from different articles unless one clearly dominates.
        filters: outlet/date restrictions, applied before taking any top k.
        highlight: pick each passage's best sentence(s), and show each article's passage whose
            best sentence answers best (`RetrievalConfig.refocus`).
        as_of: the day the question is about, for the recency prior (default: today, or the
            newest article's day when the corpus is older); the benchmark passes each question's date.
        retrieval: query-time settings (default: the first part's; a server may set its own recency scale).

    Returns:
        The hits, with `confident` False when neither the calibrated confidence (best
        score and its lead over the next article, see `index.search.ranking.confidence`)
        nor the best score alone is high enough: the caller should say it found
        nothing reliable. `index_version` names every version that took part, joined by "+".

    Raises:
        ValueError: no part given.
    """
    if not parts:
        raise ValueError("a search needs at least one index version")
    first = parts[0].service
    config = first.retriever.effective(retrieval or first.retrieval)
    version = "+".join(p.service.version for p in parts)
    allowed = [p.service.allowed_rows(filters, p.hidden, p.only) for p in parts]
    live = [(p.service, rows) for p, rows in zip(parts, allowed) if rows is None or len(rows)]
    if not live:
        return SearchResult(question, [], version, confident=False)
    query = first.embed_query(question)
    days = [d for d in (service.reference_day(as_of) for service, _ in live) if d is not None]
    day = max(days) if days else None
    found = [service.retriever.candidates(question, query, config, rows, day) for service, rows in live]
    ranked = rank_candidates(found, config, k, per_article, day, sizes=[s.manifest.passages for s, _ in live])
    located = ranked.located()
    hits: list[Hit] = [None] * len(located)  # type: ignore[list-item]
    for index, (service, _) in enumerate(live):
        mine = [i for i, (part, _, _) in enumerate(located) if part == index]
        for i, hit in zip(mine, service.hits([(located[i][1], located[i][2]) for i in mine])):
            hits[i] = hit
    by_service = [(service, [i for i, (part, _, _) in enumerate(located) if part == index])
                  for index, (service, _) in enumerate(live)]
    if highlight and hits and config.refocus:
        shown = {h.passage.id for h in hits}
        for service, mine in by_service:
            if mine:
                for i, hit in zip(mine, service.refocus(question, query, [hits[i] for i in mine], day, config, shown)):
                    hits[i] = hit
    if highlight and hits:
        for service, mine in by_service:
            if mine:
                marks = service.highlighter.highlight(question, query, [(hits[i].passage, hits[i].article)
                                                                         for i in mine])
                for i, mark in zip(mine, marks):
                    hits[i] = replace(hits[i], highlight=mark)
    hits = [replace(h, rank=i + 1) for i, h in enumerate(hits)]
    confident = bool(hits) and is_confident(ranked.top_score, ranked.confidence, config)
    return SearchResult(question, hits, version, confident=confident,
                        extra={"top_score": round(ranked.top_score, 4), "confidence": round(ranked.confidence, 4),
                               "mode": config.mode})
