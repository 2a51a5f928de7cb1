"""One eval report per retrieval setting, as JSON-ready dicts (what `newsbot eval` prints)."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from corpus.chunking import ChunkConfig
from index.refresh.build import Progress
from index.encoder import Encoder
from index.evaluation.benchmark import Benchmark
from index.evaluation.metrics import QuestionOutcome, summarise, threshold_table
from index.evaluation.runner import missing_gold, prepare_index, run_benchmark
from index.search.ranking import RetrievalConfig
from index.store.dense import DenseConfig
from index.store.lexical import LexicalConfig
from index.search.service import SearchService

log = logging.getLogger(__name__)


def evaluate(benchmark: Benchmark, encoder: Encoder, cache_dir: Path,
             ladder: Sequence[tuple[str, RetrievalConfig] | tuple[str, RetrievalConfig, str]],
             chunking: ChunkConfig = ChunkConfig(),
             lexical: LexicalConfig = LexicalConfig(), k: int = 10, results: int = 3, per_article: int = 2,
             progress: Progress | None = None, per_question: Path | None = None,
             highlight: bool = True, windows: str = "off", dense: DenseConfig = DenseConfig()) -> list[dict]:
    """Build (or reuse) the benchmark index, then run every named retrieval setting on it.

    Each ladder step is (name, retrieval settings) or (name, retrieval settings, window mode); `windows` is the
    mode of steps that name none (see `index.evaluation.runner.question_scope`).
    """
    run = prepare_index(benchmark, encoder, cache_dir, chunking, lexical, progress=progress, dense=dense)
    reports = []
    for name, retrieval, *mode in ladder:
        step_windows = mode[0] if mode else windows
        service = SearchService.open(run.index_dir, encoder, retrieval=retrieval, sentence_root=Path(cache_dir))
        try:
            outcomes = run_benchmark(service, benchmark, k=k, results=results, per_article=per_article,
                                     highlight=highlight, aliases=run.aliases, windows=step_windows,
                                     progress=(lambda d, t: progress("questions", d, t)) if progress else None)
            report = {
                "name": name,
                "date": datetime.now(timezone.utc).date().isoformat(),
                "benchmark": str(benchmark.folder),
                "repeated": benchmark.repeated,
                "k": k,
                "results": results,
                "per_article": per_article,
                "windows_mode": step_windows,
                "encoder": {"runtime": getattr(encoder, "runtime", "unknown"), "variant": encoder.info.variant,
                            "model_fingerprint": encoder.info.fingerprint},
                "index": {"fingerprint": run.fingerprint, "version": service.version, "articles": run.articles,
                          "duplicates_merged": len(run.aliases),
                          "passages": service.manifest.passages, "built": run.built is not None,
                          "embedded": run.built.embedded if run.built else 0},
                "settings": {"retrieval": service.retrieval.describe(), "chunking": chunking.describe(),
                             "lexical": lexical.describe(), "dense": dense.describe(),
                             "dense_index": "approximate" if service.vectors.approximate else "exact"},
                **summarise(outcomes, k),
                "calibration": threshold_table(outcomes, np.round(np.arange(0.2, 1.21, 0.025), 3),
                                               service.retrieval.strong_score),
            }
            report["confidence"]["threshold"] = service.retrieval.min_confidence
            report["missing_gold"] = missing_gold(benchmark, [a.id for a in service.articles()], run.aliases)
            if report["missing_gold"]:
                log.warning("%d gold document(s) are not in the benchmark corpus and count as misses: %s",
                            len(report["missing_gold"]), ", ".join(report["missing_gold"][:5]))
            # latency means little without the load it was measured under (shared CI machines)
            report["load_average"] = [round(x, 2) for x in os.getloadavg()]
            if not highlight:
                report["highlight"]["rate"] = None
                report["latency_ms"]["note"] = "measured without highlighting"
        finally:
            service.close()
        if per_question:
            _write_outcomes(per_question, name, outcomes)
        reports.append(report)
    return reports


def _write_outcomes(path: Path, name: str, outcomes: Sequence[QuestionOutcome]) -> None:
    with path.open("a", encoding="utf-8") as f:
        for o in outcomes:
            f.write(json.dumps({"setting": name, "id": o.id, "ranking": list(o.ranking), "gold": sorted(o.gold),
                                "shown": list(o.shown), "window": list(o.window) if o.window else None, "confident": o.confident, "confidence": o.confidence, "top_score": o.top_score,
                                "highlight": o.highlight, "answer": o.answer,
                                "latency_ms": round(o.latency_ms, 2), "retrieval_ms": round(o.retrieval_ms, 2)}, ensure_ascii=False) + "\n")
