"""Patch a version's row files (`vectors.npy`, the FAISS flat index) by copying and editing a few rows.

`RowPlan` (made by `assign_rows`) says which rows of a patched version come
from where; every file with one row per passage (these two, the lexical
index's term counts, the metadata) is patched by the same plan.

Why: both files hold one float32 row per passage after a small header. Writing
them anew for a one-article refresh of a 100,000-passage index means building
a 150 MB FAISS index in memory and writing 300 MB; copying the files (a kernel
copy) and rewriting the changed rows and the header's row count does the same
in a fraction of the time. The result is byte for byte what `np.save` and
`faiss.write_index` would write (tested), and anything unexpected in a file's
layout makes the caller write it in full instead.

The FAISS header layout is not assumed: it is learnt at run time from the
serialisation of tiny indexes by the installed faiss, and checked.
"""

from __future__ import annotations

import io
import shutil
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

# new row → its float32 vector, shape (dim,)
RowUpdates = Mapping[int, np.ndarray]


@dataclass(frozen=True)
class RowPlan:
    """How the rows of a patched version derive from its base's, for every file with one row per passage.

    Row ids stay exactly 0..n_new-1 (FAISS ids = vector rows = metadata rows).

    Attributes:
        n_old: rows of the base version.
        n_new: rows of the patched version.
        freed: base rows whose passages left (changed or removed articles), ascending.
        moves: (base row, new row) of surviving passages moved into holes.
        targets: new row of each incoming passage, in order.
    """

    n_old: int
    n_new: int
    freed: tuple[int, ...]
    moves: tuple[tuple[int, int], ...]
    targets: tuple[int, ...]

    def old_to_new(self) -> np.ndarray:
        """For each base row, its row in the patched version, or -1 when its passage left; int64, shape (n_old,)."""
        mapping = np.arange(self.n_old, dtype=np.int64)
        mapping[list(self.freed)] = -1
        for frm, to in self.moves:
            mapping[frm] = to
        return mapping


def assign_rows(n_old: int, freed: Sequence[int], incoming: int) -> RowPlan:
    """Where `incoming` new passages go when the base's `freed` rows are given up, and which rows move.

    New passages take the freed rows first, then rows appended at the end; when
    fewer come in than go out, the last surviving rows move into the remaining
    holes, so only O(changes) rows are rewritten.

    Args:
        n_old: rows of the base version.
        freed: base rows given up (any order, no repeats, each < n_old).
        incoming: how many passages come in.
    """
    freed = sorted(freed)
    n_new = n_old - len(freed) + incoming
    if incoming >= len(freed):
        targets, moves = freed + list(range(n_old, n_new)), []
    else:
        holes = [r for r in freed[incoming:] if r < n_new]
        freed_set = set(freed)
        movers = [r for r in range(n_new, n_old) if r not in freed_set]
        assert len(holes) == len(movers), "row bookkeeping is inconsistent"
        targets, moves = freed[:incoming], list(zip(movers, holes))
    return RowPlan(n_old, n_new, tuple(freed), tuple(moves), tuple(targets))


def _apply(dest: Path, header: bytes, header_len: int, n_new: int, dim: int, rows: RowUpdates,
           written: list[tuple[int, int]] | None) -> None:
    row_bytes = dim * 4
    spans = [(0, len(header))]
    with dest.open("r+b") as f:
        f.write(header)
        for row in sorted(rows):
            f.seek(header_len + row * row_bytes)
            f.write(np.ascontiguousarray(rows[row], dtype="<f4").tobytes())
            spans.append((header_len + row * row_bytes, header_len + (row + 1) * row_bytes))
        f.truncate(header_len + n_new * row_bytes)
    if written is not None:
        written.extend(spans)


def patch_npy(base: Path, dest: Path, n_old: int, n_new: int, dim: int, rows: RowUpdates,
              written: list[tuple[int, int]] | None = None, copied: bool = False) -> bool:
    """`dest` = `base` (a (n_old, dim) float32 .npy) with `rows` set and n_new rows; False if not applicable.

    `written`, when given, receives the byte ranges [start, end) of `dest` written after the copy (the
    header and each row), so its checksum re-hashes only them (`index.store.manifest.patched_block_sha256`).
    `copied`: `dest` already is a whole copy of `base` (`index.refresh.steps.CopyAhead`).

    The base's header is compared byte for byte with the one numpy writes for (n_old, dim) float32 rather
    than parsed: numpy parses headers with `ast.literal_eval`, and on CPython 3.11 two threads building
    ASTs at once can fail with "SystemError: AST constructor recursion depth mismatch" (CPython
    gh-106905) — the lexical writer loads its arrays in another thread meanwhile.
    """
    if n_new == 0:
        return False
    expected = _npy_header(n_old, dim)
    with base.open("rb") as f:
        if f.read(len(expected)) != expected:
            return False  # another layout (or another numpy's padding): the caller writes the file in full
    header_len = len(expected)
    if base.stat().st_size != header_len + n_old * dim * 4:
        return False
    header = _npy_header(n_new, dim)
    if len(header) != header_len:
        return False  # the row count's digits no longer fit the header's padding
    if not copied:
        shutil.copyfile(base, dest)
    _apply(dest, header, header_len, n_new, dim, rows, written)
    return True


def _npy_header(n: int, dim: int) -> bytes:
    """The magic string and header numpy writes for a C-ordered little-endian float32 array of shape (n, dim)."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": np.lib.format.dtype_to_descr(np.dtype("<f4")),
                                               "fortran_order": False, "shape": (n, dim)})
    return buf.getvalue()


@lru_cache(maxsize=8)
def _flat_layout(dim: int) -> tuple[bytes, tuple[tuple[int, int], ...]] | None:
    """(header of a 0-row IndexFlatIP file, byte positions of the row-count fields and their unit), or None."""
    import faiss

    def serialise(n: int) -> bytes:
        index = faiss.IndexFlatIP(dim)
        index.add(np.arange(n * dim, dtype=np.float32).reshape(n, dim) + 1)
        return faiss.serialize_index(index).tobytes()

    samples = {n: serialise(n) for n in (2, 3, 5)}
    fields = []
    head2 = samples[2][: len(samples[2]) - 2 * dim * 4]
    for unit in (1, dim, dim * 4):  # count of vectors, of floats, of bytes
        packed = struct.pack("<q", 2 * unit)
        start = 0
        while (at := head2.find(packed, start)) != -1:
            fields.append((at, unit))
            start = at + 1

    def header(n: int) -> bytes:
        out = bytearray(head2)
        for at, unit in fields:
            out[at:at + 8] = struct.pack("<q", n * unit)
        return bytes(out)

    for n, data in samples.items():
        rows = (np.arange(n * dim, dtype=np.float32) + 1).tobytes()
        if data != header(n) + rows:
            return None
    return header(0), tuple(fields)


def _flat_header(dim: int, n: int) -> bytes | None:
    layout = _flat_layout(dim)
    if layout is None:
        return None
    out = bytearray(layout[0])
    for at, unit in layout[1]:
        out[at:at + 8] = struct.pack("<q", n * unit)
    return bytes(out)


def patch_flat_index(base: Path, dest: Path, n_old: int, n_new: int, dim: int, rows: RowUpdates) -> bool:
    """Like `patch_npy`, for a FAISS IndexFlatIP file; False if the installed faiss lays it out otherwise."""
    if n_new == 0:
        return False
    old_header, new_header = _flat_header(dim, n_old), _flat_header(dim, n_new)
    if old_header is None or new_header is None or len(old_header) != len(new_header):
        return False
    with base.open("rb") as f:
        if f.read(len(old_header)) != old_header:
            return False
    if base.stat().st_size != len(old_header) + n_old * dim * 4:
        return False
    shutil.copyfile(base, dest)
    _apply(dest, new_header, len(new_header), n_new, dim, rows, None)
    return True
