"""Write a complete index version from articles (a full build; `index.refresh.patch` writes patched ones).

Only text never embedded before is sent to the encoder: vectors are looked up
by the hash of (model, embedded text) in the version currently serving and in
an optional extra cache, so a rebuild or refresh re-embeds only what changed.
The steps are those of `index.refresh.steps`, shared with patched versions.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from corpus.article import Article
from corpus.chunking import ChunkConfig
from index.encoder import Encoder
from index.refresh.steps import (Chunked, VectorCache, chunk_and_hash, publish, run_writers, scratch_version,
                                 seal_version, vectors_for, version_manifest, with_kept_versions)
from index.store.layout import clean_partial_versions, version_path
from index.store.manifest import Manifest, corpus_fingerprint
from index.store.metadata import write_metadata
from index.store.vectors import DenseConfig, save_vectors, write_dense_index
from index.store.writers import IndexWriter, Progress

log = logging.getLogger(__name__)

__all__ = ["BuildStats", "IndexWriter", "Progress", "VectorCache", "build_version"]


@dataclass
class BuildStats:
    """What a build or patch did, for the CLI summary and the refresh report.

    Attributes:
        version: the name of the version published.
        articles, passages: what it holds.
        embedded: passages whose text went to the encoder; reused: the others (passages - embedded).
        seconds: wall time of the whole write, publishing included.
        embed_seconds: encoder time spent on the passages.
        extra: the manifest's `extra`: each extra writer's record by name.
        writers_embed_seconds: encoder time the extra writers reported (the sentences' vectors).
    """

    version: str = ""
    articles: int = 0
    passages: int = 0
    embedded: int = 0
    reused: int = 0
    seconds: float = 0.0
    embed_seconds: float = 0.0
    extra: dict = field(default_factory=dict)
    writers_embed_seconds: float = 0.0

    @property
    def embedding_seconds(self) -> float:
        """All the model time of the build: the passages' and what extra writers embedded (sentences)."""
        return self.embed_seconds + self.writers_embed_seconds

    @property
    def passages_per_second(self) -> float:
        """Embedding throughput of this build (0 when nothing was embedded)."""
        return self.embedded / self.embed_seconds if self.embed_seconds > 0 else 0.0


def build_version(articles: Sequence[Article], encoder: Encoder, index_dir: Path,
                  config: ChunkConfig = ChunkConfig(), cache: VectorCache | None = None,
                  progress: Progress | None = None, reuse_current: bool = True,
                  extra_manifest: dict | None = None,
                  extra_writers: Mapping[str, IndexWriter] | None = None,
                  dense: DenseConfig = DenseConfig()) -> BuildStats:
    """Write a new index version and make it current; the old one keeps serving until the switch.

    Args:
        articles: the whole corpus of the new version, in row order.
        encoder: the embedding model.
        index_dir: the index directory (versions inside; created if missing).
        config: chunking and embedded-text settings (recorded in the manifest).
        cache: extra known vectors; the current version's are added when `reuse_current`.
        progress: called with (stage, done, total); stages "chunked", "embedding", "writing",
            "switching", and those of the extra writers ("sentences").
        reuse_current: reuse vectors of the version now serving (same model only).
        extra_manifest: stored under `extra` in the manifest.
        extra_writers: name → writer of further index files (e.g. the lexical index), run
            before the manifest so their files are checksummed with the rest.
        dense: which dense index the version gets (flat, or approximate from a size on).

    Raises:
        OSError: the version could not be written (nothing is published, the scratch folder is removed).
    """
    started = time.perf_counter()
    index_dir.mkdir(parents=True, exist_ok=True)
    clean_partial_versions(index_dir)
    cache = cache or VectorCache()
    lookup = cache.get
    chunked = chunk_and_hash(articles, encoder, config, progress)
    if reuse_current:
        current = _reuse_current_version(cache, index_dir, encoder)
        lookup = with_kept_versions(cache.get, index_dir, encoder, chunked, skip={current} if current else ())
    vectors = vectors_for(encoder, chunked.texts, chunked.hashes, lookup, progress)
    if progress:
        progress("writing", 0, 1)
    with scratch_version(index_dir) as tmp:
        _write_rows(tmp, articles, chunked, vectors.vectors, cache.indexed_at, dense)
        written = run_writers(extra_writers, lambda w: w(tmp, chunked.pairs, chunked.texts, progress=progress))
        extra = {**dict(extra_manifest or {}), **written.extra}
        manifest = version_manifest(encoder, config, len(articles), len(chunked.pairs),
                                    corpus_fingerprint(a.fingerprint for a in articles), extra)
        seal_version(tmp, manifest, written.digests, flush=True)
        if progress:
            progress("writing", 1, 1)
        name = publish(index_dir, tmp, progress)
    n = len(chunked.pairs)
    stats = BuildStats(version=name, articles=len(articles), passages=n, embedded=vectors.embedded,
                       reused=n - vectors.embedded, seconds=time.perf_counter() - started,
                       embed_seconds=vectors.seconds, writers_embed_seconds=written.embed_seconds, extra=extra)
    log.info("built index %s: %d articles, %d passages (%d embedded, %d reused) in %.1fs", name,
             stats.articles, stats.passages, stats.embedded, stats.reused, stats.seconds)
    return stats


def _reuse_current_version(cache: VectorCache, index_dir: Path, encoder: Encoder) -> str | None:
    """Add the serving version's vectors to `cache` when it was embedded by the same model; returns its name."""
    try:
        folder = version_path(index_dir)
        if Manifest.load(folder).model.get("fingerprint") == encoder.info.fingerprint:
            cache.add_version(folder)
            return folder.name
    except Exception as exc:  # noqa: BLE001 - no usable current version just means embedding everything
        log.info("not reusing vectors of the current version: %s", exc)
    return None


def _write_rows(folder: Path, articles: Sequence[Article], chunked: Chunked, vectors: np.ndarray,
                indexed_at: Mapping[str, str], dense: DenseConfig = DenseConfig()) -> None:
    """The files with one row per passage: vectors, the FAISS index (flat or approximate) and the metadata.

    Args:
        vectors: float32, shape (passages, dim), aligned with `chunked`.
        indexed_at: article fingerprint → when it was first indexed (new articles: now).
    """
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    save_vectors(folder, vectors)
    write_dense_index(folder, vectors, dense)
    write_metadata(folder, articles, [p for _, p in chunked.pairs], chunked.hashes,
                   {a.id: indexed_at.get(a.fingerprint) or now for a in articles})
