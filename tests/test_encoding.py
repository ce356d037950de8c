"""Windows over long sentences, label positions, and prediction that never drops a word."""

import pytest

from ilner.models.encoding import IGNORE_INDEX, WordEncoder, best_window_per_word, window_labels
from ilner.models.scratch import ScratchSpec, build_scratch_model

WORDS = "भारत की राजधानी नई दिल्ली है और ओडिशा की राजधानी भुवनेश्वर है ।".split()


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    texts = [" ".join(WORDS)] * 50 + ["హైదరాబాద్ తెలంగాణ రాజధాని", "کراچی پاکستان کا شہر ہے"] * 20
    spec = ScratchSpec(vocab_size=120, hidden_size=32, num_layers=1, num_heads=2, intermediate_size=64, max_positions=64)
    return build_scratch_model(tmp_path_factory.mktemp("tiny") / "m", texts, labels=["O", "B-NEL", "I-NEL"], spec=spec)


@pytest.fixture(scope="module")
def tokenizer(tiny_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_dir)


def test_every_word_gets_pieces_even_empty_or_invisible(tokenizer):
    encoder = WordEncoder(tokenizer, max_length=32, overlap=8)
    pieces = encoder.pieces([["भारत", "", "\u200c", "😀", "दिल्ली"]])[0]
    assert len(pieces) == 5 and all(len(p) >= 1 for p in pieces)


def test_windows_of_a_2000_word_sentence(tokenizer):
    encoder = WordEncoder(tokenizer, max_length=32, overlap=8)
    sentence = (WORDS * 200)[:2000]
    windows = encoder.windows([sentence])
    assert len(windows) > 50
    assert all(len(w) <= 32 for w in windows)
    assert windows[0].first_word == 0 and windows[-1].end_word == 2000
    for previous, following in zip(windows, windows[1:]):
        assert previous.first_word < following.first_word <= previous.end_word  # progress, overlap, no gap
    labels = list(range(2000))
    covered = set()
    for window in windows:
        targets = window_labels(window, labels)
        labelled = [t for t in targets if t != IGNORE_INDEX]
        assert labelled == labels[window.first_word:window.end_word]  # one label per word, first piece
        covered.update(labelled)
    assert covered == set(labels)
    picks = best_window_per_word(windows, 2000)
    assert len(picks) == 2000
    # A word is read from a window where it is not at a cut edge whenever another window offers that.
    for word, w in enumerate(picks):
        window = windows[w]
        inner = [x for x in windows if x.first_word < word < x.end_word - 1]
        if inner:
            assert window.first_word < word < window.end_word - 1 or window.first_word == 0


def test_prediction_tags_every_word_of_a_long_sentence(tiny_dir, tokenizer):
    from transformers import AutoModelForTokenClassification

    from ilner.data import Sentence
    from ilner.inference.tagger import Tagger
    from ilner.inference.scores import TorchRunner

    model = AutoModelForTokenClassification.from_pretrained(tiny_dir)
    tagger = Tagger(TorchRunner(model), WordEncoder(tokenizer, max_length=32, overlap=8), ["O", "B-NEL", "I-NEL"])
    sentence = Sentence(tuple((WORDS * 200)[:2000]), ("O",) * 2000)
    short = Sentence(tuple(WORDS[:3]), ("O",) * 3)
    tagged = tagger.tag_sentences([sentence, short])
    assert len(tagged[0].tags) == 2000 and len(tagged[1].tags) == 3
    assert tagged[0].tokens == sentence.tokens
    # Viterbi output is always valid IOB2.
    for s in tagged:
        for prev, tag in zip(("O",) + s.tags, s.tags):
            assert not (tag.startswith("I-") and prev[2:] != tag[2:])


def test_transform_is_applied_to_model_input_only(tokenizer):
    from ilner.text.transliterate import to_devanagari

    from ilner.models.encoding import model_input

    assert model_input("ଓଡ଼ିଶା", to_devanagari) == to_devanagari("ଓଡ଼ିଶା")
    assert model_input("ओडिशा", to_devanagari) == "ओडिशा"
    encoder = WordEncoder(tokenizer, max_length=32, overlap=8, transform=to_devanagari)
    assert encoder.pieces([["ଓଡ଼ିଶା"]]) == WordEncoder(tokenizer, 32, 8).pieces([[to_devanagari("ଓଡ଼ିଶା")]])


def test_windows_do_not_repeat_when_the_next_word_is_long(tokenizer):
    encoder = WordEncoder(tokenizer, max_length=12, overlap=5)
    assert encoder.budget == 10 and encoder.overlap == 5
    assert encoder.spans([1] * 10 + [10]) == [(0, 10), (10, 11)]
    assert encoder.spans([2] * 10) == [(0, 5), (3, 8), (6, 10)]
