"""`newsbot bench`: search at scale (issue 15, targets 3 and 4). A benchmark, never a test.

For each size (`--sizes`, default 100k and 1m) it prepares once, under `--workdir`, a corpus of
rtqa-dev's articles repeated as `newsbot bench-refresh` makes them (`bot.cli.bench`'s recipe:
copies with their own ids, URLs, titles and a marker, one file each, vectors hashed from the text by
`FastBenchEncoder`, so no figure includes embedding) until it holds the size's passages, and its
index; then it measures, beside each other in one run:

- the bot's search (`index.search.service.search_parts`, highlights included, k=5) p50/p95/p99 with the
  version's approximate index, and with a flat scan of every vector (`RetrievalConfig.exact`, today's path
  before the approximate index), the question's vector computed beforehand;
- the exact-search floor: the flat scan of the vectors alone, one thread;
- where the time goes: the dense candidates (approximate / exact) and the BM25 scores of a question;
- the approximate index's candidate recall against exact search at the depth used (hashed vectors;
  `--real-recall CACHE` adds rtqa-dev's real vectors, from an eval cache, with the real model's questions);
- 8 questions at once from 8 threads: p50/p99 against the single-question p50;
- resident memory of a serving process (a fresh interpreter: loaded, then 300 questions);
- a one-article refresh (beyond embedding: published, and serving in the bot).

Prepared indexes are reused by later runs while the recipe and the index format are unchanged (the
`READY.json` marker of `bot.cli.bench.prepare_library`); a version written before the approximate
index existed is brought up to date by one refresh, untimed.

Sections: `SECTIONS` lists what `newsbot bench` runs, in order; each entry names a module and a plain
function `(args, out) -> dict` (the encoder benchmark of issue 15's targets 1-2 plugs in here as
`bot.cli.bench_encoders`; an entry whose module is absent is reported as skipped).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import math
import os
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import TextIO

import numpy as np

from bot.cli.bench import (RTQA, FastBenchEncoder, _edit, _timed_refreshes, bench_records, copy_record, median,
                           passage_counts, prepare_library)
from bot.cli.bench_servers import memory_now, questions_for
from bot.settings import Settings
from index.library import Library
from index.search.ranking import RetrievalConfig
from index.search.service import Part, SearchService, search_parts
from index.store.dense import DenseConfig

SIZES = {"100k": 100_000, "1m": 1_000_000}
K = 5  # passages per answer, as the bot's /ask at most shows
MEASURES = ("latency", "parts", "recall", "concurrency", "memory", "refresh")  # what `--measure` may name
THREADS = 8  # questions at once in the concurrency measurement (issue 15, target 4)
MEMORY_QUESTIONS = 300  # asked in the memory measurement's fresh process (default of --memory-questions)
# (name, module, function): each function takes (args, out) and returns a dict for results.json
SECTIONS: list[tuple[str, str, str]] = [
    ("search", "bot.cli.bench_search", "search_section"),
    ("encoders", "bot.cli.bench_encoders", "encoder_section"),  # start-up and build speed (targets 1-2)
    ("startup", "bot.cli.bench_startup", "startup_section"),  # `newsbot run` until its first answer (target 1)
]
TARGETS = {  # issue 15: (size, measure) → the most it may be
    ("100k", "p50_ms"): 10.0,
    ("1m", "p50_ms"): 25.0,
    ("1m", "p99_ms"): 80.0,
    ("1m", "rss_mb"): 2048.0,
    ("1m", "refresh_s"): 5.0,
}


def size_records(base: list[dict], per_copy: int, target: int) -> list[dict]:
    """`bench-refresh`'s recipe scaled: whole copies of every article until at least `target` passages."""
    return [copy_record(r, k) for k in range(max(1, math.ceil(target / per_copy))) for r in base]


def prepare_size(root: Path, name: str, records: list[dict], encoder: FastBenchEncoder, out: TextIO,
                 dense: DenseConfig = DenseConfig()) -> Library:
    """The size's corpus and index (built once, `prepare_library`), its serving version given the dense
    index `dense` asks for: a version written before the approximate index existed is patched once by
    one article's refresh, untimed (the patch writes the approximate index in full)."""
    library = prepare_library(root, name, records, encoder, out)
    library = Library(library.corpus_dir, library.index_dir, encoder, keep_versions=2, dense=dense)
    service = library.service
    if service.manifest.passages >= dense.ann_min_passages and not service.vectors.approximate:
        print(f"  {name}: writing the approximate index (once) …", file=out, flush=True)
        started = time.perf_counter()
        files = sorted(library.corpus_dir.rglob("*.jsonl"))
        _edit(files[0], f"approximate-index-{time.time_ns()}")
        library.refresh(actor="bench", fetch_feeds=False)
        print(f"  {name}: done in {time.perf_counter() - started:.0f}s", file=out, flush=True)
    return library


def _percentiles(ms: list[float]) -> dict[str, float]:
    return {f"p{q}_ms": float(np.percentile(ms, q)) for q in (50, 95, 99)} if ms else {}


def _ask(service: SearchService, question: str, config: RetrievalConfig) -> float:
    started = time.perf_counter()
    search_parts([Part(service)], question, k=K, retrieval=config)
    return 1000 * (time.perf_counter() - started)


def measure_latency(service: SearchService, questions: list[str], config: RetrievalConfig, runs: int) -> dict:
    """The bot's search p50/p95/p99 (ms) of each run over `questions`, and their medians over the runs."""
    for q in questions[:10]:
        _ask(service, q, config)  # warm: lazily loaded parts, as in a serving bot
    per_run = [_percentiles([_ask(service, q, config) for q in questions]) for _ in range(runs)]
    return {"runs": per_run, **{key: median([r[key] for r in per_run]) for key in per_run[0]}}


def measure_parts(service: SearchService, questions: list[str]) -> dict:
    """Median ms of the dense candidates (approximate / exact) and of the BM25 candidates of a question, and the
    exact-search floor: a flat scan of the vectors alone (one thread), with its top-k."""
    depth = service.retrieval.depth
    out: dict = {}
    for name, exact in (("dense_approximate_ms", False), ("dense_exact_ms", True)):
        times = []
        for q in questions:
            query = service.embed_query(q)
            started = time.perf_counter()
            service.vectors.search(query, depth, exact=exact, candidates=service.retrieval.ann_candidates)
            times.append(1000 * (time.perf_counter() - started))
        out[name] = median(times)
    vectors = service.vectors.vectors
    floor = []
    for q in questions:
        query = service.embed_query(q)
        started = time.perf_counter()
        scores = vectors @ query
        np.argpartition(-scores, depth)[:depth]
        floor.append(1000 * (time.perf_counter() - started))
    out["flat_scan_floor_ms"] = median(floor)
    lexical = service.retriever.lexical
    if lexical is not None:
        times = []
        for q in questions:
            started = time.perf_counter()
            lexical.question(q).top(depth)  # as the search does: scores summed, its top rows cut, none normalised
            times.append(1000 * (time.perf_counter() - started))
        out["bm25_ms"] = median(times)
    return out


def measure_recall(service: SearchService, queries: list[np.ndarray], depth: int, candidates: int) -> float:
    """Mean share of the exact top `depth` rows that the approximate index's rescored candidates hold."""
    found = []
    for query in queries:
        exact = set(service.vectors.search(query, depth, exact=True).rows.tolist())
        approx = set(service.vectors.search(query, depth, candidates=candidates).rows.tolist())
        found.append(len(exact & approx) / max(len(exact), 1))
    return float(np.mean(found)) if found else float("nan")


def measure_concurrency(service: SearchService, questions: list[str], config: RetrievalConfig,
                        rounds: int) -> dict:
    """`THREADS` questions at once, `rounds` times: each question's latency (ms), p50/p99 over all."""
    barrier = threading.Barrier(THREADS)
    latencies: list[float] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        for r in range(rounds):
            barrier.wait()
            ms = _ask(service, questions[(r * THREADS + n) % len(questions)], config)
            with lock:
                latencies.append(ms)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"questions": len(latencies), **_percentiles(latencies)}


def measure_memory(index_dir: Path, corpus_dir: Path, exact: bool, questions: list[str],
                   asked: int = MEMORY_QUESTIONS) -> dict:
    """Memory (MB) of this process: the version loaded, then `asked` questions asked through the bot's
    search. Meant for a fresh interpreter (`python -m bot.cli.bench_search memory`)."""
    started = memory_now()
    library = Library(corpus_dir, index_dir, FastBenchEncoder())
    service = library.service
    config = replace(service.retrieval, exact=exact)
    loaded = memory_now()
    for i in range(asked):
        search_parts([Part(service)], questions[i % len(questions)], k=K, retrieval=config)
    service.vectors.warm()  # whatever loads in the background is counted
    return {"started": started, "loaded": loaded, "end": memory_now(), "questions": asked}


def _memory_in_subprocess(library: Library, exact: bool, questions: list[str], asked: int) -> dict:
    spec = json.dumps({"index": str(library.index_dir.resolve()), "corpus": str(library.corpus_dir.resolve()),
                       "exact": exact, "questions": questions, "asked": asked})
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-m", "bot.cli.bench_search", "memory"], input=spec, cwd=root, env=env,
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"memory measurement failed: {done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def real_recall(cache: Path, depth: int, candidates: int) -> dict:
    """Candidate recall on rtqa-dev's real vectors: each approximate benchmark index in an eval cache
    (`newsbot eval --cache`), asked the benchmark's questions embedded by the real model (the encoder that
    serves that index, `index.encoder_choice.encoder_for_index`)."""
    from index.encoder_choice import encoder_for_index
    from index.store.layout import CURRENT

    out = {}
    for index_dir in sorted((cache / "indexes").glob("*")):
        if not (index_dir / CURRENT).exists():
            continue
        encoder = encoder_for_index(index_dir)  # the index's own variant (ONNX Runtime for a torch-built one)
        try:
            service = SearchService.open(index_dir, encoder, sentence_root=cache)
        except Exception as exc:  # noqa: BLE001 - another model's or an unreadable cached index: not measured
            out[index_dir.name] = {"skipped": str(exc)[:200]}
            continue
        if not service.vectors.approximate:
            continue
        questions = questions_for(RTQA)
        queries = list(encoder.encode(questions))
        out[index_dir.name] = {"passages": service.manifest.passages, "questions": len(queries),
                               "recall": measure_recall(service, queries, depth, candidates)}
    return out


def bench_size(args: argparse.Namespace, root: Path, name: str, records: list[dict], encoder: FastBenchEncoder,
               questions: list[str], out: TextIO) -> dict:
    """Every measurement of one size; see the module docstring."""
    library = prepare_size(root, name, records, encoder, out)
    service = library.service
    bot = service.retrieval
    exact = replace(bot, exact=True)
    for q in questions:
        service.embed_query(q)  # the question's vector is not part of the figures
    service.vectors.warm()  # a serving bot has its half-precision copy seconds after loading (large versions)
    n = service.manifest.passages
    print(f"{name}: {n:,} passages, {'approximate' if service.vectors.approximate else 'exact'} dense index",
          file=out, flush=True)
    result: dict = {"passages": n, "approximate_index": service.vectors.approximate}
    wanted = set(getattr(args, "measure", None) or MEASURES)
    if "latency" in wanted:
        few = questions[: max(20, args.questions // (4 if n > 500_000 else 1))]  # the exact path is slow at 1M
        result["latency"] = {"bot": measure_latency(service, questions[: args.questions], bot, args.runs),
                             "exact": measure_latency(service, few, exact, args.runs)}
        result["single_p50_ms"] = result["latency"]["bot"]["p50_ms"]
        print("  latency done", file=out, flush=True)
    if "parts" in wanted:
        result["parts"] = measure_parts(service, questions[:100])
    if "recall" in wanted:
        result["recall_hashed"] = measure_recall(service, [service.embed_query(q) for q in questions[:100]],
                                                 bot.depth, bot.ann_candidates)
    if "concurrency" in wanted:
        result["concurrency"] = {"bot": measure_concurrency(service, questions, bot, args.rounds),
                                 "exact": measure_concurrency(service, questions, exact, max(3, args.rounds // 4))}
        print("  concurrency done", file=out, flush=True)
    if "memory" in wanted:
        result["memory"] = {mode: _memory_in_subprocess(library, mode == "exact", questions, args.memory_questions)
                            for mode in ("bot", "exact")}
        print("  memory done", file=out, flush=True)
    if "refresh" in wanted:
        files = sorted(library.corpus_dir.rglob("*.jsonl"))
        # a one-shot `newsbot refresh` copies the big files while it plans; the bot and `refresh --watch` keep a
        # standby copy made after each refresh (`Library.keep_standby_copies`): both, side by side
        result["refresh_cold"] = _timed_refreshes(library, args.runs, [files[len(files) // 2]],
                                                  "one article changed, one-shot", out)
        library.keep_standby_copies()
        library.refresh(actor="bench", fetch_feeds=False)  # untimed: publishes once, so a standby copy exists
        result["refresh"] = _timed_refreshes(library, args.runs, [files[len(files) // 2]],
                                             "one article changed, long-lived (standby copy)", out)
        library.drop_standby_copies()
    return result


def search_section(args: argparse.Namespace, out: TextIO) -> dict:
    """Search at scale for each of `args.sizes` (see the module docstring)."""
    root = Path(args.workdir)
    root.mkdir(parents=True, exist_ok=True)
    encoder = FastBenchEncoder()
    print(f"encoder: {encoder.info.name} — figures EXCLUDE embedding the question", file=out, flush=True)
    base = bench_records()
    per_copy = sum(passage_counts(RTQA, encoder.count_tokens).values())
    questions = questions_for(RTQA)
    results: dict = {}
    for name in args.sizes:
        results[name] = bench_size(args, root, f"p{name}", size_records(base, per_copy, SIZES[name]), encoder,
                                   questions, out)
        (root / "results.json").write_text(json.dumps({"search": results}, indent=2))
    if args.real_recall:
        bot = RetrievalConfig()
        results["recall_real"] = real_recall(Path(args.real_recall), bot.depth, bot.ann_candidates)
    print_table(results, out)
    return results


def _row(label: str, bot: float, exact: float | None, target: float | None, unit: str = "ms") -> str:
    def fmt(x: float | None) -> str:
        return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:,.1f} {unit}"
    met = "" if target is None else (" yes" if bot <= target else " NO")
    return f"  {label:<44} {fmt(bot):>12} {fmt(exact):>12}   {'≤ ' + fmt(target) + met if target else ''}"


def print_table(results: dict, out: TextIO) -> None:
    """The figures, the bot's (approximate index) beside the exact path's, with the targets (measurements
    left out by `--measure` are left out here too)."""
    for name in [s for s in SIZES if s in results]:
        r = results[name]
        print(f"\n{name}: {r['passages']:,} passages                      bot (approx.)   exact scan   target",
              file=out)
        lat = r.get("latency")
        if lat:
            for q in (50, 95, 99):
                print(_row(f"search p{q} (without the question's embedding)", lat["bot"][f"p{q}_ms"],
                           lat["exact"][f"p{q}_ms"], TARGETS.get((name, f"p{q}_ms"))), file=out)
        parts = r.get("parts")
        if parts:
            print(_row("dense candidates alone (p50)", parts["dense_approximate_ms"], parts["dense_exact_ms"], None),
                  file=out)
            print(_row("exact-search floor: flat scan alone, 1 thread", parts["flat_scan_floor_ms"], None, None),
                  file=out)
            if "bm25_ms" in parts:
                print(_row("BM25 candidates of a question (p50)", parts["bm25_ms"], None, None), file=out)
        if "recall_hashed" in r:
            print(f"  {'candidate recall vs exact (hashed vectors)':<44} {r['recall_hashed']:>12.4f}", file=out)
        con = r.get("concurrency")
        if con and lat:
            for mode in ("bot", "exact"):
                c = con[mode]
                ratio = c["p99_ms"] / (lat[mode]["p50_ms"] or float("nan"))
                print(f"  {THREADS} at once ({mode}): p50 {c['p50_ms']:.1f} ms, p99 {c['p99_ms']:.1f} ms = "
                      f"{ratio:.1f}x its single p50 (target ≤ 4x{' met' if ratio <= 4 else ' NOT met'})", file=out)
        mem = r.get("memory")
        if mem:
            rss = {m: mem[m]["end"]["VmRSS"] for m in mem}
            asked = mem["bot"].get("questions", MEMORY_QUESTIONS)
            print(_row(f"resident memory after {asked} questions (VmRSS)", rss["bot"], rss["exact"],
                       TARGETS.get((name, "rss_mb")), "MB"), file=out)
            print(f"    (bot: heap {mem['bot']['end'].get('RssAnon', 0):,.0f} MB, mapped files "
                  f"{mem['bot']['end'].get('RssFile', 0):,.0f} MB; loaded {mem['bot']['loaded']['VmRSS']:,.0f} MB)",
                  file=out)
        for key, label in (("refresh", "the bot's"), ("refresh_cold", "one-shot")):
            if r.get(key):
                published = median([x["published_beyond_embedding"] for x in r[key]])
                serving = median([x["beyond_embedding"] for x in r[key]])
                print(_row(f"one-article refresh ({label}), beyond embedding", published, None,
                           TARGETS.get((name, "refresh_s")) if key == "refresh" else None, "s"), file=out)
                print(_row("  … and serving in the bot", serving, None, None, "s"), file=out)
    for key, value in results.get("recall_real", {}).items():
        if "recall" in value:
            print(f"\nreal vectors (eval cache {key}, {value['passages']:,} passages, {value['questions']} questions):"
                  f" candidate recall {value['recall']:.4f}", file=out)


def cmd_bench(args: argparse.Namespace, settings: Settings) -> int:
    """`newsbot bench`: every section of `SECTIONS`, results in `WORKDIR/results.json`."""
    results: dict = {}
    for name, module_name, function in SECTIONS:
        if args.only and name not in args.only:
            continue
        if importlib.util.find_spec(module_name) is None:
            print(f"\n[{name}] skipped: {module_name} is not part of this checkout", file=sys.stdout)
            continue
        section = getattr(importlib.import_module(module_name), function, None)
        if section is None:
            print(f"\n[{name}] skipped: {module_name} has no function {function}(args, out)", file=sys.stdout)
            continue
        print(f"\n[{name}]", flush=True)
        results[name] = section(args, sys.stdout)
    root = Path(args.workdir)
    root.mkdir(parents=True, exist_ok=True)
    (root / "results.json").write_text(json.dumps(results, indent=2, default=str))
    return 0


def _main(argv: list[str]) -> int:
    """`python -m bot.cli.bench_search memory` (a JSON spec on standard input): one memory measurement."""
    if argv[:1] != ["memory"]:
        print("usage: python -m bot.cli.bench_search memory < SPEC.json", file=sys.stderr)
        return 2
    spec = json.loads(sys.stdin.read())
    print(json.dumps(measure_memory(Path(spec["index"]), Path(spec["corpus"]), spec["exact"], spec["questions"],
                                    spec.get("asked", MEMORY_QUESTIONS))))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
