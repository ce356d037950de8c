"""Words to sub-word windows and back: how sentences of any length meet a fixed-size model.

Every word gets at least one piece (a word the tokenizer drops becomes ``<unk>``) and exactly one
label position, its first piece. A sentence longer than the model's window is cut, at word
boundaries, into windows that overlap by about ``overlap`` pieces; nothing is truncated. At
prediction time each word takes its scores from the window where it sits furthest from an edge.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ilner.text.normalize import normalize_word

IGNORE_INDEX = -100


def model_input(word: str, transform: Callable[[str], str] | None = None) -> str:
    """What the model sees of a word: normalised, then script-transformed (one word stays one word)."""
    word = normalize_word(word)
    return transform(word) if transform else word


@dataclass(frozen=True, slots=True)
class Window:
    """One model input: a span of words of one sentence."""

    sentence: int
    first_word: int
    end_word: int  # exclusive
    input_ids: list[int]
    word_starts: list[int]  # position in input_ids of each word's first piece, for first_word..end_word

    def __len__(self) -> int:
        return len(self.input_ids)


class WordEncoder:
    """Turns word lists into windows of piece ids for one tokenizer and window size."""

    def __init__(
        self, tokenizer, max_length: int = 512, overlap: int = 128,
        transform: Callable[[str], str] | None = None,
    ):
        self.tokenizer = tokenizer
        probe = tokenizer([["a"]], is_split_into_words=True)["input_ids"][0]
        bare = tokenizer([["a"]], is_split_into_words=True, add_special_tokens=False)["input_ids"][0]
        at = next(i for i in range(len(probe)) if probe[i:i + len(bare)] == bare)
        self.prefix, self.suffix = probe[:at], probe[at + len(bare):]
        self.max_length = max_length
        self.budget = max_length - len(self.prefix) - len(self.suffix)
        if self.budget < 8:
            raise ValueError(f"max_length {max_length} leaves no room for words")
        self.overlap = min(overlap, self.budget // 2)
        self.transform = transform
        self.unk_id = tokenizer.unk_token_id

    def pieces(self, sentences: Sequence[Sequence[str]]) -> list[list[list[int]]]:
        """Piece ids per word per sentence (never empty; capped at the window budget)."""
        inputs = [[model_input(w, self.transform) for w in words] for words in sentences]
        encoded = self.tokenizer(inputs, is_split_into_words=True, add_special_tokens=False)
        result = []
        for index, words in enumerate(inputs):
            per_word: list[list[int]] = [[] for _ in words]
            for piece, word_id in zip(encoded["input_ids"][index], encoded.word_ids(index)):
                if word_id is not None:
                    per_word[word_id].append(piece)
            result.append([p[: self.budget] if p else [self.unk_id] for p in per_word])
        return result

    def spans(self, counts: Sequence[int]) -> list[tuple[int, int]]:
        """Word spans of the windows for words with these piece counts."""
        spans, start, n = [], 0, len(counts)
        while True:
            end, used = start, 0
            while end < n and used + counts[end] <= self.budget:
                used += counts[end]
                end += 1
            spans.append((start, end))
            if end >= n:
                return spans
            # Step back over at most ``overlap`` pieces, leaving room for the next word.
            next_start, tail = end, 0
            while (next_start - 1 > start and tail + counts[next_start - 1] <= self.overlap
                   and tail + counts[next_start - 1] + counts[end] <= self.budget):
                next_start -= 1
                tail += counts[next_start]
            start = next_start

    def windows(self, sentences: Sequence[Sequence[str]]) -> list[Window]:
        """All windows of all sentences, in order."""
        result = []
        for index, per_word in enumerate(self.pieces(sentences)):
            for first, end in self.spans([len(p) for p in per_word]):
                ids, starts = list(self.prefix), []
                for pieces in per_word[first:end]:
                    starts.append(len(ids))
                    ids.extend(pieces)
                ids.extend(self.suffix)
                result.append(Window(index, first, end, ids, starts))
        return result


def window_labels(window: Window, label_ids: Sequence[int]) -> list[int]:
    """Training targets: each word's label on its first piece, IGNORE_INDEX elsewhere."""
    labels = [IGNORE_INDEX] * len(window)
    for position, label in zip(window.word_starts, label_ids[window.first_word:window.end_word]):
        labels[position] = label
    return labels


def best_window_per_word(windows: Sequence[Window], n_words: int) -> list[int]:
    """For each word of one sentence, the index into ``windows`` of the window to read it from."""
    best: list[tuple[float, int]] = [(-1.0, -1)] * n_words  # (margin, window)
    for w_index, window in enumerate(windows):
        for word in range(window.first_word, window.end_word):
            # Distance to the nearest edge that cuts the sentence (its own ends are no cut).
            left = word - window.first_word if window.first_word > 0 else float("inf")
            right = window.end_word - 1 - word if window.end_word < n_words else float("inf")
            margin = min(left, right)
            if margin > best[word][0]:
                best[word] = (margin, w_index)
    missing = [i for i, (_, w) in enumerate(best) if w < 0]
    if missing:
        raise AssertionError(f"words {missing[:5]} are in no window")
    return [w for _, w in best]
