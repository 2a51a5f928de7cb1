"""Take articles out of the corpus folder and put them back, deleting nothing.

A removed article goes to `CORPUS/removed/`, at the same relative path it had
(the loader never reads `removed/`), so the folder alone still says what was
taken out and from where, and restoring is the reverse move.

A file that holds one article moves as a whole. A JSON Lines file that holds
several keeps the others: only the article's line moves, appended to the
file of the same relative path under `removed/`, and the source file is
rewritten without it. Every rewrite is atomic (hidden temp file, fsync,
rename), and the copy under `removed/` is written before the source loses the
line, so a crash in between leaves the article in both places, never in none.
"""

from __future__ import annotations

import gzip
import logging
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from corpus.article import Article
from corpus.errors import CorpusError
from corpus.readers.jsonl import jsonl_lines
from corpus.readers.loader import corpus_files, read_file

log = logging.getLogger(__name__)

REMOVED_DIR = "removed"
_RECORD_SUFFIXES = (".jsonl", ".jsonl.gz")


class RemovalError(CorpusError):
    """An article cannot be moved out of (or back into) the corpus folder."""


@dataclass(frozen=True)
class Moved:
    """One move: the article, where it was and where it is now, and whether its whole file moved."""

    article_id: str
    title: str
    source: Path
    target: Path
    whole_file: bool

    def describe(self, root: Path) -> str:
        """`corpus/a.jsonl → removed/a.jsonl (one record)`, relative to the corpus folder."""
        what = "file" if self.whole_file else "one record"
        return f"{_rel(self.source, root)} → {_rel(self.target, root)} ({what})"


@dataclass(frozen=True)
class RemovedArticle:
    """An article found under `removed/`, restorable."""

    article: Article
    file: Path


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def removed_dir(root: Path) -> Path:
    """`CORPUS/removed`."""
    return Path(root) / REMOVED_DIR


def _is_records(path: Path) -> bool:
    return path.name.lower().endswith(_RECORD_SUFFIXES)


def _read_lines(path: Path) -> list[str]:
    raw = path.read_bytes()
    if path.name.lower().endswith(".gz"):
        raw = gzip.decompress(raw)
    lines = jsonl_lines(raw.decode("utf-8-sig"))
    return lines[:-1] if lines and lines[-1] == "" else lines  # the newline that ends the file ends no record


def write_atomic(path: Path, data: bytes) -> None:
    """Replace `path` with `data`: hidden temp file beside it, fsync, rename (readers see old or new, never half)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with tmp.open("wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _write_lines(path: Path, lines: list[str]) -> None:
    data = "".join(line + "\n" for line in lines).encode("utf-8")
    if path.name.lower().endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    write_atomic(path, data)


def _lines_of(path: Path, article_id: str) -> tuple[list[str], list[int]]:
    """The file's lines and the 0-based indexes of the lines that hold `article_id`."""
    found = [a for a in read_file(path) if isinstance(a, Article) and a.id == article_id]
    numbers = sorted({int(a.source.rsplit(":", 1)[1]) - 1 for a in found})
    return _read_lines(path), numbers


def _count_records(lines: list[str]) -> int:
    return sum(1 for line in lines if line.strip())


def _move_file(source: Path, target: Path) -> None:
    """Move a whole file; a records file whose target exists is appended to it instead (nothing overwritten)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        if not (_is_records(source) and _is_records(target) and source.suffix == target.suffix):
            raise RemovalError(target, "a file of that name is already there",
                               "move or rename it by hand, then try again")
        _write_lines(target, _read_lines(target) + [x for x in _read_lines(source) if x.strip()])
        source.unlink()
    else:
        os.replace(source, target)
    _fsync_dir(target.parent)
    _fsync_dir(source.parent)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _move_article(root_from: Path, root_to: Path, file: Path, article_id: str, title: str) -> Moved:
    """Move one article's file, or just its record line(s), from under `root_from` to the same place under `root_to`."""
    target = root_to / file.relative_to(root_from)
    if not _is_records(file):
        _move_file(file, target)
        return Moved(article_id, title, file, target, True)
    lines, numbers = _lines_of(file, article_id)
    if not numbers:
        raise RemovalError(file, f"the article {article_id} is no longer in this file",
                           "run a refresh so the index sees the folder as it is, then try again")
    moving = [lines[i] for i in numbers]
    kept = [line for i, line in enumerate(lines) if i not in set(numbers)]
    if _count_records(kept) == 0:
        _move_file(file, target)
        return Moved(article_id, title, file, target, True)
    existing = _read_lines(target) if target.exists() else []
    _write_lines(target, existing + moving)  # the copy first: a crash now leaves it in both places, never in none
    _write_lines(file, kept)
    return Moved(article_id, title, file, target, False)


def remove_article(root: Path, file: Path, article_id: str, title: str = "") -> Moved:
    """Move an article out of the corpus into `removed/`, keeping its relative path.

    Raises:
        RemovalError: the file is not inside the corpus folder, no longer holds the article,
            or a different file already sits at the target.
    """
    root, file = Path(root).resolve(), Path(file).resolve()
    if removed_dir(root) in file.parents or root not in file.parents:
        raise RemovalError(file, "the file is not in the corpus folder", "only articles in the corpus can be removed")
    moved = _move_article(root, removed_dir(root), file, article_id, title)
    log.info("removed article %s: %s", article_id, moved.describe(root))
    return moved


def restore_article(root: Path, file: Path, article_id: str, title: str = "") -> Moved:
    """Move an article from `removed/` back to where it was in the corpus.

    Raises:
        RemovalError: the file is not under `removed/`, or a different file now sits at the original path.
    """
    root, file = Path(root).resolve(), Path(file).resolve()
    if removed_dir(root) not in file.parents:
        raise RemovalError(file, "the file is not in the removed/ folder", "pick an article that was removed")
    moved = _move_article(removed_dir(root), root, file, article_id, title)
    log.info("restored article %s: %s", article_id, moved.describe(root))
    return moved


def removed_articles(root: Path) -> list[RemovedArticle]:
    """Every readable article under `removed/`, in folder order (problems are skipped: they were never indexed)."""
    folder = removed_dir(Path(root).resolve())
    if not folder.is_dir():
        return []
    out = []
    for path in corpus_files(folder):
        out += [RemovedArticle(item, path) for item in read_file(path) if isinstance(item, Article)]
    return out
