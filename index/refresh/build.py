"""Write a complete index version from articles.

Only text never embedded before is sent to the encoder: vectors are looked up
by the hash of (model, embedded text) in the version currently serving and in
an optional extra cache, so a rebuild or refresh re-embeds only what changed.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from corpus.article import Article
from corpus.chunking import ChunkConfig, Passage, chunk_article, embedding_text
from index.encoder import Encoder
from index.store.layout import clean_partial_versions, fsync_dir, new_tmp_version, publish_version, version_path
from index.store.manifest import Manifest, model_record
from index.store.metadata import MetadataStore, write_metadata
from index.store.vectors import VectorIndex, load_vectors, save_vectors

log = logging.getLogger(__name__)

# stage name, done, total — for progress bars and Discord progress edits
Progress = Callable[[str, int, int], None]
# extra index files written into a version before its manifest: (folder, passages with articles, embedded texts)
# → a dict recorded in the manifest's `extra` under the writer's name. A writer may also have
# `patch(folder, base_folder, plan, incoming_pairs) -> dict | None` to patch its files from the base
# version's when a refresh patches a version (see index.refresh.patch.RowPlan); None means "write in full".
# Time a writer spends embedding (reported as "embed_seconds") counts as model time of the build.
ExtraWriter = Callable[[Path, "list[tuple[Article, Passage]]", "list[str]"], dict]


@dataclass
class BuildStats:
    """What a build did, for the CLI summary and the refresh report."""

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


def embed_hash(model_fingerprint: str, text: str) -> str:
    """Key of a vector: the same text under the same model has the same vector."""
    return hashlib.sha256(f"{model_fingerprint}\x1f{text}".encode()).hexdigest()[:24]


def corpus_fingerprint(articles: Sequence[Article]) -> str:
    """Hash of every article's content fingerprint, order-independent."""
    h = hashlib.sha256()
    for fp in sorted(a.fingerprint for a in articles):
        h.update(fp.encode())
    return h.hexdigest()[:32]


class VectorCache:
    """Vectors known by embed hash: from earlier versions and from extra caches."""

    def __init__(self) -> None:
        self._sources: list[tuple[dict[str, int], np.ndarray]] = []
        self.indexed_at: dict[str, str] = {}

    def add(self, hashes: dict[str, int], vectors: np.ndarray) -> None:
        """Make the vectors[row] of each hash available."""
        self._sources.append((hashes, vectors))

    def add_version(self, folder: Path) -> None:
        """Reuse the vectors (and first-indexed times) of an existing version."""
        store = MetadataStore(folder)
        try:
            hashes = {h: row for row, _, _, h in store.iter_passage_rows()}
            for article in store.list_articles():
                self.indexed_at[article.fingerprint] = store.indexed_at(article.id) or ""
        finally:
            store.close()
        self.add(hashes, load_vectors(folder))

    def get(self, key: str) -> np.ndarray | None:
        """The cached vector for a hash, if any."""
        for hashes, vectors in self._sources:
            row = hashes.get(key)
            if row is not None:
                return np.asarray(vectors[row])
        return None


def vectors_for(encoder: Encoder, texts: Sequence[str], hashes: Sequence[str],
                lookup: Callable[[str], np.ndarray | None], progress: Progress | None = None,
                ) -> tuple[np.ndarray, int, float]:
    """Vectors for `texts`: reused where `lookup` knows the hash, else embedded, each distinct text once.

    Shared by full builds and patched versions so both embed exactly the same way.
    Returns (vectors, how many texts were embedded, seconds spent embedding).
    """
    vectors = np.zeros((len(texts), encoder.info.dim), dtype=np.float32)
    missing: list[int] = []
    for i, h in enumerate(hashes):
        cached = lookup(h)
        if cached is None:
            missing.append(i)
        else:
            vectors[i] = cached
    if missing and hasattr(encoder, "load"):
        encoder.load()  # model start-up is not embedding time
    started = time.perf_counter()
    if missing:
        # embed each distinct text once (syndicated copies share text)
        unique = list(dict.fromkeys(hashes[i] for i in missing))
        first_text = {hashes[i]: texts[i] for i in reversed(missing)}
        new = encoder.encode([first_text[h] for h in unique],
                             progress=(lambda d, t: progress("embedding", d, t)) if progress else None)
        by_hash = dict(zip(unique, new))
        for i in missing:
            vectors[i] = by_hash[hashes[i]]
    return vectors, len(missing), time.perf_counter() - started


def chunk_all(articles: Sequence[Article], encoder: Encoder, config: ChunkConfig) -> list[tuple[Article, Passage]]:
    """Every passage of every article, with its article."""
    return [(a, p) for a in articles for p in chunk_article(a, encoder.count_tokens, config)]


def build_version(articles: Sequence[Article], encoder: Encoder, index_dir: Path,
                  config: ChunkConfig = ChunkConfig(), cache: VectorCache | None = None,
                  progress: Progress | None = None, reuse_current: bool = True,
                  extra_manifest: dict | None = None,
                  extra_writers: dict[str, ExtraWriter] | None = None) -> BuildStats:
    """Write a new index version and make it current; the old one keeps serving until the switch.

    Args:
        articles: the whole corpus of the new version.
        encoder: the embedding model.
        index_dir: the index directory (versions inside).
        config: chunking and embedded-text settings (recorded in the manifest).
        cache: extra known vectors; the current version's are added when `reuse_current`.
        progress: called with (stage, done, total).
        reuse_current: reuse vectors of the version now serving (same model only).
        extra_manifest: stored under `extra` in the manifest.
        extra_writers: name → writer of further index files (e.g. the lexical index), run
            before the manifest so their files are checksummed with the rest.
    """
    started = time.perf_counter()
    index_dir.mkdir(parents=True, exist_ok=True)
    clean_partial_versions(index_dir)
    cache = cache or VectorCache()
    if reuse_current:
        try:
            folder = version_path(index_dir)
            if Manifest.load(folder).model.get("fingerprint") == encoder.info.fingerprint:
                cache.add_version(folder)
        except Exception as exc:  # noqa: BLE001 - no usable current version just means embedding everything
            log.info("not reusing vectors of the current version: %s", exc)

    pairs = chunk_all(articles, encoder, config)
    if progress:
        progress("chunked", len(pairs), len(pairs))
    texts = [embedding_text(a, p, config) for a, p in pairs]
    hashes = [embed_hash(encoder.info.fingerprint, t) for t in texts]
    vectors, embedded, embed_seconds = vectors_for(encoder, texts, hashes, cache.get, progress)

    if progress:
        progress("writing", 0, 1)
    tmp = new_tmp_version(index_dir)
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    indexed_at = {a.id: cache.indexed_at.get(a.fingerprint) or now for a in articles}
    save_vectors(tmp, vectors)
    VectorIndex.from_vectors(vectors).save(tmp)
    write_metadata(tmp, articles, [p for _, p in pairs], hashes, indexed_at)
    extra = dict(extra_manifest or {})
    writers_embed = 0.0
    for writer_name, writer in (extra_writers or {}).items():
        extra[writer_name] = writer(tmp, pairs, texts)
        writers_embed += float(extra[writer_name].get("embed_seconds", 0.0))  # e.g. the sentences' vectors
    manifest = Manifest(model=model_record(encoder.info), dim=encoder.info.dim, chunking=config.describe(),
                        articles=len(articles), passages=len(pairs),
                        corpus_fingerprint=corpus_fingerprint(articles), extra=extra)
    manifest.save(tmp)
    _fsync_tree(tmp)
    if progress:
        progress("writing", 1, 1)
        progress("switching", 0, 1)
    name = publish_version(index_dir, tmp)
    stats = BuildStats(version=name, articles=len(articles), passages=len(pairs), embedded=embedded,
                       reused=len(pairs) - embedded, seconds=time.perf_counter() - started,
                       embed_seconds=embed_seconds, writers_embed_seconds=writers_embed, extra=extra)
    log.info("built index %s: %d articles, %d passages (%d embedded, %d reused) in %.1fs", name,
             stats.articles, stats.passages, stats.embedded, stats.reused, stats.seconds)
    return stats


def _fsync_tree(folder: Path) -> None:
    """Flush every file of a version before it is published."""
    for path in folder.iterdir():
        with path.open("rb") as f:
            os.fsync(f.fileno())
    fsync_dir(folder)
