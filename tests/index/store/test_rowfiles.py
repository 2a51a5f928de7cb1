"""Patching vectors.npy and the FAISS flat index in place gives exactly the files a full write gives."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np
import pytest

from index.store.rowfiles import patch_flat_index, patch_npy


def full_files(folder: Path, vectors: np.ndarray) -> tuple[bytes, bytes]:
    folder.mkdir(exist_ok=True)
    np.save(folder / "v.npy", vectors)
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(vectors)
    faiss.write_index(index, str(folder / "f.index"))
    return (folder / "v.npy").read_bytes(), (folder / "f.index").read_bytes()


@pytest.mark.parametrize("n_new", [97, 100, 103])
@pytest.mark.parametrize("dim", [64, 384])
def test_patched_files_equal_full_writes(tmp_path: Path, n_new: int, dim: int) -> None:
    rng = np.random.default_rng(n_new + dim)
    old = rng.standard_normal((100, dim)).astype(np.float32)
    full_files(tmp_path / "base", old)
    new = np.zeros((n_new, dim), dtype=np.float32)
    new[:min(100, n_new)] = old[:min(100, n_new)]
    rows = {3: rng.standard_normal(dim), 50: old[99]}
    rows.update({r: rng.standard_normal(dim) for r in range(100, n_new)})
    for row, vector in rows.items():
        new[row] = vector
    want_npy, want_index = full_files(tmp_path / "want", new)
    assert patch_npy(tmp_path / "base" / "v.npy", tmp_path / "v.npy", 100, n_new, dim, rows)
    assert patch_flat_index(tmp_path / "base" / "f.index", tmp_path / "f.index", 100, n_new, dim, rows)
    assert (tmp_path / "v.npy").read_bytes() == want_npy
    assert (tmp_path / "f.index").read_bytes() == want_index


def test_unexpected_layouts_are_left_to_a_full_write(tmp_path: Path) -> None:
    vectors = np.asfortranarray(np.ones((10, 8), dtype=np.float32))
    np.save(tmp_path / "fortran.npy", vectors)
    assert not patch_npy(tmp_path / "fortran.npy", tmp_path / "out.npy", 10, 10, 8, {})
    np.save(tmp_path / "f64.npy", np.ones((10, 8)))
    assert not patch_npy(tmp_path / "f64.npy", tmp_path / "out.npy", 10, 10, 8, {})
    (tmp_path / "junk.index").write_bytes(b"not a faiss file" * 10)
    assert not patch_flat_index(tmp_path / "junk.index", tmp_path / "out.index", 10, 10, 8, {})
    assert not (tmp_path / "out.npy").exists() and not (tmp_path / "out.index").exists()
