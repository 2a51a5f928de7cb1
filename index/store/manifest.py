"""The manifest: what an index version holds and how it was made.

Loading compares the manifest's model fingerprint with the configured model
(never mix embeddings of two models) and, for every file, its size and a
sampled checksum (`sampled_sha256`: the size and 32 blocks of 4 KiB spread over
the file, about 1 ms a file) with the file on disk: truncation and a same-size
overwrite (another version's `faiss.index` copied over, a file rewritten in
place) are caught on every load, not only when `verify` reads every byte.
`verify` checks every file's full checksum (rollback, recovery, fallback).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from index.encoder import ModelInfo
from index.errors import IndexCorrupt, ModelMismatch

FORMAT_VERSION = 1
MANIFEST = "manifest.json"


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

    def save(self, folder: Path, checksums: Mapping[str, str] | None = None) -> None:
        """Write the manifest after all the files it describes, with their checksums.

        Args:
            checksums: sha256 already computed by the writer (file name → hex digest), so
                large files are not read twice; any other file is hashed here.
        """
        known = checksums or {}
        self.files = {p.name: {"size": p.stat().st_size, "sha256": known.get(p.name) or sha256_file(p),
                               "sample": sampled_sha256(p)}
                      for p in sorted(folder.iterdir()) if p.is_file() and p.name != MANIFEST}
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
            if sha256_file(folder / name) != meta["sha256"]:
                raise IndexCorrupt(f"{folder / name} does not match its checksum — run `newsbot build`")

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
