"""`newsbot bench-encoders`: the encoders side by side, in one run. A benchmark, never a test.

What it measures (issue #15, targets 1 and 2), for sentence-transformers on torch
(the reference, today's encoder), ONNX Runtime fp32 and ONNX Runtime int8:

- **start-up**: `newsbot ask` in a fresh process over a prebuilt index of the shipped
  `seeds/` corpus, wall time, median of `--runs`: torch forced (`NEWSBOT_ENCODER=torch`
  on an fp32 index), and the default over an fp32 index (ONNX fp32) and an int8 one.
- **builds**: a whole `Library.build` of a fixed sample (the first `--articles`
  articles of rtqa-dev, one JSON Lines file), into a fresh index folder each run, so
  every passage and every highlight sentence is embedded; seconds, passages/s and
  sentences/s (encoder time of each step), medians of `--runs`. Each encoder is
  created and loaded once before its runs (start-up is the first measure).
- **a question's vector**: `encode([question])` in this process, median of 50.

`encoder_rows` returns the rows as data (for `newsbot bench`); `cmd_bench_encoders`
prints them. Absolute times on a shared machine vary from run to run: read ratios.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from bot.settings import PROJECT_ROOT, Settings, SettingsError

SEEDS = PROJECT_ROOT / "seeds"
RTQA = PROJECT_ROOT.parent / "shared" / "bench" / "rtqa-dev"
QUESTION = "Who does Moscow say flew drones toward the Kremlin?"
ENCODERS = ("torch", "onnx", "onnx-int8")


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 4)


def ask_seconds(index_dir: Path, encoder_choice: str, runs: int) -> list[float]:
    """Wall seconds of `newsbot ask QUESTION` in a fresh interpreter, `runs` times (the index already built)."""
    env = {**os.environ, "NEWSBOT_ENCODER": encoder_choice, "PYTHONPATH": str(PROJECT_ROOT)}
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "bot.cli.main", "ask", QUESTION, "--corpus", str(SEEDS),
                               "--index", str(index_dir), "-k", "3"], capture_output=True, text=True, env=env,
                              cwd=PROJECT_ROOT, timeout=600, check=False)
        times.append(time.perf_counter() - started)
        if proc.returncode != 0:
            raise RuntimeError(f"newsbot ask failed ({proc.returncode}): {proc.stderr[-500:]}")
    return times


def sample_corpus(folder: Path, articles: int, source: Path = RTQA) -> Path:
    """The first `articles` articles of rtqa-dev as one JSON Lines file in `folder` (rewritten each call)."""
    file = source / "articles.jsonl.gz"
    if not file.exists():
        raise SettingsError(f"{file} is missing — point --benchmark at the rtqa-dev folder "
                            "(articles.jsonl.gz), or pass --articles 0 to skip the build figures")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    with gzip.open(file, "rt", encoding="utf-8") as src, (folder / "sample.jsonl").open("w", encoding="utf-8") as out:
        for n, line in enumerate(src):
            if n >= articles:
                break
            out.write(line)
    return folder


def build_once(corpus: Path, index_dir: Path, encoder) -> dict:  # noqa: ANN001 - an index.encoder.Encoder
    """One full build of `corpus` into a fresh `index_dir`: wall seconds and each embedding step's figures."""
    from index.library import Library

    shutil.rmtree(index_dir, ignore_errors=True)
    started = time.perf_counter()
    _, stats = Library(corpus, index_dir, encoder).build(reuse=False)
    seconds = time.perf_counter() - started
    sentences = stats.extra.get("sentences") or {}
    return {"seconds": seconds, "passages": stats.embedded, "passage_seconds": stats.embed_seconds,
            "sentences": int(sentences.get("embedded", 0)), "sentence_seconds": float(sentences.get("embed_seconds", 0))}


def encoder_rows(workdir: Path, runs: int = 3, articles: int = 100, ask_runs: int = 5,
                 encoders: tuple[str, ...] = ENCODERS, say: Callable[[str], None] = lambda _m: None,
                 benchmark: Path = RTQA) -> list[dict]:
    """Every figure of the encoder benchmark as rows {"measure", "encoder", "value", "unit", "runs"}.

    Args:
        workdir: where the seeds indexes, the sample corpus and the build indexes are written.
        benchmark: the rtqa-dev folder the build sample is taken from.
        runs: builds per encoder (medians); articles: the sample's size (0: no build figures).
        ask_runs: fresh `newsbot ask` processes per configuration (medians).
        say: called with a line before each step (progress).
    """
    from index.encoder_choice import make_encoder
    from index.library import Library

    workdir = Path(workdir)
    if articles:
        corpus = sample_corpus(workdir / "sample", articles, Path(benchmark))  # first: a missing file fails early
    rows: list[dict] = []

    def row(measure: str, encoder: str, values: list[float], unit: str) -> None:
        rows.append({"measure": measure, "encoder": encoder, "value": _median(values), "unit": unit,
                     "runs": len(values), "all": [round(v, 4) for v in values]})

    # start-up: a prebuilt seeds index per variant (fp32 is torch's and ONNX fp32's: the same vectors)
    indexes = {}
    for variant, choice in (("fp32", "onnx"), ("int8", "onnx-int8")):
        folder = workdir / f"seeds-{variant}"
        if not (folder / "CURRENT").exists():
            say(f"building the seeds index ({variant})")
            Library(SEEDS, folder, make_encoder(choice, index_dir=folder)).build()
        indexes[variant] = folder
    for label, variant, choice in (("torch", "fp32", "torch"), ("onnx", "fp32", "auto"),
                                   ("onnx-int8", "int8", "auto")):
        if label in encoders:
            say(f"newsbot ask, fresh process, {label} ({ask_runs} runs)")
            row("ask wall seconds (fresh process, seeds index)", label, ask_seconds(indexes[variant], choice, ask_runs),
                "s")

    made = {}
    for name in encoders:
        started = time.perf_counter()
        made[name] = make_encoder(name, index_dir=workdir / "models")
        made[name].load()
        row("encoder load seconds (this process)", name, [time.perf_counter() - started], "s")
    for name, encoder in made.items():
        encoder.encode([QUESTION])
        times = []
        for _ in range(50):
            started = time.perf_counter()
            encoder.encode([QUESTION])
            times.append((time.perf_counter() - started) * 1000)
        row("question embedding ms", name, times, "ms")

    if articles:
        builds: dict[str, list[dict]] = {name: [] for name in made}
        for run in range(runs):  # interleaved, so a change in the machine's load hits every encoder alike
            for name, encoder in made.items():
                say(f"build {run + 1}/{runs}: {name}, {articles} articles")
                builds[name].append(build_once(corpus, workdir / f"build-{name}", encoder))
        for name, done in builds.items():
            row(f"build seconds ({articles} articles, whole build)", name, [b["seconds"] for b in done], "s")
            row("passages embedded per second", name, [b["passages"] / max(b["passage_seconds"], 1e-9) for b in done],
                "passages/s")
            row("sentences embedded per second", name,
                [b["sentences"] / max(b["sentence_seconds"], 1e-9) for b in done], "sentences/s")
            row("passage embedding seconds", name, [b["passage_seconds"] for b in done], "s")
            row("sentence embedding seconds", name, [b["sentence_seconds"] for b in done], "s")
            rows[-1]["counts"] = {"passages": done[0]["passages"], "sentences": done[0]["sentences"]}
    return rows


def render_rows(rows: list[dict], out: TextIO) -> None:
    """One line per measure, the encoders side by side, with each one's ratio to torch."""
    measures: dict[str, dict[str, dict]] = {}
    for r in rows:
        measures.setdefault(r["measure"], {})[r["encoder"]] = r
    for measure, by_encoder in measures.items():
        base = by_encoder.get("torch")
        cells = []
        for name in ENCODERS:
            r = by_encoder.get(name)
            if r is None:
                continue
            ratio = ""
            if base is not None and name != "torch" and base["value"] and r["value"]:
                faster = (r["value"] / base["value"]) if "/s" in r["unit"] else (base["value"] / r["value"])
                ratio = f" ({faster:.2f}x)"
            cells.append(f"{name} {r['value']:.3f}{ratio}")
        print(f"{measure:<52} " + " · ".join(cells), file=out)


def cmd_bench_encoders(args: argparse.Namespace, _settings: Settings) -> int:
    """`newsbot bench-encoders`."""
    encoders = tuple(args.encoders.split(",")) if args.encoders else ENCODERS
    rows = encoder_rows(Path(args.workdir), runs=args.runs, articles=args.articles, ask_runs=args.ask_runs,
                        encoders=encoders, say=lambda m: print(f"[bench-encoders] {m}", file=sys.stderr, flush=True),
                        benchmark=args.benchmark)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        render_rows(rows, sys.stdout)
    return 0


def encoder_section(args: argparse.Namespace, out: TextIO) -> dict:
    """The `encoders` section of `newsbot bench` (`bot.cli.bench_search.SECTIONS`): `encoder_rows` under
    `WORKDIR/encoders`, `--runs` builds per encoder of 100 rtqa-dev articles (`../shared/bench/rtqa-dev`
    beside the checkout; without it the build figures are left out, and `out` says so), 5 fresh
    `newsbot ask` processes per encoder; printed side by side to `out`.

    Returns:
        {"rows": the rows of `encoder_rows`}.
    """
    benchmark = Path(getattr(args, "benchmark", None) or RTQA)
    articles = int(getattr(args, "articles", 100))
    if articles and not (benchmark / "articles.jsonl.gz").exists():
        print(f"no {benchmark / 'articles.jsonl.gz'}: build figures left out (`newsbot bench-encoders --benchmark DIR`)",
              file=out)
        articles = 0
    rows = encoder_rows(Path(args.workdir) / "encoders", runs=max(1, int(getattr(args, "runs", 3))),
                        articles=articles, ask_runs=int(getattr(args, "ask_runs", 5)), benchmark=benchmark,
                        say=lambda m: print(f"[bench-encoders] {m}", file=sys.stderr, flush=True))
    render_rows(rows, out)
    return {"rows": rows}
