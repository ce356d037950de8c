"""Training on several corpora that annotate different things (issue 27): a corpus that marks no
numbers must not teach the model that numbers are no entities. Two tiny corpora written here:
one in IL-NER's tagset (persons and numbers), one in HiNER's collapsed tagset (persons, places,
organisations), whose numbers are O because nobody marked them."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from ilner.data import write_corpus
from ilner.data.corpus import Sentence
from ilner.errors import IlnerError
from ilner.inference.tagger import Tagger
from ilner.training import run_training
from ilner.training.config import load_config
from ilner.training.data import read_split
from training_helpers import tiny_config

NAMES = ["राम", "सीता", "मोहन", "गीता", "रवि", "आशा", "अमित", "नेहा", "सुरेश", "पूजा", "विजय", "कमला"]
NEW_NAMES = ["अर्जुन", "मीरा", "करण", "लता"]
TEMPLATES = [  # (words before the name's slot and the number's slot, as one list with {p} and {n})
    ["{p}", "ने", "{n}", "आम", "खरीदे"],
    ["{p}", "के", "पास", "{n}", "किताबें", "हैं"],
    ["कल", "{p}", "को", "{n}", "रुपये", "मिले"],
]
TINY_CRF = [
    "scratch.architecture=bilstm-crf", "scratch.vocab_size=200", "scratch.hidden_size=16",
    "scratch.embedding_size=16", "scratch.char_filters=16", "scratch.feature_size=8", "scratch.feature_buckets=2048",
    "scratch.dropout=0.0", "scratch.word_dropout=0.0", "scratch.ensemble_size=1", "scratch.word_level=true",
    "scratch.linear_member=true", "scratch.wide_buckets=4096", "learning_rate=2e-2", "warmup_ratio=0.0",
    "weight_decay=0.0", "max_grad_norm=5.0", "epochs=6", "batch_size=8",
]

MAPPING = "hiner-collapsed_to_il-ner"  # annotates NEP, NEL, NEO fully; NEAR, NETI, NEN not at all


def _sentences(rng: random.Random, n: int, names: list[str], numbers: range, number_tag: str,
               person_tag: str) -> list[Sentence]:
    sentences = []
    for _ in range(n):
        template = rng.choice(TEMPLATES)
        words, tags = [], []
        for slot in template:
            if slot == "{p}":
                words.append(rng.choice(names))
                tags.append(f"B-{person_tag}")
            elif slot == "{n}":
                words.append(str(rng.choice(numbers)))
                tags.append(f"B-{number_tag}" if number_tag != "O" else "O")
            else:
                words.append(slot)
                tags.append("O")
        sentences.append(Sentence(tuple(words), tuple(tags)))
    return sentences


@pytest.fixture(scope="module")
def corpora(tmp_path_factory) -> dict[str, Path]:
    """A: 30 sentences in il-ner that mark numbers (NEN). B: 150 sentences of the same kind in
    hiner-collapsed, which has no type for numbers, so they are O; the same B forced into il-ner
    (its numbers O there too, as mapping them to O would do); test: new names and numbers."""
    root = tmp_path_factory.mktemp("corpora")
    rng = random.Random(3)
    files = {}
    parts = {
        "numbers": _sentences(rng, 30, NAMES, range(1, 500), "NEN", "NEP"),
        "people": _sentences(rng, 150, NAMES, range(1, 500), "O", "PERSON"),
        "test": _sentences(rng, 40, NEW_NAMES, range(500, 1000), "NEN", "NEP"),
    }
    parts["forced"] = [Sentence(s.tokens, tuple(t.replace("PERSON", "NEP") for t in s.tags)) for s in parts["people"]]
    for name, sentences in parts.items():
        files[name] = root / f"{name}.txt"
        write_corpus(sentences, files[name])
    return files


def _numbers_found(model_dir: Path, test: Path) -> float:
    """The share of the test's numbers the model tags as NEN."""
    from ilner.data import read_corpus

    gold = read_corpus(test).sentences
    tagged = Tagger.load(model_dir).tag_tokens([s.tokens for s in gold])
    numbers = [(t.tags[i]) for s, t in zip(gold, tagged) for i, tag in enumerate(s.tags) if tag == "B-NEN"]
    return sum(tag == "B-NEN" for tag in numbers) / len(numbers)


def test_a_corpus_that_marks_no_numbers_keeps_them_as_possible_entities(corpora, tmp_path):
    common = [*TINY_CRF, f"dev=[{corpora['test']}]", "test=[]"]
    partial = tiny_config(tmp_path / "partial", *common, f"train=[{corpora['numbers']},{corpora['people']}]",
                          f"data_mappings={{{corpora['people']}: {MAPPING}}}")
    forced = tiny_config(tmp_path / "forced", *common, f"train=[{corpora['numbers']},{corpora['forced']}]")
    lines: list[str] = []
    run_training(partial, log=lines.append)
    run_training(forced, log=lambda m: None)
    # The run says what it made of the corpus that marks persons alone.
    assert f"{corpora['people']}: 150 sentences; mapped by {MAPPING}; annotates in part: no NEAR, NETI, NEN (its O words " \
        "may be one)" in lines
    assert "150 of 180 training sentences come from corpora that annotate il-ner's types in part: the loss counts " \
        "every tagging consistent with what they mark; dev and test sentences of such corpora are scored on the " \
        "types they annotate fully" in lines
    kept, lost = _numbers_found(Path(partial.output_dir), corpora["test"]), _numbers_found(Path(forced.output_dir), corpora["test"])
    # Partial annotation: 30 sentences that mark numbers are enough. Forced into O, the 150 that
    # do not outvote them, and the model learns that numbers are not entities.
    assert kept >= 0.9 and lost <= 0.2, (kept, lost)


def test_the_partly_annotated_corpus_is_scored_on_what_it_annotates(corpora):
    """Dev or test sentences of the `people` corpus count persons only: a number the model finds
    there is no false positive, as its gold O says nothing about numbers."""
    split = read_split([str(corpora["people"])], lambda m: None, tagset="il-ner", data_dir=None, data_mapping=None,
                       keep_unknown=False, data_mappings={str(corpora["people"]): MAPPING})
    assert split.partial and {origin.corpus for origin in split.origins} == {str(corpora["people"])}
    sentence = split.sentences[0]
    guess = Sentence(sentence.tokens, tuple("B-NEN" if w.isdigit() else t for w, t in zip(sentence.tokens, sentence.tags)))
    gold, kept = split.comparable([guess, *split.sentences[1:]])
    assert kept[0].tags == sentence.tags == gold[0].tags  # the number was set aside, the person kept
    assert split.origins[0].allowed("iob2")[[w.isdigit() for w in sentence.tokens].index(True)] >= {"O", "B-NEN"}


def test_data_mappings_must_name_listed_data_and_map_onto_the_run_tagset(corpora, tmp_path):
    with pytest.raises(IlnerError, match="data_mappings names 'other.txt', which is in none of train, dev and test"):
        load_config(None, [f"train=[{corpora['people']}]", f"data_mappings={{other.txt: {MAPPING}}}"])
    with pytest.raises(IlnerError, match="maps onto coarse, not the run's tagset il-ner"):
        load_config(None, ["train=[urdu-uner]", "data_mappings={urdu-uner: urdu-uner_to_coarse}"])
    # A plain file in another tagset, without a mapping: what to set, not a traceback.
    config = tiny_config(tmp_path, *TINY_CRF, f"train=[{corpora['people']}]", "dev=[]", "test=[]", "tagset=il-ner")
    with pytest.raises(IlnerError, match="none of its entity types"):
        run_training(config, log=lambda m: None)


def test_a_token_classifier_without_crf_is_trained_on_the_probability_of_the_allowed_labels(corpora, tmp_path):
    """A transformer head has no CRF to constrain: its loss is -log of the probability of each
    word's allowed labels together; with one allowed label, the cross-entropy."""
    import torch

    from ilner.training.trainer import partial_token_loss

    torch.manual_seed(0)
    logits = torch.randn(2, 5, 4)
    labels = torch.tensor([[-100, 1, 2, -100, 0], [-100, 3, -100, -100, -100]])
    one_hot = torch.nn.functional.one_hot(labels.clamp(min=0), 4).bool()
    cross_entropy = torch.nn.functional.cross_entropy(logits.view(-1, 4), labels.view(-1), ignore_index=-100)
    assert partial_token_loss(logits, one_hot, labels).item() == pytest.approx(cross_entropy.item(), rel=1e-6)
    either = one_hot.clone()
    either[0, 1, 2] = True  # the second word may be label 1 or 2
    probs = logits.softmax(-1)
    expected = -(probs[0, 1, 1] + probs[0, 1, 2]).log() - probs[0, 2, 2].log() - probs[0, 4, 0].log() - probs[1, 1, 3].log()
    assert partial_token_loss(logits, either, labels).item() == pytest.approx(expected.item() / 4, rel=1e-5)
    # A scratch transformer trains on the partly annotated corpus through it.
    from ilner.models.loading import load_token_classifier
    from ilner.training.trainer import training_loss

    config = tiny_config(tmp_path, f"train=[{corpora['numbers']},{corpora['people']}]", "dev=[]", "test=[]",
                         f"data_mappings={{{corpora['people']}: {MAPPING}}}", "epochs=1")
    result = run_training(config, log=lambda m: None)
    model, _, _ = load_token_classifier(str(result.output_dir), Tagger.load(result.output_dir).labels)
    inputs = {"input_ids": torch.tensor([[0, 5, 6, 7, 2]]), "attention_mask": torch.ones(1, 5, dtype=torch.long),
              "labels": torch.tensor([[-100, 1, 0, 0, -100]])}
    allowed = torch.nn.functional.one_hot(inputs["labels"].clamp(min=0), model.config.num_labels).bool()
    allowed[0, 2, :] = True  # the second word may be anything
    with torch.no_grad():
        logits = model(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"]).logits
        loss = training_loss(model, {**inputs, "allowed_labels": allowed})
        assert loss.item() == pytest.approx(partial_token_loss(logits, allowed, inputs["labels"]).item())
        assert loss.item() < model(**inputs).loss.item()  # the hard labels' loss counts the second word's O
