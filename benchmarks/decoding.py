"""Effect of decoding choices on F1: Viterbi (valid IOB2 only) vs argmax, first vs mean sub-word.

Usage: ILNER_DATA_DIR=../shared/datasets python benchmarks/decoding.py MODEL_DIR [--data 'il-ner:*:test']

Prints strict and conlleval micro F1 for each combination on the same predictions' scores.
"""

from __future__ import annotations

import argparse
from dataclasses import replace

from ilner.data import load_corpora
from ilner.evaluation import evaluate_sentences
from ilner.inference.tagger import Tagger


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model")
    parser.add_argument("--data", default="il-ner:*:test")
    parser.add_argument("--backend", default="torch")
    args = parser.parse_args()
    gold = [s for _, corpus in load_corpora([args.data]) for s in corpus]
    print(f"{args.model} on {args.data} ({len(gold)} sentences)\n")
    print("| decoding | sub-word | strict F1 | conlleval F1 | invalid IOB2 sequences |\n|---|---|---|---|---|")
    for pooling in ("first", "mean"):
        for decoding in ("argmax", "viterbi"):
            tagger = Tagger.load(args.model, backend=args.backend, decoding=decoding, pooling=pooling)
            tagged = tagger.tag_tokens([s.tokens for s in gold])
            predicted = [replace(s, tags=tuple(t.tags)) for s, t in zip(gold, tagged)]
            invalid = sum(
                any(t.startswith("I-") and p[2:] != t[2:] for p, t in zip(("O",) + s.tags, s.tags)) for s in predicted
            )
            strict = evaluate_sentences(gold, predicted, "strict").micro.f1
            lenient = evaluate_sentences(gold, predicted, "conlleval").micro.f1
            print(f"| {decoding} | {pooling} | {100 * strict:.2f} | {100 * lenient:.2f} | {invalid} |")


if __name__ == "__main__":
    main()
