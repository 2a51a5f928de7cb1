"""`newsbot bench-servers`: many servers' collections beside a large base corpus. A benchmark, never a test.

What it measures (issue #13): the memory of the bot with `--servers` collections of
`--server-passages` passages each beside a `--base-passages` base, against the base
alone; search latency of the base alone and of a server's view (the base and one
collection ranked together); and the time of one server's refresh beside the base,
with checks that it re-embeds and rewrites nothing but that server's new article.

Corpora follow `newsbot bench-refresh`'s recipe (`bot.cli.bench`): rtqa-dev articles
copied with changed ids, titles and a marker in the text, one file each; vectors come
from `FastBenchEncoder` (the real tokenizer, hashed vectors), so no figure includes
embedding. The base (passages taken in order until `--base-passages`) and the server
collections (each server its own copies, starting at its own place in the article
list, until `--server-passages`) are written under `--workdir` once, through
`Collections.library(server).refresh()`, and reused by later runs.

Memory is read (VmRSS, /proc/self/status) in a fresh interpreter for each
configuration, so one measurement never inherits another's heap:
    base:    the base loaded, then 300 questions asked of it;
    servers: the base loaded, then every server asked 3 questions through its view, round robin
             (`Collections.view(Scope(server)).search`), so each collection is loaded, evicted
             beyond `--loaded` and loaded again: 300 questions, 300 collection loads for 100 servers.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

import numpy as np

from bot.cli.bench import (FORMAT, RTQA, FastBenchEncoder, bench_records, copy_record, median, passage_counts,
                           prepare_library, write_corpus)
from bot.settings import Settings
from corpus.chunking import ChunkConfig, chunk_article, embedding_text
from corpus.readers.loader import read_file
from index.collections import Collections, Scope
from index.library import Library
from index.store.durability import wait_for_flushes
from index.store.layout import CURRENT, version_path
from index.store.manifest import Manifest
from index.store.sentences import passage_sentences

SERVER_ID0 = 900_000_000_000_000_000  # server n is SERVER_ID0 + n (Discord ids have 17-20 digits)
BASE_QUESTIONS = 300  # asked of the base alone in the memory measurement
SERVER_QUESTIONS = 3  # asked of each server's view in the memory measurement (round robin)
LATENCY_QUESTIONS = 100  # timed per configuration and run
MEMORY_TARGET = 1.15  # issue #13: servers beside the base within 15% of the base alone
FALLBACK_QUESTIONS = (
    "Who won the election?", "What did the court decide?", "Where did the storm hit?",
    "How much did prices rise?", "Which company announced layoffs?", "What did the president say about inflation?",
    "Why did the airline cancel flights?", "Which country hosted the summit?", "What caused the wildfire?",
    "Who was charged in the investigation?", "What did scientists discover?", "How many people were evacuated?",
)


class RecordingEncoder:
    """`FastBenchEncoder` that can note every text it is asked to embed (to check what a refresh embedded)."""

    def __init__(self, inner: FastBenchEncoder) -> None:
        self.inner = inner
        self.info = inner.info
        self.texts: list[str] | None = None  # recording when a list

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)

    def encode(self, texts: Sequence[str], progress=None) -> np.ndarray:  # noqa: ANN001
        if self.texts is not None:
            self.texts.extend(texts)
        return self.inner.encode(texts, progress)


def server_id(n: int) -> int:
    """The id of the benchmark's server number `n`."""
    return SERVER_ID0 + n


def _take(records: list[dict], counts: dict[str, int], target: int, start: int, copy: str | int) -> list[dict]:
    """Copies (marker `copy`) of records from `start` on, cycling, until they hold at least `target` passages."""
    out: list[dict] = []
    total = 0
    for i in range(len(records)):
        record = records[(start + i) % len(records)]
        out.append(copy_record(record, copy))
        total += counts.get(record["id"], 1)
        if total >= target:
            return out
    raise ValueError(f"the articles hold fewer than {target:,} passages")


def plan_corpora(records: list[dict], counts: dict[str, int], base_passages: int, servers: int,
                 server_passages: int) -> tuple[list[dict], dict[int, list[dict]]]:
    """The base's records (copies 0, 1, … of every article, in order, until `base_passages`) and each
    server's (copies marked `s<n>` of distinct articles, starting at the server's own place in the list)."""
    per_copy = sum(counts.get(r["id"], 1) for r in records)
    base: list[dict] = []
    for k in range(max(1, math.ceil(base_passages / per_copy))):
        base += _take(records, counts, min(per_copy, base_passages - k * per_copy), 0, k)
    step = max(1, len(records) // max(1, servers))
    collections = {server_id(n): _take(records, counts, server_passages, n * step, f"s{n}") for n in range(servers)}
    return base, collections


def questions_for(source: Path) -> list[str]:
    """The benchmark's questions (`questions.jsonl` beside the articles), or a fixed list when there is none."""
    path = source.parent / "questions.jsonl"
    if path.exists():
        with path.open(encoding="utf-8") as f:
            found = [json.loads(line)["question"] for line in f if line.strip()]
        if found:
            return found
    return list(FALLBACK_QUESTIONS)


def open_collections(root: Path, encoder, loaded: int) -> Collections:  # noqa: ANN001 - an Encoder
    """The benchmark's base library and the servers' collections beside it."""
    base = Library(root / "base" / "corpus", root / "base" / "index", encoder, keep_versions=2)
    return Collections(base, loaded=loaded)


def prepare(root: Path, base_records: list[dict], servers: dict[int, list[dict]], encoder, loaded: int,  # noqa: ANN001
            out: TextIO) -> Collections:
    """The base and every server's collection, built once (through `Collections.library(server).refresh()`)
    and reused while the recipe is unchanged."""
    prepare_library(root, "base", base_records, encoder, out)
    collections = open_collections(root, encoder, loaded)
    recipe = {"format": FORMAT, "base": [len(base_records), base_records[0]["id"], base_records[-1]["id"]],
              "servers": {str(sid): [len(r), r[0]["id"], r[-1]["id"]] for sid, r in servers.items()}}
    marker = root / "base" / "SERVERS-READY.json"  # inside the base's folder: gone whenever the base is rebuilt
    if marker.exists() and json.loads(marker.read_text()) == recipe:
        return collections
    marker.unlink(missing_ok=True)
    shutil.rmtree(collections.root, ignore_errors=True)
    print(f"preparing {len(servers)} server collections ({sum(map(len, servers.values())):,} files), once …",
          file=out, flush=True)
    started = time.perf_counter()
    for n, (sid, records) in enumerate(servers.items()):
        write_corpus(collections.server_dir(sid) / "corpus", records)
        collections.library(sid).refresh(actor="bench", fetch_feeds=False)
        if (n + 1) % 10 == 0 or n + 1 == len(servers):
            print(f"  {n + 1} of {len(servers)} collections built ({time.perf_counter() - started:.0f}s)",
                  file=out, flush=True)
    time.sleep(2.1)  # let the files age past the scan's racy window, as they would in real use
    for sid in servers:
        collections.library(sid).refresh(actor="bench", fetch_feeds=False)  # records every file as scanned
    marker.write_text(json.dumps(recipe))
    return collections


# -- memory, in a fresh interpreter per configuration ------------------------------------------------------------
def memory_now() -> dict[str, float]:
    """This process's memory in MB: VmRSS (resident), VmHWM (peak resident), RssAnon (heap), RssFile (mapped files).

    From /proc/self/status; where there is none, psutil's RSS if installed, else the peak from getrusage.
    """
    gc.collect()
    try:
        fields = {}
        for line in Path("/proc/self/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
                fields[key] = int(value.split()[0]) / 1024
        if "VmRSS" in fields:
            return fields
    except OSError:
        pass
    try:
        import psutil

        return {"VmRSS": psutil.Process().memory_info().rss / 2**20}
    except ImportError:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return {"VmRSS": peak, "VmHWM": peak}


def measure_memory(root: Path, config: str, servers: list[int], loaded: int, questions: list[str]) -> dict:
    """Memory of this process through one configuration ("base" or "servers", see the module's docstring).

    Meant to run in a fresh interpreter (`python -m bot.cli.bench_servers memory SPEC`).
    """
    started = memory_now()
    collections = open_collections(root, FastBenchEncoder(), loaded)
    collections.view(Scope()).search(questions[0])
    out: dict = {"config": config, "started": started, "base_loaded": memory_now(), "passes": []}
    t = time.perf_counter()
    asked = 0
    if config == "base":
        for i in range(BASE_QUESTIONS):
            collections.view(Scope()).search(questions[i % len(questions)])
            asked += 1
    else:
        for round_ in range(SERVER_QUESTIONS):
            for n, sid in enumerate(servers):
                collections.view(Scope(sid)).search(questions[(round_ * len(servers) + n) % len(questions)])
                asked += 1
            out["passes"].append(memory_now())
    out["seconds"] = time.perf_counter() - t
    out["questions"] = asked
    out["collections_in_memory"] = len(collections.loaded_libraries()) - 1
    out["end"] = memory_now()
    return out


def _memory_in_subprocess(root: Path, config: str, servers: list[int], loaded: int, questions: list[str]) -> dict:
    spec = json.dumps({"root": str(root.resolve()), "config": config, "servers": servers, "loaded": loaded,
                       "questions": questions})
    done = subprocess.run([sys.executable, "-m", "bot.cli.bench_servers", "memory"], input=spec,
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"memory measurement ({config}) failed: {done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- latency ----------------------------------------------------------------------------------------------------------
def _percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def measure_latency(collections: Collections, sid: int, questions: list[str], runs: int) -> dict:
    """Search latency (ms) of the base alone and of one server's view, p50/p95 per run (questions embedded
    by `FastBenchEncoder`, which takes microseconds: the figures are the search itself)."""
    views = {"base": Scope(), "server": Scope(sid)}
    for scope in views.values():  # warm: versions loaded, caches as in a serving bot
        for q in questions[:10]:
            collections.view(scope).search(q)
    out: dict = {name: [] for name in views}
    for run in range(runs):
        for name, scope in views.items():
            times = []
            for i in range(LATENCY_QUESTIONS):
                q = questions[(run * LATENCY_QUESTIONS + i) % len(questions)]
                t = time.perf_counter()
                collections.view(scope).search(q)
                times.append(1000 * (time.perf_counter() - t))
            out[name].append({"p50_ms": _percentile(times, 50), "p95_ms": _percentile(times, 95)})
    return out


# -- one server's refresh ----------------------------------------------------------------------------------------
def _files(folder: Path, skip: Path | None = None) -> dict[str, tuple[int, int]]:
    """path → (mtime ns, size) of every file under `folder` (not under `skip`)."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        if skip is not None and Path(dirpath) == skip.parent:
            dirnames[:] = [d for d in dirnames if Path(dirpath, d) != skip]
        for name in filenames:
            path = os.path.join(dirpath, name)
            try:
                st = os.stat(path)
            except FileNotFoundError:
                continue
            found[path] = (st.st_mtime_ns, st.st_size)
    return found


def _snapshot(collections: Collections, sid: int) -> dict[str, dict[str, tuple[int, int]]]:
    """The files of the base's serving version, of the rest of the base (corpus, index) and of every other server."""
    base = collections.base
    version = version_path(base.index_dir)
    rest = {**_files(base.corpus_dir), **_files(base.index_dir, skip=collections.root)}
    return {"base_version": _files(version),
            "base_rest": {p: v for p, v in rest.items() if not p.startswith(str(version) + os.sep)},
            "other_servers": {p: v for other in collections.server_ids() if other != sid
                              for p, v in _files(collections.server_dir(other)).items()}}


def _changed(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]) -> list[str]:
    return sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))


def _timed_refresh(library: Library, encoder: RecordingEncoder) -> tuple[float, object, list[str]]:
    wait_for_flushes()  # refreshes are minutes apart in real use: start each with the disk idle
    encoder.texts = []
    started = time.perf_counter()
    report = library.refresh(actor="bench", fetch_feeds=False)
    seconds = time.perf_counter() - started
    texts, encoder.texts = encoder.texts, None
    return seconds, report, texts


def measure_refresh(collections: Collections, sid: int, pool: list[dict], encoder: RecordingEncoder,
                    runs: int, out: TextIO) -> list[dict]:
    """Per run: a no-change refresh of server `sid`, then one new article added and refreshed, then the article
    removed again and refreshed (so the prepared collection stays as it was). Checks that the base's and the other
    servers' files were not touched and that only the new article's texts were embedded."""
    library = collections.library(sid)
    library.service  # noqa: B018 - loaded, as in the bot: a refresh includes the swap-in
    folder = library.corpus_dir / "bench-new"
    results = []
    for run in range(runs):
        row: dict = {}
        before = _snapshot(collections, sid)
        seconds, report, texts = _timed_refresh(library, encoder)
        row["no_change"] = {"seconds": seconds, "embedded_texts": len(texts), "version_changed":
                            report.version != report.previous_version, "plan": report.plan.counts_line()}
        record = copy_record(pool[(run * 37) % len(pool)], f"new{run}-{time.time_ns()}")
        path = folder / f"{record['id']}.jsonl"
        folder.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
        [article] = [a for a in read_file(path) if not hasattr(a, "message")]
        passages = chunk_article(article, encoder.count_tokens, library.chunking)
        expected_passages = {embedding_text(article, p, library.chunking) for p in passages}
        expected_sentences = {s for p in passages for s in passage_sentences(article, p)}
        seconds, report, texts = _timed_refresh(library, encoder)
        stats = report.stats
        unexpected = [t for t in texts if t not in expected_passages and t not in expected_sentences]
        row["one_added"] = {
            "seconds": seconds, "published_seconds": report.seconds, "swap_in": report.swap_seconds,
            "plan": report.plan.counts_line(), "passages_of_article": len(passages),
            "passages_embedded": stats.embedded if stats else 0, "texts_embedded": len(texts),
            "only_new_article_embedded": not unexpected and expected_passages <= set(texts),
            "unexpected_texts": unexpected[:3], "version": report.version}
        after = _snapshot(collections, sid)
        row["untouched"] = {key: _changed(before[key], after[key])[:5] for key in before}
        path.unlink()
        seconds, report, texts = _timed_refresh(library, encoder)
        row["one_removed"] = {"seconds": seconds, "plan": report.plan.counts_line(), "embedded_texts": len(texts)}
        final = _snapshot(collections, sid)
        for key in before:
            row["untouched"][key] += _changed(after[key], final[key])[:5]
        results.append(row)
        print(f"  refresh run {run + 1}: no change {row['no_change']['seconds']:.3f}s, one article added "
              f"{row['one_added']['seconds']:.3f}s ({row['one_added']['passages_embedded']} passages embedded), "
              f"removed {row['one_removed']['seconds']:.3f}s", file=out, flush=True)
    return results


# -- the whole benchmark -------------------------------------------------------------------------------------------
def run_benchmark(args: argparse.Namespace, out: TextIO, source: Path = RTQA) -> dict:
    """Prepare (once) and measure; prints a table and writes `results.json` in the workdir; returns the results.

    `args`: workdir, base_passages, servers, server_passages, runs, loaded (see `newsbot bench-servers --help`);
    `source`: the articles the corpora are copied from (rtqa-dev's; tests pass a smaller file).
    """
    root = Path(args.workdir)
    root.mkdir(parents=True, exist_ok=True)
    encoder = RecordingEncoder(FastBenchEncoder())
    print(f"encoder: {encoder.info.name} — figures EXCLUDE embedding", file=out, flush=True)
    records = bench_records(source)
    counts = passage_counts(source, encoder.count_tokens)
    base_records, servers = plan_corpora(records, counts, args.base_passages, args.servers, args.server_passages)
    collections = prepare(root, base_records, servers, encoder, args.loaded, out)
    questions = questions_for(source)
    ids = sorted(servers)
    sizes = [Manifest.load(version_path(collections.server_dir(s) / "index")).passages for s in ids]
    disk = [sum(size for _, size in _files(collections.server_dir(s)).values()) for s in ids]
    results: dict = {
        "encoder": encoder.info.name, "runs": args.runs, "loaded": args.loaded,
        "base_passages": collections.base.service.manifest.passages, "base_articles":
        collections.base.service.manifest.articles, "servers": len(ids),
        "server_passages": {"min": min(sizes), "median": median(sizes), "max": max(sizes), "total": sum(sizes)},
        "server_disk_mb_median": median(disk) / 2**20}
    print(f"base: {results['base_passages']:,} passages; {len(ids)} servers of {min(sizes):,}-{max(sizes):,} "
          f"passages ({sum(sizes):,} in all); at most {args.loaded} collections in memory", file=out, flush=True)

    memory_runs = max(1, min(args.runs, 3))
    memory: dict[str, list[dict]] = {"base": [], "servers": []}
    for run in range(memory_runs):
        for config in ("base", "servers"):
            memory[config].append(_memory_in_subprocess(root, config, ids, args.loaded, questions))
            m = memory[config][-1]
            print(f"  memory run {run + 1}, {config}: {m['end']['VmRSS']:.0f} MB after {m['questions']} questions "
                  f"(base loaded: {m['base_loaded']['VmRSS']:.0f} MB)", file=out, flush=True)
    results["memory"] = memory
    base_mb = median([m["end"]["VmRSS"] for m in memory["base"]])
    servers_mb = median([m["end"]["VmRSS"] for m in memory["servers"]])
    results["memory_summary"] = {
        "base_loaded_mb": median([m["base_loaded"]["VmRSS"] for m in memory["base"]]),
        "base_mb": base_mb, "servers_mb": servers_mb, "ratio": servers_mb / base_mb,
        "within_target": servers_mb / base_mb <= MEMORY_TARGET, "target": MEMORY_TARGET,
        "base_peak_mb": median([m["end"].get("VmHWM", float("nan")) for m in memory["base"]]),
        "servers_peak_mb": median([m["end"].get("VmHWM", float("nan")) for m in memory["servers"]]),
        "servers_passes_mb": [median([m["passes"][i]["VmRSS"] for m in memory["servers"]])
                              for i in range(SERVER_QUESTIONS)],
        "collections_in_memory": median([m["collections_in_memory"] for m in memory["servers"]]),
        # whole questions (embedding, search, highlights; a server's: loading its collection when it was evicted)
        "base_question_ms": median([1000 * m["seconds"] / m["questions"] for m in memory["base"]]),
        "servers_question_ms": median([1000 * m["seconds"] / m["questions"] for m in memory["servers"]])}

    latency_server = ids[len(ids) // 2]
    results["latency"] = measure_latency(collections, latency_server, questions, args.runs)
    refresh_server = ids[len(ids) // 3]
    used = {r["id"].rsplit("-c", 1)[0] for r in servers[refresh_server]}
    pool = [r for r in records if r["id"] not in used]
    results["refresh"] = measure_refresh(collections, refresh_server, pool, encoder, args.runs, out)
    results["refresh_summary"] = _refresh_summary(results["refresh"])
    print_table(results, out)
    (root / "results.json").write_text(json.dumps(results, indent=2))
    return results


def _refresh_summary(rows: list[dict]) -> dict:
    def med(kind: str, field: str = "seconds") -> float:
        return median([r[kind][field] for r in rows])

    return {"no_change_s": med("no_change"), "one_added_s": med("one_added"),
            "one_added_published_s": med("one_added", "published_seconds"),
            "one_added_swap_in_s": med("one_added", "swap_in"), "one_removed_s": med("one_removed"),
            "passages_embedded": med("one_added", "passages_embedded"),
            "only_new_article_embedded": all(r["one_added"]["only_new_article_embedded"] for r in rows),
            "no_change_embedded_nothing": all(r["no_change"]["embedded_texts"] == 0 for r in rows),
            "no_change_kept_version": not any(r["no_change"]["version_changed"] for r in rows),
            "base_version_untouched": not any(r["untouched"]["base_version"] for r in rows),
            "base_rest_untouched": not any(r["untouched"]["base_rest"] for r in rows),
            "other_servers_untouched": not any(r["untouched"]["other_servers"] for r in rows)}


def print_table(r: dict, out: TextIO) -> None:
    """The figures as a Markdown table (medians)."""
    m, f = r["memory_summary"], r["refresh_summary"]
    lat = {name: {k: median([x[k] for x in runs]) for k in ("p50_ms", "p95_ms")} for name, runs in r["latency"].items()}
    sp = r["server_passages"]
    yes = {True: "yes", False: "NO"}
    rows = [
        ("base alone: resident memory after 300 questions", f"{m['base_mb']:,.0f} MB "
                                                            f"(loaded: {m['base_loaded_mb']:,.0f} MB)"),
        (f"base + {r['servers']} servers, each asked {SERVER_QUESTIONS} questions in turn (≤ {r['loaded']} "
         "collections in memory)", f"{m['servers_mb']:,.0f} MB ({m['collections_in_memory']:.0f} collections in "
                                   "memory at the end)"),
        ("ratio (servers / base alone)", f"{m['ratio']:.3f} — within {m['target']:.2f}: {yes[m['within_target']]}"),
        ("search p50 / p95, base alone", f"{lat['base']['p50_ms']:.1f} / {lat['base']['p95_ms']:.1f} ms"),
        ("search p50 / p95, a server's view (base + its collection)",
         f"{lat['server']['p50_ms']:.1f} / {lat['server']['p95_ms']:.1f} ms"),
        ("mean question in the memory runs: base alone / a server's (its collection loaded again when evicted)",
         f"{m['base_question_ms']:.0f} / {m['servers_question_ms']:.0f} ms"),
        ("one server's refresh, one article added (serving it)",
         f"{f['one_added_s']:.3f} s ({f['passages_embedded']:.0f} passages embedded; published in "
         f"{f['one_added_published_s']:.3f} s)"),
        ("one server's refresh, no change", f"{f['no_change_s']:.3f} s"),
        ("one server's refresh, the article removed", f"{f['one_removed_s']:.3f} s"),
        ("only the new article embedded; no-change refresh embedded nothing",
         f"{yes[f['only_new_article_embedded']]}; {yes[f['no_change_embedded_nothing']]}"),
        ("base version / rest of the base / other servers' files untouched",
         f"{yes[f['base_version_untouched']]} / {yes[f['base_rest_untouched']]} / "
         f"{yes[f['other_servers_untouched']]}"),
    ]
    print(f"\n{r['base_passages']:,}-passage base, {r['servers']} servers of {sp['min']:,}-{sp['max']:,} passages "
          f"(median {sp['median']:,.0f}; {r['server_disk_mb_median']:.1f} MB on disk each); medians of "
          f"{r['runs']} runs ({len(r['memory']['base'])} fresh processes each for memory); embedding excluded\n",
          file=out)
    width = max(len(a) for a, _ in rows)
    print(f"| {'measure'.ljust(width)} | figure |", file=out)
    print(f"|{'-' * (width + 2)}|---|", file=out)
    for a, b in rows:
        print(f"| {a.ljust(width)} | {b} |", file=out)


def cmd_bench_servers(args: argparse.Namespace, settings: Settings) -> int:
    """`newsbot bench-servers`."""
    if args.loaded is None:
        args.loaded = settings.loaded_servers
    results = run_benchmark(args, sys.stdout)
    print(f"\nwritten: {Path(args.workdir) / 'results.json'}")
    return 0 if all_checks_hold(results) else 1


CHECKS = ("only_new_article_embedded", "no_change_embedded_nothing", "no_change_kept_version",
          "base_version_untouched", "base_rest_untouched", "other_servers_untouched")


def all_checks_hold(results: dict) -> bool:
    """Memory within the target, and every isolation check of the refresh held."""
    return results["memory_summary"]["within_target"] and all(results["refresh_summary"][c] for c in CHECKS)


def _main(argv: list[str]) -> int:
    """`python -m bot.cli.bench_servers memory` (a JSON spec on standard input): one memory measurement."""
    if argv[:1] != ["memory"]:
        print("usage: python -m bot.cli.bench_servers memory < SPEC.json", file=sys.stderr)
        return 2
    spec = json.loads(sys.stdin.read())
    result = measure_memory(Path(spec["root"]), spec["config"], spec["servers"], spec["loaded"], spec["questions"])
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
