"""Word-level label scores from a token classifier, window by window, in length-sorted batches."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ilner.models.encoding import Window, WordEncoder, best_window_per_word


def pad_batch(windows: Sequence[Window], pad_id: int, labels: Sequence[Sequence[int]] | None = None):
    """Dynamic padding to the longest window of the batch; returns torch tensors."""
    import torch

    width = max(len(w) for w in windows)
    input_ids = torch.full((len(windows), width), pad_id, dtype=torch.long)
    attention = torch.zeros((len(windows), width), dtype=torch.long)
    for row, window in enumerate(windows):
        input_ids[row, : len(window)] = torch.tensor(window.input_ids)
        attention[row, : len(window)] = 1
    batch = {"input_ids": input_ids, "attention_mask": attention}
    if labels is not None:
        target = torch.full((len(windows), width), -100, dtype=torch.long)
        for row, row_labels in enumerate(labels):
            target[row, : len(row_labels)] = torch.tensor(row_labels)
        batch["labels"] = target
    return batch


def word_log_probs(
    model, encoder: WordEncoder, sentences: Sequence[Sequence[str]], batch_size: int = 32,
    device=None, autocast_dtype=None,
) -> list[np.ndarray]:
    """Per sentence, a (words x labels) array of log-probabilities, every word included."""
    import torch

    windows = encoder.windows(sentences)
    order = sorted(range(len(windows)), key=lambda i: len(windows[i]))
    window_scores: list[np.ndarray | None] = [None] * len(windows)
    device = device or next(model.parameters()).device
    was_training = model.training
    model.eval()
    pad_id = encoder.tokenizer.pad_token_id
    with torch.inference_mode():
        for begin in range(0, len(order), batch_size):
            chunk = order[begin:begin + batch_size]
            batch = {k: v.to(device) for k, v in pad_batch([windows[i] for i in chunk], pad_id).items()}
            with torch.autocast(device.type, dtype=autocast_dtype, enabled=autocast_dtype is not None):
                logits = model(**batch).logits
            log_probs = torch.log_softmax(logits.float(), dim=-1).cpu().numpy()
            for row, index in enumerate(chunk):
                window_scores[index] = log_probs[row, windows[index].word_starts]
    model.train(was_training)
    by_sentence: list[list[int]] = [[] for _ in sentences]
    for index, window in enumerate(windows):
        by_sentence[window.sentence].append(index)
    result = []
    for s_index, words in enumerate(sentences):
        own = [windows[i] for i in by_sentence[s_index]]
        picks = best_window_per_word(own, len(words))
        rows = []
        for word, w_local in enumerate(picks):
            window = own[w_local]
            rows.append(window_scores[by_sentence[s_index][w_local]][word - window.first_word])
        result.append(np.stack(rows) if rows else np.zeros((0, model.config.num_labels)))
    return result
