"""Measuring answer quality on a question benchmark (`newsbot eval`). Never imports discord."""

from index.evaluation.benchmark import Benchmark, BenchmarkError, Question, load_benchmark
from index.evaluation.metrics import QuestionOutcome, summarise
from index.evaluation.runner import EvalRun, prepare_index, run_benchmark

__all__ = ["Benchmark", "BenchmarkError", "EvalRun", "Question", "QuestionOutcome", "load_benchmark",
           "prepare_index", "run_benchmark", "summarise"]
