"""Write a new index version as a patch of the one serving: the refresh fast path.

A full build rewrites every row; at 100,000 passages that alone takes several
seconds. A refresh that changes a few articles instead copies the serving
version's files and edits only the rows that change:

- the passages of changed and removed articles free their rows;
- new passages take the freed rows first, then rows appended at the end;
- when fewer passages come in than go out, the last rows move into the
  remaining holes, so row ids stay 0..n-1 (FAISS ids = vector rows = metadata
  rows, as `index.store.vectors` requires) while only O(changes) rows move.

The result holds exactly the passages and vectors a full build would (in
another row order), is checksummed by its manifest, and is published with the
same atomic switch; an extra index writer with a `patch` method (the lexical
index) patches its files from the base's with the same `RowPlan`, any other
writes them from every passage. Only texts never embedded before reach the encoder.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import sqlite3
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from corpus.article import Article
from corpus.chunking import ChunkConfig, Passage, chunk_article, embedding_text
from index.refresh.build import BuildStats, ExtraWriter, Progress, embed_hash, vectors_for
from index.encoder import Encoder
from index.store.layout import new_tmp_version, publish_version
from index.store.manifest import FORMAT_VERSION, Manifest, model_record, sha256_file
from index.store.metadata import META_FILE, _ARTICLE_COLUMNS, _PASSAGE_COLUMNS, _article, _passage, article_row
from index.store.rowfiles import patch_flat_index, patch_npy
from index.store.vectors import FAISS_FILE, VECTORS_FILE, VectorIndex, load_vectors, save_vectors

log = logging.getLogger(__name__)

_BATCH = 500


def patch_unusable(base: Path, encoder: Encoder, config: ChunkConfig) -> str | None:
    """Why `base` cannot be patched (then a full build runs), or None when it can."""
    try:
        manifest = Manifest.load(base)
    except Exception as exc:  # noqa: BLE001 - any unusable base means a full build
        return f"the serving version is unusable ({exc})"
    if manifest.format_version != FORMAT_VERSION:
        return "the serving version has another index format"
    if manifest.model.get("fingerprint") != encoder.info.fingerprint:
        return "the embedding model changed"
    if manifest.chunking != config.describe():
        return "the chunking settings changed"
    return None


def _chunks(items: Sequence, size: int = _BATCH):  # noqa: ANN202 - generator of slices
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _rows_of(db: sqlite3.Connection, article_ids: Sequence[str]) -> list[int]:
    rows: list[int] = []
    for part in _chunks(list(article_ids)):
        rows += [r for (r,) in db.execute(f"SELECT row FROM passages WHERE article_id IN ({','.join('?' * len(part))})",
                                          part)]
    return sorted(rows)


def _known_vectors(db: sqlite3.Connection, hashes: Sequence[str]) -> dict[str, int]:
    """Rows of the base version already holding a vector for these embed hashes."""
    found: dict[str, int] = {}
    for part in _chunks(list(dict.fromkeys(hashes))):
        for h, row in db.execute(f"SELECT embed_hash, row FROM passages WHERE embed_hash IN "
                                 f"({','.join('?' * len(part))})", part):
            found.setdefault(h, row)
    return found


def assign_rows(n_old: int, freed: Sequence[int], incoming: int) -> tuple[list[int], list[tuple[int, int]], int]:
    """Where the incoming passages go and which rows move.

    Returns:
        targets: the row of each incoming passage, in order;
        moves: (from_row, to_row) of surviving rows moved into holes;
        n_new: the new row count (rows are exactly 0..n_new-1 afterwards).
    """
    freed = sorted(freed)
    n_new = n_old - len(freed) + incoming
    if incoming >= len(freed):
        return freed + list(range(n_old, n_new)), [], n_new
    holes = [r for r in freed[incoming:] if r < n_new]
    freed_set = set(freed)
    movers = [r for r in range(n_new, n_old) if r not in freed_set]
    assert len(holes) == len(movers), "row bookkeeping is inconsistent"
    return freed[:incoming], list(zip(movers, holes)), n_new


@dataclass(frozen=True)
class RowPlan:
    """How the rows of a patched version derive from its base's, for writers that patch their own files.

    Attributes:
        n_old: rows of the base version.
        n_new: rows of the patched version.
        freed: base rows whose passages left (changed or removed articles).
        moves: (base row, new row) of surviving passages moved into holes.
        targets: new row of each incoming passage, in order.
    """

    n_old: int
    n_new: int
    freed: tuple[int, ...]
    moves: tuple[tuple[int, int], ...]
    targets: tuple[int, ...]

    def old_to_new(self) -> np.ndarray:
        """For each base row, its row in the patched version, or -1 when its passage left."""
        mapping = np.arange(self.n_old, dtype=np.int64)
        mapping[list(self.freed)] = -1
        for frm, to in self.moves:
            mapping[frm] = to
        return mapping


def patch_version(index_dir: Path, base: Path, encoder: Encoder, config: ChunkConfig,
                  drop: Sequence[str], add: Sequence[Article],
                  relabel: Mapping[str, tuple[str, tuple[str, ...]]],
                  progress: Progress | None = None, extra_manifest: dict | None = None,
                  extra_writers: Mapping[str, ExtraWriter] | None = None) -> BuildStats:
    """Publish `base` minus `drop`, plus `add`, with `relabel`'s attribution updated; returns its stats.

    Args:
        index_dir: the index directory.
        base: the serving version's folder (checked with `patch_unusable` first).
        drop: ids of changed and removed articles.
        add: the new and changed articles (their new content).
        relabel: id → (source, also published by) of articles whose text is unchanged but whose
            file moved or whose syndicated copies changed.
    """
    tmp = new_tmp_version(index_dir)
    try:
        return _patch(index_dir, tmp, base, encoder, config, drop, add, relabel, progress, extra_manifest,
                      extra_writers)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)  # a failed refresh leaves nothing behind (a killed one: see layout)
        raise


def _patch(index_dir: Path, tmp: Path, base: Path, encoder: Encoder, config: ChunkConfig, drop: Sequence[str],
           add: Sequence[Article], relabel: Mapping[str, tuple[str, tuple[str, ...]]], progress: Progress | None,
           extra_manifest: dict | None, extra_writers: Mapping[str, ExtraWriter] | None) -> BuildStats:
    started = time.perf_counter()
    pairs = [(a, p) for a in add for p in chunk_article(a, encoder.count_tokens, config)]
    if progress:
        progress("chunked", len(pairs), len(pairs))
    texts = [embedding_text(a, p, config) for a, p in pairs]
    hashes = [embed_hash(encoder.info.fingerprint, t) for t in texts]

    shutil.copyfile(base / META_FILE, tmp / META_FILE)
    db = sqlite3.connect(tmp / META_FILE, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=MEMORY")
        db.execute("PRAGMA synchronous=OFF")
        n_old = db.execute("SELECT count(*) FROM passages").fetchone()[0]
        freed = _rows_of(db, drop)
        known = _known_vectors(db, hashes)
        base_vectors = load_vectors(base)  # memory-mapped: only the rows that move or are reused are read
        if len(base_vectors) != n_old:
            raise ValueError(f"{base} has {len(base_vectors)} vectors for {n_old} passages")
        new_vectors, embedded, embed_seconds = vectors_for(
            encoder, texts, hashes, lambda h: base_vectors[known[h]] if h in known else None, progress)
        targets, moves, n_new = assign_rows(n_old, freed, len(pairs))
        if progress:
            progress("writing", 0, 3)
        db.execute("BEGIN")
        for part in _chunks(list(drop)):
            marks = ",".join("?" * len(part))
            db.execute(f"DELETE FROM passages WHERE article_id IN ({marks})", part)
            db.execute(f"DELETE FROM articles WHERE id IN ({marks})", part)
        db.executemany("UPDATE passages SET row = ? WHERE row = ?", ((to, frm) for frm, to in moves))
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        db.executemany(f"INSERT INTO articles ({_ARTICLE_COLUMNS}) VALUES ({','.join('?' * 12)})",
                       (article_row(a, now) for a in add))
        db.executemany(f"INSERT INTO passages ({_PASSAGE_COLUMNS}, embed_hash) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                       ((row, p.id, p.article_id, p.ordinal, p.start, p.end, p.paragraph_first, p.paragraph_last,
                         p.text, int(p.split_sentence), h) for row, (_, p), h in zip(targets, pairs, hashes)))
        db.executemany("UPDATE articles SET source = ?, also_published_by = ? WHERE id = ?",
                       ((source, json.dumps(list(also)), article_id)
                        for article_id, (source, also) in relabel.items()))
        db.execute("COMMIT")
        count, low, high = db.execute("SELECT count(*), min(row), max(row) FROM passages").fetchone()
        if count != n_new or (count and (low, high) != (0, n_new - 1)):
            raise RuntimeError(f"patched metadata has rows {low}..{high} ({count}), expected 0..{n_new - 1}")
        fingerprints = sorted(fp for (fp,) in db.execute("SELECT fingerprint FROM articles"))
        articles = len(fingerprints)
    finally:
        db.close()
    if progress:
        progress("writing", 1, 3)

    plan = RowPlan(n_old, n_new, tuple(freed), tuple(moves), tuple(targets))

    def run_writers() -> tuple[dict, float]:
        """The extra writers' files (the lexical index, the sentence store), patched where they can be."""
        results, seconds = {}, 0.0
        for writer_name, writer in (extra_writers or {}).items():
            patch = getattr(writer, "patch", None)
            result = patch(tmp, base, plan, pairs) if patch is not None else None
            if result is None:  # a writer that cannot patch its files writes them from every passage
                result = writer(tmp, *_all_pairs(tmp / META_FILE, config))
            results[writer_name] = result
            seconds += float(result.get("embed_seconds", 0.0))  # e.g. the sentences' vectors
        return results, seconds

    # the extra writers run beside the vector files' patching (both mostly wait on numpy and the disk),
    # and each finished file is checksummed in the background while the next is written
    with ThreadPoolExecutor(max_workers=2) as pool, ThreadPoolExecutor(max_workers=1) as writers_pool:
        writers_done = writers_pool.submit(run_writers)
        checks = {META_FILE: pool.submit(sha256_file, tmp / META_FILE)}
        rows = {to: np.asarray(base_vectors[frm]) for frm, to in moves}
        rows.update(zip(targets, new_vectors))
        full: list[np.ndarray] = []

        def all_vectors() -> np.ndarray:
            """The whole new matrix, only needed when a file's layout rules out patching it."""
            if not full:
                out = np.zeros((n_new, encoder.info.dim), dtype=np.float32)
                keep = min(n_old, n_new)
                out[:keep] = base_vectors[:keep]
                for row, vector in rows.items():
                    out[row] = vector
                full.append(out)
            return full[0]

        dim = encoder.info.dim
        if not patch_npy(base / VECTORS_FILE, tmp / VECTORS_FILE, n_old, n_new, dim, rows):
            save_vectors(tmp, all_vectors())
        checks[VECTORS_FILE] = pool.submit(sha256_file, tmp / VECTORS_FILE)
        if not patch_flat_index(base / FAISS_FILE, tmp / FAISS_FILE, n_old, n_new, dim, rows):
            VectorIndex.from_vectors(all_vectors()).save(tmp)
        checks[FAISS_FILE] = pool.submit(sha256_file, tmp / FAISS_FILE)
        if progress:
            progress("writing", 2, 3)
        written, writers_embed = writers_done.result()
        extra = {**dict(extra_manifest or {}), **written}
        for path in tmp.iterdir():
            if path.name not in checks:
                checks[path.name] = pool.submit(sha256_file, path)
        checksums = {name: future.result() for name, future in checks.items()}
    corpus_fp = hashlib.sha256("".join(fingerprints).encode()).hexdigest()[:32]
    manifest = Manifest(model=model_record(encoder.info), dim=encoder.info.dim, chunking=config.describe(),
                        articles=articles, passages=n_new, corpus_fingerprint=corpus_fp, extra=extra)
    manifest.save(tmp, checksums)
    if progress:
        progress("writing", 3, 3)
        progress("switching", 0, 1)
    # complete and checksummed: switch now; the caller flushes it to disk in the background once its own
    # bookkeeping is done, so that flush does not queue the history's small writes (see index.store.durability)
    name = publish_version(index_dir, tmp)
    stats = BuildStats(version=name, articles=articles, passages=n_new, embedded=embedded,
                       reused=n_new - embedded, seconds=time.perf_counter() - started, embed_seconds=embed_seconds,
                       writers_embed_seconds=writers_embed,
                       extra=extra)
    log.info("patched index %s into %s: -%d +%d article(s), %d passage row(s) rewritten, %d moved, %d embedded "
             "in %.2fs", base.name, name, len(drop), len(add), len(targets), len(moves), embedded, stats.seconds)
    return stats


def _all_pairs(meta: Path, config: ChunkConfig) -> tuple[list[tuple[Article, Passage]], list[str]]:
    """Every (article, passage) of the patched version in row order, for writers that cannot patch."""
    db = sqlite3.connect(meta)
    try:
        db.row_factory = sqlite3.Row
        articles = {r["id"]: _article(r) for r in db.execute(f"SELECT {_ARTICLE_COLUMNS} FROM articles")}
        pairs = [(articles[r["article_id"]], _passage(r))
                 for r in db.execute(f"SELECT {_PASSAGE_COLUMNS} FROM passages ORDER BY row")]
    finally:
        db.close()
    return pairs, [embedding_text(a, p, config) for a, p in pairs]
