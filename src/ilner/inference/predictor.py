"""Tag pre-tokenised sentences with a token-classification model (the core of evaluation and tagging)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from ilner.data.corpus import Sentence
from ilner.inference.decoding import decode
from ilner.inference.scores import Runner, word_log_probs
from ilner.models.encoding import WordEncoder


class SentenceTagger:
    """A runner (see ilner.inference.scores), its word encoder, labels and decoding method."""

    def __init__(self, runner: Runner, encoder: WordEncoder, labels: Sequence[str], decoding: str = "viterbi",
                 batch_size: int = 64, o_penalty: float = 0.0):
        self.runner = runner
        self.encoder = encoder
        self.labels = list(labels)
        self.decoding = decoding
        self.batch_size = batch_size
        self.o_penalty = o_penalty

    def tag(self, sentences: Sequence[Sentence]) -> list[Sentence]:
        """Copies of ``sentences`` with predicted tags (every word tagged, any length)."""
        return self.decode(sentences, self.scores(sentences))

    def scores(self, sentences: Sequence[Sentence]) -> list[np.ndarray]:
        """Per sentence, its (words x labels) log-probabilities."""
        return word_log_probs(self.runner, self.encoder, [s.tokens for s in sentences], self.batch_size)

    def decode(self, sentences: Sequence[Sentence], scores: Sequence[np.ndarray], o_penalty: float | None = None) -> list[Sentence]:
        """Copies of ``sentences`` tagged from their ``scores`` (with this tagger's ``O`` penalty, or ``o_penalty``)."""
        transitions = self.transitions
        penalty = self.o_penalty if o_penalty is None else o_penalty
        return [replace(s, tags=tuple(decode(lp, self.labels, self.decoding, transitions, penalty)))
                for s, lp in zip(sentences, scores)]

    @property
    def transitions(self):
        return getattr(self.runner, "transitions", None)
