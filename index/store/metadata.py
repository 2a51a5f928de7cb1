"""Passage and article metadata of one index version, in SQLite: the one module that runs SQL on its schema.

The vector index knows only integer ids; this store maps them back to
passages and articles with their full attribution. A version's database is
written once, by `write_metadata` (a full build) or by `MetadataPatch` (a
patched version: a copy of the base's, edited), and then only read through
`MetadataStore`.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import NamedTuple

import numpy as np

from corpus.article import Article
from corpus.chunking import Passage
from index.errors import IndexCorrupt

META_FILE = "meta.sqlite"

SCHEMA = """
CREATE TABLE articles (
    id TEXT PRIMARY KEY, title TEXT NOT NULL, title_derived INTEGER NOT NULL, outlet TEXT NOT NULL,
    authors TEXT NOT NULL, published TEXT, url TEXT, source TEXT NOT NULL, text TEXT NOT NULL,
    fingerprint TEXT NOT NULL, indexed_at TEXT NOT NULL, also_published_by TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE passages (
    row INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, article_id TEXT NOT NULL REFERENCES articles(id),
    ordinal INTEGER NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
    paragraph_first INTEGER NOT NULL, paragraph_last INTEGER NOT NULL, text TEXT NOT NULL,
    embed_hash TEXT NOT NULL, split_sentence INTEGER NOT NULL
);
CREATE INDEX passages_article ON passages(article_id, ordinal);
CREATE INDEX articles_published ON articles(published);
"""
# what a refresh looks up: known vectors by embed hash (`MetadataPatch.known_vectors`), every article's
# fingerprint (`MetadataPatch.fingerprints`) and what planning needs of every article (`article_states`),
# without a pass over the passages' and articles' text (1.2 s at a million passages); created after a
# build's inserts, and once in a patch of a version without them
LOOKUP_INDEXES = """
CREATE INDEX IF NOT EXISTS passages_embed_hash ON passages(embed_hash);
CREATE INDEX IF NOT EXISTS articles_fingerprint ON articles(fingerprint);
CREATE INDEX IF NOT EXISTS articles_states ON articles(id, fingerprint, title, source, also_published_by);
"""

_ARTICLE_COLUMNS = ("id, title, title_derived, outlet, authors, published, url, source, text, fingerprint, indexed_at, "
                    "also_published_by")
_PASSAGE_COLUMNS = 'row, id, article_id, ordinal, start, "end", paragraph_first, paragraph_last, text, split_sentence'
_INSERT_ARTICLE = f"INSERT INTO articles ({_ARTICLE_COLUMNS}) VALUES ({','.join('?' * 12)})"
_INSERT_PASSAGE = f"INSERT INTO passages ({_PASSAGE_COLUMNS}, embed_hash) VALUES ({','.join('?' * 11)})"
_BATCH = 500  # ids per `IN (...)`: well under SQLite's limit on parameters


def write_metadata(folder: Path, articles: Iterable[Article], passages: Iterable[Passage],
                   embed_hashes: Iterable[str], indexed_at: Mapping[str, str]) -> None:
    """Create a version's metadata database; passage order defines the row ids (0..n-1).

    Args:
        embed_hashes: each passage's `index.encoder.embed_hash`, aligned with `passages`.
        indexed_at: article id → ISO time its passages were first embedded.

    Raises:
        ValueError: `passages` and `embed_hashes` differ in length.
        KeyError: an article has no `indexed_at`.
    """
    db = sqlite3.connect(folder / META_FILE)
    try:
        db.executescript(SCHEMA)
        db.executemany(_INSERT_ARTICLE, (article_row(a, indexed_at[a.id]) for a in articles))
        db.executemany(_INSERT_PASSAGE, (_passage_row(row, p, h) for row, (p, h)
                                         in enumerate(zip(passages, embed_hashes, strict=True))))
        db.executescript(LOOKUP_INDEXES)
        db.commit()
    finally:
        db.close()


def article_row(a: Article, indexed_at: str) -> tuple:
    """The articles-table row of an article, in `_ARTICLE_COLUMNS` order."""
    return (a.id, a.title, int(a.title_derived), a.outlet, json.dumps(list(a.authors)),
            a.published.isoformat() if a.published else None, a.url, a.source, a.text, a.fingerprint,
            indexed_at, json.dumps(list(a.also_published_by)))


def _passage_row(row: int, p: Passage, embed_hash: str) -> tuple:
    """The passages-table row of a passage, in `_PASSAGE_COLUMNS` order then its embed hash."""
    return (row, p.id, p.article_id, p.ordinal, p.start, p.end, p.paragraph_first, p.paragraph_last, p.text,
            int(p.split_sentence), embed_hash)


def _batches(items: Sequence, size: int = _BATCH) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _marks(part: Sequence) -> str:
    return ",".join("?" * len(part))


def _article(row: sqlite3.Row) -> Article:
    return Article(id=row["id"], title=row["title"], title_derived=bool(row["title_derived"]), outlet=row["outlet"],
                   authors=tuple(json.loads(row["authors"])),
                   published=date.fromisoformat(row["published"]) if row["published"] else None,
                   url=row["url"], text=row["text"], source=row["source"],
                   also_published_by=tuple(json.loads(row["also_published_by"] or "[]")))


def _passage(row: sqlite3.Row) -> Passage:
    return Passage(id=row["id"], article_id=row["article_id"], ordinal=row["ordinal"], text=row["text"],
                   start=row["start"], end=row["end"], paragraph_first=row["paragraph_first"],
                   paragraph_last=row["paragraph_last"], split_sentence=bool(row["split_sentence"]))


class ArticleNumbers(NamedTuple):
    """Each passage row's article as a small int, and the article ids those ints index."""

    of_row: np.ndarray  # int64, shape (passages,): position in `ids` of each row's article
    ids: list[str]  # sorted article ids


class Counts(NamedTuple):
    """How many articles and passages a version holds."""

    articles: int
    passages: int


class MetadataStore:
    """Read-only access to a version's metadata, safe to share between threads."""

    def __init__(self, folder: Path) -> None:
        path = folder / META_FILE
        if not path.exists():
            raise IndexCorrupt(f"{path} is missing — run `newsbot build` to rebuild the index")
        self._db = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True, check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.Lock()
        try:
            self._query("SELECT count(*) FROM passages")
        except sqlite3.DatabaseError as exc:
            raise IndexCorrupt(f"{path} is not a readable database ({exc}) — run `newsbot build`") from None

    def _query(self, sql: str, params: Iterable = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, tuple(params)).fetchall()

    def close(self) -> None:
        """Release the database handle."""
        self._db.close()

    def passages_by_rows(self, rows: Iterable[int]) -> dict[int, Passage]:
        """Passages for FAISS ids."""
        rows = [int(r) for r in rows]
        if not rows:
            return {}
        found = self._query(f"SELECT {_PASSAGE_COLUMNS} FROM passages WHERE row IN ({','.join('?' * len(rows))})", rows)
        return {r["row"]: _passage(r) for r in found}

    def passage(self, passage_id: str) -> tuple[int, Passage] | None:
        """A passage and its row by its public id (exact, or a unique prefix)."""
        found = self._query(f"SELECT {_PASSAGE_COLUMNS} FROM passages WHERE id = ? OR id LIKE ? LIMIT 2",
                            (passage_id, passage_id + "%"))
        exact = [r for r in found if r["id"] == passage_id]
        chosen = exact[0] if exact else (found[0] if len(found) == 1 else None)
        return (chosen["row"], _passage(chosen)) if chosen else None

    def article_of_passage(self, passage_id: str) -> str | None:
        """The article id of the passage whose id is exactly `passage_id` (None: no such passage)."""
        found = self._query("SELECT article_id FROM passages WHERE id = ?", (passage_id,))
        return found[0]["article_id"] if found else None

    def passages_of(self, article_id: str) -> list[tuple[int, Passage]]:
        """All passages of one article, in order."""
        found = self._query(f"SELECT {_PASSAGE_COLUMNS} FROM passages WHERE article_id = ? ORDER BY ordinal",
                            (article_id,))
        return [(r["row"], _passage(r)) for r in found]

    def articles(self, ids: Iterable[str]) -> dict[str, Article]:
        """Articles by id."""
        ids = list(dict.fromkeys(ids))
        if not ids:
            return {}
        found = self._query(f"SELECT {_ARTICLE_COLUMNS} FROM articles WHERE id IN ({','.join('?' * len(ids))})", ids)
        return {r["id"]: _article(r) for r in found}

    def article(self, article_id: str) -> Article | None:
        """One article by id."""
        return self.articles([article_id]).get(article_id)

    def indexed_at(self, article_id: str) -> str | None:
        """When the article's passages were first embedded into the index."""
        found = self._query("SELECT indexed_at FROM articles WHERE id = ?", (article_id,))
        return found[0]["indexed_at"] if found else None

    def list_articles(self, with_text: bool = True) -> list[Article]:
        """Every article, newest first (undated last).

        Args:
            with_text: False leaves each `Article.text` empty: a listing of 100,000 articles then holds
                their attribution only, not hundreds of megabytes of bodies.
        """
        columns = _ARTICLE_COLUMNS if with_text else _ARTICLE_COLUMNS.replace(" text,", " '' AS text,")
        found = self._query(f"SELECT {columns} FROM articles ORDER BY published IS NULL, published DESC, title")
        return [_article(r) for r in found]

    def outlets(self) -> set[str]:
        """Every outlet's name as stored (one read of a column, no article bodies)."""
        return {r["outlet"] for r in self._query("SELECT DISTINCT outlet FROM articles")}

    def iter_passage_rows(self) -> Iterator[tuple[int, str, str, str]]:
        """(row, passage id, article id, embed hash) for every passage, in row order."""
        for r in self._query('SELECT row, id, article_id, embed_hash FROM passages ORDER BY row'):
            yield r["row"], r["id"], r["article_id"], r["embed_hash"]

    def hashes_of_articles(self, article_ids: Iterable[str]) -> dict[str, int]:
        """embed hash → row, for the passages of these articles (by the article index: cheap for a few)."""
        found: dict[str, int] = {}
        for part in _batches(list(dict.fromkeys(article_ids))):
            for r in self._query(f"SELECT embed_hash, row FROM passages WHERE article_id IN ({_marks(part)})", part):
                found.setdefault(r["embed_hash"], r["row"])
        return found

    def pairs(self) -> list[tuple[Article, Passage]]:
        """Every (article, passage) in row order: what a writer that cannot patch its files writes from."""
        articles = {r["id"]: _article(r) for r in self._query(f"SELECT {_ARTICLE_COLUMNS} FROM articles")}
        return [(articles[r["article_id"]], _passage(r))
                for r in self._query(f"SELECT {_PASSAGE_COLUMNS} FROM passages ORDER BY row")]

    def passage_count(self) -> int:
        """Number of passage rows."""
        with self._lock:
            return _passage_count(self._db)

    def rows_of_articles(self, article_ids: Iterable[str]) -> list[int]:
        """The passage rows of these articles, ascending (unknown ids have none)."""
        with self._lock:
            return _rows_of_articles(self._db, article_ids)

    def known_vectors(self, hashes: Iterable[str]) -> dict[str, int]:
        """embed hash → a row already holding its vector, for the hashes this version has (an index lookup
        where the version has `passages_embed_hash`, else a pass over the passages)."""
        with self._lock:
            return _known_vectors(self._db, hashes)

    def article_numbers(self) -> ArticleNumbers:
        """Each row's article as a small int (index into the returned article ids), in one fast pass.

        Why not `iter_passage_rows`: building 100,000 row objects takes most of a second, and this
        runs each time a new version is swapped in.
        """
        try:
            return self._article_numbers_from_index()
        except sqlite3.OperationalError:  # a version without the `passages_article` index
            pass
        with self._lock:
            cursor = self._db.cursor()
            cursor.row_factory = None
            ids = [a for (a,) in cursor.execute("SELECT article_id FROM passages ORDER BY row")]
        if not ids:
            return ArticleNumbers(np.zeros(0, dtype=np.int64), [])
        # a dict over the distinct ids, not np.unique over an object array: 13 ms instead of 65 ms at 122,732
        # passages (that sorts every row's id; this sorts only the ~10,000 distinct ones)
        names = sorted(set(ids))
        position = {name: n for n, name in enumerate(names)}
        return ArticleNumbers(np.fromiter((position[a] for a in ids), dtype=np.int64, count=len(ids)), names)

    def _article_numbers_from_index(self) -> ArticleNumbers:
        """`article_numbers` read from the `passages_article` index alone: each article's passage count,
        then every row in (article, ordinal) order — integers, not a million id strings, and no pass over
        the passages' text (0.8 s instead of 1.0-1.6 s at a million passages).

        Raises:
            sqlite3.OperationalError: the version has no such index.
        """
        with self._lock:
            cursor = self._db.cursor()
            cursor.row_factory = None
            groups = cursor.execute("SELECT article_id, count(*) FROM passages INDEXED BY passages_article "
                                    "GROUP BY article_id ORDER BY article_id").fetchall()
            total = sum(c for _, c in groups)
            rows = np.fromiter((r for (r,) in cursor.execute(
                "SELECT row FROM passages INDEXED BY passages_article ORDER BY article_id, ordinal")),
                dtype=np.int64, count=total)
        numbers = np.empty(total, dtype=np.int64)
        # article ids sort the same in SQLite (bytes of UTF-8) as in Python (code points)
        numbers[rows] = np.repeat(np.arange(len(groups), dtype=np.int64), [c for _, c in groups])
        return ArticleNumbers(numbers, [a for a, _ in groups])

    def articles_of_rows(self, rows: Iterable[int]) -> dict[int, str]:
        """row → the id of the article its passage belongs to, for these rows (rows not in the version: absent)."""
        out: dict[int, str] = {}
        wanted = [int(r) for r in rows]
        with self._lock:
            for part in _batches(wanted):
                out.update((int(r), a) for r, a in self._db.execute(
                    f"SELECT row, article_id FROM passages WHERE row IN ({_marks(part)})", part))
        return out

    def publication_dates_of(self, article_ids: Iterable[str]) -> dict[str, date | None]:
        """`publication_dates` for these articles only (unknown ids: absent)."""
        out: dict[str, date | None] = {}
        with self._lock:
            for part in _batches(list(article_ids)):
                out.update((i, date.fromisoformat(p) if p else None) for i, p in self._db.execute(
                    f"SELECT id, published FROM articles WHERE id IN ({_marks(part)})", part))
        return out

    def publication_dates(self) -> dict[str, date | None]:
        """Every article's publication date (None when undated), by id."""
        return {r["id"]: date.fromisoformat(r["published"]) if r["published"] else None
                for r in self._query("SELECT id, published FROM articles")}

    def rows_where(self, outlet_keys: set[str] | None, since: date | None, until: date | None,
                   outlet_key_of: dict[str, str]) -> list[int]:
        """Rows of passages whose article passes the filters (used to restrict search)."""
        clauses, params = [], []
        if since:
            clauses.append("a.published >= ?")
            params.append(since.isoformat())
        if until:
            clauses.append("a.published <= ?")
            params.append(until.isoformat())
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        found = self._query(f"SELECT p.row, a.outlet FROM passages p JOIN articles a ON a.id = p.article_id{where}",
                            params)
        return [r["row"] for r in found if outlet_keys is None or outlet_key_of.get(r["outlet"]) in outlet_keys]

    def nearest_published(self, before: date | None, after: date | None,
                          admits: Callable[[str, str], bool]) -> tuple[date | None, date | None]:
        """The latest publication day before `before` and the earliest after `after` among admitted articles.

        Args:
            before, after: the days the search goes back from / forward from (exclusive); None: that side is
                not searched (its answer is None).
            admits: (article id, outlet) → whether the article counts (outlet filters, hidden articles).

        Returns:
            (day before, day after); None where no admitted dated article lies on that side.
        """
        def scan(clause: str, order: str, day: date) -> date | None:
            offset = 0
            while True:  # pages, so a long run of articles that do not count is not read in one go
                rows = self._query(f"SELECT id, outlet, published FROM articles WHERE published {clause} ? "
                                   f"ORDER BY published {order} LIMIT 256 OFFSET ?", (day.isoformat(), offset))
                for r in rows:
                    if admits(r["id"], r["outlet"]):
                        return date.fromisoformat(r["published"])
                if len(rows) < 256:
                    return None
                offset += len(rows)

        return (scan("<", "DESC", before) if before else None, scan(">", "ASC", after) if after else None)

    def article_states(self) -> list[tuple[str, str, str, str, tuple[str, ...]]]:
        """(id, fingerprint, title, source, also published by) of every article, for refresh planning.

        Why not `list_articles`: planning a large corpus must not load every article's text.
        """
        with self._lock:
            cursor = self._db.cursor()
            cursor.row_factory = None  # plain tuples: 87,000 row objects cost a tenth of a second
            # read from the covering index `articles_states` where the version has it (SQLite picks it)
            found = cursor.execute("SELECT id, fingerprint, title, source, also_published_by FROM articles").fetchall()
        return [(i, fp, title, source, tuple(json.loads(also)) if also and also != "[]" else ())
                for i, fp, title, source, also in found]

    def counts(self) -> Counts:
        """(articles, passages)."""
        a = self._query("SELECT count(*) FROM articles")[0][0]
        p = self._query("SELECT count(*) FROM passages")[0][0]
        return Counts(int(a), int(p))


class MetadataPatch:
    """A patched version's metadata: a copy of the base version's, edited in place. Not thread-safe.

    Used as a context manager (closes the database). The copy is written with
    no syncs: the version is checksummed and flushed as a whole before it counts
    (see `index.store.durability`).

    Why a write-ahead log while editing: every page SQLite changes goes to the
    log first (the log's frame headers name the page, a documented part of
    SQLite's file format: https://www.sqlite.org/fileformat2.html#walformat),
    so on `close` the patch knows exactly which pages of the 1.5 GB copy it
    wrote (`written`) before copying them back into the file, and the manifest
    re-hashes only those blocks (`index.store.manifest.patched_block_sha256`).
    Exclusive locking keeps the log's index in memory (no `-shm` file); the file
    is back in rollback-journal mode, with no log beside it, once `close` returns.
    """

    def __init__(self, base: Path, folder: Path, copied: bool = False) -> None:
        """Copy `base`'s metadata into the version folder `folder` and open the copy for editing.

        Args:
            copied: `folder` already holds a whole copy of it (`index.refresh.steps.CopyAhead`).

        Raises:
            OSError: the base's file cannot be copied.
        """
        self.path = folder / META_FILE
        if not copied:
            shutil.copyfile(base / META_FILE, self.path)
        self.written: list[tuple[int, int]] = []  # byte ranges of the file the edit wrote, known after `close`
        self._db = sqlite3.connect(self.path, isolation_level=None)
        # no syncs first: switching the journal mode with syncs on fsyncs the fresh 1.5 GB copy (0.7 s at 1M)
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.execute("PRAGMA locking_mode=EXCLUSIVE")
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA wal_autocheckpoint=0")  # every changed page stays in the log until `close`
        self._db.executescript(LOOKUP_INDEXES)  # a version written before them gets them, once
        self._closed = False

    def __enter__(self) -> MetadataPatch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Copy the edited pages into the file and release the database (the file is complete once this
        returns, and `written` holds every byte range of it the edit changed)."""
        if self._closed:
            return
        self._closed = True
        try:
            self.written = _pages_in_log(self.path.with_name(self.path.name + "-wal"))
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._db.execute("PRAGMA journal_mode=DELETE")  # rewrites the header (page 1) and removes the log
        finally:
            self._db.close()

    def passage_count(self) -> int:
        """Rows of the base version."""
        return _passage_count(self._db)

    def rows_of_articles(self, article_ids: Iterable[str]) -> list[int]:
        """The passage rows of these articles, ascending (unknown ids have none)."""
        return _rows_of_articles(self._db, article_ids)

    def known_vectors(self, hashes: Iterable[str]) -> dict[str, int]:
        """embed hash → a base row already holding its vector, for the hashes the base has."""
        return _known_vectors(self._db, hashes)

    def apply(self, drop: Iterable[str], moves: Iterable[tuple[int, int]], articles: Iterable[Article],
              passages: Iterable[tuple[int, Passage, str]],
              relabel: Mapping[str, tuple[str, Sequence[str]]], indexed_at: str) -> None:
        """Edit the copy in one transaction (all or nothing), in this order:

        1. delete the articles `drop` and their passages;
        2. move each surviving passage row `from` to row `to` (`moves`: (from, to) pairs);
        3. insert `articles` (first indexed at `indexed_at`, an ISO time) and `passages`,
           given as (row, passage, embed hash);
        4. set the source and "also published by" of the articles in `relabel`
           (id → (source, other outlets)).

        Raises:
            sqlite3.Error: the edit failed (nothing of it is kept), e.g. a row or id taken twice.
        """
        db = self._db
        db.execute("BEGIN")
        try:
            for part in _batches(list(drop)):
                db.execute(f"DELETE FROM passages WHERE article_id IN ({_marks(part)})", part)
                db.execute(f"DELETE FROM articles WHERE id IN ({_marks(part)})", part)
            db.executemany("UPDATE passages SET row = ? WHERE row = ?", ((to, frm) for frm, to in moves))
            db.executemany(_INSERT_ARTICLE, (article_row(a, indexed_at) for a in articles))
            db.executemany(_INSERT_PASSAGE, (_passage_row(row, p, h) for row, p, h in passages))
            db.executemany("UPDATE articles SET source = ?, also_published_by = ? WHERE id = ?",
                           ((source, json.dumps(list(also)), article_id)
                            for article_id, (source, also) in relabel.items()))
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise

    def verify_rows(self, n: int) -> None:
        """Check that the passage rows are exactly 0..n-1.

        Raises:
            RuntimeError: they are not (a bookkeeping error of the patch: nothing may be published).
        """
        count, low, high = self._db.execute("SELECT count(*), min(row), max(row) FROM passages").fetchone()
        if count != n or (count and (low, high) != (0, n - 1)):
            raise RuntimeError(f"patched metadata has rows {low}..{high} ({count}), expected 0..{n - 1}")

    def fingerprints(self) -> list[str]:
        """Every article's content fingerprint, sorted (see `index.store.manifest.corpus_fingerprint`)."""
        return sorted(fp for (fp,) in self._db.execute("SELECT fingerprint FROM articles"))


def _passage_count(db: sqlite3.Connection) -> int:
    return int(db.execute("SELECT count(*) FROM passages").fetchone()[0])


def _rows_of_articles(db: sqlite3.Connection, article_ids: Iterable[str]) -> list[int]:
    rows: list[int] = []
    for part in _batches(list(article_ids)):
        rows += [int(r[0]) for r in db.execute(f"SELECT row FROM passages WHERE article_id IN ({_marks(part)})", part)]
    return sorted(rows)


def _known_vectors(db: sqlite3.Connection, hashes: Iterable[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for part in _batches(list(dict.fromkeys(hashes))):
        for h, row in db.execute(f"SELECT embed_hash, row FROM passages WHERE embed_hash IN ({_marks(part)})", part):
            found.setdefault(h, int(row))
    return found


_WAL_HEADER = 32  # bytes of a write-ahead log's header; each frame is a 24-byte header and one page
_WAL_FRAME_HEADER = 24


def _pages_in_log(wal: Path) -> list[tuple[int, int]]:
    """Byte ranges of the database file that the pages in write-ahead log `wal` will overwrite, plus the
    first page (its header changes with the journal mode); SQLite's WAL format: big-endian page size at
    header offset 8, each frame's page number (1-based) at its offset 0. Every frame is counted, committed
    or not, so the ranges are a superset of what a checkpoint writes."""
    try:
        f = wal.open("rb")
    except FileNotFoundError:
        return [(0, 65536)]  # nothing logged: only the header page can change (the largest page size)
    with f:
        header = f.read(_WAL_HEADER)
        if len(header) < _WAL_HEADER:
            return [(0, 65536)]
        page_size = int.from_bytes(header[8:12], "big")
        page_size = 65536 if page_size == 1 else page_size  # the format stores 64 KiB as 1
        size = wal.stat().st_size
        pages = {1}
        for at in range(_WAL_HEADER, size - _WAL_FRAME_HEADER - page_size + 1, _WAL_FRAME_HEADER + page_size):
            f.seek(at)
            pages.add(int.from_bytes(f.read(4), "big"))
    return [((p - 1) * page_size, p * page_size) for p in sorted(pages)]
