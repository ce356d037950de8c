"""Bootstrap intervals: point estimates equal the plain F1, intervals contain them and shrink with data."""

import random
from dataclasses import replace

from ilner.data import load_corpora
from ilner.evaluation import evaluate_sentences
from ilner.evaluation.bootstrap import bootstrap_f1, paired_bootstrap


def _noisy(sentences, rate, seed):
    rng = random.Random(seed)
    choices = ["O", "B-NEP", "B-NEL", "I-NEL", "B-NEN"]
    return [replace(s, tags=tuple(rng.choice(choices) if rng.random() < rate else t for t in s.tags)) for s in sentences]


def test_bootstrap_interval_on_real_test_set(mirror):
    [(_, corpus)] = load_corpora(["il-ner:urdu:test"])
    gold = corpus.sentences
    predicted = _noisy(gold, 0.1, 1)
    interval = bootstrap_f1(gold, predicted, n=300)
    assert abs(interval.f1 - evaluate_sentences(gold, predicted).micro.f1) < 1e-12
    assert interval.low < interval.f1 < interval.high
    small = bootstrap_f1(gold[:150], predicted[:150], n=300)
    assert (small.high - small.low) > (interval.high - interval.low)  # less data, wider interval
    assert str(interval).count("[") == 1


def test_paired_bootstrap_tells_better_from_worse(mirror):
    [(_, corpus)] = load_corpora(["il-ner:hindi:test"])
    gold = corpus.sentences
    better, worse = _noisy(gold, 0.03, 2), _noisy(gold, 0.15, 3)
    comparison = paired_bootstrap(gold, better, worse, n=300)
    assert comparison.a.f1 > comparison.b.f1
    assert comparison.difference.low > 0 and comparison.a_better_share > 0.99 and comparison.p_value < 0.01
    same = paired_bootstrap(gold, better, better, n=100)
    assert same.difference.f1 == 0 and same.a_better_share == 0
