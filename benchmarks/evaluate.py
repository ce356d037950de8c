"""Time ilner's entity scoring against seqeval's on the whole IL-NER test set (4 languages).

Usage: ILNER_DATA_DIR=../shared/datasets python benchmarks/evaluate.py [--repeat 5]
Prints both tools' best time over the repeats, their ratio, and checks the scores agree.
"""

from __future__ import annotations

import argparse
import random
import time

from seqeval.metrics import classification_report
from seqeval.scheme import IOB2

from ilner.data import load_corpora
from ilner.evaluation import entity_scores


def best_time(function, repeat: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    gold = [list(s.tags) for _, corpus in load_corpora(["il-ner:*:test"]) for s in corpus]
    rng = random.Random(0)
    labels = ["O", "B-NEP", "I-NEP", "B-NEL", "I-NEL", "I-NEO", "B-NEN"]
    pred = [[rng.choice(labels) if rng.random() < 0.1 else t for t in tags] for tags in gold]
    tokens = sum(map(len, gold))
    print(f"IL-NER test, 4 languages: {len(gold)} sentences, {tokens} tokens; best of {args.repeat}")
    print(f"{'scheme':<10} {'ilner s':>9} {'seqeval s':>10} {'speed-up':>9}  micro F1 (ilner / seqeval)")
    for scheme, kwargs in (("strict", {"mode": "strict", "scheme": IOB2}), ("conlleval", {})):
        ours_time, ours = best_time(lambda: entity_scores(gold, pred, scheme), args.repeat)
        theirs_time, theirs = best_time(
            lambda: classification_report(gold, pred, output_dict=True, zero_division=0, **kwargs), args.repeat
        )
        print(f"{scheme:<10} {ours_time:>9.4f} {theirs_time:>10.4f} {theirs_time / ours_time:>8.1f}x  "
              f"{ours.micro.f1:.4f} / {theirs['micro avg']['f1-score']:.4f}")


if __name__ == "__main__":
    main()
