"""`newsbot bench-refresh`: how fast refreshes are on a large index. A benchmark, never a test.

The large corpus is rtqa-dev's articles repeated with changed ids, URLs, titles
and a marker in the first paragraph (so copies are not collapsed as
duplicates), one article a file, until it makes at least `--passages`
passages; the small corpus is 2,000 such files. Both, with their indexes, are
built once under `--workdir` and reused by later runs.

Embedding 100,000 passages with the real model would take about an hour on a
2-core CPU, so vectors come from `FastBenchEncoder`: the real model's tokenizer
(so chunking is exactly the production one) with deterministic vectors hashed
from the text instead of a language model. Every figure therefore EXCLUDES
embedding, as the targets ask ("beyond that article's embedding");
`--real-embedding` times the real model on the changed article separately.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import math
import shutil
import statistics
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

import numpy as np

from bot.settings import Settings
from corpus.chunking import ChunkConfig, chunk_article, embedding_text
from corpus.readers.loader import load_corpus, read_file
from index.encoder import ModelInfo, default_model_path, token_counter
from index.encoder_choice import make_encoder
from index.store.durability import wait_for_flushes
from index.library import Library

def _rtqa() -> Path:
    """rtqa-dev's articles: `shared/bench/rtqa-dev` in the checkout or beside one of its parent folders
    (a git worktree sits deeper than the main checkout), else where the main checkout expects it."""
    here = Path(__file__).resolve()
    for folder in here.parents[2:]:
        candidate = folder / "shared" / "bench" / "rtqa-dev" / "articles.jsonl.gz"
        if candidate.exists():
            return candidate
    return here.parents[3] / "shared" / "bench" / "rtqa-dev" / "articles.jsonl.gz"


RTQA = _rtqa()
FORMAT = 3  # bump when the generated corpora or their indexes change (3: term counts and lengths beside BM25)


class FastBenchEncoder:
    """BENCHMARK ONLY: the real tokenizer, but vectors hashed from the text (no language model).

    Deterministic, ~50,000 texts/s, unit-length 384-d vectors; its fingerprint
    differs from every real model's, so its indexes can never be mixed with real ones.
    """

    def __init__(self) -> None:
        path = str(default_model_path())
        self._count = token_counter(path)
        self.info = ModelInfo(name="bench-fast-encoder (hashed vectors, not a language model)", path="<bench>",
                              fingerprint="benchfast" + hashlib.sha256(path.encode()).hexdigest()[:7], dim=384,
                              max_tokens=256)

    def count_tokens(self, text: str) -> int:
        return self._count(text)

    def encode(self, texts: Sequence[str], progress=None) -> np.ndarray:  # noqa: ANN001
        out = np.empty((len(texts), self.info.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")
            out[i] = np.random.default_rng(seed).standard_normal(self.info.dim, dtype=np.float32)
        out /= np.linalg.norm(out, axis=1, keepdims=True)
        if progress:
            progress(len(texts), len(texts))
        return out


def bench_records(source: Path = RTQA) -> list[dict]:
    """The article records of `source` (a `.jsonl.gz` of the rtqa-dev format) that survive deduplication, once each."""
    kept = {a.id for a in load_corpus(source).articles}  # only what survives deduplication
    records, seen = [], set()
    with gzip.open(source, "rt", encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            if record["id"] in kept and record["id"] not in seen:
                seen.add(record["id"])
                records.append(record)
    return records


def passage_counts(source: Path, count: Callable[[str], int]) -> dict[str, int]:
    """Article id → passages it is cut into (the production chunking), for the articles of `source`."""
    return {a.id: len(chunk_article(a, count, ChunkConfig())) for a in load_corpus(source).articles}


def copy_record(record: dict, k: int | str) -> dict:
    """A copy of an article record with its own id, URL, title and a marker in its text (never a duplicate)."""
    out = dict(record)
    out["id"] = f"{record['id']}-c{k}"
    out["url"] = f"{record['url']}{'&' if '?' in record['url'] else '?'}copy={k}"
    out["title"] = f"{record['title']} (copy {k})"
    out["text"] = f"[Copy {k}] {record['text']}"
    return out


def write_corpus(folder: Path, records: list[dict]) -> None:
    """One `.jsonl` file a record under `folder` (replaced), 1,000 files a sub-folder."""
    shutil.rmtree(folder, ignore_errors=True)
    for n, record in enumerate(records):
        sub = folder / f"part{n // 1000:03d}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"{record['id']}.jsonl").write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")


def prepare_library(root: Path, name: str, records: list[dict], encoder: FastBenchEncoder, out: TextIO) -> Library:
    """The corpus `root/name/corpus` and its index `root/name/index`, built once and reused while the recipe
    (these records, `FORMAT`) is unchanged; any other recipe's folder is deleted first."""
    folder = root / name
    recipe = {"format": FORMAT, "records": len(records), "first": records[0]["id"], "last": records[-1]["id"]}
    marker = folder / "READY.json"
    library = Library(folder / "corpus", folder / "index", encoder, keep_versions=2)
    if marker.exists() and json.loads(marker.read_text()) == recipe:
        return library
    shutil.rmtree(folder, ignore_errors=True)
    print(f"preparing the {name} corpus ({len(records):,} files) and its index, once …", file=out, flush=True)
    write_corpus(folder / "corpus", records)
    started = time.perf_counter()
    report = library.refresh(actor="bench")
    print(f"  built {report.version}: {report.stats.articles:,} articles, {report.stats.passages:,} passages "
          f"in {time.perf_counter() - started:.0f}s", file=out, flush=True)
    time.sleep(2.1)  # let the files age past the scan's racy window, as they would in real use
    library.refresh(actor="bench")  # records every file as scanned
    marker.write_text(json.dumps(recipe))
    return library


def _edit(path: Path, marker: str) -> None:
    record = json.loads(path.read_text(encoding="utf-8"))
    record["text"] += f"\n\nUpdate {marker}: the story was revised with one more paragraph of reporting."
    path.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")


def median(values: list[float]) -> float:
    """The median, NaN for no values."""
    return statistics.median(values) if values else float("nan")


def _timed_refreshes(library: Library, runs: int, edit_paths: list[Path] | None, label: str,
                     out: TextIO) -> list[dict]:
    results = []
    for run in range(runs):
        for path in edit_paths or []:
            _edit(path, f"{label}-{run}-{time.time_ns()}")
        marks: dict[str, float] = {}

        def progress(stage: str, done: int, total: int) -> None:
            marks[stage] = time.perf_counter()  # the last event of each stage

        wait_for_flushes()  # refreshes are minutes apart in real use: start each with the disk idle
        library.wait_for_standby_copies()  # (and, in a long-lived process, its standby copy made)
        started = time.perf_counter()
        report = library.refresh(actor="bench", fetch_feeds=False, progress=progress)
        total = time.perf_counter() - started
        flush_started = time.perf_counter()
        wait_for_flushes()
        flush_after = time.perf_counter() - flush_started
        embed = report.stats.embedding_seconds if report.stats else 0.0
        stages, last = {}, started
        for stage in ("read", "chunked", "embedding", "writing", "switching"):
            if stage in marks:
                stages[stage] = marks[stage] - last
                last = marks[stage]
        results.append({"seconds": total, "beyond_embedding": total - embed, "swap_in": report.swap_seconds,
                        "published_beyond_embedding": report.seconds - embed, "embedded": report.stats.embedded
                        if report.stats else 0, "passages": report.stats.passages if report.stats else None,
                        "plan": report.plan.counts_line(), "stages": stages, "flush_after": flush_after})
        print(f"  {label} run {run + 1}: {total:.3f}s ({results[-1]['plan']}, "
              f"{results[-1]['embedded']} embedded)", file=out, flush=True)
    return results


def _swap_under_load(library: Library, path: Path, threads: int, out: TextIO) -> dict:
    """Refresh one changed article while `threads` threads query; how long the swap-in takes, how queries fare."""
    questions = ["Who won the election?", "What did the court decide?", "Where did the storm hit?",
                 "How much did prices rise?", "Which company announced layoffs?"]
    library.service.search(questions[0])
    stop = threading.Event()
    latencies: list[tuple[float, float, str]] = []
    errors: list[str] = []

    def ask(n: int) -> None:
        i = n
        while not stop.is_set():
            t = time.perf_counter()
            try:
                result = library.service.search(questions[i % len(questions)], k=5)
                latencies.append((t, time.perf_counter() - t, result.index_version))
            except Exception as exc:  # noqa: BLE001 - any failure is what we count
                errors.append(repr(exc))
            i += 1

    workers = [threading.Thread(target=ask, args=(n,), daemon=True) for n in range(threads)]
    for w in workers:
        w.start()
    time.sleep(1.0)
    idle = [lat for _, lat, _ in latencies]
    _edit(path, f"swap-{time.time_ns()}")
    marks: dict[str, float] = {}

    def progress(stage: str, done: int, total: int) -> None:
        marks.setdefault(f"{stage}:{done}", time.perf_counter())

    before = library.service.version
    wait_for_flushes()
    started = time.perf_counter()
    report = library.refresh(progress=progress, actor="bench", fetch_feeds=False)
    ended = time.perf_counter()
    time.sleep(0.5)
    stop.set()
    for w in workers:
        w.join()
    during = [lat for t, lat, _ in latencies if started <= t <= ended]
    switch_at = marks.get("switching:0", ended)
    return {"refresh_seconds": ended - started, "swap_in_seconds": report.swap_seconds,
            "switch_to_serving_seconds": marks.get("switching:1", ended) - switch_at,
            "from": before, "to": report.version, "queries_during": len(during), "errors": len(errors),
            "idle_p50_ms": 1000 * median(idle), "during_p50_ms": 1000 * median(during),
            "during_max_ms": 1000 * max(during, default=float("nan")),
            "versions_answering": sorted({v for t, _, v in latencies if t >= started})}


def run_benchmark(args: argparse.Namespace, out: TextIO) -> dict:
    """Prepare (once) and measure; prints a report and writes `results.json` in the workdir."""
    root = Path(args.workdir)
    root.mkdir(parents=True, exist_ok=True)
    encoder = FastBenchEncoder()
    print(f"encoder: {encoder.info.name} — figures EXCLUDE embedding", file=out)
    base = bench_records()
    count = encoder.count_tokens
    base_passages = sum(passage_counts(RTQA, count).values())
    copies = max(1, math.ceil(args.passages / base_passages))
    large_records = [copy_record(r, k) for k in range(copies) for r in base]
    small_records = [copy_record(r, 900 + k) for k in range(math.ceil(args.small_files / len(base)))
                     for r in base][: args.small_files]
    small = prepare_library(root, "small", small_records, encoder, out)
    large = prepare_library(root, "large", large_records, encoder, out)
    large_files = sorted((root / "large" / "corpus").rglob("*.jsonl"))
    results: dict = {"encoder": encoder.info.name, "runs": args.runs}
    n_large = large.service.manifest.passages
    results["large_passages"] = n_large
    results["large_files"] = len(large_files)
    print(f"large index: {n_large:,} passages in {len(large_files):,} files; small corpus: "
          f"{args.small_files:,} files", file=out, flush=True)

    for library in (small, large):
        library.refresh(actor="bench", fetch_feeds=False)  # warm-up: file records in memory, as in the bot
    results["no_change_small"] = _timed_refreshes(small, args.runs, None, "no change, 2,000 files", out)
    # a fresh process (the CLI) reads the file records from state.sqlite instead of memory
    results["no_change_small_cold"] = [
        {"seconds": _time(lambda: Library(small.corpus_dir, small.index_dir, encoder).refresh(
            actor="bench", fetch_feeds=False))} for _ in range(args.runs)]
    results["no_change_small_rescan"] = [
        {"seconds": _time(lambda: small.refresh(actor="bench", fetch_feeds=False, rescan=True))}
        for _ in range(args.runs)]
    results["no_change_large"] = _timed_refreshes(large, args.runs, None, f"no change, {len(large_files):,} files", out)
    target = [large_files[len(large_files) // 2]]
    results["one_changed"] = _timed_refreshes(large, args.runs, target, "one article changed", out)
    step = max(1, len(large_files) // max(1, round(len(large_files) * 0.01)))
    results["one_percent"] = _timed_refreshes(large, max(1, min(args.runs, 3)), large_files[::step],
                                              "1% of articles changed", out)
    results["swap"] = _swap_under_load(large, target[0], args.query_threads, out)
    if args.real_embedding:
        results["real_embedding_one_article"] = _real_embedding(target[0])
    _print_summary(results, out)
    (root / "results.json").write_text(json.dumps(results, indent=2))
    return results


def _time(fn) -> float:  # noqa: ANN001
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def _real_embedding(path: Path) -> dict:
    """Seconds the real model (the encoder `newsbot build` would choose, `NEWSBOT_ENCODER`) takes to embed
    one article's passages, model loaded beforehand."""
    encoder = make_encoder(Settings.from_env().encoder)
    encoder.load()
    [article] = [a for a in read_file(path) if not hasattr(a, "message")]
    passages = chunk_article(article, encoder.count_tokens, ChunkConfig())
    texts = [embedding_text(article, p, ChunkConfig()) for p in passages]
    seconds = _time(lambda: encoder.encode(texts))
    return {"passages": len(texts), "seconds": seconds, "encoder": encoder.info.name}


def _print_summary(r: dict, out: TextIO) -> None:
    def med(key: str, field: str = "seconds") -> float:
        return median([x[field] for x in r[key]])

    s = r["swap"]
    print("\nmedians (seconds):", file=out)
    print(f"  no-change refresh, 2,000 files:                {med('no_change_small'):.3f}"
          f"  (new process: {med('no_change_small_cold'):.3f}; every file parsed again with --rescan: "
          f"{med('no_change_small_rescan'):.3f})", file=out)
    print(f"  no-change refresh, {r['large_files']:,} files / {r['large_passages']:,} passages: "
          f"{med('no_change_large'):.3f}", file=out)
    for key, label in (("one_changed", "one article changed"), ("one_percent", "1% of articles changed")):
        print(f"  {label}, beyond embedding: new version published {med(key, 'published_beyond_embedding'):.3f}, "
              f"serving in the bot {med(key, 'beyond_embedding'):.3f} (swap-in {med(key, 'swap_in'):.3f})", file=out)
    for key in ("one_changed", "one_percent"):
        parts = {k: median([x["stages"].get(k, 0.0) for x in r[key]]) for k in r[key][0]["stages"]}
        print(f"    {key} stages (median s): " + ", ".join(f"{k} {v:.2f}" for k, v in parts.items())
              + f"; then flushed to disk in the background in {med(key, 'flush_after'):.2f}", file=out)
    print(f"    (1%: {r['one_percent'][0]['plan']}; {r['one_percent'][0]['embedded']} passages embedded)", file=out)
    print(f"  swap under load ({s['queries_during']} queries during the refresh, {s['errors']} failed): new "
          f"version loaded and swapped in {s['swap_in_seconds']:.3f}s ({s['switch_to_serving_seconds']:.3f}s from the "
          f"pointer switch to serving it); query p50 "
          f"{s['idle_p50_ms']:.1f} ms idle, {s['during_p50_ms']:.1f} ms during (max {s['during_max_ms']:.0f} ms); "
          f"answered by {', '.join(s['versions_answering'])}", file=out)
    if "real_embedding_one_article" in r:
        e = r["real_embedding_one_article"]
        print(f"  real model embedding the changed article:      {e['seconds']:.3f} ({e['passages']} passages)",
              file=out)


def cmd_bench_refresh(args: argparse.Namespace, settings: Settings) -> int:
    """`newsbot bench-refresh`."""
    run_benchmark(args, sys.stdout)
    return 0
