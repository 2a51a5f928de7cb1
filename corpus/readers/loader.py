"""Read a folder tree of article files, choosing a reader by file type.

Why a report and not an exception: one broken file must never keep the rest of
the corpus from loading. Each problem is kept with its file and line so the CLI,
the bot and refresh summaries can show it.
"""

from __future__ import annotations

import gzip
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from corpus.article import Article
from corpus.errors import CorpusError, EmptyBody, NotUtf8, UnreadableFile, UnsupportedFile
from corpus.readers.html import read_html_file
from corpus.readers.jsonl import jsonl_lines, parse_jsonl
from corpus.folder.planning import ArticleRef, Duplicate, deduplicate
from corpus.readers.seed import parse_seed

log = logging.getLogger(__name__)

SKIPPED_DIRS = {"removed", "__pycache__"}
IGNORED_NAMES = {"README", "README.md", "README.txt", "LICENSE"}


@dataclass
class LoadReport:
    """What loading a folder produced: the articles and every problem met.

    `problems` holds what was skipped and, marked `warning`, what was only left out of
    an article that was still read (a publication date, say); `skipped` and `notes` split them.
    """

    articles: list[Article] = field(default_factory=list)
    problems: list[CorpusError] = field(default_factory=list)
    duplicates: list[tuple[Article, Article]] = field(default_factory=list)
    files_read: int = 0
    copies: list[Duplicate] = field(default_factory=list)

    @property
    def skipped(self) -> list[CorpusError]:
        """Problems that kept a file or record out."""
        return [p for p in self.problems if not p.warning]

    @property
    def notes(self) -> list[CorpusError]:
        """Warnings about articles that were read (see `corpus.errors.DroppedDate`)."""
        return [p for p in self.problems if p.warning]


def _read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
        if path.suffix == ".gz":
            raw = gzip.decompress(raw)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise UnreadableFile(path, f"the file cannot be read ({exc})",
                             "check that it exists, is readable and (for .gz) is a complete gzip file") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise NotUtf8(path, f"byte {raw[exc.start]:#04x} at offset {exc.start} is not UTF-8",
                      "save the file as UTF-8 text", line=line) from None


def read_seed_file(path: Path) -> Iterator[Article | CorpusError]:
    """Reader for `.txt` seed-format files."""
    try:
        yield parse_seed(_read_text(path), path)
    except CorpusError as exc:
        yield exc


def read_jsonl_file(path: Path) -> Iterator[Article | CorpusError]:
    """Reader for `.jsonl` and `.jsonl.gz` files (an empty one is reported, as an empty `.txt` is)."""
    try:
        text = _read_text(path)
    except CorpusError as exc:
        yield exc
        return
    if not text.strip():
        yield EmptyBody(path, "the file is empty", "add one JSON object a line (at least `text`), or move the file "
                                                   "out of the corpus")
        return
    yield from parse_jsonl(iter(jsonl_lines(text)), path)


Reader = Callable[[Path], Iterator["Article | CorpusError"]]
READERS: dict[str, Reader] = {
    ".txt": read_seed_file,
    ".jsonl": read_jsonl_file,
    ".jsonl.gz": read_jsonl_file,
    ".html": read_html_file,
    ".htm": read_html_file,
}


def reader_for(path: Path) -> Reader | None:
    """The reader for a file, by its longest matching suffix."""
    name = path.name.lower()
    for suffix in sorted(READERS, key=len, reverse=True):
        if name.endswith(suffix):
            return READERS[suffix]
    return None


def corpus_files(root: Path) -> list[Path]:
    """Every candidate file under `root`, in a stable order, hidden ones skipped."""
    return [Path(p) for p in corpus_file_names(root)]


def corpus_file_names(root: Path) -> list[str]:
    """`corpus_files` as strings (scanning 10,000 files, building Paths is a cost of its own)."""
    if root.is_file():
        return [str(root)]
    found: list[tuple[tuple[str, ...], str]] = []
    # os.scandir, not Path.rglob: its entries know their type without a stat call, which makes
    # listing a folder of 10,000 files about ten times faster, and refreshes list it every time
    stack: list[tuple[str, tuple[str, ...]]] = [(str(root), ())]
    while stack:
        folder, rel = stack.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                name = entry.name
                if name.startswith("."):
                    continue
                if entry.is_dir():
                    if name not in SKIPPED_DIRS:
                        stack.append((entry.path, (*rel, name)))
                elif entry.is_file() and name not in IGNORED_NAMES:
                    found.append(((*rel, name), entry.path))
    found.sort(key=lambda item: item[0])
    return [path for _, path in found]


def read_file(path: Path) -> list[Article | CorpusError]:
    """All articles and problems of one file; each article's warnings (`Article.notes`) come just before it."""
    reader = reader_for(path)
    if reader is None:
        return [UnsupportedFile(path, f"no reader for {path.suffix or 'files without a suffix'}",
                                "use .txt (seed format), .jsonl, .jsonl.gz or .html, or move the file out of the corpus")]
    items: list[Article | CorpusError] = []
    try:
        for item in reader(path):
            if isinstance(item, Article):
                items.extend(item.notes)
            items.append(item)
    except (KeyboardInterrupt, SystemExit, MemoryError):
        raise
    except Exception as exc:  # noqa: BLE001 - a reader's bug on odd input must cost one file, never the build
        log.exception("reading %s failed", path)
        items.append(UnreadableFile(path, f"the file could not be read ({type(exc).__name__}: {str(exc)[:160]})",
                                    "the rest of the corpus was read; fix or move this file, and report the error "
                                    "if the file looks valid"))
    return items


def load_corpus(root: Path | str) -> LoadReport:
    """Load every article under `root`, each story once.

    Copies with the same id, canonical URL or normalised text are indexed once
    (see `corpus.folder.planning.deduplicate`); the outlets of syndicated copies are
    recorded in the kept article's `also_published_by`.

    Raises:
        UnreadableFile: `root` itself does not exist (nothing else is fatal).
    """
    root = Path(root)
    if not root.exists():
        raise UnreadableFile(root, "the corpus folder does not exist",
                             "create it, or point --corpus / NEWSBOT_CORPUS_DIR at your articles")
    report = LoadReport()
    read: list[tuple[Article, ArticleRef]] = []
    for path in corpus_files(root):
        report.files_read += 1
        for item in read_file(path):
            if isinstance(item, CorpusError):
                # reported by the caller from `report.problems` (a warning here would print it a second time)
                log.debug("%s %s", "note:" if item.warning else "skipped", item.message)
                report.problems.append(item)
            else:
                read.append((item, ArticleRef.of(item, str(path))))
    dedup = deduplicate([ref for _, ref in read])
    by_ref = {id(ref): article for article, ref in read}
    kept_by_id = {ref.id: by_ref[id(ref)] for ref in dedup.kept}
    for ref in dedup.kept:
        article = by_ref[id(ref)]
        also = dedup.also_published_by.get(ref.id, ())
        report.articles.append(replace(article, also_published_by=also) if also else article)
    by_source = {(ref.id, ref.source): by_ref[id(ref)] for _, ref in read}
    for dup in dedup.duplicates:
        report.copies.append(dup)
        report.duplicates.append((by_source[(dup.id, dup.source)], kept_by_id[dup.kept_id]))
    return report
