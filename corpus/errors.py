"""Typed errors for reading articles.

Every error names the file (and line, where one applies), says what was wrong
and what to do about it, so that a moderator can fix the input without reading
a traceback. Loading a folder collects these per file and carries on.

Most errors mean the file or record was skipped. A few are warnings
(`warning` is True): something was left out of an article that was still read
(`DroppedDate`); they travel with the other problems, so every place that lists
problems shows them, and their message says that the article was kept.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar


class CorpusError(Exception):
    """Base of every problem with corpus input.

    Attributes:
        path: the file the problem is in.
        line: 1-based line number, or None when the whole file is at fault.
        problem: what is wrong, in a sentence.
        fix: what the user should do about it.
        warning: class-level; True when the article was still read (only a value was left out).
    """

    warning: ClassVar[bool] = False

    def __init__(self, path: Path | str, problem: str, fix: str, line: int | None = None) -> None:
        self.path = Path(path)
        self._address = path if isinstance(path, str) and "://" in path else None  # a page, not a file
        self.line = line
        self.problem = problem
        self.fix = fix
        super().__init__(self.message)

    @property
    def location(self) -> str:
        """`file` or `file:line`, the way editors and compilers print it (a page's address as given)."""
        where = self._address or str(self.path)
        return f"{where}:{self.line}" if self.line is not None else where

    @property
    def message(self) -> str:
        """The one-line message shown to users."""
        return f"{self.location}: {self.problem} — {self.fix}"


class UnreadableFile(CorpusError):
    """The file cannot be opened or read at all (permissions, I/O, bad gzip)."""


class NotUtf8(CorpusError):
    """The file's bytes are not UTF-8 text."""


class MalformedHeader(CorpusError):
    """A seed-format header line does not follow the documented shape."""


class EmptyBody(CorpusError):
    """The article has no text to index."""


class BadJsonLine(CorpusError):
    """A JSON Lines record does not parse or lacks a required field."""


class UnsupportedFile(CorpusError):
    """No reader handles this file type."""


class DroppedDate(CorpusError):
    """A warning: the publication date could not be read for sure, or is not plausible, so it was left out.

    The article is read without a date (never with a guessed one); `problem` says
    what is wrong with the date (see `corpus.dates.DateError`).
    """

    warning = True
