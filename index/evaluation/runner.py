"""Run a benchmark through the search service the bot uses.

The benchmark corpus is built into an index once per (corpus, chunking,
lexical settings, model) fingerprint under the eval cache and reused while
they are unchanged; query-time settings (fusion, thresholds) never rebuild.
Vectors come from the persistent `EmbeddingCache`, so each distinct embedded text
is embedded once across all settings ever tried.

Two calls per question, both through `SearchService.search`, as of the day the
question was asked (its `date`), as the bot asks as of today:
- the bot's default call (k and per-article cap from the settings, with
  highlights): its latency, confidence, highlight and shown documents;
- a ranking call (one passage per article, no highlight) that yields the
  first k distinct documents for hit@k and mrr@k, and the latency of
  retrieval alone (question embedding + ranking, no highlighting).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from corpus.chunking import ChunkConfig
from corpus.readers.loader import load_corpus
from index.refresh.build import BuildStats, Progress, build_version
from index.refresh.steps import chunk_and_hash
from index.encoder import Encoder
from index.evaluation.benchmark import Benchmark, BenchmarkError, Question
from index.evaluation.metrics import QuestionOutcome
from index.evaluation.embedding_cache import EmbeddingCache
from index.store.layout import CURRENT, version_path
from index.store.dense import DenseConfig
from index.store.lexical import LexicalConfig, LexicalWriter
from index.store.manifest import corpus_fingerprint
from index.store.metadata import MetadataStore
from index.search.service import Filters, SearchService
from index.search.timeframe import TimeWindow, parse_time_window
from index.store.sentences import SentenceStore, embed_sentences

log = logging.getLogger(__name__)

FORMAT = 1
QuestionProgress = Callable[[int, int], None]


@dataclass(frozen=True)
class EvalRun:
    """The index a benchmark run uses and whether it had to be built."""

    index_dir: Path
    fingerprint: str
    built: BuildStats | None
    articles: int
    aliases: dict[str, str] = field(default_factory=dict)


def index_fingerprint(corpus_fp: str, chunking: ChunkConfig, lexical: LexicalConfig, model_fp: str,
                      dense: DenseConfig = DenseConfig()) -> str:
    """Key of a benchmark index: anything that changes the index's files changes it."""
    blob = json.dumps({"format": FORMAT, "corpus": corpus_fp, "chunking": chunking.describe(),
                       "lexical": lexical.describe(), "model": model_fp, "dense": dense.describe()}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def prepare_index(benchmark: Benchmark, encoder: Encoder, cache_dir: Path, chunking: ChunkConfig = ChunkConfig(),
                  lexical: LexicalConfig = LexicalConfig(), progress: Progress | None = None,
                  dense: DenseConfig = DenseConfig()) -> EvalRun:
    """The benchmark's index for these settings: reused when cached, else built from stored vectors.

    Raises:
        BenchmarkError: the articles file holds no usable article.
    """
    report = load_corpus(benchmark.articles_file)
    if not report.articles:
        raise BenchmarkError(f"{benchmark.articles_file} holds no readable article — "
                             f"{len(report.problems)} problem(s), first: "
                             f"{report.problems[0].message if report.problems else 'the file is empty'}")
    fingerprint = index_fingerprint(corpus_fingerprint(a.fingerprint for a in report.articles), chunking, lexical,
                                    encoder.info.fingerprint, dense)
    index_dir = Path(cache_dir) / "indexes" / fingerprint
    # a gold document dropped as a copy of another (same text) is found as the copy that was kept
    aliases = {dup.id: kept.id for dup, kept in report.duplicates if dup.id != kept.id}
    if (index_dir / CURRENT).exists():
        log.info("reusing the benchmark index %s", index_dir)
        ensure_sentences(index_dir, cache_dir, encoder, progress)
        return EvalRun(index_dir, fingerprint, None, len(report.articles), aliases)
    cache = EmbeddingCache(cache_dir, encoder.info.fingerprint)
    texts = chunk_and_hash(report.articles, encoder, chunking).texts
    if hasattr(encoder, "load"):
        encoder.load()
    cache.embed_missing(texts, encoder, progress=(lambda d, t: progress("embedding", d, t)) if progress else None)
    stats = build_version(report.articles, encoder, index_dir, chunking, cache=cache.as_cache(), progress=progress,
                          reuse_current=False, extra_writers={"lexical": LexicalWriter(lexical)}, dense=dense)
    ensure_sentences(index_dir, cache_dir, encoder, progress)
    return EvalRun(index_dir, fingerprint, stats, len(report.articles), aliases)


def ensure_sentences(index_dir: Path, cache_dir: Path, encoder: Encoder, progress: Progress | None = None) -> dict:
    """Embed the sentences of a benchmark index that the cache's sentence store lacks (as a build does for the bot).

    Without them the measured latency would include embedding every shown passage's sentences, which
    the bot does not do. One store serves every benchmark index of the cache (`CACHE/sentences/`): a
    sentence's vector depends only on the model and its text, and other chunkings cut the same sentences.
    """
    meta = MetadataStore(version_path(index_dir))
    try:
        pairs = [(a, p) for a in meta.list_articles() for _, p in meta.passages_of(a.id)]
    finally:
        meta.close()
    if hasattr(encoder, "load"):
        encoder.load()
    return embed_sentences(SentenceStore(cache_dir, encoder.info.fingerprint), encoder, pairs, progress)


WINDOW_MODES = ("off", "filter", "strip")


def question_scope(question: Question, windows: str) -> tuple[str, Filters, TimeWindow | None]:
    """(text searched, filters, window) of a benchmark question under a window mode.

    `off`: the question as it is, unrestricted; `filter`: its time phrase, read as of the day it is asked
    (`Question.asked`, else today) as the bot reads it as of today, restricts the dates; `strip`: that, and
    the phrase is taken out of the text searched.
    """
    if windows == "off":
        return question.question, Filters(), None
    window = parse_time_window(question.question, question.asked or date.today())
    if window is None:
        return question.question, Filters(), None
    text = window.text_without(question.question) if windows == "strip" else question.question
    return text, Filters(since=window.since, until=window.until), window


def run_benchmark(service: SearchService, benchmark: Benchmark, k: int = 10, results: int = 3,
                  per_article: int = 2, highlight: bool = True, progress: QuestionProgress | None = None,
                  aliases: dict[str, str] | None = None, windows: str = "off") -> list[QuestionOutcome]:
    """Ask every question; returns one outcome per question, in benchmark order.

    `aliases` maps the id of an article dropped as a duplicate to the id of the copy kept. `windows` is how
    the question's time words are used (`question_scope`: off, filter or strip).

    Raises:
        ValueError: an unknown `windows` mode.
    """
    if windows not in WINDOW_MODES:
        raise ValueError(f"windows must be one of {', '.join(WINDOW_MODES)}, got {windows!r}")
    aliases = aliases or {}
    if benchmark.questions:
        service.search("warm-up: what happened this week?", k=results, per_article=per_article)  # load lazily-loaded parts
    outcomes = []
    total = len(benchmark.questions)
    for done, q in enumerate(benchmark.questions, start=1):
        text, filters, window = question_scope(q, windows)
        started = time.perf_counter()
        service.embed_query(text)  # timed apart, so both calls below can be charged for it
        embedded = time.perf_counter()
        shown = service.search(text, k=results, per_article=per_article, highlight=highlight, as_of=q.asked,
                               filters=filters)
        answered = time.perf_counter()
        ranked = service.search(text, k=k, per_article=1, highlight=False, as_of=q.asked, filters=filters)
        ranked_at = time.perf_counter()
        outcomes.append(QuestionOutcome(
            id=q.id, ranking=tuple(h.article.id for h in ranked.hits),
            gold=frozenset(aliases.get(g, g) for g in q.gold),
            article_gold=frozenset(aliases.get(g, g) for g in q.article_gold), shown=tuple(dict.fromkeys(h.article.id for h in shown.hits)),
            confident=shown.confident, highlight=shown.hits[0].highlight.text if shown.hits and
            shown.hits[0].highlight else None, answer=q.answer, latency_ms=(answered - started) * 1000,
            retrieval_ms=((embedded - started) + (ranked_at - answered)) * 1000,
            confidence=float(shown.extra.get("confidence", 0.0)),
            top_score=float(shown.extra.get("top_score", 0.0)),
            window=(window.since.isoformat() if window.since else None,
                    window.until.isoformat() if window.until else None) if window else None))
        if progress:
            progress(done, total)
    return outcomes


def missing_gold(benchmark: Benchmark, article_ids: Sequence[str], aliases: dict[str, str] | None = None) -> list[str]:
    """Gold ids that are not in the index even through aliases (a broken benchmark scores them as misses)."""
    known, aliases = set(article_ids), aliases or {}
    return sorted({g for q in benchmark.questions for g in q.gold if aliases.get(g, g) not in known})
