"""`newsbot bench-servers` on a tiny configuration: every figure reported, the isolation checks hold, and the
command is registered."""

from __future__ import annotations

import argparse
import io
import json
import math
from pathlib import Path

import index.collections
from bot.cli.bench import FastBenchEncoder
from bot.cli.bench_servers import CHECKS, all_checks_hold, open_collections, run_benchmark, server_id
from index.collections import Scope
from bot.cli.parser import COMMANDS, build_parser
from tests.support.refresh import SAMPLE


def _args(workdir: Path) -> argparse.Namespace:
    return argparse.Namespace(workdir=str(workdir), base_passages=300, servers=3, server_passages=20, runs=1, loaded=2)


def test_bench_servers_reports_every_figure_and_touches_nothing_else(tmp_path: Path, monkeypatch) -> None:
    out = io.StringIO()
    results = run_benchmark(_args(tmp_path), out, source=SAMPLE)

    assert results["base_passages"] >= 300 and results["servers"] == 3
    assert results["server_passages"]["min"] >= 20
    assert sorted(int(p.name) for p in (tmp_path / "base" / "index" / "servers").iterdir()) == \
        [server_id(n) for n in range(3)]

    memory = results["memory_summary"]
    for key in ("base_loaded_mb", "base_mb", "servers_mb", "ratio", "base_peak_mb", "servers_peak_mb",
                "base_question_ms", "servers_question_ms", "collections_in_memory"):
        assert math.isfinite(memory[key]) and memory[key] > 0, key
    assert memory["within_target"] == (memory["ratio"] <= 1.15)
    [servers_run] = results["memory"]["servers"]
    assert servers_run["questions"] == 9 and servers_run["collections_in_memory"] == 2  # LRU kept 2 of 3
    assert results["memory"]["base"][0]["questions"] == 300

    for name in ("base", "server"):
        [run] = results["latency"][name]
        assert 0 < run["p50_ms"] <= run["p95_ms"]

    summary = results["refresh_summary"]
    for key in ("no_change_s", "one_added_s", "one_added_published_s", "one_removed_s"):
        assert math.isfinite(summary[key]) and summary[key] > 0, key
    [row] = results["refresh"]
    assert row["one_added"]["passages_embedded"] == row["one_added"]["passages_of_article"] > 0
    assert row["one_added"]["plan"].startswith("added 1, updated 0, removed 0,")
    assert row["one_removed"]["plan"].startswith("added 0, updated 0, removed 1,")
    assert all(summary[check] for check in CHECKS), {c: summary[c] for c in CHECKS}
    assert row["untouched"] == {"base_version": [], "base_rest": [], "other_servers": []}

    assert json.loads((tmp_path / "results.json").read_text())["refresh_summary"] == summary
    table = out.getvalue()
    assert "ratio (servers / base alone)" in table and "one server's refresh, one article added" in table

    # prepared once (later runs reuse it), and left as prepared: the article each run added is gone again
    assert (tmp_path / "base" / "READY.json").exists() and (tmp_path / "base" / "SERVERS-READY.json").exists()
    assert not [p for p in (tmp_path / "base" / "index" / "servers").rglob("bench-new/*") if p.is_file()]
    assert all_checks_hold(results) == memory["within_target"]

    # large collections leave memory sooner: together they hold at most LOADED_SHARE of the base's passages
    monkeypatch.setattr(index.collections, "LOADED_FLOOR", 0)
    for share, stay in ((0.01, 1), (1.0, 3)):
        monkeypatch.setattr(index.collections, "LOADED_SHARE", share)
        collections = open_collections(tmp_path, FastBenchEncoder(), loaded=3)
        for n in range(3):
            collections.view(Scope(server_id(n))).search("Who won the election?")
        assert len(collections.loaded_libraries()) == 1 + stay
        collections.close()

def test_bench_servers_is_a_command() -> None:
    assert COMMANDS["bench-servers"] == ("bench_servers", "cmd_bench_servers")
    args = build_parser().parse_args(["bench-servers"])
    assert (args.workdir, args.base_passages, args.servers, args.server_passages, args.runs, args.loaded) == \
        (".newsbot/bench-servers", 100_000, 100, 1000, 5, None)
