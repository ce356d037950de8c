"""What each part of a BiLSTM-CRF ensemble with a feature CRF (``linear_member``) contributes.

Usage: ILNER_DATA_DIR=../shared/datasets python benchmarks/members.py MODEL_DIR [--weights 0 0.333 0.5 1]
       [--languages hindi urdu odia telugu]

Scores one trained model on IL-NER dev and test per language, with the feature CRF's share of
the averaged scores (emissions and transitions) set to each weight: 0 is the BiLSTMs alone, 1 the
feature CRF alone, 1/(members) what the model does as trained. Same model, same data: the
differences are the members' and nothing else's (no retraining, no seed noise).
"""

from __future__ import annotations

import argparse
from dataclasses import replace

import numpy as np
import torch

from ilner.data import load_corpora
from ilner.evaluation.metrics import evaluate_sentences
from ilner.inference.decoding import decode
from ilner.inference.scores import word_log_probs
from ilner.inference.tagger import Tagger
from ilner.models.bilstm_crf import LinearCrf


class WeightedMembers:
    """A runner that averages the members' scores with the feature CRF at ``weight``."""

    def __init__(self, model, weight: float):
        linear = [isinstance(m, LinearCrf) for m in model.members]
        if sum(linear) != 1 or len(linear) < 2:
            raise SystemExit("the model needs BiLSTM members and one feature CRF (scratch.linear_member: true)")
        others = (1 - weight) / (len(linear) - 1)
        self.model = model
        self.shares = torch.tensor([weight if is_linear else others for is_linear in linear])
        self.num_labels = model.config.num_labels
        self.transitions = tuple(
            np.einsum("m,m...->...", self.shares.numpy(),
                      torch.stack([getattr(m.crf, name) for m in model.members]).detach().numpy())
            for name in ("start", "transitions", "end")
        )

    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        ids, mask = torch.from_numpy(input_ids), torch.from_numpy(attention_mask)
        with torch.no_grad():
            scores = [m(*inputs) for m, inputs in zip(self.model.members, self.model.member_inputs(ids, mask))]
        return torch.einsum("m,m...->...", self.shares, torch.stack(scores)).numpy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model")
    parser.add_argument("--weights", nargs="+", type=float, default=[0.0, 1 / 3, 0.5, 1.0])
    parser.add_argument("--languages", nargs="+", default=["hindi", "urdu", "odia", "telugu"])
    args = parser.parse_args()
    tagger = Tagger.load(args.model)
    data = {(language, split): load_corpora([f"il-ner:{language}:{split}"])[0][1].sentences
            for language in args.languages for split in ("dev", "test")}
    print("| feature CRF weight | " + " | ".join(f"{language} {split}" for language, split in data) + " |")
    print("|---" * (len(data) + 1) + "|")
    for weight in args.weights:
        runner = WeightedMembers(tagger.runner.model, weight)
        cells = []
        for gold in data.values():
            scores = word_log_probs(runner, tagger.encoder, [list(s.tokens) for s in gold], tagger.batch_size)
            predicted = [replace(s, tags=tuple(decode(x, tagger.labels, "viterbi", runner.transitions)))
                         for s, x in zip(gold, scores)]
            cells.append(f"{100 * evaluate_sentences(gold, predicted).micro.f1:.2f}")
        print(f"| {weight:.3g} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
