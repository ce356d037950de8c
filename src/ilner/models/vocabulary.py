"""Vocabulary augmentation: give frequent words that the tokenizer shreds a token of their own.

Multilingual tokenizers split many Odia and Telugu words into 4-8 pieces. Adding the K most
frequent such training words as whole tokens (matched only as whole words), with embeddings
initialised to the mean of their old pieces, shortens sequences and starts each new token where
the model already "understood" the word.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable

from ilner.models.encoding import model_input


def augment_vocabulary(
    tokenizer, model, words: Iterable[str], k: int, min_pieces: int = 3,
    transform: Callable[[str], str] | None = None,
) -> list[str]:
    """Add up to ``k`` words split into at least ``min_pieces`` pieces; returns the words added.

    Words are counted in the form the model sees them (normalised, script-transformed)."""
    import torch
    from transformers import AddedToken

    counts = Counter(model_input(w, transform) for w in words)
    chosen: list[tuple[str, list[int]]] = []
    for word, _ in counts.most_common():
        if len(chosen) >= k:
            break
        if len(word) < 2:
            continue
        pieces = tokenizer([word], is_split_into_words=True, add_special_tokens=False)["input_ids"]
        if len(pieces) >= min_pieces:
            chosen.append((word, pieces))
    if not chosen:
        return []
    tokenizer.add_tokens([AddedToken(word, single_word=True, normalized=False) for word, _ in chosen])
    model.resize_token_embeddings(len(tokenizer), mean_resizing=False)
    embeddings = model.get_input_embeddings().weight
    with torch.no_grad():
        for word, pieces in chosen:
            embeddings[tokenizer.convert_tokens_to_ids(word)] = embeddings[pieces].mean(dim=0)
    return [word for word, _ in chosen]
