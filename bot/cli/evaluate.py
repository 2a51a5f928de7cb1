"""`newsbot eval`: answer quality on a benchmark folder, through the bot's own search service.

    newsbot eval --benchmark ../shared/bench/rtqa-dev [--json] [-k 10]
    newsbot eval --benchmark DIR --ablation          # each retrieval component on, one at a time
    newsbot eval --benchmark DIR --set dense_weight=0.6 --set chunk.target_tokens=128
    newsbot eval --benchmark DIR --time-scoped       # questions naming a time, with and without the window
    newsbot eval --benchmark DIR --windows strip     # the questions' own time words as the bot reads them

`--set` changes one setting by name: a field of `RetrievalConfig` (query time,
no rebuild), `chunk.<field>` of `ChunkConfig` or `bm25.<field>` of
`LexicalConfig` or `dense.<field>` of `DenseConfig` (a new cached index; vectors are reused where
passages agree): `--set dense.ann_min_passages=1` forces the approximate index on, `--set exact=true`
searches any index by a flat scan.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import fields, replace
from typing import Any

from bot.cli.progress import TerminalProgress
from bot.settings import Settings, SettingsError
from corpus.chunking import ChunkConfig
from index.encoder_choice import make_encoder
from index.evaluation.benchmark import load_benchmark
from index.evaluation.report import evaluate
from index.search.ranking import RetrievalConfig
from index.store.dense import DenseConfig
from index.store.lexical import LexicalConfig

# the ablation ladder: each row switches one more component on (query-time only: one index for all)
ABLATION: list[tuple[str, dict[str, Any]]] = [
    ("dense only (MiniLM, FAISS inner product)", {"mode": "dense", "focus": 0.0, "second_passage": 0.0,
                                                  "recency": 0.0}),
    ("BM25 only (stemmed, stopwords, title)", {"mode": "lexical", "focus": 0.0, "second_passage": 0.0,
                                               "recency": 0.0}),
    ("hybrid, reciprocal rank fusion k=60", {"fusion": "rrf", "focus": 0.0, "second_passage": 0.0, "recency": 0.0}),
    ("hybrid, weighted score fusion", {"focus": 0.0, "second_passage": 0.0, "recency": 0.0}),
    ("+ focus prior", {"second_passage": 0.0, "recency": 0.0}),
    ("+ article evidence (second passage)", {"recency": 0.0}),
    ("+ recency prior = default", {}),
    ("default without per-article diversity", {"dominance": -1.0}),
]


def _coerce(value: str, current: Any, name: str) -> Any:
    if isinstance(current, bool):
        if value.lower() in ("1", "true", "yes", "on"):
            return True
        if value.lower() in ("0", "false", "no", "off"):
            return False
        raise SettingsError(f"--set {name}={value}: expected true or false")
    try:
        return type(current)(value)
    except ValueError:
        raise SettingsError(f"--set {name}={value}: expected a {type(current).__name__}") from None


def apply_overrides(overrides: list[str]) -> tuple[RetrievalConfig, ChunkConfig, LexicalConfig, DenseConfig]:
    """Settings from `--set NAME=VALUE` flags over the defaults.

    Raises:
        SettingsError: unknown name, malformed flag or a value of the wrong type.
    """
    configs: dict[str, Any] = {"": RetrievalConfig(), "chunk.": ChunkConfig(), "bm25.": LexicalConfig(),
                               "dense.": DenseConfig()}
    for item in overrides:
        name, sep, value = item.partition("=")
        if not sep:
            raise SettingsError(f"--set {item}: write NAME=VALUE, e.g. --set dense_weight=0.6")
        prefix = next((p for p in ("chunk.", "bm25.", "dense.") if name.startswith(p)), "")
        field_name = name[len(prefix):]
        config = configs[prefix]
        known = {f.name for f in fields(config)}
        if field_name not in known:
            raise SettingsError(f"--set {name}: unknown setting; known: "
                                + ", ".join(sorted(prefix + k for k in known)))
        try:
            configs[prefix] = replace(config, **{field_name: _coerce(value, getattr(config, field_name), name)})
        except ValueError as exc:
            raise SettingsError(f"--set {name}={value}: {exc}") from None
    return configs[""], configs["chunk."], configs["bm25."], configs["dense."]


def _figures_line(report: dict) -> str:
    o, s = report["overall"], report["full_article_subset"]
    k = report["k"]
    return (f"hit@1 {o['hit@1']:.3f}  hit@5 {o['hit@5']:.3f}  hit@{k} {o[f'hit@{k}']:.3f}  "
            f"mrr@{k} {o[f'mrr@{k}']:.3f}  | full articles ({s.get('questions', 0)} q): "
            f"hit@1 {s.get('hit@1', 0):.3f}  hit@5 {s.get('hit@5', 0):.3f}  | "
            f"confident {report['confidence']['coverage']:.3f} at precision {report['confidence']['precision']:.3f}")


def render_report(report: dict) -> str:
    """The human-readable eval summary."""
    k = report["k"]
    o, s, h, c, lat = (report[x] for x in ("overall", "full_article_subset", "highlight", "confidence", "latency_ms"))
    lines = [f"benchmark {report['benchmark']}: {o['questions']} questions ({report['repeated']} repeated lines), "
             f"{report['index']['articles']} articles, index {report['index']['fingerprint']}",
             f"all questions       hit@1 {o['hit@1']:.3f}  hit@5 {o['hit@5']:.3f}  hit@{k} {o[f'hit@{k}']:.3f}  "
             f"mrr@{k} {o[f'mrr@{k}']:.3f}"]
    if s.get("questions"):
        lines.append(f"full-article subset hit@1 {s['hit@1']:.3f}  hit@5 {s['hit@5']:.3f}  hit@{k} {s[f'hit@{k}']:.3f}  "
                     f"mrr@{k} {s[f'mrr@{k}']:.3f}  ({s['questions']} questions, only full articles count)")
    lines.append(f"highlight           contains the answer for {h['rate']:.3f} of the {h['first_result_gold']} "
                 "questions whose first result is gold")
    lines.append(f"confidence          threshold {c['threshold']}: coverage {c['coverage']:.3f}, "
                 f"precision {c['precision']:.3f} (gold among the {report['results']} passages shown)")
    lines.append(f"latency             p50 {lat['p50']:.1f} ms  p95 {lat['p95']:.1f} ms (the bot's search, with highlights); "
                 f"retrieval alone p50 {lat['retrieval_p50']:.1f} ms  p95 {lat['retrieval_p95']:.1f} ms")
    if "load_average" in report:
        lines.append(f"                    (machine load average {report['load_average']} while measuring)")
    return "\n".join(lines)


TIME_SCOPED_LADDER = (("without the window", "off"), ("with the window, phrase kept", "filter"),
                      ("with the window, phrase removed", "strip"))


def render_time_scoped(variant: dict, reports: list[dict]) -> str:
    """The time-scoped summary: one line of figures per way of using the window."""
    k = reports[0]["k"]
    lines = [f"time-scoped {reports[0]['benchmark']}: {variant['questions']} questions rephrased with a time phrase "
             f"({variant['left_out']} left out), seed {variant['seed']}, index {reports[0]['index']['fingerprint']}",
             f"{'':34}hit@1  hit@5  hit@{k}  mrr@{k}"]
    for report in reports:
        o = report["overall"]
        lines.append(f"{report['name']:34}{o['hit@1']:.3f}  {o['hit@5']:.3f}  {o[f'hit@{k}']:.3f}   {o[f'mrr@{k}']:.3f}")
    return "\n".join(lines)


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    """`newsbot eval`."""
    retrieval, chunking, lexical, dense = apply_overrides(args.overrides)
    benchmark = load_benchmark(args.benchmark)
    encoder = make_encoder(args.encoder or settings.encoder, settings.model_path, device=settings.device)
    bar = TerminalProgress(enabled=sys.stderr.isatty())
    variant = None
    if args.time_scoped:
        from corpus.readers.loader import load_corpus
        from index.evaluation.timescoped import time_scoped

        published = {a.id: a.published for a in load_corpus(benchmark.articles_file).articles}
        scoped = time_scoped(benchmark, published, seed=args.seed)
        benchmark = scoped.benchmark
        variant = {"seed": args.seed, "questions": len(scoped.questions), "left_out": len(scoped.left_out),
                   "kinds": dict(Counter(s.kind for s in scoped.questions).most_common())}
        ladder = [(name, retrieval, mode) for name, mode in TIME_SCOPED_LADDER]
    elif args.ablation:
        ladder = [(name, replace(retrieval, **changes)) for name, changes in ABLATION]
    else:
        ladder = [("default", retrieval)]
    try:
        reports = evaluate(benchmark, encoder, args.cache, ladder, chunking, lexical, k=args.k,
                           results=settings.results_per_answer, per_article=settings.per_article, progress=bar,
                           per_question=args.per_question, highlight=not (args.ablation or args.time_scoped),
                           windows=args.windows, dense=dense)
    finally:
        bar.close()
    if variant is not None:
        if args.json:
            print(json.dumps({"time_scoped": variant, "reports": reports}, indent=2))
        else:
            print(render_time_scoped(variant, reports))
        return 0
    if args.json:
        print(json.dumps(reports if args.ablation else reports[0], indent=2))
    elif args.ablation:
        for report in reports:
            print(f"{report['name']}\n    {_figures_line(report)}")
    else:
        print(render_report(reports[0]))
    return 0
