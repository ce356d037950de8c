"""Word-level label scores from a token classifier, window by window, in length-sorted batches.

The model is reached through a *runner*: anything that maps a padded batch (numpy int64
``input_ids`` and ``attention_mask``) to logits. ``TorchRunner`` runs a transformers model
(optionally under bf16/fp16 autocast); ilner.inference.onnx provides ``OnnxRunner``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from ilner.inference.decoding import Transitions
from ilner.models.encoding import Window, WordEncoder, best_window_per_word


class Runner(Protocol):
    num_labels: int
    transitions: Transitions | None  # optional: a CRF layer's transition scores, for Viterbi

    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray: ...


def pad_batch(windows: Sequence[Window], pad_id: int, labels: Sequence[Sequence[int]] | None = None) -> dict[str, np.ndarray]:
    """Dynamic padding to the longest window of the batch (numpy int64 arrays)."""
    width = max(len(w) for w in windows)
    input_ids = np.full((len(windows), width), pad_id, dtype=np.int64)
    attention = np.zeros((len(windows), width), dtype=np.int64)
    for row, window in enumerate(windows):
        input_ids[row, : len(window)] = window.input_ids
        attention[row, : len(window)] = 1
    batch = {"input_ids": input_ids, "attention_mask": attention}
    if labels is not None:
        target = np.full((len(windows), width), -100, dtype=np.int64)
        for row, row_labels in enumerate(labels):
            target[row, : len(row_labels)] = row_labels
        batch["labels"] = target
    return batch


class TorchRunner:
    """A transformers token classifier in inference mode, on its device, optionally autocast."""

    def __init__(self, model, device=None, autocast_dtype=None):
        self.model = model
        self.device = device or next(model.parameters()).device
        self.autocast_dtype = autocast_dtype
        self.num_labels = model.config.num_labels

    @property
    def transitions(self) -> Transitions | None:
        """The model's current CRF transitions (read anew: they change while it trains)."""
        scores = getattr(self.model, "transition_scores", None)
        return scores() if scores else None

    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        import torch

        was_training = self.model.training
        self.model.eval()
        try:
            with torch.inference_mode(), torch.autocast(
                self.device.type, dtype=self.autocast_dtype, enabled=self.autocast_dtype is not None
            ):
                logits = self.model(
                    input_ids=torch.from_numpy(input_ids).to(self.device),
                    attention_mask=torch.from_numpy(attention_mask).to(self.device),
                ).logits
            return logits.float().cpu().numpy()
        finally:
            self.model.train(was_training)


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


POOLINGS = ("first", "mean")


def _word_rows(log_probs: np.ndarray, window: Window, suffix_length: int, pooling: str) -> np.ndarray:
    """Each word's row: its first piece's scores, or the mean over its pieces (renormalised)."""
    if pooling == "first" or not window.word_starts:
        return log_probs[window.word_starts]
    ends = window.word_starts[1:] + [len(window) - suffix_length]
    means = np.stack([log_probs[a:b].mean(axis=0) for a, b in zip(window.word_starts, ends)])
    return _log_softmax(means)


def word_log_probs(
    runner: Runner, encoder: WordEncoder, sentences: Sequence[Sequence[str]], batch_size: int = 32,
    pooling: str = "first", windows: Sequence[Window] | None = None,
) -> list[np.ndarray]:
    """Per sentence, a (words x labels) array of log-probabilities, every word included.

    ``pooling="first"`` reads each word at its first sub-word (as the model was trained);
    ``"mean"`` averages the log-probabilities of all its sub-words. ``windows``: the sentences
    already encoded (``encoder.windows(sentences)``), for text scored again and again."""
    if pooling not in POOLINGS:
        raise ValueError(f"pooling must be one of {', '.join(POOLINGS)}")
    if windows is None:
        windows = encoder.windows(sentences)
    order = sorted(range(len(windows)), key=lambda i: len(windows[i]))
    window_scores: list[np.ndarray | None] = [None] * len(windows)
    pad_id = encoder.tokenizer.pad_token_id
    for begin in range(0, len(order), batch_size):
        chunk = order[begin:begin + batch_size]
        batch = pad_batch([windows[i] for i in chunk], pad_id)
        log_probs = _log_softmax(runner(batch["input_ids"], batch["attention_mask"]).astype(np.float32))
        for row, index in enumerate(chunk):
            window_scores[index] = _word_rows(log_probs[row], windows[index], len(encoder.suffix), pooling)
    by_sentence: list[list[int]] = [[] for _ in sentences]
    for index, window in enumerate(windows):
        by_sentence[window.sentence].append(index)
    result = []
    for s_index, words in enumerate(sentences):
        own = [windows[i] for i in by_sentence[s_index]]
        rows = [
            window_scores[by_sentence[s_index][w_local]][word - own[w_local].first_word]
            for word, w_local in enumerate(best_window_per_word(own, len(words)))
        ]
        result.append(np.stack(rows) if rows else np.zeros((0, runner.num_labels), dtype=np.float32))
    return result
