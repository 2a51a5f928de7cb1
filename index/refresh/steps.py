"""The steps every new index version is written in, shared by full builds (`build`) and patches (`patch`).

1. `chunk_and_hash`: articles → passages → the text each is embedded as → its embed hash;
2. `vectors_for`: vectors for those texts, reused by hash where known, else embedded;
3. the version's own files (vectors, FAISS index, metadata), written or patched by the caller;
4. `run_writers`: the extra index writers (lexical index, sentence store);
5. `seal_version`: the manifest, with every file's checksum (and, for a full build, a flush);
6. `publish`: the atomic switch.

All of it happens in a `scratch_version` folder, removed if anything fails, so
the version serving keeps serving until the switch.
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import numpy as np

from corpus.article import Article
from corpus.chunking import ChunkConfig, Passage, chunk_article, embedding_text, unique_passage_ids
from index.encoder import Encoder, embed_hash
from index.errors import NewsIndexError
from index.store.layout import (STANDBY_TAG, VERSIONS, fsync_dir, hold_standby, list_versions, new_tmp_version,
                                publish_version)
from index.store.manifest import BLOCK_DIGESTS, Manifest, model_record
from index.store.metadata import META_FILE, MetadataStore
from index.store.vectors import VECTORS_FILE, load_vectors
from index.store.writers import IndexWriter, Progress

log = logging.getLogger(__name__)

Pair = tuple[Article, Passage]


class Chunked(NamedTuple):
    """Passages ready to embed: aligned lists, one entry per passage, in article then passage order."""

    pairs: list[Pair]  # (article, passage)
    texts: list[str]  # the text embedded for the passage (`corpus.chunking.embedding_text`)
    hashes: list[str]  # `index.encoder.embed_hash` of that text under the encoder's model


def chunk_all(articles: Sequence[Article], encoder: Encoder, config: ChunkConfig) -> list[Pair]:
    """Every passage of every article, with its article, in order (token counts by `encoder`)."""
    return [(a, p) for a in articles for p in chunk_article(a, encoder.count_tokens, config)]


def embedded_texts(pairs: Sequence[Pair], config: ChunkConfig) -> list[str]:
    """The text each passage is embedded as (its headline context included, per `config`)."""
    return [embedding_text(a, p, config) for a, p in pairs]


def chunk_and_hash(articles: Sequence[Article], encoder: Encoder, config: ChunkConfig,
                   progress: Progress | None = None, taken: Callable[[str], bool] = lambda _: False) -> Chunked:
    """Chunk `articles` and key each passage's embedded text by its embed hash: the one way passages are made.

    Args:
        progress: called once with ("chunked", passages, passages).
        taken: whether a passage id is already used by a passage the new version keeps (a patch's base);
            colliding ids are settled by `corpus.chunking.unique_passage_ids`.
    """
    pairs = chunk_all(articles, encoder, config)
    unique = unique_passage_ids([p for _, p in pairs], taken)
    pairs = [(a, p) for (a, _), p in zip(pairs, unique)]
    if progress:
        progress("chunked", len(pairs), len(pairs))
    texts = embedded_texts(pairs, config)
    return Chunked(pairs, texts, [embed_hash(encoder.info.fingerprint, t) for t in texts])


class VectorCache:
    """Vectors known by embed hash: from earlier versions and from extra caches."""

    def __init__(self) -> None:
        self._sources: list[tuple[dict[str, int], np.ndarray]] = []
        # article content fingerprint → ISO time it was first indexed, from the versions added
        self.indexed_at: dict[str, str] = {}

    def add(self, hashes: dict[str, int], vectors: np.ndarray) -> None:
        """Make `vectors[row]` (float32, shape (n, dim)) available under each hash → row of `hashes`."""
        self._sources.append((hashes, vectors))

    def add_version(self, folder: Path) -> None:
        """Reuse the vectors (and first-indexed times) of an existing version.

        Raises:
            IndexCorrupt: the version's metadata or vectors are unreadable.
        """
        store = MetadataStore(folder)
        try:
            hashes = {h: row for row, _, _, h in store.iter_passage_rows()}
            for article in store.list_articles():
                self.indexed_at[article.fingerprint] = store.indexed_at(article.id) or ""
        finally:
            store.close()
        self.add(hashes, load_vectors(folder))

    def get(self, key: str) -> np.ndarray | None:
        """The cached vector (shape (dim,)) for an embed hash, if any."""
        for hashes, vectors in self._sources:
            row = hashes.get(key)
            if row is not None:
                return np.asarray(vectors[row])
        return None


Lookup = Callable[[str], "np.ndarray | None"]  # embed hash → a known vector (shape (dim,)), or None


def with_kept_versions(lookup: Lookup, index_dir: Path, encoder: Encoder, chunked: Chunked,
                       skip: Collection[str] = ()) -> Lookup:
    """`lookup`, then the vectors the index's other kept versions hold for the articles whose passages
    `lookup` does not know: an article removed and later restored (or re-added) gets its vectors back
    instead of being embedded again, as long as a version that held it is kept (`NEWSBOT_KEEP_VERSIONS`).

    Cheap: only articles with an unknown passage are looked up, by id (an index of the metadata), in each
    kept version of the same model, newest first; a version that fails its load checks is passed over.

    Args:
        skip: names of versions `lookup` already covers (the serving one).
    """
    wanted = {a.id for (a, _), h in zip(chunked.pairs, chunked.hashes) if lookup(h) is None}
    if not wanted:
        return lookup
    extra: dict[str, np.ndarray] = {}
    for name in reversed(list_versions(index_dir)):
        if name in skip:
            continue
        folder = index_dir / VERSIONS / name
        try:
            if Manifest.load(folder).model.get("fingerprint") != encoder.info.fingerprint:
                continue
            store = MetadataStore(folder)
            try:
                rows = store.hashes_of_articles(wanted)
            finally:
                store.close()
            if rows:
                vectors = load_vectors(folder)
                for h, row in rows.items():
                    extra.setdefault(h, np.array(vectors[row], dtype=np.float32))
        except (NewsIndexError, OSError, ValueError, sqlite3.Error) as exc:
            log.info("not reusing vectors of index version %s: %s", name, getattr(exc, "message", exc))
    if not extra:
        return lookup
    log.info("reusing %d vector(s) of kept index versions", len(extra))

    def combined(h: str) -> np.ndarray | None:
        found = lookup(h)
        return found if found is not None else extra.get(h)
    return combined


class Embedded(NamedTuple):
    """Vectors for a list of texts and what producing them cost."""

    vectors: np.ndarray  # float32, shape (texts, dim)
    embedded: int  # texts that were not known and went to the encoder (repeats counted)
    seconds: float  # wall time spent in the encoder


def vectors_for(encoder: Encoder, texts: Sequence[str], hashes: Sequence[str],
                lookup: Callable[[str], np.ndarray | None], progress: Progress | None = None) -> Embedded:
    """Vectors for `texts`: reused where `lookup` knows the hash, else embedded, each distinct text once.

    Shared by full builds and patched versions so both embed exactly the same way.

    Args:
        hashes: the embed hash of each text, aligned with `texts`.
        lookup: embed hash → known vector, or None.
        progress: called with ("embedding", done, total) while the encoder runs.
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
    return Embedded(vectors, len(missing), time.perf_counter() - started)


class Written(NamedTuple):
    """What the extra writers did."""

    extra: dict[str, dict]  # writer name → its record for the manifest's `extra`
    embed_seconds: float  # model time they reported ("embed_seconds"), e.g. the sentences' vectors
    digests: dict[str, list[str]] = {}  # file name → block digests a writer computed as it wrote (`BLOCK_DIGESTS`)


def run_writers(writers: Mapping[str, IndexWriter] | None, run: Callable[[IndexWriter], dict]) -> Written:
    """Run each writer in order through `run` (a full write or a patch) and gather their records (and the
    block digests of files they report under `BLOCK_DIGESTS`, which leave their records)."""
    extra: dict[str, dict] = {}
    digests: dict[str, list[str]] = {}
    seconds = 0.0
    for name, writer in (writers or {}).items():
        record = dict(run(writer))
        digests.update(record.pop(BLOCK_DIGESTS, None) or {})
        extra[name] = record
        seconds += float(record.get("embed_seconds", 0.0))
    return Written(extra, seconds, digests)


class CopyAhead:
    """A scratch version folder into which the base version's largest files are being copied in the background,
    started while the refresh still plans: a patch then finds them there (`adopt`) instead of copying them
    itself (1.5 GB each of `meta.sqlite` and `vectors.npy` at a million passages).

    The base version is immutable, so the copies equal what the patch would copy. `close` (always call it,
    e.g. in a `finally`) waits for the copies and removes the folder unless a patch adopted it; a folder left
    by a killed process is removed by the next refresh like any scratch version (`index.store.layout`).
    """

    def __init__(self, index_dir: Path, base: Path, names: Sequence[str], tag: str = "") -> None:
        """Start copying `names` (files of the version folder `base`) into a new scratch folder of `index_dir`
        (`tag` goes into its name: `index.store.layout.new_tmp_version`)."""
        self.base = base
        self.folder = new_tmp_version(index_dir, tag)
        self._standby = tag == STANDBY_TAG
        if self._standby:
            hold_standby(self.folder)
        self.names = tuple(n for n in names if (base / n).is_file())
        self._adopted = False
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._copy, name="copy-ahead", daemon=True)
        self._thread.start()

    def _copy(self) -> None:
        try:
            for name in self.names:
                shutil.copyfile(self.base / name, self.folder / name)
        except BaseException as exc:  # noqa: BLE001 - reported to whoever adopts the folder
            self._error = exc

    def adopt(self, base: Path) -> Path | None:
        """The folder, its copies complete, for a patch of `base` to write its version in; None when the
        copies are of another version or failed (the caller then writes in a fresh folder)."""
        self._thread.join()
        if base != self.base or self._error is not None:
            if self._error is not None:
                log.info("copying ahead failed (%s): the patch copies its files itself", self._error)
            return None
        self._adopted = True
        hold_standby(self.folder, held=False)  # the patch owns it now
        return self.folder

    @property
    def adopted(self) -> bool:
        """Whether a patch took the folder (it then owns it)."""
        return self._adopted

    def wait(self) -> None:
        """Wait for the copies to end (whether they succeeded is told by `adopt`)."""
        self._thread.join()

    def copied(self, name: str) -> bool:
        """Whether the adopted folder already holds the base's `name`, copied whole."""
        return self._adopted and name in self.names

    def close(self) -> None:
        """Wait for the copies; remove the folder unless a patch adopted it (it then owns it)."""
        self._thread.join()
        if not self._adopted:
            shutil.rmtree(self.folder, ignore_errors=True)
            hold_standby(self.folder, held=False)


class StandbyCopies:
    """Copies of the serving version's largest files made in the background right after the refresh that
    published it, so that the next refresh's patch finds them made (double buffering).

    Why: at a million passages a one-article patch copies `meta.sqlite` and `vectors.npy` (1.5 GB each),
    and that copy outlasted the refresh's planning by ~2 s (`CopyAhead` starts it when a refresh begins).
    A long-lived process (the bot, `refresh --watch`) refreshes minutes apart: made after a publish, the
    copies are ready when the next refresh starts. The cost: one more copy of those files on disk between
    refreshes. A copy of a version that no longer serves when the next refresh comes (another process
    refreshed, a rollback) is removed unused at this process's next refresh, and the copy is removed when the
    process stops (`Library.drop_standby_copies`). Held by `index.library.Library.keep_standby_copies`; thread-safe.
    """

    NAMES = (META_FILE, VECTORS_FILE)

    def __init__(self) -> None:
        self._ahead: CopyAhead | None = None
        self._lock = threading.Lock()

    def start(self, index_dir: Path, base: Path) -> None:
        """Begin copying `base`'s largest files (replacing an older standby copy)."""
        with self._lock:
            old, self._ahead = self._ahead, CopyAhead(index_dir, base, self.NAMES, tag=STANDBY_TAG)
        if old is not None:
            old.close()

    def take(self, base: Path) -> CopyAhead | None:
        """The standby copy of `base` (possibly still copying), now the caller's; None when there is none
        of that version (an outdated one is removed)."""
        with self._lock:
            ahead, self._ahead = self._ahead, None
        if ahead is not None and (ahead.base != base or not ahead.folder.is_dir()):
            ahead.close()
            return None
        return ahead

    def put_back(self, ahead: CopyAhead) -> None:
        """Keep a copy the caller took from here but did not adopt (the serving version did not change) for next
        time; any other copy (made while a refresh planned: its folder is not kept by `clean_partial_versions`)
        is removed."""
        if ahead.adopted:
            return
        if f"-{STANDBY_TAG}-" not in ahead.folder.name:
            ahead.close()
            return
        with self._lock:
            old, self._ahead = self._ahead, ahead
        if old is not None:
            old.close()

    def wait(self) -> None:
        """Wait until the standby copy, if any, is complete (benchmarks: refreshes minutes apart)."""
        with self._lock:
            ahead = self._ahead
        if ahead is not None:
            ahead.wait()

    def close(self) -> None:
        """Remove the standby copy (waiting for its copying to end)."""
        with self._lock:
            ahead, self._ahead = self._ahead, None
        if ahead is not None:
            ahead.close()


@contextmanager
def scratch_version(index_dir: Path, ahead: CopyAhead | None = None, base: Path | None = None) -> Iterator[Path]:
    """A fresh hidden folder to write a version in (`ahead`'s, holding copies of `base`'s files, when it has
    them); removed if the block fails (a killed process: see layout)."""
    tmp = (ahead.adopt(base) if ahead is not None and base is not None else None) or new_tmp_version(index_dir)
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def version_manifest(encoder: Encoder, config: ChunkConfig, articles: int, passages: int, corpus_fp: str,
                     extra: dict) -> Manifest:
    """The manifest of a new version (its file list is filled in by `seal_version`)."""
    return Manifest(model=model_record(encoder.info), dim=encoder.info.dim, chunking=config.describe(),
                    articles=articles, passages=passages, corpus_fingerprint=corpus_fp, extra=extra)


def seal_version(folder: Path, manifest: Manifest, checksums: Mapping[str, Sequence[str]] | None = None,
                 flush: bool = False) -> None:
    """Write the manifest last, with every file's size and checksum, making the folder a complete version.

    Args:
        checksums: file name → its block digests already computed (`index.store.manifest.block_sha256`;
            others are computed here).
        flush: fsync every file and the folder before returning (a full build); a patch
            leaves the flush to `index.store.durability`, after the switch.
    """
    manifest.save(folder, checksums)
    if flush:
        for path in folder.iterdir():
            with path.open("rb") as f:
                os.fsync(f.fileno())
        fsync_dir(folder)


def publish(index_dir: Path, folder: Path, progress: Progress | None = None) -> str:
    """Switch the index to the sealed version in `folder` (one atomic pointer write); returns its name."""
    if progress:
        progress("switching", 0, 1)
    return publish_version(index_dir, folder)
