"""Turning per-word label scores into tags: argmax, or Viterbi restricted to valid sequences.

A token classifier scores each word on its own, so argmax can pick ``O I-NEP``; its output is
repaired to IOB2 (that ``I-NEP`` opens an entity, as conlleval reads it). Viterbi over
log-probabilities with the scheme's transitions (IOB2: ``I-X`` only after ``B-X`` or ``I-X``,
never first; BIOES also ends every entity on ``E-X`` or ``S-X``) returns the best *valid*
sequence at negligible cost. A model with a CRF layer adds its learned transition scores (start,
previous x next, end). Tags come out in IOB2 whatever the model learnt.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from ilner.data.schemes import detect_scheme, fix_iob2, split_tag, to_iob2_prefix

DECODERS = ("viterbi", "argmax")

Transitions = tuple[np.ndarray, np.ndarray, np.ndarray]  # start[label], score[previous, next], end[label]


@lru_cache(maxsize=32)
def label_constraints(labels: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(allowed[prev, next], allowed_start[label], allowed_end[label]) for IOB2 or BIOES labels."""
    n = len(labels)
    parts = [split_tag(label) for label in labels]
    bioes = detect_scheme(labels) == "bioes"
    inside = ("B", "I")  # prefixes an entity continues from
    allowed = np.ones((n, n), dtype=bool)
    start = np.array([prefix not in ("I", "E") for prefix, _ in parts])
    end = np.array([not (bioes and prefix in inside) for prefix, _ in parts])
    for j, (prefix, entity_type) in enumerate(parts):
        for i, (prev_prefix, prev_type) in enumerate(parts):
            if prefix in ("I", "E"):
                allowed[i, j] = prev_prefix in inside and prev_type == entity_type
            elif bioes:  # O, B-X and S-X only once the previous entity has ended
                allowed[i, j] = prev_prefix not in inside
    return allowed, start, end


def viterbi(log_probs: np.ndarray, labels: Sequence[str], transitions: Transitions | None = None) -> list[int]:
    """Best label ids for (words x labels) scores under the scheme's constraints (plus CRF transitions)."""
    n_words = log_probs.shape[0]
    if n_words == 0:
        return []
    allowed, start, end = label_constraints(tuple(labels))
    first, between, last = transitions if transitions is not None else (0.0, 0.0, 0.0)
    penalty = np.where(allowed, between, -np.inf)
    score = np.where(start, log_probs[0] + first, -np.inf)
    back = np.zeros((n_words, len(labels)), dtype=np.int64)
    for t in range(1, n_words):
        candidates = score[:, None] + penalty  # prev x next
        back[t] = candidates.argmax(axis=0)
        score = candidates.max(axis=0) + log_probs[t]
    score = np.where(end, score + last, -np.inf)
    path = [int(score.argmax())]
    for t in range(n_words - 1, 0, -1):
        path.append(int(back[t, path[-1]]))
    return path[::-1]


O_PENALTIES = tuple(k / 4 for k in range(9))  # 0, 0.25, ..., 2: what tune_o_penalty tries


def decode_ids(log_probs: np.ndarray, labels: Sequence[str], method: str = "viterbi",
               transitions: Transitions | None = None, o_penalty: float = 0.0) -> list[int]:
    """Label ids for one sentence (``argmax`` reads each word alone and ignores ``transitions``);
    ``o_penalty`` is taken off the ``O`` score of every word first."""
    if o_penalty:
        if "O" not in labels:
            raise ValueError("o_penalty needs an 'O' label; the model's labels have none")
        log_probs = log_probs.copy()
        log_probs[:, list(labels).index("O")] -= o_penalty
    if method == "argmax":
        return log_probs.argmax(axis=-1).tolist()
    if method == "viterbi":
        return viterbi(log_probs, labels, transitions)
    raise ValueError(f"decoding must be one of {', '.join(DECODERS)}, not {method!r}")


def decode(log_probs: np.ndarray, labels: Sequence[str], method: str = "viterbi",
           transitions: Transitions | None = None, o_penalty: float = 0.0) -> list[str]:
    """IOB2 tags for one sentence (see ``decode_ids``)."""
    return iob2_tags(decode_ids(log_probs, labels, method, transitions, o_penalty), labels)


def iob2_tags(ids: Sequence[int], labels: Sequence[str]) -> list[str]:
    """Label ids as valid IOB2 tags: argmax's ``I-X`` after ``O`` (or after another type) opens
    an entity, as conlleval reads it, instead of leaving output that strict evaluation drops."""
    tags = [to_iob2_prefix(labels[i]) for i in ids]
    fix_iob2(tags)
    return tags
