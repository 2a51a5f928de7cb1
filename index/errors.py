"""Typed errors of the index layer, each with a message a user can act on."""

from __future__ import annotations


class NewsIndexError(Exception):
    """Base of every index problem."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class IndexMissing(NewsIndexError):
    """No index has been built in the directory yet."""


class IndexCorrupt(NewsIndexError):
    """An index file is missing, truncated or does not match its manifest."""


class ModelMismatch(NewsIndexError):
    """The index was built with another embedding model than the one configured."""


class ModelUnavailable(NewsIndexError):
    """The configured embedding model cannot be found or loaded."""


class IndexBusy(NewsIndexError):
    """Another process holds the refresh lock."""
