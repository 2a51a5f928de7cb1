"""Vectors of the passages' sentences, computed when the index is built: highlights with no model pass.

Why: picking the sentence that answers a question means comparing the
question with every sentence of the passages shown. Embedding those ~20
sentences when the question comes in took three quarters of the bot's answer
time (about 150 ms of 200 on a 2-core CPU); looked up from here it takes a
millisecond. Builds and refreshes embed the sentences of the passages they
write, and only those never embedded before (the same text has the same
vector), so a one-article refresh embeds one article's sentences.

Layout, beside the index versions and shared by all of them (a sentence
vector depends only on the model and the text):

    INDEX/sentences/<model fingerprint>/index.sqlite   sentence hash → (shard, row)
    INDEX/sentences/<model fingerprint>/shard-*.npy    float16 vectors, one file per batch added

A shard is written (temp file, fsync, rename) before its hashes are committed,
so a crash leaves at worst a shard nothing points to, never a hash pointing at
nothing. Anything missing or unreadable here only means the highlighter embeds
that sentence at question time, as before.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from corpus.article import Article
from corpus.chunking import Passage
from corpus.sentences import sentence_spans
from index.encoder import Encoder, embed_hash
from index.store.access import open_read_only, writable
from index.store.writers import Progress

log = logging.getLogger(__name__)

FOLDER = "sentences"
_BATCH = 512  # sentences embedded and written per shard


def passage_sentences(article: Article, passage: Passage) -> list[str]:
    """The sentences of a passage exactly as the highlighter embeds them."""
    return [article.text[s:e] for s, e in sentence_spans(article.text, passage.start, passage.end)]


def _rows_for(db: sqlite3.Connection, sql: str, hashes: Sequence[str], batch: int = 500) -> list[tuple]:
    """`sql` (with `IN ({})` for the placeholders) run over the distinct hashes, in batches SQLite accepts."""
    unique = list(dict.fromkeys(hashes))
    rows: list[tuple] = []
    for start in range(0, len(unique), batch):
        part = unique[start:start + batch]
        rows += db.execute(sql.format(",".join("?" * len(part))), part).fetchall()
    return rows


class SentenceStore:
    """Sentence vectors of one model, by embed hash; safe to share between threads."""

    def __init__(self, index_dir: Path, model_fingerprint: str) -> None:
        self.folder = Path(index_dir) / FOLDER / model_fingerprint
        self.model_fingerprint = model_fingerprint
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._shards: dict[int, np.ndarray] = {}
        self._warned = False

    def _connect(self, create: bool) -> sqlite3.Connection | None:
        if self._db is None:
            path = self.folder / "index.sqlite"
            if not create and not path.exists():
                return None
            if not create and not writable(self.folder):  # a read-only index: look up, write nothing
                self._db = open_read_only(path, shared=True)
                return self._db
            self.folder.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(path, check_same_thread=False, timeout=30)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("CREATE TABLE IF NOT EXISTS vectors (hash TEXT PRIMARY KEY, shard INTEGER NOT NULL, "
                       "row INTEGER NOT NULL)")
            db.execute("CREATE TABLE IF NOT EXISTS shards (id INTEGER PRIMARY KEY, file TEXT NOT NULL)")
            self._db = db
        return self._db

    def key(self, sentence: str) -> str:
        """The hash a sentence's vector is stored under."""
        return embed_hash(self.model_fingerprint, sentence)

    def known(self, hashes: Sequence[str]) -> set[str]:
        """Which of these hashes have a stored vector."""
        found: set[str] = set()
        with self._lock:
            db = self._connect(create=False)
            if db is None:
                return found
            found.update(h for (h,) in _rows_for(db, "SELECT hash FROM vectors WHERE hash IN ({})", hashes))
        return found

    def lookup(self, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored vectors (float32) of these hashes; absent ones are left out.

        Never raises: an unreadable store (damaged, or on a read-only disk) only means the
        highlighter embeds the sentences itself, so it is logged once and treated as empty.
        """
        try:
            return self._lookup(hashes)
        except (sqlite3.Error, OSError) as exc:
            if not self._warned:
                self._warned = True
                log.warning("sentence store %s unreadable (%s): highlights embed their sentences when asked",
                            self.folder, exc)
            return {}

    def _lookup(self, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        with self._lock:
            db = self._connect(create=False)
            if db is None or not hashes:
                return out
            rows = _rows_for(db, "SELECT v.hash, v.shard, v.row, s.file FROM vectors v JOIN shards s "
                                 "ON s.id = v.shard WHERE v.hash IN ({})", hashes)
            for h, shard, row, file in rows:
                vectors = self._shard(shard, file)
                if vectors is not None and row < len(vectors):
                    out[h] = np.asarray(vectors[row], dtype=np.float32)
        return out

    def _shard(self, shard: int, file: str) -> np.ndarray | None:
        if shard not in self._shards:
            try:
                self._shards[shard] = np.load(self.folder / file, mmap_mode="r")
            except (OSError, ValueError) as exc:
                log.warning("sentence vectors %s unreadable (%s): those sentences are embedded when asked", file, exc)
                return None
        return self._shards[shard]

    def add(self, hashes: Sequence[str], vectors: np.ndarray) -> None:
        """Store one batch: the shard file first, durably, then its hashes in one transaction."""
        if not len(hashes):
            return
        with self._lock:
            db = self._connect(create=True)
            assert db is not None
            name = f"shard-{uuid.uuid4().hex[:12]}.npy"
            tmp = self.folder / f".{name}.tmp"
            with tmp.open("wb") as f:
                np.save(f, np.ascontiguousarray(vectors, dtype=np.float16))
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.folder / name)
            with db:
                shard = db.execute("INSERT INTO shards (file) VALUES (?)", (name,)).lastrowid
                db.executemany("INSERT OR IGNORE INTO vectors (hash, shard, row) VALUES (?, ?, ?)",
                               ((h, shard, i) for i, h in enumerate(hashes)))

    def close(self) -> None:
        """Release the database and the mapped shards."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
            self._shards.clear()


def embed_sentences(store: SentenceStore, encoder: Encoder, pairs: Sequence[tuple[Article, Passage]],
                    progress: Progress | None = None) -> dict:
    """Embed and store the sentences of these passages that the store lacks.

    Args:
        progress: called with ("sentences", done, total) after each batch stored.

    Returns:
        {"sentences": distinct sentences seen, "embedded": how many were new,
        "embed_seconds": time spent embedding and storing them}.

    Raises:
        sqlite3.Error, OSError: the store cannot be written (`SentenceWriter` turns these into a warning).
    """
    started = time.perf_counter()
    keyed: dict[str, str] = {}
    for article, passage in pairs:
        for sentence in passage_sentences(article, passage):
            keyed.setdefault(store.key(sentence), sentence)
    known = store.known(list(keyed))
    missing = [(h, s) for h, s in keyed.items() if h not in known]
    for start in range(0, len(missing), _BATCH):
        block = missing[start:start + _BATCH]

        def batch_done(done: int, _total: int, start: int = start) -> None:
            progress("sentences", start + done, len(missing))  # type: ignore[misc]

        # progress after each of the encoder's batches, not only each stored block: a run's progress is
        # where a Ctrl+C stops it (see index.refresh.stopping)
        vectors = encoder.encode([s for _, s in block], progress=batch_done if progress else None)
        store.add([h for h, _ in block], vectors)
        if progress:
            progress("sentences", start + len(block), len(missing))
    seconds = time.perf_counter() - started
    if missing:
        log.info("embedded %d new sentence(s) for highlights in %.1fs (%d already stored)", len(missing), seconds,
                 len(keyed) - len(missing))
    return {"sentences": len(keyed), "embedded": len(missing), "embed_seconds": round(seconds, 3)}


class SentenceWriter:
    """The extra writer (an `index.store.writers.PatchingWriter`) that keeps the sentence store filled.

    Files go to the store beside the versions, not into the version folder:
    they are a cache shared by all versions, not part of one. A store that
    cannot be written is logged and reported under "error"; it never fails the build.
    """

    def __init__(self, encoder: Encoder, index_dir: Path) -> None:
        self.encoder = encoder
        self.store = SentenceStore(index_dir, encoder.info.fingerprint)

    def __call__(self, _folder: Path, pairs: Sequence[tuple[Article, Passage]], _texts: Sequence[str],
                 progress: Progress | None = None) -> dict:
        """A full build: every passage's sentences (only new ones are embedded); see `embed_sentences`."""
        return self._fill(pairs, progress)

    def patch(self, _folder: Path, _base: Path, _plan: object, pairs: Sequence[tuple[Article, Passage]],
              progress: Progress | None = None) -> dict:
        """A patched version: the incoming passages' sentences."""
        return self._fill(pairs, progress)

    def _fill(self, pairs: Sequence[tuple[Article, Passage]], progress: Progress | None) -> dict:
        # a cache that cannot be written must not stop the index from being refreshed
        try:
            return embed_sentences(self.store, self.encoder, pairs, progress)
        except (sqlite3.Error, OSError) as exc:
            log.warning("could not store sentence vectors in %s (%s): the index is published anyway and its "
                        "highlights embed their sentences when asked — delete that folder to start it afresh",
                        self.store.folder, exc)
            self.store.close()
            return {"sentences": 0, "embedded": 0, "embed_seconds": 0.0, "error": str(exc)}
