"""Tag pre-tokenised sentences with a token-classification model (the core of evaluation and tagging)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ilner.data.corpus import Sentence
from ilner.inference.decoding import decode
from ilner.inference.scores import Runner, word_log_probs
from ilner.models.encoding import WordEncoder


class SentenceTagger:
    """A runner (see ilner.inference.scores), its word encoder, labels and decoding method."""

    def __init__(self, runner: Runner, encoder: WordEncoder, labels: Sequence[str], decoding: str = "viterbi",
                 batch_size: int = 64):
        self.runner = runner
        self.encoder = encoder
        self.labels = list(labels)
        self.decoding = decoding
        self.batch_size = batch_size

    def tag(self, sentences: Sequence[Sentence]) -> list[Sentence]:
        """Copies of ``sentences`` with predicted tags (every word tagged, any length)."""
        scores = word_log_probs(self.runner, self.encoder, [s.tokens for s in sentences], self.batch_size)
        transitions = getattr(self.runner, "transitions", None)
        return [
            replace(s, tags=tuple(decode(lp, self.labels, self.decoding, transitions)))
            for s, lp in zip(sentences, scores)
        ]
