"""The manifest: what an index version holds and how it was made.

Loading compares the manifest's model fingerprint with the configured model
(never mix embeddings of two models) and, for every file, its size and a
sampled checksum (`sampled_sha256`: the size and 32 blocks of 4 KiB spread over
the file, about 1 ms a file) with the file on disk: truncation and a same-size
overwrite (another version's `faiss.index` copied over, a file rewritten in
place) are caught on every load, not only when `verify` reads every byte.
`verify` checks every file's full checksum (rollback, recovery, fallback).

Full checksums are per block (`block_sha256`: sha256 of each `BLOCK_SIZE` bytes,
in order), not of the whole file: a patched version copies its base's big
files and rewrites a few rows, so it re-hashes only the blocks it wrote and
takes the base manifest's digests for the others (`patched_block_sha256`) —
at a million passages that is a few blocks instead of 3.7 GB. The digests are
the same as hashing every block from scratch (tested), so `verify` still reads
every byte and names the first block that differs. Manifests written before
(one "sha256" per file) still load and verify.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from index.encoder import ModelInfo
from index.errors import IndexCorrupt, ModelMismatch

if TYPE_CHECKING:
    import numpy as np

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
# the `extra` entry of a patched version saying what the patch changed (`index.refresh.patch`): "base" (the
# version patched), "rows_before" (its rows), "drop" and "add" (article ids), "rows" (the rows written);
# a serving process swapping the version in reuses what it holds of the base for the other rows
PATCH_RECORD = "patch"
PATCH_RECORD_MAX = 20_000  # ids and rows at most in a patch record (a bigger patch has none)


@dataclass
class Manifest:
    """Everything recorded about one index version."""

    model: dict
    dim: int
    chunking: dict
    articles: int
    passages: int
    corpus_fingerprint: str
    created_at: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))
    format_version: int = FORMAT_VERSION
    files: dict[str, dict] = field(default_factory=dict)
    extra: dict = field(default_factory=dict)

    def save(self, folder: Path, checksums: Mapping[str, Sequence[str]] | None = None) -> None:
        """Write the manifest after all the files it describes, with their checksums.

        Args:
            checksums: block digests already computed by the writer (file name → `block_sha256` of the
                file as it is now), so large files are not read twice; any other file is hashed here.
        """
        known = checksums or {}
        self.files = {}
        for p in sorted(folder.iterdir()):
            if p.is_file() and p.name != MANIFEST:
                blocks = known.get(p.name)
                self.files[p.name] = {"size": p.stat().st_size, "block_size": BLOCK_SIZE,
                                      "blocks": list(blocks) if blocks is not None else block_sha256(p, BLOCK_SIZE),
                                      "sample": sampled_sha256(p)}
        (folder / MANIFEST).write_text(json.dumps(asdict(self), indent=2, sort_keys=True))

    @classmethod
    def load(cls, folder: Path) -> Manifest:
        """Read a manifest and check every file it lists: present, of its size, and matching its sampled checksum.

        Raises:
            IndexCorrupt: missing, unparsable, of an unknown format, or a file is missing, of another
                size or fails its sampled checksum (versions written before samples were recorded: size only).
        """
        path = folder / MANIFEST
        try:
            data = json.loads(path.read_text())
            manifest = cls(**data)
        except FileNotFoundError:
            raise IndexCorrupt(f"{path} is missing: the index version is incomplete — run `newsbot build`") from None
        except (json.JSONDecodeError, TypeError) as exc:
            raise IndexCorrupt(f"{path} is unreadable ({exc}) — run `newsbot build` to rebuild the index") from None
        if manifest.format_version != FORMAT_VERSION:
            raise IndexCorrupt(f"{folder} has index format {manifest.format_version}, this newsbot reads "
                               f"{FORMAT_VERSION} — run `newsbot build` to rebuild it")
        for name, meta in manifest.files.items():
            file = folder / name
            if not file.exists():
                raise IndexCorrupt(f"{file} is missing — run `newsbot build` to rebuild the index")
            if file.stat().st_size != meta["size"]:
                raise IndexCorrupt(f"{file} has {file.stat().st_size} bytes, the manifest says {meta['size']}: "
                                   "the file is damaged — run `newsbot build` to rebuild the index")
            if meta.get("sample") and sampled_sha256(file) != meta["sample"]:
                raise IndexCorrupt(f"{file} does not match its checksum (it was overwritten or damaged since the "
                                   "version was written) — run `newsbot build` to rebuild the index")
        return manifest

    def verify(self, folder: Path) -> None:
        """Full integrity check: every file's checksum matches.

        Raises:
            IndexCorrupt: naming the first file that differs.
        """
        for name, meta in self.files.items():
            path = folder / name
            if "blocks" in meta:
                digests = block_sha256(path, int(meta["block_size"]))
                if digests != meta["blocks"]:
                    first = next((i for i, (a, b) in enumerate(zip(digests, meta["blocks"])) if a != b),
                                 min(len(digests), len(meta["blocks"])))
                    raise IndexCorrupt(f"{path} does not match its checksum (block {first} of "
                                       f"{int(meta['block_size'])} bytes differs) — run `newsbot build`")
            elif sha256_file(path) != meta["sha256"]:  # a manifest written before block checksums
                raise IndexCorrupt(f"{path} does not match its checksum — run `newsbot build`")

    def check_model(self, info: ModelInfo) -> None:
        """Refuse to mix embeddings of different models.

        Raises:
            ModelMismatch: with the command that rebuilds the index for the configured model.
        """
        if self.model.get("fingerprint") != info.fingerprint or self.dim != info.dim:
            raise ModelMismatch(
                f"this index was built with the model {self.model.get('name')!r} ({self.model.get('path')}, "
                f"fingerprint {self.model.get('fingerprint')}), but the configured model is {info.name!r} "
                f"({info.path}, fingerprint {info.fingerprint}); embeddings of different models cannot be mixed — "
                "rebuild with `newsbot build --rebuild` or set NEWSBOT_MODEL_PATH back to the index's model")


def corpus_fingerprint(fingerprints: Iterable[str]) -> str:
    """The manifest's `corpus_fingerprint`: one hash of the articles' content fingerprints, order-independent.

    Args:
        fingerprints: every article's `Article.fingerprint` (any order).

    Returns:
        32 hex digits of sha256 over the sorted fingerprints, concatenated; the eval
        cache keys its indexes by it, so it must never change for the same articles.
    """
    h = hashlib.sha256()
    for fp in sorted(fingerprints):
        h.update(fp.encode())
    return h.hexdigest()[:32]


def model_record(info: ModelInfo) -> dict:
    """The manifest's record of a model: its name, folder, fingerprint (of the variant: fp32 or int8, see
    `index.encoder.variant_info`), dimension and variant (versions written before variants had only fp32)."""
    return {"name": info.name, "path": info.path, "fingerprint": info.fingerprint, "dim": info.dim,
            "variant": info.variant}


SAMPLE_BLOCKS = 32
SAMPLE_BLOCK = 4096


def sampled_sha256(path: Path) -> str:
    """A cheap checksum: sha256 of the file's size and of `SAMPLE_BLOCKS` blocks of `SAMPLE_BLOCK` bytes at
    offsets spread evenly from its first byte to its last (the whole file when it is smaller).

    Catches truncation, a file replaced by another of the same size and damage in any sampled block,
    reading at most 128 KiB; `sha256_file` (all of it) catches the rest.
    """
    size = path.stat().st_size
    h = hashlib.sha256(str(size).encode())
    with path.open("rb") as f:
        if size <= SAMPLE_BLOCKS * SAMPLE_BLOCK:
            h.update(f.read())
        else:
            last = size - SAMPLE_BLOCK
            for i in range(SAMPLE_BLOCKS):
                f.seek(last * i // (SAMPLE_BLOCKS - 1))
                h.update(f.read(SAMPLE_BLOCK))
    return h.hexdigest()


def sha256_file(path: Path) -> str:
    """Checksum of a file, read in blocks."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            h.update(block)
    return h.hexdigest()


BLOCK_SIZE = 8 << 20  # bytes per checksummed block: a one-row edit re-hashes 8 MiB (about 6 ms)

# the key under which an extra writer's record may hand over block digests of files it wrote (file name →
# `block_sha256` of it): taken out of the record by `index.refresh.steps.run_writers`, never stored as such
BLOCK_DIGESTS = "block_digests"

# a byte range [start, end) of a file that a patch wrote
ByteRange = tuple[int, int]


def block_sha256(path: Path, block_size: int | None = None, reuse: Sequence[str | None] = ()) -> list[str]:
    """sha256 (hex) of each `block_size` bytes of a file, in order (the last block may be shorter; an empty
    file has one block, of no bytes).

    Args:
        block_size: bytes per block (default `BLOCK_SIZE`).
        reuse: known digests by block number (None: not known); a known block is skipped, not read.
    """
    block_size = block_size or BLOCK_SIZE
    size = path.stat().st_size
    count = max(1, -(-size // block_size))
    out: list[str] = []
    with path.open("rb") as f:
        for i in range(count):
            known = reuse[i] if i < len(reuse) else None
            if known is not None:
                out.append(known)
                continue
            f.seek(i * block_size)
            h = hashlib.sha256()
            left = min(block_size, size - i * block_size)
            while left > 0:
                chunk = f.read(min(left, 1 << 22))
                if not chunk:
                    break
                h.update(chunk)
                left -= len(chunk)
            out.append(h.hexdigest())
    return out


def patched_block_sha256(path: Path, base: Mapping | None, written: Iterable[ByteRange]) -> list[str]:
    """`block_sha256(path)` of a file made by copying a base version's file and then writing only the byte
    ranges `written` (and perhaps truncating or extending it): blocks the patch did not touch take the base
    manifest's digests, only the others are read.

    A block is taken from the base only when it covers the same bytes in both files (same offset, same
    length: a file that grew or shrank re-hashes its last blocks) and no written range overlaps it.

    Args:
        base: the base manifest's record of the file (`Manifest.files[name]`); None, or a record without
            block digests of this size (a version written before them), means hashing every block.
        written: every byte range written after the copy (a superset is fine, a missing range is not).
    """
    if not base or "blocks" not in base or int(base.get("block_size", 0)) != BLOCK_SIZE:
        return block_sha256(path, BLOCK_SIZE)
    old_size, new_size = int(base["size"]), path.stat().st_size
    old_blocks: list[str] = list(base["blocks"])
    dirty: set[int] = set()
    for start, end in written:
        if end > start:
            dirty.update(range(start // BLOCK_SIZE, (end - 1) // BLOCK_SIZE + 1))
    reuse: list[str | None] = []
    for i in range(max(1, -(-new_size // BLOCK_SIZE))):
        end = (i + 1) * BLOCK_SIZE
        same_span = min(end, new_size) == min(end, old_size) and i * BLOCK_SIZE < old_size
        reuse.append(old_blocks[i] if same_span and i not in dirty and i < len(old_blocks) else None)
    return block_sha256(path, BLOCK_SIZE, reuse)


def npy_block_sha256(array: "np.ndarray", path: Path, written: Callable[[], object] = lambda: None) -> list[str] | None:
    """`block_sha256(path)` of the file `np.save(path, array)` wrote, hashed from `array` in memory (so it can
    run while the file is being written, in another thread) and checked against the file's header and size
    afterwards; None when the file is not exactly that (the caller then hashes the file).

    Args:
        array: the C-contiguous array saved (numpy's version 1.0 header; arrays whose header needs 2.0 give None).
        written: blocks until the file is written (called after hashing, before the check).
    """
    import io

    import numpy as np

    if not array.flags.c_contiguous:
        return None
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, np.lib.format.header_data_from_array_1_0(array))
    head = header.getvalue()
    digests = _stream_block_sha256([memoryview(head), memoryview(array).cast("B")])
    written()
    try:
        with path.open("rb") as f:
            same_head = f.read(len(head)) == head
        same_size = path.stat().st_size == len(head) + array.nbytes
    except OSError:
        return None
    return digests if same_head and same_size else None


def _stream_block_sha256(parts: Sequence[memoryview]) -> list[str]:
    """`block_sha256` of the bytes of `parts` one after another (slices, no copies)."""
    size = BLOCK_SIZE
    out: list[str] = []
    h = hashlib.sha256()
    filled = 0
    total = 0
    for part in parts:
        at = 0
        while at < len(part):
            take = min(size - filled, len(part) - at)
            h.update(part[at:at + take])
            at += take
            filled += take
            total += take
            if filled == size:
                out.append(h.hexdigest())
                h, filled = hashlib.sha256(), 0
    if filled or not out:
        out.append(h.hexdigest())
    return out
