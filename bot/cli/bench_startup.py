"""The `startup` section of `newsbot bench`: how soon a fresh `newsbot run` can answer (issue 15, target 1).

A benchmark, never a test. Each run is a fresh interpreter (`python -m bot.cli.bench_startup child`, a
JSON spec on standard input) that does, in order, what `newsbot run` does before and right after it
connects, minus the network:

1. `settings`: `newsbot`'s entry point (`bot.cli.main`'s imports, `.env`, `Settings.from_env`);
2. `imports`: `bot.cli.run` (discord.py, the client, aiohttp);
3. `bot`: the library opened as `make_library` does (the settings' retrieval and dense options) and
   `create_bot`'s `NewsBot`;
then `bot.cli.run.rehearse` (`serve` without Discord):
4. `setup_hook`: `NewsBot.setup_hook` as `login` runs it (state database, every cog of `EXTENSIONS`;
   registering slash commands needs an application id, i.e. a login, so nothing is sent);
5. `prepare`: `bot.cli.run.prepare_library` (the index version opened with its start-up check, its
   dense vectors memory-mapped, the encoder loaded);
6. `catalog`: `NewsBot.on_ready`'s article catalogue (autocomplete). A live bot does not wait for it to
   answer (events run side by side), so counting it before the first answer is the worst case;
7. `first_answer`: one question through `/ask`'s own path, `Answering.answer` (time words, search in a
   thread, compose, record) and `answer_message` (the embeds and buttons), everything but sending.

Logging in and connecting to Discord's gateway are network time and are EXCLUDED (a login is one HTTPS
request, the gateway's READY follows; both outside this process's control).

The index is `WORKDIR/p100k` as the `search` section prepares it (`bench_search.prepare_size`: hashed
vectors from `FastBenchEncoder`). A real model cannot question hashed vectors (the fingerprints differ), so
two kinds of child run, interleaved:

- "parts": steps 1-7 with the bench encoder, then in the same child the real encoder (`NEWSBOT_ENCODER`,
  ONNX by default) apart: `encoder_load` (session and tokenizer) and `question_vector` (the first
  question's vector); `total_real` is their sum with steps 1-7 (a real 100k bot pays both inside 5 and 7);
- "inline": steps 1-7 with `RealCostEncoder`: hashed vectors, but the real model loaded in step 5 and run
  on every text the bot embeds, in the bot's own order: the closest figure to a real 100k bot.

Every figure is wall seconds from the moment the parent starts the child (interpreter start-up
included), medians of `--startup-runs` children.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import TextIO

QUESTION = "Who does Moscow say flew drones toward the Kremlin?"
STEPS = ("settings", "imports", "bot", "setup_hook", "prepare", "catalog", "first_answer")
REAL = ("encoder_load", "question_vector")
TARGET_S = 3.0  # issue 15, target 1: `newsbot run` answering ≤ 3 s after start on a prebuilt 100k index
RUNS = 3


class RealCostEncoder:
    """BENCHMARK ONLY: the bench encoder's hashed vectors (so it questions a hashed index) at the real
    encoder's cost: `start_loading`/`load` load the real model, and every `encode` also embeds its texts with
    it (the real vectors are dropped). The bot then pays the real model's start-up and question vectors in
    its own order (`prepare_library` loads the model after the index).
    """

    def __init__(self, hashed, real) -> None:  # noqa: ANN001 - FastBenchEncoder, an index.encoder.Encoder
        self._hashed, self._real = hashed, real
        self.info = hashed.info

    def count_tokens(self, text: str) -> int:
        return self._hashed.count_tokens(text)

    def start_loading(self) -> None:
        getattr(self._real, "start_loading", self._real.load)()

    def load(self) -> None:
        self._real.load()

    def encode(self, texts, progress=None):  # noqa: ANN001, ANN201 - as FastBenchEncoder.encode
        self._real.encode(texts)
        return self._hashed.encode(texts, progress)


def run_child(spec: dict) -> dict:
    """Steps 1-7 and the real encoder's parts in this process (see the module docstring).

    Args:
        spec: {"corpus", "index": folders of a library built with `FastBenchEncoder`, "question",
            "real": "parts" (the bot with the bench encoder, then the real encoder's load and first question
            vector apart), "inline" (the bot with `RealCostEncoder`) or "none"}.

    Returns:
        {"marks": {step: time.time() when it ended}, "answer": {"confident", "items", "cards"}, "encoder": name}.
    """
    marks: dict[str, float] = {"interpreter": time.time()}
    from dotenv import load_dotenv

    import bot.cli.main  # noqa: F401 - `newsbot`'s entry point, as `newsbot run` starts
    from bot.settings import Settings

    load_dotenv(Path.cwd() / ".env")
    settings = Settings.from_env().with_overrides(corpus_dir=spec["corpus"], index_dir=spec["index"])
    marks["settings"] = time.time()

    import asyncio

    from bot.cli.run import create_bot, prepare_library, rehearse
    marks["imports"] = time.time()

    from bot.cli.bench import FastBenchEncoder
    from index.library import Library

    mode = spec.get("real", "parts")
    encoder_name = None
    encoder = FastBenchEncoder()
    if mode == "inline":
        from index.encoder_choice import make_encoder, resolve_choice

        encoder_name = resolve_choice(settings.encoder)
        encoder = RealCostEncoder(encoder, make_encoder(settings.encoder, settings.model_path, None, settings.device))
    library = Library(settings.corpus_dir, settings.index_dir, encoder, keep_versions=settings.keep_versions,
                      feeds=settings.feed_config(), retrieval=settings.retrieval(), dense=settings.dense())
    news = create_bot(settings, library)
    marks["bot"] = time.time()

    def mark(step: str) -> None:
        marks[step] = time.time()

    with open(os.devnull, "w", encoding="utf-8") as quiet:
        found = asyncio.run(rehearse(news, spec["question"], lambda: prepare_library(library, quiet), mark))
    if mode == "parts":
        from index.encoder_choice import make_encoder, resolve_choice

        encoder_name = resolve_choice(settings.encoder)
        encoder = make_encoder(settings.encoder, settings.model_path, None, settings.device)
        started = time.time()
        encoder.load()
        marks["encoder_load"] = time.time()
        encoder.encode([spec["question"]])
        marks["question_vector"] = time.time()
        marks["_real_started"] = started
    return {"marks": marks, "answer": found, "encoder": encoder_name}


def child_seconds(result: dict, launched: float) -> dict[str, float]:
    """A child's marks as seconds: each step's own duration, `bot_ready` (launch to the first answer),
    the real encoder's parts and `total_real` (their sum with `bot_ready`)."""
    marks = result["marks"]
    out = {"interpreter": marks["interpreter"] - launched}
    previous = marks["interpreter"]
    for step in STEPS:
        out[step] = marks[step] - previous
        previous = marks[step]
    out["bot_ready"] = marks["first_answer"] - launched
    if "encoder_load" in marks:
        out["encoder_load"] = marks["encoder_load"] - marks["_real_started"]
        out["question_vector"] = marks["question_vector"] - marks["encoder_load"]
        out["total_real"] = out["bot_ready"] + out["encoder_load"] + out["question_vector"]
    return out


def measure(corpus: Path, index: Path, runs: int = RUNS, modes: tuple[str, ...] = ("parts", "inline"),
            question: str = QUESTION, env: dict | None = None) -> dict:
    """`runs` fresh children per mode (`run_child`'s "real"; interleaved, so the machine's load changes hit
    every mode alike) over the library (`corpus`, `index`).

    Returns:
        {mode: {"runs": each child's `child_seconds`, "median": their medians by key, "answer": the last
        child's answer, "encoder": the real encoder's name}}.

    Raises:
        RuntimeError: a child failed (its standard error's end is in the message).
    """
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, **(env or {}), "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}
    out: dict = {mode: {"runs": []} for mode in modes}
    for _ in range(runs):
        for mode in modes:
            spec = json.dumps({"corpus": str(Path(corpus).resolve()), "index": str(Path(index).resolve()),
                               "question": question, "real": mode})
            launched = time.time()
            done = subprocess.run([sys.executable, "-m", "bot.cli.bench_startup", "child"], input=spec, cwd=root,
                                  env=env, capture_output=True, text=True, check=False, timeout=600)
            if done.returncode != 0:
                raise RuntimeError(f"start-up measurement failed ({done.returncode}): {done.stderr[-3000:]}")
            result = json.loads(done.stdout.strip().splitlines()[-1])
            out[mode]["runs"].append(child_seconds(result, launched))
            out[mode].update(answer=result["answer"], encoder=result["encoder"])
    for mode in modes:
        per_run = out[mode]["runs"]
        out[mode]["median"] = {key: statistics.median(r[key] for r in per_run) for key in per_run[0]}
    return out


def _line(label: str, seconds: float, target: bool = False) -> str:
    met = f"   target ≤ {TARGET_S:.0f} s {'met' if seconds <= TARGET_S else 'NOT met'}" if target else ""
    return f"  {label:<52} {seconds:>7.3f} s{met}"


def print_startup(result: dict, passages: int | None, out: TextIO) -> None:
    """The medians, step by step, with the target."""
    size = f"{passages:,} passages" if passages else "the index"
    runs = len(next(iter(result.values()))["runs"])
    print(f"start-up of `newsbot run` in a fresh process over {size}, until its first answer (medians of {runs}; "
          "login and gateway connection excluded: network):", file=out)
    if "parts" in result:
        m = result["parts"]["median"]
        print("  (a) the bot, bench encoder (hashed vectors):", file=out)
        for step in ("interpreter", *STEPS):
            print(_line(f"  {step}", m[step]), file=out)
        print(_line("  ready and first answer", m["bot_ready"], True), file=out)
        print(f"  (b) the real encoder ({result['parts']['encoder']}), same process, after (a):", file=out)
        print(_line("  load (session, tokenizer)", m["encoder_load"]), file=out)
        print(_line("  first question vector", m["question_vector"]), file=out)
        print(_line("(a) + (b)", m["total_real"], True), file=out)
    if "inline" in result:
        m = result["inline"]["median"]
        print(_line(f"the bot with the real encoder's costs in its own path ({result['inline']['encoder']})",
                    m["bot_ready"], True), file=out)
        print(_line("  of which prepare (index, then model)", m["prepare"]), file=out)
        print(_line("  of which first answer (question vector included)", m["first_answer"]), file=out)


def startup_section(args: argparse.Namespace, out: TextIO) -> dict:
    """The `startup` section of `newsbot bench` (`bot.cli.bench_search.SECTIONS`).

    The library is `args.startup_library` (a folder with `corpus/` and `index/`, built with
    `FastBenchEncoder`) when given, else `WORKDIR/p100k` prepared as the `search` section does (built once
    when missing: minutes). `args.startup_runs` children (default 3).

    Returns:
        `measure`'s result (modes "parts" and "inline"), plus "passages".
    """
    folder = getattr(args, "startup_library", None)
    if folder:
        folder = Path(folder)
    else:
        from bot.cli.bench import RTQA, FastBenchEncoder, bench_records, passage_counts
        from bot.cli.bench_search import SIZES, prepare_size, size_records

        encoder = FastBenchEncoder()
        per_copy = sum(passage_counts(RTQA, encoder.count_tokens).values())
        library = prepare_size(Path(args.workdir), "p100k", size_records(bench_records(), per_copy, SIZES["100k"]),
                               encoder, out)
        folder = library.corpus_dir.parent
    from index.store.layout import CURRENT, version_path

    index = folder / "index"
    passages = None
    try:
        manifest = json.loads((version_path(index, (index / CURRENT).read_text().strip()) / "manifest.json").read_text())
        passages = int(manifest.get("passages") or 0) or None
    except (OSError, ValueError):
        pass
    result = measure(folder / "corpus", index, runs=max(1, int(getattr(args, "startup_runs", RUNS) or RUNS)))
    print_startup(result, passages, out)
    return {**result, "passages": passages}


def _main(argv: list[str]) -> int:
    """`python -m bot.cli.bench_startup child` (a JSON spec on standard input): one child's measurement."""
    if argv[:1] != ["child"]:
        print("usage: python -m bot.cli.bench_startup child < SPEC.json", file=sys.stderr)
        return 2
    print(json.dumps(run_child(json.loads(sys.stdin.read()))))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
