"""What an extra index writer is: the contract between a version's builder and the files others add to it.

A version always holds its vectors, FAISS index and metadata; further files
come from extra writers, run before the manifest so that their files are
checksummed with the rest: the lexical index (`index.store.lexical.LexicalWriter`)
writes into the version folder, the sentence writer
(`index.store.sentences.SentenceWriter`) fills a store shared by all versions.
Both full builds and patched versions (`index.refresh`) call them.

Kept in the storage package, beside the writers, so that storage never
imports the write path; the write path imports this.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from corpus.article import Article
    from corpus.chunking import Passage
    from index.store.rowfiles import RowPlan

# stage name, done, total: for progress bars and Discord progress edits
Progress = Callable[[str, int, int], None]


@runtime_checkable
class IndexWriter(Protocol):
    """Writes further files of a version from every passage (a full build, or a patch it cannot patch).

    What it returns is recorded in the manifest's `extra` under the writer's
    name; an "embed_seconds" entry (float, seconds) counts as model time of the build.
    """

    def __call__(self, folder: Path, pairs: Sequence[tuple[Article, Passage]], texts: Sequence[str],
                 progress: Progress | None = None) -> dict:
        """Write the files for `pairs` (row i is pairs[i]) into `folder`.

        Args:
            folder: the version folder being written (not yet published).
            pairs: every (article, passage) of the version, in row order.
            texts: the embedded text of each passage, aligned with `pairs`.
            progress: called with (stage, done, total) while it works, if it reports anything.
        """
        ...


@runtime_checkable
class PatchingWriter(IndexWriter, Protocol):
    """An `IndexWriter` that can also patch its files from the base version's, as a refresh patches rows."""

    def patch(self, folder: Path, base: Path, plan: RowPlan, pairs: Sequence[tuple[Article, Passage]],
              progress: Progress | None = None) -> dict | None:
        """Write the patched version's files from the base version's.

        Args:
            folder: the version folder being written.
            base: the base version's folder (read only).
            plan: where the base's rows go and where the incoming passages land.
            pairs: the incoming (article, passage) pairs, aligned with `plan.targets`.
            progress: called with (stage, done, total).

        Returns:
            What to record in the manifest, or None when the base's files cannot be
            patched: the caller then calls the writer with every passage instead.
        """
        ...

