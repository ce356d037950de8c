"""Tag pre-tokenised sentences with a token-classification model (the core of evaluation and tagging)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ilner.data.corpus import Sentence
from ilner.inference.decoding import decode
from ilner.inference.scores import word_log_probs
from ilner.models.encoding import WordEncoder


class SentenceTagger:
    """A model, its word encoder, its labels and a decoding method."""

    def __init__(self, model, encoder: WordEncoder, labels: Sequence[str], decoding: str = "viterbi",
                 batch_size: int = 64, autocast_dtype=None):
        self.model = model
        self.encoder = encoder
        self.labels = list(labels)
        self.decoding = decoding
        self.batch_size = batch_size
        self.autocast_dtype = autocast_dtype

    def tag(self, sentences: Sequence[Sentence]) -> list[Sentence]:
        """Copies of ``sentences`` with predicted tags (every word tagged, any length)."""
        scores = word_log_probs(
            self.model, self.encoder, [s.tokens for s in sentences], self.batch_size,
            autocast_dtype=self.autocast_dtype,
        )
        return [
            replace(s, tags=tuple(decode(lp, self.labels, self.decoding))) for s, lp in zip(sentences, scores)
        ]
