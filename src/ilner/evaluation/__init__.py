"""Entity-level evaluation (precision, recall, F1) that matches seqeval, without torch."""

from ilner.evaluation.benchmarking import BenchmarkResult, BenchmarkRun, benchmark
from ilner.evaluation.metrics import (
    PRF,
    Scores,
    align,
    entity_scores,
    evaluate_by_language,
    evaluate_sentences,
    exclude_seen,
)

__all__ = ["PRF", "BenchmarkResult", "BenchmarkRun", "Scores", "align", "benchmark", "entity_scores", "evaluate_by_language", "evaluate_sentences", "exclude_seen"]
