"""Confidence intervals for entity F1 by bootstrap over sentences, alone or paired.

Resampling whole sentences (with replacement) keeps each sentence's entities together, which is
what makes the interval honest for NER. The paired version resamples the same sentences for two
systems, so "A beats B" is judged on the same data each time (Koehn 2004; Berg-Kirkpatrick et al. 2012).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ilner.data.corpus import Sentence
from ilner.data.schemes import chunks
from ilner.evaluation.metrics import align


@dataclass(frozen=True)
class Interval:
    f1: float
    low: float
    high: float

    def __str__(self) -> str:
        return f"{100 * self.f1:.2f} [{100 * self.low:.2f}, {100 * self.high:.2f}]"


def _counts(gold: Sequence[Sentence], predicted: Sequence[Sentence], scheme: str) -> np.ndarray:
    """Per sentence: (correct, predicted, gold) entity counts."""
    rows = []
    for g, p in zip(gold, predicted):
        gold_chunks, pred_chunks = set(chunks(g.tags, scheme)), set(chunks(p.tags, scheme))  # type: ignore[arg-type]
        rows.append((len(gold_chunks & pred_chunks), len(pred_chunks), len(gold_chunks)))
    return np.array(rows, dtype=np.int64).reshape(-1, 3)


def _f1(totals: np.ndarray) -> np.ndarray:
    correct, predicted, gold = totals[..., 0], totals[..., 1], totals[..., 2]
    denominator = predicted + gold
    return np.where(denominator > 0, 2 * correct / np.maximum(denominator, 1), 0.0)


def _samples(n_sentences: int, n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, n_sentences, size=(n, n_sentences))


def bootstrap_f1(gold: Sequence[Sentence], predicted: Sequence[Sentence], *, n: int = 1000,
                 confidence: float = 0.95, seed: int = 0, scheme: str = "strict") -> Interval:
    """Micro F1 with a percentile bootstrap interval."""
    align(gold, predicted)
    counts = _counts(gold, predicted, scheme)
    f1s = _f1(counts[_samples(len(counts), n, seed)].sum(axis=1))
    tail = (1 - confidence) / 2
    return Interval(float(_f1(counts.sum(axis=0))), float(np.quantile(f1s, tail)), float(np.quantile(f1s, 1 - tail)))


@dataclass(frozen=True)
class PairedComparison:
    a: Interval
    b: Interval
    difference: Interval  # F1(a) - F1(b)
    a_better_share: float  # share of resamples where a's F1 is higher

    @property
    def p_value(self) -> float:
        """One-sided: how often a was *not* better on resampled test sets."""
        return 1.0 - self.a_better_share


def paired_bootstrap(gold: Sequence[Sentence], system_a: Sequence[Sentence], system_b: Sequence[Sentence], *,
                     n: int = 1000, confidence: float = 0.95, seed: int = 0, scheme: str = "strict") -> PairedComparison:
    """Compare two systems' micro F1 on the same resampled sentences."""
    align(gold, system_a)
    align(gold, system_b)
    counts_a, counts_b = _counts(gold, system_a, scheme), _counts(gold, system_b, scheme)
    index = _samples(len(gold), n, seed)
    f1_a, f1_b = _f1(counts_a[index].sum(axis=1)), _f1(counts_b[index].sum(axis=1))
    tail = (1 - confidence) / 2

    def interval(point: float, values: np.ndarray) -> Interval:
        return Interval(point, float(np.quantile(values, tail)), float(np.quantile(values, 1 - tail)))

    point_a, point_b = float(_f1(counts_a.sum(axis=0))), float(_f1(counts_b.sum(axis=0)))
    return PairedComparison(
        interval(point_a, f1_a), interval(point_b, f1_b), interval(point_a - point_b, f1_a - f1_b),
        float(np.mean(f1_a > f1_b)),
    )
