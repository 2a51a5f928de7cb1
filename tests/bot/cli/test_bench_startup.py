"""The `startup` section of `newsbot bench` on a tiny index: every step timed in a fresh process, the first
answer really found, the real encoder's parts added, and the section registered."""

from __future__ import annotations

import argparse
import io
import math
from pathlib import Path

from bot.cli.bench import FastBenchEncoder, bench_records, prepare_library
from bot.cli.bench_search import SECTIONS
from bot.cli.bench_startup import REAL, STEPS, RealCostEncoder, startup_section
from bot.cli.parser import build_parser
from tests.support.refresh import SAMPLE


def test_startup_section_times_every_step_of_a_fresh_bot_until_its_first_answer(tmp_path: Path) -> None:
    library = prepare_library(tmp_path, "tiny", bench_records(SAMPLE)[:12], FastBenchEncoder(), io.StringIO())
    out = io.StringIO()
    args = argparse.Namespace(workdir=str(tmp_path), startup_library=str(tmp_path / "tiny"), startup_runs=1)

    result = startup_section(args, out)

    assert result["passages"] == library.service.manifest.passages > 0
    parts, inline = result["parts"], result["inline"]
    [run] = parts["runs"]
    for key in ("interpreter", *STEPS, *REAL):
        assert math.isfinite(run[key]) and run[key] >= 0, key
    steps = run["interpreter"] + sum(run[step] for step in STEPS)
    assert math.isclose(run["bot_ready"], steps, abs_tol=1e-6)
    assert math.isclose(run["total_real"], run["bot_ready"] + run["encoder_load"] + run["question_vector"])
    assert parts["median"] == run
    [inline_run] = inline["runs"]
    assert set(inline_run) == {"interpreter", *STEPS, "bot_ready"} and inline_run["bot_ready"] > 0
    for mode in (parts, inline):  # the question reached the index and became a message
        assert mode["answer"]["items"] > 0 and mode["answer"]["cards"] > 0
        assert mode["encoder"] in ("onnx", "onnx-int8")
    table = out.getvalue()
    assert "login and gateway connection excluded" in table and "(a) + (b)" in table
    assert "the bot with the real encoder's costs in its own path" in table


def test_real_cost_encoder_gives_hashed_vectors_and_runs_the_real_model() -> None:
    calls = []

    class Real:
        def load(self) -> None:
            calls.append("load")

        def encode(self, texts):  # noqa: ANN001, ANN202
            calls.append(list(texts))

    hashed = FastBenchEncoder()
    encoder = RealCostEncoder(hashed, Real())
    encoder.start_loading()  # an encoder without start_loading loads at once
    vectors = encoder.encode(["a question"])
    assert calls == ["load", ["a question"]] and encoder.info == hashed.info
    assert (vectors == hashed.encode(["a question"])).all()


def test_startup_section_is_part_of_newsbot_bench() -> None:
    assert ("startup", "bot.cli.bench_startup", "startup_section") in SECTIONS
    args = build_parser().parse_args(["bench", "--only", "startup", "--startup-runs", "5"])
    assert args.only == ["startup"] and args.startup_runs == 5 and args.startup_library is None
