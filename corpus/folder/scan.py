"""Scan the corpus folder, reading only the files that changed since the last scan.

Why: a refresh of 2,000 unchanged files must take well under a second, and a
100,000-passage corpus must not be parsed again to find one changed article.
Like git's index, a file whose size, modification and change times and inode
are as recorded is taken as unchanged, and its articles' references (ids and
content hashes, see `ArticleRef`) come from the record. A file modified within
`RACY_NS` of when it was recorded is read again, since a second write within
the clock's granularity would not show in its times.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from corpus import errors as corpus_errors
from corpus.article import Article
from corpus.errors import CorpusError, UnreadableFile
from corpus.readers.loader import READERS, corpus_file_names, read_file
from corpus.folder.planning import ArticleRef

# Bump when a reader's output changes, so cached file records are not trusted across versions.
PARSE_VERSION = 3  # 3: intake text normalisation, bylines by corpus.people, dates by corpus.dates
RACY_NS = 2_000_000_000

ScanProgress = Callable[[int, int], None]


def reader_signature() -> str:
    """Identifies the readers that produced a cached record."""
    return f"{PARSE_VERSION}:{','.join(sorted(READERS))}"


@dataclass(frozen=True)
class FileRecord:
    """What a scan learnt about one file, cached until the file changes."""

    path: str
    size: int
    mtime_ns: int
    ctime_ns: int
    inode: int
    recorded_ns: int
    refs: tuple[ArticleRef, ...]
    problems: tuple[dict, ...] = ()

    def matches(self, st: os.stat_result) -> bool:
        """True when the file looks untouched since it was recorded (and not racily so)."""
        return (st.st_size == self.size and st.st_mtime_ns == self.mtime_ns and st.st_ctime_ns == self.ctime_ns
                and st.st_ino == self.inode and self.recorded_ns - st.st_mtime_ns > RACY_NS)

    def errors(self) -> list[CorpusError]:
        """The file's problems as typed errors again."""
        return [problem_from_json(p) for p in self.problems]


def problem_to_json(error: CorpusError) -> dict:
    """A corpus error as plain data for the cache."""
    return {"type": type(error).__name__, "path": str(error.path), "line": error.line,
            "problem": error.problem, "fix": error.fix}


def problem_from_json(data: Mapping) -> CorpusError:
    """Inverse of `problem_to_json` (unknown types come back as the base class)."""
    cls = getattr(corpus_errors, str(data.get("type")), None)
    if not (isinstance(cls, type) and issubclass(cls, CorpusError)):
        cls = CorpusError
    return cls(data["path"], data["problem"], data["fix"], line=data.get("line"))


@dataclass
class Scan:
    """The folder as a refresh sees it."""

    refs: list[ArticleRef] = field(default_factory=list)
    problems: list[CorpusError] = field(default_factory=list)
    parsed: dict[tuple[str, str], Article] = field(default_factory=dict)
    records: dict[str, FileRecord] = field(default_factory=dict)
    files_total: int = 0
    files_read: int = 0


def scan_corpus(root: Path, cached: Mapping[str, FileRecord] | None = None,
                progress: ScanProgress | None = None) -> Scan:
    """References to every article under `root`, reading only new or changed files.

    Raises:
        UnreadableFile: `root` itself does not exist.
    """
    root = Path(root)
    if not root.exists():
        raise UnreadableFile(root, "the corpus folder does not exist",
                             "create it, or point --corpus / NEWSBOT_CORPUS_DIR at your articles")
    cached = cached or {}
    files = corpus_file_names(root)
    scan = Scan(files_total=len(files))
    step = max(1, len(files) // 50)
    for number, key in enumerate(files, start=1):
        try:
            st = os.stat(key)
        except OSError:
            continue  # removed while scanning: it is simply not in this refresh
        record = cached.get(key)
        if record is None or not record.matches(st):
            record, articles = _read(Path(key), st)
            scan.files_read += 1
            for article in articles:
                scan.parsed[(article.id, article.source)] = article
        scan.records[key] = record
        scan.refs.extend(record.refs)
        scan.problems.extend(record.errors())
        if progress and (number % step == 0 or number == len(files)):
            progress(number, len(files))
    return scan


def _read(path: Path, st: os.stat_result) -> tuple[FileRecord, list[Article]]:
    """Parse a file; its record for the cache, and its articles (kept so it is not parsed twice)."""
    items = read_file(path)
    articles = [i for i in items if isinstance(i, Article)]
    return FileRecord(path=str(path), size=st.st_size, mtime_ns=st.st_mtime_ns, ctime_ns=st.st_ctime_ns,
                      inode=st.st_ino, recorded_ns=time.time_ns(),
                      refs=tuple(ArticleRef.of(a, str(path)) for a in articles),
                      problems=tuple(problem_to_json(i) for i in items if isinstance(i, CorpusError))), articles


def materialise(refs: Iterable[ArticleRef], parsed: Mapping[tuple[str, str], Article]) -> tuple[
        dict[str, Article], list[CorpusError]]:
    """The full articles of `refs`, from this scan's reads or by reading their files again.

    Returns the articles by id, and an error for each article whose file changed
    since it was scanned (the next refresh picks the change up).
    """
    found: dict[str, Article] = {}
    missing: dict[str, list[ArticleRef]] = {}
    for ref in refs:
        article = parsed.get((ref.id, ref.source))
        if article is not None:
            found[ref.id] = article
        else:
            missing.setdefault(ref.file, []).append(ref)
    problems: list[CorpusError] = []
    for file, wanted in missing.items():
        fresh = {(a.id, a.source): a for a in read_file(Path(file)) if isinstance(a, Article)}
        for ref in wanted:
            article = fresh.get((ref.id, ref.source))
            if article is None:
                problems.append(UnreadableFile(ref.source, "the article changed or vanished while the refresh ran",
                                               "run the refresh again"))
            else:
                found[ref.id] = article
    return found, problems
