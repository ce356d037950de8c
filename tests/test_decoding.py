import itertools

import numpy as np
import pytest

from ilner.data.schemes import iob2_to_bioes, to_iob2_prefix
from ilner.inference.decoding import decode, viterbi

LABELS = ["O", "B-NEP", "I-NEP", "B-NEL", "I-NEL"]


def _valid(tags):
    return all(not (t.startswith("I-") and p[2:] != t[2:]) for p, t in zip(["O", *tags], tags))


def test_viterbi_fixes_invalid_argmax():
    scores = np.log(np.array([
        [0.6, 0.1, 0.2, 0.05, 0.05],   # argmax O
        [0.1, 0.1, 0.5, 0.2, 0.1],     # argmax I-NEP after O: invalid
    ]))
    assert decode(scores, LABELS, "argmax") == ["O", "B-NEP"]  # argmax's I-NEP opens the entity
    assert _valid(decode(scores, LABELS, "viterbi"))


def test_argmax_output_is_always_valid_iob2():
    rng = np.random.default_rng(1)
    for _ in range(50):
        scores = np.log(rng.dirichlet(np.ones(len(LABELS)), size=6))
        tags = decode(scores, LABELS, "argmax")
        assert _valid(tags)
        assert [t[2:] for t in tags] == [LABELS[i][2:] for i in scores.argmax(axis=1)]  # types kept


def test_viterbi_is_the_best_valid_sequence_by_brute_force():
    rng = np.random.default_rng(0)
    for _ in range(30):
        scores = np.log(rng.dirichlet(np.ones(len(LABELS)), size=4))
        best = max(
            (seq for seq in itertools.product(range(len(LABELS)), repeat=4) if _valid([LABELS[i] for i in seq])),
            key=lambda seq: sum(scores[t, i] for t, i in enumerate(seq)),
        )
        assert viterbi(scores, LABELS) == list(best)


def test_empty_sentence():
    assert decode(np.zeros((0, 5)), LABELS) == []


def test_o_penalty_trades_precision_for_recall():
    scores = np.log(np.array([
        [0.50, 0.40, 0.04, 0.03, 0.03],   # O just ahead of B-NEP
        [0.50, 0.05, 0.35, 0.05, 0.05],   # O just ahead of I-NEP
    ]))
    kept = scores.copy()
    assert decode(scores, LABELS) == ["O", "O"]
    assert decode(scores, LABELS, o_penalty=0.5) == ["B-NEP", "I-NEP"]
    assert decode(scores, LABELS, "argmax", o_penalty=0.5) == ["B-NEP", "I-NEP"]
    assert np.array_equal(scores, kept)  # the caller's scores are left alone
    confident = np.log(np.array([[0.2, 0.7, 0.04, 0.03, 0.03]]))
    assert decode(confident, LABELS) == ["B-NEP"]
    assert decode(confident, LABELS, o_penalty=-2.0) == ["O"]  # a negative penalty favours O
    with pytest.raises(ValueError, match="needs an 'O' label"):
        decode(confident[:, 1:], LABELS[1:], o_penalty=0.5)


BIOES = ["O", "B-NEP", "I-NEP", "E-NEP", "S-NEP", "B-NEL", "I-NEL", "E-NEL", "S-NEL"]


def test_bioes_viterbi_is_the_best_valid_sequence_and_comes_out_as_iob2():
    # The valid BIOES sequences, built independently of the decoder: every well-formed IOB2
    # sequence, written in BIOES.
    iob2 = [seq for seq in itertools.product(LABELS, repeat=4) if _valid(seq)]
    valid = {tuple(BIOES.index(t) for t in iob2_to_bioes(seq)) for seq in iob2}
    rng = np.random.default_rng(1)
    for _ in range(30):
        scores = np.log(rng.dirichlet(np.ones(len(BIOES)), size=4))
        transitions = (rng.normal(size=9), rng.normal(size=(9, 9)), rng.normal(size=9))

        def total(seq):
            return (transitions[0][seq[0]] + transitions[2][seq[-1]] + sum(scores[t, i] for t, i in enumerate(seq))
                    + sum(transitions[1][a, b] for a, b in zip(seq, seq[1:])))

        best = max(valid, key=total)
        assert viterbi(scores, BIOES, transitions) == list(best)
        assert decode(scores, BIOES, transitions=transitions) == [to_iob2_prefix(BIOES[i]) for i in best]


def test_bioes_decoding_never_leaves_an_entity_open():
    # B-NEP is the best label of the last word, but an entity must end on E-X or S-X.
    scores = np.log(np.array([[0.9] + [0.0125] * 8, [0.01, 0.9] + [0.09 / 7] * 7]))
    assert decode(scores, BIOES, "argmax") == ["O", "B-NEP"]
    assert decode(scores, BIOES) == ["O", "B-NEP"]  # S-NEP, as IOB2
    assert viterbi(scores, BIOES) == [0, BIOES.index("S-NEP")]
