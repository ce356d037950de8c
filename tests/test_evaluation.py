"""Entity-level scores: parity with seqeval on real IL-NER files, alignment errors, unseen subsets."""

import random
from dataclasses import replace

import pytest
from conftest import write
from seqeval.metrics import classification_report
from seqeval.scheme import IOB2

from ilner.data import load_corpora, read_corpus
from ilner.evaluation import entity_scores, evaluate_sentences, exclude_seen
from ilner.errors import DataError


def perturb(tag_lists, seed=13, rate=0.12):
    """A noisy copy of gold: wrong types, dropped and stray I- tags, so strict and conlleval differ."""
    rng = random.Random(seed)
    choices = ["O", "B-NEP", "I-NEP", "B-NEL", "I-NEL", "I-NEO", "B-NEN", "I-NETI"]
    return [[rng.choice(choices) if rng.random() < rate else t for t in tags] for tags in tag_lists]


@pytest.mark.parametrize("scheme", ["strict", "conlleval"])
def test_seqeval_parity_on_il_ner_test_sets(mirror, scheme):
    loaded = load_corpora(["il-ner:*:test"])
    assert len(loaded) == 4
    gold = [list(s.tags) for _, corpus in loaded for s in corpus]
    pred = perturb(gold)
    ours = entity_scores(gold, pred, scheme)
    kwargs = {"mode": "strict", "scheme": IOB2} if scheme == "strict" else {}
    theirs = classification_report(gold, pred, output_dict=True, zero_division=0, **kwargs)
    for ours_avg, key in ((ours.micro, "micro avg"), (ours.macro, "macro avg")):
        for field, their_field in (("precision", "precision"), ("recall", "recall"), ("f1", "f1-score")):
            assert round(getattr(ours_avg, field), 4) == round(float(theirs[key][their_field]), 4), (key, field)
    for entity_type, prf in ours.per_type.items():
        assert round(prf.f1, 4) == round(float(theirs[entity_type]["f1-score"]), 4)
        assert prf.support == int(theirs[entity_type]["support"])
    assert 0.3 < ours.micro.f1 < 0.95  # the perturbation matters, and the schemes see it differently


def test_strict_differs_from_conlleval():
    gold = [["B-NEP", "I-NEP", "O"]]
    pred = [["O", "I-NEP", "O"]]
    assert entity_scores(gold, pred, "strict").micro.predicted == 0
    assert entity_scores(gold, pred, "conlleval").micro.predicted == 1


def test_known_small_example():
    gold = [["B-NEP", "I-NEP", "O", "B-NEL"], ["B-NEN", "O"]]
    pred = [["B-NEP", "I-NEP", "O", "B-NEO"], ["B-NEN", "B-NEN"]]
    scores = entity_scores(gold, pred)
    assert (scores.micro.correct, scores.micro.predicted, scores.micro.support) == (2, 4, 3)
    assert scores.micro.precision == 0.5 and scores.micro.recall == pytest.approx(2 / 3)
    assert scores.per_type["NEO"].f1 == 0.0 and scores.per_type["NEP"].f1 == 1.0


def test_token_mismatch_names_first_differing_line(tmp_path):
    gold = read_corpus(write(tmp_path / "gold.txt", "a\tO\nb\tB-NEP\n\nc\tO\nd\tO\n"))
    pred = read_corpus(write(tmp_path / "pred.txt", "a\tO\nb\tB-NEP\n\nc\tO\nX\tO\n"), repair_iob=False)
    with pytest.raises(DataError, match=r"pred\.txt:5: .*token 'X' where the gold file .*gold\.txt:5 has 'd'"):
        evaluate_sentences(gold.sentences, pred.sentences)


def test_sentence_count_mismatch(tmp_path):
    gold = read_corpus(write(tmp_path / "gold.txt", "a\tO\n\nb\tO\n"))
    pred = read_corpus(write(tmp_path / "pred.txt", "a\tO\n"))
    with pytest.raises(DataError, match=r"gold\.txt:3: has 2 sentences but .*pred\.txt has 1"):
        evaluate_sentences(gold.sentences, pred.sentences)


def test_exclude_seen(mirror):
    [(_, test)] = load_corpora(["il-ner:odia:test"])
    [(_, train)] = load_corpora(["il-ner:odia:train"])
    gold, pred = exclude_seen(test.sentences, test.sentences, train.sentences)
    share_seen = 1 - len(gold) / len(test)
    assert 0.35 < share_seen < 0.42  # ~39% of Odia test sentences are in train
    assert len(gold) == len(pred)


def test_perfect_prediction_scores_one(mirror):
    [(_, corpus)] = load_corpora(["il-ner:urdu:dev"])
    predicted = [replace(s) for s in corpus.sentences]
    scores = evaluate_sentences(corpus.sentences, predicted)
    assert scores.micro.f1 == 1.0 and scores.macro.f1 == 1.0
