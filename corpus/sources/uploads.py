"""Files handed in by a moderator (a Discord attachment, a path on the command line), checked before they are kept.

Why all-or-nothing: a file with some bad records would otherwise enter the
corpus half-read, and every later refresh would report the same problems.
The file is read by exactly the readers a refresh uses (`corpus.readers.loader`), so
what is accepted here is what the index will hold; a file with any problem
is refused as a whole with every problem listed (file:line: problem — fix),
and the moderator fixes it and tries again.
"""

from __future__ import annotations

import logging
import re
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from corpus.article import Article
from corpus.errors import CorpusError, UnsupportedFile
from corpus.readers.loader import READERS, read_file, reader_for
from corpus.folder.removal import write_atomic

log = logging.getLogger(__name__)

ADDED_DIR = "added"


class UploadRejected(CorpusError):
    """The file cannot be added; `problems` lists every reason (the file's own errors, with their lines)."""

    def __init__(self, name: str, problem: str, fix: str, problems: tuple[CorpusError, ...] = ()) -> None:
        self.problems = problems
        super().__init__(Path(name), problem, fix)


@dataclass(frozen=True)
class CheckedUpload:
    """An uploaded file that reads cleanly: its safe name, bytes and articles.

    `notes` are warnings that did not keep an article out (a publication date left out, say),
    located by the upload's name, for the reply to the moderator.
    """

    name: str
    data: bytes
    articles: tuple[Article, ...]
    notes: tuple[CorpusError, ...] = ()


def supported_formats() -> str:
    """`.htm, .html, .jsonl, .jsonl.gz, .txt`, for messages."""
    return ", ".join(sorted(READERS))


def safe_name(name: str) -> str:
    """The file's own name without folders, hidden-file dots or characters that are unsafe in a path."""
    base = re.split(r"[\\/]", name.strip())[-1]
    base = re.sub(r"[^\w.\-]+", "_", base).lstrip(".-_")
    return base[:120] or "upload"


def check_upload(name: str, data: bytes, max_bytes: int) -> CheckedUpload:
    """Read `data` as the file `name` with the corpus readers; every article, or a refusal.

    Warnings (`CorpusError.warning`, e.g. a date left out) do not refuse the file: they come
    back in `CheckedUpload.notes`.

    Raises:
        UploadRejected: too large, an unsupported type, no article, or any problem in the file
            (then `problems` holds each one, located by the file's name and line).
    """
    shown = safe_name(name)
    if len(data) > max_bytes:
        raise UploadRejected(shown, f"the file is {len(data):,} bytes, over the {max_bytes:,} byte limit",
                             "split it into smaller files, or raise NEWSBOT_MAX_ATTACHMENT_BYTES")
    if reader_for(Path(shown)) is None:
        raise UploadRejected(shown, f"files of type {Path(shown).suffix or '(no suffix)'} cannot be read",
                             f"send one of these formats: {supported_formats()}")
    with tempfile.TemporaryDirectory(prefix="newsbot-upload-") as tmp:
        path = Path(tmp) / shown
        path.write_bytes(data)
        items = read_file(path)
    problems = tuple(_renamed(item, shown) for item in items if isinstance(item, CorpusError) and not item.warning)
    notes = tuple(_renamed(item, shown) for item in items if isinstance(item, CorpusError) and item.warning)
    articles = tuple(_resourced(item, path, shown) for item in items if isinstance(item, Article))
    if problems:
        raise UploadRejected(shown, f"{len(problems)} problem(s) in the file, so nothing was added",
                             "fix them and send the file again", problems)
    if not articles:
        raise UploadRejected(shown, "the file holds no article", "check that it is the file you meant to send")
    return CheckedUpload(shown, data, articles, notes)


def _renamed(error: CorpusError, name: str) -> CorpusError:
    """The same error, located by the upload's name instead of the temporary path."""
    if isinstance(error, UnsupportedFile):
        return error
    return type(error)(name, error.problem, error.fix, line=error.line)


def _resourced(article: Article, path: Path, name: str) -> Article:
    return replace(article, source=article.source.replace(str(path), name, 1),
                   notes=tuple(_renamed(note, name) for note in article.notes))


def unique_path(folder: Path, name: str) -> Path:
    """`folder/name`, or `folder/stem-2.ext`, `-3`, … when taken (suffixes like .jsonl.gz kept whole)."""
    lower = name.lower()
    suffix = next((s for s in sorted(READERS, key=len, reverse=True) if lower.endswith(s)), Path(name).suffix)
    stem = name[: len(name) - len(suffix)] if suffix else name
    candidate, n = folder / name, 1
    while candidate.exists():
        n += 1
        candidate = folder / f"{stem}-{n}{suffix}"
    return candidate


def save_upload(corpus_dir: Path, upload: CheckedUpload, folder: str = ADDED_DIR) -> Path:
    """Keep a checked file under `CORPUS/added/` by its own name (made unique), atomically; returns the path."""
    target_dir = Path(corpus_dir) / folder
    target_dir.mkdir(parents=True, exist_ok=True)
    path = unique_path(target_dir, upload.name)
    write_atomic(path, upload.data)
    log.info("saved uploaded file %s (%d article(s))", path, len(upload.articles))
    return path
