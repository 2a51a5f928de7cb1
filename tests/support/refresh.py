"""Helpers shared by the refresh tests: small corpora of real articles, one file each."""

from __future__ import annotations

import gzip
import json
import os
import time
from pathlib import Path

import numpy as np

from index.store.vectors import load_vectors
SAMPLE = Path(__file__).resolve().parents[1] / "data" / "rtqa-sample.jsonl.gz"


def bench_records(n: int, offset: int = 0) -> list[dict]:
    """`n` distinct real article records (full articles from rtqa-dev, shipped in tests/data)."""
    out, seen = [], set()
    with gzip.open(SAMPLE, "rt", encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            if record["id"] in seen or not record["title"] or "quiz" in record["title"].lower():
                continue
            seen.add(record["id"])
            out.append(record)
            if len(out) == n + offset:
                break
    return out[offset:]


def write_records(folder: Path, records: list[dict]) -> list[Path]:
    """One `.jsonl` file per record, named by id; returns the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for record in records:
        path = folder / f"{record['id']}.jsonl"
        path.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def age(folder: Path, seconds: float = 10.0) -> None:
    """Date every file back, as if written a while ago (outside the scan's racy window)."""
    past = time.time() - seconds
    for path in folder.rglob("*"):
        if path.is_file():
            os.utime(path, (past, past))


def edit(path: Path, extra: str) -> None:
    """Append a paragraph to a record's text."""
    record = json.loads(path.read_text(encoding="utf-8"))
    record["text"] += "\n\n" + extra
    path.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")


def version_content(folder: Path) -> dict[str, tuple]:
    """passage id → (article id, text, vector bytes, article attribution): a version's meaning, row order aside."""
    from index.store.metadata import MetadataStore

    store = MetadataStore(folder)
    try:
        vectors = load_vectors(folder)
        rows = list(store.iter_passage_rows())
        passages = store.passages_by_rows(r for r, _, _, _ in rows)
        articles = {a.id: a for a in store.list_articles()}
        out = {}
        for row, pid, aid, _ in rows:
            a = articles[aid]
            out[pid] = (aid, passages[row].text, np.asarray(vectors[row]).tobytes(),
                        (a.title, a.outlet, a.source, a.also_published_by, a.fingerprint))
        return out
    finally:
        store.close()


def lexical_scores(folder: Path, question: str) -> dict[str, float]:
    """passage id → the version's normalised BM25 score for `question` (row order aside)."""
    from index.store.lexical import LexicalIndex
    from index.store.metadata import MetadataStore

    store = MetadataStore(folder)
    try:
        rows = list(store.iter_passage_rows())
    finally:
        store.close()
    scores = LexicalIndex.load(folder, len(rows)).normalised(question)
    return {pid: float(scores[row]) for row, pid, _, _ in rows}
