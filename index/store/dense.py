"""Which dense index a version gets (`DenseConfig`): a plain record, cheap to import (no FAISS), for settings."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class DenseConfig:
    """How a version's dense index is built (a change applies to versions written from then on).

    Attributes:
        ann_min_passages: versions with at least this many passages get the approximate index (HNSW
            over 8-bit codes, exact rescoring), smaller ones the flat one. 20,000 because a flat scan
            of 20,000 vectors costs ~3 ms on a 2-core machine, and below that a graph gains little.
        hnsw_m: graph neighbours per node (FAISS's M): 32 gives candidate recall 0.99 at 2x depth on
            rtqa-dev's real vectors; memory is ~2 x M x 4 bytes a node beside the 384-byte code.
        ef_construction: the queue length while building the graph (build time grows with it).
        rebuild_dead_fraction: rebuild the graph when more than this share of its nodes are masked.
    """

    ann_min_passages: int = 20_000
    hnsw_m: int = 32
    ef_construction: int = 40
    rebuild_dead_fraction: float = 0.2

    def __post_init__(self) -> None:
        if self.ann_min_passages < 1 or self.hnsw_m < 4 or self.ef_construction < 8:
            raise ValueError("ann_min_passages must be at least 1, hnsw_m at least 4 and ef_construction "
                             "at least 8")
        if not 0.0 < self.rebuild_dead_fraction < 1.0:
            raise ValueError(f"rebuild_dead_fraction must be between 0 and 1, got {self.rebuild_dead_fraction}")

    def describe(self) -> dict[str, object]:
        """Plain dict for the manifest and the eval fingerprint."""
        return asdict(self)
