"""How closely ilner's tokenizer reproduces IL-NER's own tokenization.

Usage: ILNER_DATA_DIR=../shared/datasets python benchmarks/tokenizer_agreement.py [--split test] [--show 5]

For each sentence, the tokens are joined back into plain text (punctuation attached as usually
written) and tokenized again; a sentence agrees when the same tokens come back. Prints the share
per language and a few disagreements.
"""

from __future__ import annotations

import argparse

from ilner.data import load_corpora
from ilner.text.tokenize import detokenize, tokenize


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", default="test")
    parser.add_argument("--show", type=int, default=3)
    args = parser.parse_args()
    total = agree = 0
    print(f"{'language':<10} {'sentences':>9} {'agreement':>9}")
    for source, corpus in load_corpora([f"il-ner:*:{args.split}"]):
        same, shown = 0, []
        for sentence in corpus:
            again = [t.text for t in tokenize(detokenize(sentence.tokens))]
            if again == list(sentence.tokens):
                same += 1
            elif len(shown) < args.show:
                shown.append((sentence.tokens, again))
        print(f"{source.language:<10} {len(corpus):>9} {100 * same / len(corpus):>8.1f}%")
        for gold, ours in shown:
            first = next((i for i, (a, b) in enumerate(zip(gold, ours)) if a != b), min(len(gold), len(ours)))
            print(f"    corpus: {' '.join(gold[max(0, first - 2):first + 3])!r}\n    ilner:  {' '.join(ours[max(0, first - 2):first + 3])!r}")
        total += len(corpus)
        agree += same
    print(f"{'all':<10} {total:>9} {100 * agree / total:>8.1f}%")


if __name__ == "__main__":
    main()
