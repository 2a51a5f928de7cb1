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
index) patches its files from the base's with the same `RowPlan` (`index.store.rowfiles`), any other
writes them from every passage. Only texts never embedded before reach the encoder.

The steps (chunk and hash, embed, writers, seal, publish) are those of full
builds (`index.refresh.steps`); only the version's own row files are patched here.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import NamedTuple

import numpy as np

from corpus.article import Article
from corpus.chunking import ChunkConfig
from index.encoder import Encoder
from index.refresh.build import BuildStats
from index.refresh.steps import (Chunked, CopyAhead, Pair, Written, chunk_and_hash, embedded_texts, publish, run_writers,
                                 scratch_version, seal_version, vectors_for, version_manifest, with_kept_versions)
from index.store.manifest import (FORMAT_VERSION, PATCH_RECORD, PATCH_RECORD_MAX, ByteRange, Manifest, block_sha256,
                                  corpus_fingerprint, patched_block_sha256)
from index.store.metadata import META_FILE, MetadataPatch, MetadataStore
from index.store.rowfiles import RowPlan, assign_rows, patch_flat_index, patch_npy
from index.store.vectors import (ANN_FILE, ANN_ROWS_FILE, FAISS_FILE, VECTORS_FILE, DenseConfig, load_vectors,
                                 patch_ann, save_vectors, write_dense_index)
from index.store.writers import IndexWriter, Progress

log = logging.getLogger(__name__)

# article id → (source, other outlets that published the same text)
Relabel = Mapping[str, tuple[str, tuple[str, ...]]]


def patch_unusable(base: Path, encoder: Encoder, config: ChunkConfig) -> str | None:
    """Why `base` cannot be patched (then a full build runs), or None when it can; never raises.

    Returns:
        a reason for the log and the report ("the embedding model changed", ...), or None.
    """
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


class IncomingRows(NamedTuple):
    """Where the incoming passages go and their vectors, known before the metadata is copied."""

    plan: RowPlan
    base_vectors: np.ndarray  # the base's vectors, memory-mapped, shape (plan.n_old, dim)
    vectors: np.ndarray  # float32, shape (len(plan.targets), dim): the incoming passages'
    embedded: int  # incoming passages whose text went to the encoder
    embed_seconds: float


class PatchedRows(NamedTuple):
    """The patched version's rows, once its metadata is written."""

    incoming: IncomingRows  # where the incoming passages went, and their vectors
    fingerprints: list[str]  # every article's content fingerprint, sorted
    meta_written: list[ByteRange]  # byte ranges of the metadata file the patch wrote after copying it

    @property
    def plan(self) -> RowPlan:
        """The rows' plan (`IncomingRows.plan`)."""
        return self.incoming.plan


def patch_version(index_dir: Path, base: Path, encoder: Encoder, config: ChunkConfig,
                  drop: Sequence[str], add: Sequence[Article], relabel: Relabel,
                  progress: Progress | None = None, extra_manifest: dict | None = None,
                  extra_writers: Mapping[str, IndexWriter] | None = None,
                  dense: DenseConfig = DenseConfig(), ahead: CopyAhead | None = None) -> BuildStats:
    """Publish `base` minus `drop`, plus `add`, with `relabel`'s attribution updated; returns its stats.

    Args:
        index_dir: the index directory.
        base: the serving version's folder (checked with `patch_unusable` first).
        drop: ids of changed and removed articles.
        add: the new and changed articles (their new content).
        relabel: id → (source, also published by) of articles whose text is unchanged but whose
            file moved or whose syndicated copies changed.
        progress: called with (stage, done, total): "chunked", "embedding", "writing" (0..3),
            "switching", and the extra writers' stages.
        extra_manifest: stored under `extra` in the manifest.
        extra_writers: name → writer of further files; patched where the writer can (see
            `index.store.writers.PatchingWriter`), else written from every passage.
        dense: which dense index the version gets; an approximate base's codes are patched (`patch_ann`).
        ahead: a folder where `base`'s largest files were copied while the refresh planned (the patch writes
            its version there; the caller still closes it).

    Raises:
        ValueError: the base's vectors and metadata disagree on the row count.
        RuntimeError: the patched rows are not 0..n-1 (nothing is published).
        sqlite3.Error, OSError: a file could not be read or written (nothing is published).
    """
    started = time.perf_counter()
    with scratch_version(index_dir, ahead, base) as tmp:
        copied = {name for name in (META_FILE, VECTORS_FILE) if ahead is not None and ahead.copied(name)}
        kept = MetadataStore(base)
        try:
            chunked = chunk_and_hash(add, encoder, config, progress, taken=_kept_passage_ids(kept, drop))
            incoming = _incoming_rows(index_dir, base, kept, encoder, chunked, drop, progress)
        finally:
            kept.close()
        if progress:
            progress("writing", 0, 3)
        meta_done = threading.Event()  # set once the patched metadata is complete (or failed)
        with ThreadPoolExecutor(max_workers=1) as writers_pool:
            # the extra writers (the lexical index: the longest step at a million passages) start now, beside
            # the metadata's copy and edit; one that cannot patch waits for the metadata to read every passage
            writers_done = writers_pool.submit(run_writers, extra_writers,
                                               _patch_or_write(tmp, base, config, incoming.plan, chunked.pairs,
                                                               meta_done, progress))
            try:
                rows = _patch_metadata(tmp, base, chunked, drop, add, relabel, incoming, META_FILE in copied)
            finally:
                meta_done.set()
            if progress:
                progress("writing", 1, 3)
            written, checksums = _write_files(tmp, base, rows, encoder.info.dim, writers_done, progress, dense,
                                              Manifest.load(base).files, VECTORS_FILE in copied)
        extra = {**dict(extra_manifest or {}), **written.extra, **_patch_record(base, rows.plan, drop, add)}
        articles, n_new = len(rows.fingerprints), rows.plan.n_new
        manifest = version_manifest(encoder, config, articles, n_new, corpus_fingerprint(rows.fingerprints), extra)
        # no flush here: the caller flushes the version in the background once its own bookkeeping
        # is done, so that flush does not queue the history's small writes (see index.store.durability)
        seal_version(tmp, manifest, checksums)
        if progress:
            progress("writing", 3, 3)
        name = publish(index_dir, tmp, progress)
    stats = BuildStats(version=name, articles=articles, passages=n_new, embedded=rows.incoming.embedded,
                       reused=n_new - rows.incoming.embedded, seconds=time.perf_counter() - started,
                       embed_seconds=rows.incoming.embed_seconds, writers_embed_seconds=written.embed_seconds, extra=extra)
    log.info("patched index %s into %s: -%d +%d article(s), %d passage row(s) rewritten, %d moved, %d embedded "
             "in %.2fs", base.name, name, len(drop), len(add), len(rows.plan.targets), len(rows.plan.moves),
             rows.incoming.embedded, stats.seconds)
    return stats


def _patch_record(base: Path, plan: RowPlan, drop: Sequence[str], add: Sequence[Article]) -> dict:
    """The manifest's `PATCH_RECORD` of this patch (empty when it is too big to be worth recording)."""
    rows = sorted({*plan.targets, *(to for _, to in plan.moves)})
    if len(rows) + len(drop) + len(add) > PATCH_RECORD_MAX:
        return {}
    return {PATCH_RECORD: {"base": base.name, "rows_before": plan.n_old, "drop": sorted(set(drop)),
                           "add": sorted({a.id for a in add}), "rows": rows}}


def _kept_passage_ids(base: MetadataStore, drop: Sequence[str]) -> Callable[[str], bool]:
    """Whether an id belongs to a passage of the base version that the patch keeps (its article is not in
    `drop`): an incoming passage must not take it (see `corpus.chunking.unique_passage_ids`)."""
    dropped = set(drop)

    def taken(passage_id: str) -> bool:
        article = base.article_of_passage(passage_id)
        return article is not None and article not in dropped

    return taken


def _incoming_rows(index_dir: Path, base: Path, kept: MetadataStore, encoder: Encoder, chunked: Chunked,
                   drop: Sequence[str], progress: Progress | None) -> IncomingRows:
    """Plan the rows and get the incoming passages' vectors, from the base version as it is (read only).

    Raises:
        ValueError: the base's vectors and metadata disagree on the row count.
    """
    n_old = kept.passage_count()
    freed = kept.rows_of_articles(drop)
    known = kept.known_vectors(chunked.hashes)
    base_vectors = load_vectors(base)  # memory-mapped: only the rows that move or are reused are read
    if len(base_vectors) != n_old:
        raise ValueError(f"{base} has {len(base_vectors)} vectors for {n_old} passages")
    lookup = with_kept_versions(lambda h: base_vectors[known[h]] if h in known else None, index_dir,
                                encoder, chunked, skip={base.name})
    vectors = vectors_for(encoder, chunked.texts, chunked.hashes, lookup, progress)
    plan = assign_rows(n_old, freed, len(chunked.pairs))
    return IncomingRows(plan, base_vectors, vectors.vectors, vectors.embedded, vectors.seconds)


def _patch_metadata(tmp: Path, base: Path, chunked: Chunked, drop: Sequence[str], add: Sequence[Article],
                    relabel: Relabel, incoming: IncomingRows, copied: bool = False) -> PatchedRows:
    """Write the patched metadata: the base's copied (`copied`: it already is), then edited by the plan.

    Raises:
        RuntimeError: the copy does not hold the rows the plan was made from, or the patched rows are not 0..n-1.
    """
    plan = incoming.plan
    with MetadataPatch(base, tmp, copied=copied) as meta:
        if meta.passage_count() != plan.n_old or meta.rows_of_articles(drop) != list(plan.freed):
            raise RuntimeError(f"the metadata copied from {base} differs from what the patch was planned on")
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        meta.apply(drop, plan.moves, add, ((row, p, h) for row, (_, p), h in
                                           zip(plan.targets, chunked.pairs, chunked.hashes)), relabel, now)
        meta.verify_rows(plan.n_new)
        fingerprints = meta.fingerprints()
    return PatchedRows(incoming, fingerprints, meta.written)


def _patch_or_write(tmp: Path, base: Path, config: ChunkConfig, plan: RowPlan, incoming: Sequence[Pair],
                    meta_done: threading.Event, progress: Progress | None) -> Callable[[IndexWriter], dict]:
    """How each extra writer gets its files: patched from the base's where it can, else written from every
    passage of the patched metadata (once `meta_done` is set)."""
    def run(writer: IndexWriter) -> dict:
        patch = getattr(writer, "patch", None)
        result = patch(tmp, base, plan, incoming, progress=progress) if patch is not None else None
        if result is None:  # a writer that cannot patch its files writes them from every passage
            meta_done.wait()
            pairs = _every_pair(tmp)
            result = writer(tmp, pairs, embedded_texts(pairs, config), progress=progress)
        return result
    return run


def _write_files(tmp: Path, base: Path, rows: PatchedRows, dim: int, writers_done: Future[Written],
                 progress: Progress | None, dense: DenseConfig = DenseConfig(),
                 base_files: Mapping[str, dict] | None = None,
                 vectors_copied: bool = False) -> tuple[Written, dict[str, list[str]]]:
    """The vector files, the extra writers' outcome (`writers_done`, running meanwhile), and every file's
    block checksums but the manifest's.

    Each finished file is checksummed in the background while the next is written. The metadata and
    `vectors.npy`, copied from the base and edited in a few places, re-hash only the blocks the patch
    wrote; the base's other block digests come from `base_files` (the base manifest's `files`; see
    `index.store.manifest.patched_block_sha256`).
    """
    known = base_files or {}
    vector_ranges: list[ByteRange] = []
    with ThreadPoolExecutor(max_workers=2) as pool:
        checks: dict[str, Future[list[str]]] = {
            META_FILE: pool.submit(patched_block_sha256, tmp / META_FILE, known.get(META_FILE), rows.meta_written)}

        def done(name: str) -> None:
            if name == VECTORS_FILE and vector_ranges:  # patched in place (else written in full)
                checks[name] = pool.submit(patched_block_sha256, tmp / name, known.get(name), vector_ranges)
            else:
                checks[name] = pool.submit(block_sha256, tmp / name)

        _patch_row_files(tmp, base, rows, dim, done, dense, vector_ranges, vectors_copied)
        if progress:
            progress("writing", 2, 3)
        written = writers_done.result()
        for path in tmp.iterdir():
            if path.name not in checks and path.name not in written.digests:
                checks[path.name] = pool.submit(block_sha256, path)
        return written, {**written.digests, **{name: future.result() for name, future in checks.items()}}


def _patch_row_files(tmp: Path, base: Path, rows: PatchedRows, dim: int, done: Callable[[str], None],
                     dense: DenseConfig = DenseConfig(), vector_ranges: list[ByteRange] | None = None,
                     vectors_copied: bool = False) -> None:
    """`vectors.npy` and the dense index: the base's with the moved and incoming rows rewritten.

    A flat base's `faiss.index` has its rows rewritten; an approximate base's index gets the incoming
    passages as new nodes and masks the ones that left (`index.store.vectors.patch_ann`). Falls back to
    writing the dense index in full when the base's layout rules out patching it, when the version
    crosses `dense.ann_min_passages` either way, or when it has too many masked codes;
    `done(file name)` is called as each file is complete; `vector_ranges` receives the byte ranges of
    `vectors.npy` written after copying the base's (left empty when it is written in full).
    """
    plan, base_vectors = rows.plan, rows.incoming.base_vectors
    updates = {to: np.asarray(base_vectors[frm]) for frm, to in plan.moves}
    updates.update(zip(plan.targets, rows.incoming.vectors))
    full: list[np.ndarray] = []

    def all_vectors() -> np.ndarray:
        """The whole new matrix, only needed when a file's layout rules out patching it."""
        if not full:
            out = np.zeros((plan.n_new, dim), dtype=np.float32)
            keep = min(plan.n_old, plan.n_new)
            out[:keep] = base_vectors[:keep]
            for row, vector in updates.items():
                out[row] = vector
            full.append(out)
        return full[0]

    if not patch_npy(base / VECTORS_FILE, tmp / VECTORS_FILE, plan.n_old, plan.n_new, dim, updates,
                     vector_ranges, copied=vectors_copied):
        if vector_ranges is not None:
            vector_ranges.clear()
        save_vectors(tmp, all_vectors())
    done(VECTORS_FILE)
    if plan.n_new >= dense.ann_min_passages:
        targets = np.asarray(plan.targets, dtype=np.int64)
        if not patch_ann(base, tmp, plan.old_to_new(), targets, rows.incoming.vectors.reshape(len(targets), dim),
                         plan.n_new, dense):
            write_dense_index(tmp, load_vectors(tmp), dense)  # the patched vectors, memory-mapped
        done(ANN_FILE)
        done(ANN_ROWS_FILE)
        return
    if not patch_flat_index(base / FAISS_FILE, tmp / FAISS_FILE, plan.n_old, plan.n_new, dim, updates):
        write_dense_index(tmp, all_vectors(), dense)
    done(FAISS_FILE)


def _every_pair(folder: Path) -> list[Pair]:
    """Every (article, passage) of the patched version in row order, for writers that cannot patch."""
    store = MetadataStore(folder)
    try:
        return store.pairs()
    finally:
        store.close()
