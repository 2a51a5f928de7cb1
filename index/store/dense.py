"""Which dense index a version gets (`DenseConfig`): a plain record, cheap to import (no FAISS), for settings."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class DenseConfig:
    """How a version's dense index is built (a change applies to versions written from then on).

    Attributes:
        ann_min_passages: versions with at least this many passages get the approximate index (4-bit
            product-quantised codes scanned with FAISS's fast scan, the best candidates rescored exactly),
            smaller ones the flat one. 20,000 because a flat scan of 20,000 vectors costs ~3 ms on a
            2-core machine, and below that the approximate index gains little.
        dims_per_code: vector dimensions per 4-bit sub-quantiser code; 2 (192 codes, 96 bytes a 384-d
            vector, a sixteenth of its float32 size) gives candidate recall 0.9999 on rtqa-dev's real vectors
            with 1,000 candidates rescored (README "Search at scale"); 4 halves the size and the scan.
        train_rows: most vectors the quantiser is trained on (evenly spaced over the version).
        rebuild_dead_fraction: rebuild the approximate index when more than this share of its codes
            belong to passages that left in refreshes (masked, see `index.store.vectors.patch_ann`).
    """

    ann_min_passages: int = 20_000
    dims_per_code: int = 2
    train_rows: int = 65_536
    rebuild_dead_fraction: float = 0.2

    def __post_init__(self) -> None:
        if self.ann_min_passages < 1 or self.dims_per_code < 1 or self.train_rows < 256:
            raise ValueError("ann_min_passages and dims_per_code must be at least 1, train_rows at least 256")
        if not 0.0 < self.rebuild_dead_fraction < 1.0:
            raise ValueError(f"rebuild_dead_fraction must be between 0 and 1, got {self.rebuild_dead_fraction}")

    def describe(self) -> dict[str, object]:
        """Plain dict for the manifest and the eval fingerprint."""
        return asdict(self)
