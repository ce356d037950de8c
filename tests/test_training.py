"""The training engine end to end on tiny from-scratch models (offline, CPU)."""

import json
import math
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file
from training_helpers import slice_file, tiny_config

from ilner.data import load_tagset, read_corpus
from ilner.errors import IlnerError
from ilner.evaluation import evaluate_sentences
from ilner.training import load_config, run_experiment, run_training

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def hindi(tmp_path_factory):
    """Hindi slices: 400 train, 150 dev, 150 test sentences (written as files named like IL-NER's)."""
    from conftest import MIRROR

    if MIRROR is None:
        pytest.skip("dataset mirror not found")
    root = tmp_path_factory.mktemp("hindi")
    return {
        split: slice_file(MIRROR, f"il-ner/Hindi/Hindi-{split}.txt", root / f"Hindi-{split}.txt", n)
        for split, n in (("train", 400), ("dev", 150), ("test", 150))
    }


def test_training_learns_and_writes_a_model_directory(tmp_path, hindi):
    from transformers import AutoConfig, AutoModelForTokenClassification

    from ilner.inference.tagger import Tagger
    from ilner.inference.scores import TorchRunner
    from ilner.models.encoding import WordEncoder
    from ilner.models.loading import load_token_classifier

    config = tiny_config(tmp_path, f"train=[{hindi['train']}]", f"dev=[{hindi['dev']}]",
                         f"test=[{hindi['test']}]", "epochs=12")
    result = run_training(config, log=lambda m: None)
    out = Path(config.output_dir)

    # Learning: the trained model beats the same model untrained by a clear margin.
    labels = list(load_tagset("il-ner").labels)
    dev = read_corpus(hindi["dev"]).sentences
    untrained, tokenizer, _ = load_token_classifier(str(out / "checkpoints/init"), labels)
    untrained_f1 = evaluate_sentences(dev, Tagger(TorchRunner(untrained), WordEncoder(tokenizer, 64, 16), labels).tag_sentences(dev)).micro.f1
    trained_f1 = result.dev["all"]["strict"].micro.f1
    assert trained_f1 > untrained_f1 + 0.10, (trained_f1, untrained_f1)

    # A normal Hugging Face directory with the tagset's labels, plus ilner.json and a model card.
    assert (out / "model.safetensors").exists() and not (out / ".staging").exists()
    assert AutoConfig.from_pretrained(out).id2label == dict(enumerate(labels))
    AutoModelForTokenClassification.from_pretrained(out)
    meta = json.loads((out / "ilner.json").read_text())
    assert meta["tagset"] == "il-ner" and meta["labels"] == labels and meta["script"] == "native"
    assert meta["languages"] == ["hindi"] and meta["config"]["epochs"] == 12
    assert meta["scores"]["test"]["all"]["strict"]["micro"]["f1"] == result.test["all"]["strict"].micro.f1
    assert {"torch", "transformers"} <= set(meta["versions"])
    card = (out / "README.md").read_text()
    assert "| all |" in card and "strict F1" in card
    metrics = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [m["epoch"] for m in metrics] == list(range(1, 13))
    assert max(m["strict_f1"] for m in metrics) == trained_f1
    # Every gold word of test is scored.
    assert result.test["all"]["strict"].sentences == 150


def test_o_penalty_is_chosen_on_dev_and_used_by_the_tagger(tmp_path, hindi):
    from ilner.inference.decoding import O_PENALTIES
    from ilner.inference.tagger import Tagger

    config = tiny_config(tmp_path, f"train=[{hindi['train']}]", f"dev=[{hindi['dev']}]", "epochs=3",
                         "tune_o_penalty=true")
    result = run_training(config, log=lambda m: None)
    meta = json.loads(Path(config.output_dir, "ilner.json").read_text())
    dev = read_corpus(hindi["dev"]).sentences
    tokens = [list(s.tokens) for s in dev]

    def f1(tagger):
        predicted = [replace(s, tags=tuple(t.tags)) for s, t in zip(dev, tagger.tag_tokens(tokens))]
        return evaluate_sentences(dev, predicted).micro.f1

    by_penalty = {p: f1(Tagger.load(config.output_dir, o_penalty=p)) for p in O_PENALTIES}
    assert meta["o_penalty"] in O_PENALTIES and meta["config"]["tune_o_penalty"] is True
    assert by_penalty[meta["o_penalty"]] == max(by_penalty.values())
    assert len(set(by_penalty.values())) > 1  # the penalty changes what is found
    # The model directory decodes with the chosen penalty, as the reported dev score did.
    assert f1(Tagger.load(config.output_dir)) == result.dev["all"]["strict"].micro.f1 == by_penalty[meta["o_penalty"]]


def _save_tiny_classifier(tmp_path, labels):
    from ilner.models.scratch import ScratchSpec, build_scratch_model

    spec = ScratchSpec(vocab_size=300, hidden_size=32, num_layers=1, num_heads=2, intermediate_size=64, max_positions=64)
    words = ("राम सीता दिल्ली मुंबई भारत एक देश है में की के को से ने गए थे सरकार राज्य शहर नदी गंगा पटना "
             "लखनऊ जयपुर भोपाल हैदराबाद पुणे सूरत कानपुर नागपुर इंदौर").split()
    rng = random.Random(0)
    texts = [" ".join(rng.choice(words) for _ in range(12)) for _ in range(300)]
    return str(build_scratch_model(tmp_path / "ckpt", texts, labels=labels, spec=spec))


def test_head_with_other_labels_is_never_silently_reused(tmp_path):
    from ilner.models.loading import load_token_classifier

    il_ner = list(load_tagset("il-ner").labels)
    # Same number of labels (13) but other names: transformers would reuse the head silently.
    other = ["O"] + [f"{p}-{t}" for t in ("PER", "LOC", "ORG", "ART", "TIM", "NUM") for p in "BI"]
    checkpoint = _save_tiny_classifier(tmp_path, other)
    with pytest.raises(IlnerError, match="was trained for the labels O, B-PER.*Set init_mapping"):
        load_token_classifier(checkpoint, il_ner)


def test_head_with_labels_in_another_order_is_reordered(tmp_path):
    from transformers import AutoModelForTokenClassification

    from ilner.models.loading import load_token_classifier

    labels = list(load_tagset("il-ner").labels)
    shuffled = labels[::-1]
    checkpoint = _save_tiny_classifier(tmp_path, shuffled)
    original = AutoModelForTokenClassification.from_pretrained(checkpoint).classifier.weight
    model, _, head = load_token_classifier(checkpoint, labels)
    assert head.how == "reordered" and not head.fresh
    for i, label in enumerate(labels):
        assert torch.equal(model.classifier.weight[i], original[shuffled.index(label)])


def test_ner_model_init_from_hiner(tmp_path):
    """Train a tiny HiNER model, then start IL-NER Hindi from it through the mapping."""
    from conftest import MIRROR
    from transformers import AutoModelForTokenClassification

    from ilner.models.loading import load_token_classifier

    if MIRROR is None:
        pytest.skip("dataset mirror not found")
    hiner = slice_file(MIRROR, "hiner/original/validation.conll", tmp_path / "hiner-train.conll", 300,
                       tagset="hiner-original")
    hiner_config = tiny_config(tmp_path, "tagset=hiner-original", f"train=[{hiner}]", "dev=[]", "test=[]",
                               "epochs=1", f"output_dir={tmp_path / 'hiner'}")
    run_training(hiner_config, log=lambda m: None)
    hiner_labels = list(load_tagset("hiner-original").labels)
    source = AutoModelForTokenClassification.from_pretrained(tmp_path / "hiner").classifier

    il_ner = list(load_tagset("il-ner").labels)
    with pytest.raises(IlnerError, match="init_mapping"):
        load_token_classifier(str(tmp_path / "hiner"), il_ner)
    from ilner.data import load_mapping

    model, _, head = load_token_classifier(str(tmp_path / "hiner"), il_ner, load_mapping("hiner-original_to_il-ner"))
    assert head.how == "mapped"
    assert head.carried == {
        "O": ["O"], "B-NEP": ["B-PERSON"], "I-NEP": ["I-PERSON"], "B-NEL": ["B-LOCATION"], "I-NEL": ["I-LOCATION"],
        "B-NEO": ["B-ORGANIZATION"], "I-NEO": ["I-ORGANIZATION"], "B-NEAR": ["B-LITERATURE"],
        "I-NEAR": ["I-LITERATURE"], "B-NETI": ["B-TIMEX"], "I-NETI": ["I-TIMEX"], "B-NEN": ["B-NUMEX"], "I-NEN": ["I-NUMEX"],
    }
    for new, (old,) in head.carried.items():
        assert torch.equal(model.classifier.weight[il_ner.index(new)], source.weight[hiner_labels.index(old)])

    # And through the trainer: the report lands in ilner.json.
    train = slice_file(MIRROR, "il-ner/Hindi/Hindi-train.txt", tmp_path / "Hindi-train.txt", 100)
    config = tiny_config(tmp_path, f"model={tmp_path / 'hiner'}", "init_mapping=hiner-original_to_il-ner",
                         f"train=[{train}]", "dev=[]", "test=[]", "epochs=1")
    run_training(config, log=lambda m: None)
    meta = json.loads((Path(config.output_dir) / "ilner.json").read_text())
    assert meta["head_init"]["how"] == "mapped" and meta["head_init"]["carried"]["B-NEAR"] == ["B-LITERATURE"]


def test_ner_init_trains_on_another_tagset_first_then_the_run_starts_from_it(tmp_path):
    from conftest import MIRROR

    if MIRROR is None:
        pytest.skip("dataset mirror not found")
    hiner = slice_file(MIRROR, "hiner/original/validation.conll", tmp_path / "hiner-train.conll", 200,
                       tagset="hiner-original")
    train = slice_file(MIRROR, "il-ner/Hindi/Hindi-train.txt", tmp_path / "Hindi-train.txt", 100)
    config = tiny_config(tmp_path, f"train=[{train}]", "dev=[]", "test=[]", "epochs=1",
                         f"ner_init={{train: [{hiner}], tagset: hiner-original, mapping: hiner-original_to_il-ner, epochs: 1}}")
    results = run_experiment(config, log=lambda m: None)
    root = Path(config.output_dir)
    assert [r.output_dir for r in results] == [root / "ner-init", root]
    first = json.loads((root / "ner-init/ilner.json").read_text())
    assert first["tagset"] == "hiner-original" and first["config"]["train"] == [hiner]
    assert first["config"]["scratch_text"] == [train]  # its tokenizer also learnt the run's own words
    meta = json.loads((root / "ilner.json").read_text())
    assert meta["tagset"] == "il-ner" and meta["config"]["model"] == str(root / "ner-init")
    assert meta["head_init"]["how"] == "mapped" and meta["head_init"]["carried"]["B-NEP"] == ["B-PERSON"]
    # Resuming does not train the NER init again.
    stamp = (root / "ner-init/model.safetensors").stat().st_mtime_ns
    run_experiment(config, resume=True, log=lambda m: None)
    assert (root / "ner-init/model.safetensors").stat().st_mtime_ns == stamp


def test_mapped_head_redraws_rows_of_unmatched_labels(tmp_path):
    """Same label count (13), other tagset: rows without a source must not keep old weights."""
    from transformers import AutoModelForTokenClassification

    from ilner.data import load_mapping
    from ilner.models.loading import load_token_classifier

    (tmp_path / "six.yaml").write_text("name: six\ntypes: [A, B, C, D, E, F]\n", encoding="utf-8")
    (tmp_path / "map.yaml").write_text(
        f"source: {tmp_path / 'six.yaml'}\ntarget: il-ner\nmap: {{A: NEP, B: NEL}}\ndefault: O\n", encoding="utf-8")
    six = list(load_tagset(str(tmp_path / "six.yaml")).labels)
    checkpoint = _save_tiny_classifier(tmp_path, six)
    old = AutoModelForTokenClassification.from_pretrained(checkpoint).classifier.weight
    il_ner = list(load_tagset("il-ner").labels)
    model, _, head = load_token_classifier(checkpoint, il_ner, load_mapping(str(tmp_path / "map.yaml")))
    assert head.carried == {"O": ["O"], "B-NEP": ["B-A"], "I-NEP": ["I-A"], "B-NEL": ["B-B"], "I-NEL": ["I-B"]}
    assert set(head.fresh) == {f"{p}-{t}" for t in ("NEO", "NEAR", "NETI", "NEN") for p in "BI"}
    for label in head.fresh:
        i = il_ner.index(label)
        assert not torch.equal(model.classifier.weight[i], old[i])
        assert model.classifier.bias[i] == 0.0
    assert torch.equal(model.classifier.weight[il_ner.index("B-NEL")], old[six.index("B-B")])


def test_checkpoint_left_between_renames_is_recovered(tmp_path):
    from ilner.training.checkpoints import Checkpoints

    checkpoints = Checkpoints(tmp_path)
    (checkpoints.root / "last.old").mkdir(parents=True)
    (checkpoints.root / "last.old" / "trainer_state.json").write_text("{}")
    assert not checkpoints.available()
    checkpoints.recover()
    assert checkpoints.available() and not (checkpoints.root / "last.old").exists()


def test_resume_with_other_settings_is_refused(tmp_path, hindi):
    config = tiny_config(tmp_path, f"train=[{hindi['train']}]", "dev=[]", "test=[]", "epochs=1")
    run_training(config, log=lambda m: None)
    changed = tiny_config(tmp_path, f"train=[{hindi['train']}]", "dev=[]", "test=[]", "epochs=1", "batch_size=8")
    with pytest.raises(IlnerError, match="other settings \\(batch_size\\)"):
        run_training(changed, resume=True, log=lambda m: None)


def test_vocabulary_augmentation(tmp_path):
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    from ilner.models.vocabulary import augment_vocabulary

    checkpoint = _save_tiny_classifier(tmp_path, list(load_tagset("il-ner").labels))
    tokenizer = AutoTokenizer.from_pretrained(checkpoint)
    model = AutoModelForTokenClassification.from_pretrained(checkpoint)
    before = model.get_input_embeddings().weight.detach().clone()
    word = "हैदराबादवासियों"
    pieces = tokenizer([word], is_split_into_words=True, add_special_tokens=False)["input_ids"]
    assert len(pieces) >= 3
    # A frequent word that is not split into 3+ pieces is not worth a token of its own.
    short = next(w for w in ("है", "एक", "देश", "राम") if len(tokenizer([w], is_split_into_words=True, add_special_tokens=False)["input_ids"]) < 3)
    added = augment_vocabulary(tokenizer, model, [short] * 20 + [word] * 9 + ["बेंगलुरुवासी"] * 2, k=1)
    assert added == [word]  # the most frequent word that is split into 3+ pieces
    new_id = tokenizer.convert_tokens_to_ids(word)
    assert tokenizer([word], is_split_into_words=True, add_special_tokens=False)["input_ids"] == [new_id]
    assert torch.allclose(model.get_input_embeddings().weight[new_id], before[pieces].mean(dim=0))
    # Only whole words match: the added word inside a longer word is not used.
    assert new_id not in tokenizer([word + "का"], is_split_into_words=True, add_special_tokens=False)["input_ids"]


def _two_languages(tmp_path):
    from conftest import MIRROR

    if MIRROR is None:
        pytest.skip("dataset mirror not found")
    files = {}
    for language in ("Hindi", "Telugu"):
        for split, n in (("train", 120), ("dev", 40), ("test", 40)):
            files[language.lower(), split] = slice_file(
                MIRROR, f"il-ner/{language}/{language}-{split}.txt", tmp_path / f"{language}-{split}.txt", n)
    return files


def test_joint_training_reports_per_language_with_temperature_sampling(tmp_path):
    files = _two_languages(tmp_path)
    config = tiny_config(
        tmp_path, f"train=[{files['hindi', 'train']}, {files['telugu', 'train']}]",
        f"dev=[{files['hindi', 'dev']}, {files['telugu', 'dev']}]",
        f"test=[{files['hindi', 'test']}, {files['telugu', 'test']}]", "sampling_temperature=5", "epochs=1",
    )
    [result] = run_experiment(config, log=lambda m: None)
    assert set(result.test) == {"all", "hindi", "telugu"}
    assert result.test["hindi"]["strict"].sentences == 40 and result.test["all"]["strict"].sentences == 80


def test_temperature_sampling_balances_languages():
    from ilner.models.encoding import Window
    from ilner.training.trainer import epoch_batches

    windows = [Window(i, 0, 1, [0, 5, 2], [1]) for i in range(1000)]
    languages = ["hindi"] * 900 + ["telugu"] * 100
    drawn = [languages[i] for batch in epoch_batches(windows, languages, 0, seed=42, batch_size=10,
                                                      sampling_temperature=1000) for i in batch]
    assert len(drawn) == 1000  # as many windows as without sampling: the schedule's step count holds
    assert 0.4 < drawn.count("telugu") / len(drawn) < 0.6
    plain = {"seed": 42, "batch_size": 10, "sampling_temperature": None}
    first = epoch_batches(windows, languages, 0, **plain)
    assert sorted(i for b in first for i in b) == list(range(1000))  # T unset: each window once
    assert first == epoch_batches(windows, languages, 0, **plain) != epoch_batches(windows, languages, 1, **plain)


def test_entity_free_share_keeps_every_entity_window_and_draws_the_others_anew_each_epoch():
    from ilner.models.encoding import Window
    from ilner.training.trainer import TrainingData, batch_maker

    windows = [Window(i, 0, 1, [0, 5, 2], [1]) for i in range(1000)]
    entity_free = np.arange(1000) >= 400  # 400 windows with an entity, 600 without
    data = TrainingData(windows, [[-100, 0, -100]] * 1000, [None] * 1000, ["hindi"] * 700 + ["telugu"] * 300,
                        ["c"] * 1000, entity_free)
    make = batch_maker(data, seed=3, batch_size=10, sampling_temperature=None, entity_free_share=0.25,
                       process=0, processes=1)
    epochs = [sorted(i for batch in make(epoch) for i in batch) for epoch in (0, 1)]
    for drawn in epochs:
        assert len(drawn) == len(set(drawn)) == data.epoch_size(0.25) == 400 + 150
        assert set(range(400)) <= set(drawn)
    assert set(epochs[0]) != set(epochs[1])  # other entity-free windows in the next epoch
    assert epochs[0] == sorted(i for batch in make(0) for i in batch)  # the same epoch, the same draw
    # With temperature sampling on top, the epoch is still that size, drawn from those windows.
    tempered = batch_maker(data, seed=3, batch_size=10, sampling_temperature=1000, entity_free_share=0.25,
                           process=0, processes=1)(0)
    assert sum(map(len, tempered)) == 550 and {i for b in tempered for i in b} <= set(epochs[0])


def test_entity_free_share_shortens_the_epochs_and_the_schedule_with_them(tmp_path):
    """A run keeping half the entity-free sentences takes that many steps an epoch (the learning
    rate schedule is built for them) and still learns and scores as usual."""
    from conftest import MIRROR

    if MIRROR is None:
        pytest.skip("dataset mirror not found")
    from ilner.data import write_corpus

    odia = read_corpus(MIRROR / "il-ner/Odia/Odia-train.txt").sentences  # 82% without an entity
    with_entities = [s for s in odia if any(t != "O" for t in s.tags)][:80]
    sentences = with_entities + [s for s in odia if all(t == "O" for t in s.tags)][:120]
    train = tmp_path / "Odia-train.txt"
    write_corpus(sentences, train)
    free = 120
    config = tiny_config(tmp_path, f"train=[{train}]", "dev=[]", "test=[]", "epochs=2", "entity_free_share=0.5",
                         "max_length=512")  # a window per sentence
    run_training(config, log=lambda m: None)
    meta = json.loads((Path(config.output_dir) / "ilner.json").read_text(encoding="utf-8"))
    assert meta["train_windows"] == len(sentences)
    windows = len(sentences) - free + round(0.5 * free)
    assert meta["steps_per_epoch"] == math.ceil(windows / config.batch_size) < math.ceil(len(sentences) / config.batch_size)


def test_training_windows_know_whether_they_hold_an_entity():
    from ilner.data.corpus import Sentence
    from ilner.data.tagsets import load_mapping
    from ilner.models.bilstm_crf import word_tokenizer
    from ilner.models.encoding import WordEncoder
    from ilner.training.data import Origin, Split
    from ilner.training.trainer import encode_training_data

    telugu = load_mapping("telugu-reddy2018_to_il-ner").annotation
    split = Split(
        [Sentence(("a", "b"), ("B-NEP", "O")), Sentence(("c", "d"), ("O", "O")), Sentence(("e", "f"), ("O", "O"))],
        # the third is O in the run's tags, but its corpus marks an entity there (MISC: NEN or NETI)
        [Origin("x"), Origin("x"), Origin("telugu", telugu, ("B-MISC", "O"))],
    )
    tokenizer = word_tokenizer(["a b c d e f"] * 3, min_count=1, subword_size=60)
    labels = list(load_tagset("il-ner").labels_for("iob2"))
    data = encode_training_data(split, WordEncoder(tokenizer, 32), labels, "iob2", lambda m: None)
    assert data.entity_free.tolist() == [False, True, False]


def test_sampling_balances_corpora_of_one_language_by_corpus():
    """sampling_unit: corpus draws a small corpus of a language as often as a large one of the same
    language (with sampling by language, the two are one unit)."""
    from ilner.models.encoding import Window
    from ilner.training.trainer import TrainingData, batch_maker

    windows = [Window(i, 0, 1, [0, 5, 2], [1]) for i in range(1000)]
    data = TrainingData(windows, [[-100, 0, -100]] * 1000, [None] * 1000, ["urdu"] * 1000,
                        ["il-ner:urdu"] * 900 + ["urdu-uner:urdu"] * 100, np.zeros(1000, dtype=bool))

    def share_of_small(unit: str) -> float:
        batches = batch_maker(data, seed=1, batch_size=10, sampling_temperature=1000, sampling_unit=unit,
                              process=0, processes=1)(0)
        drawn = [data.corpora[i] for batch in batches for i in batch]
        return drawn.count("urdu-uner:urdu") / len(drawn)

    assert 0.4 < share_of_small("corpus") < 0.6
    assert share_of_small("language") == 0.1


def test_language_stages_continue_the_joint_model_on_each_language_alone(tmp_path):
    files = _two_languages(tmp_path)
    config = tiny_config(
        tmp_path, f"train=[{files['hindi', 'train']}, {files['telugu', 'train']}]",
        f"dev=[{files['hindi', 'dev']}]", f"test=[{files['hindi', 'test']}, {files['telugu', 'test']}]",
        "epochs=1", "language_stages={epochs: 2, learning_rate: 1.0e-3}", "tune_o_penalty=true", "o_penalty=0.1",
    )
    results = run_experiment(config, log=lambda m: None)
    root = Path(config.output_dir)
    assert [r.output_dir for r in results] == [root, root / "hindi", root / "telugu"]
    assert set(results[0].test) == {"all", "hindi", "telugu"}
    joint = load_file(str(root / "model.safetensors"))
    for result, language in zip(results[1:], ("hindi", "telugu")):
        meta = json.loads((result.output_dir / "ilner.json").read_text())
        assert meta["languages"] == [language] and meta["train_sentences"] == 120
        assert meta["config"]["epochs"] == 2 and meta["config"]["learning_rate"] == 1.0e-3
        assert meta["head_init"]["how"] == "same"  # continued from the joint model, labels kept
        assert meta["init_from"] == str(root) and f"continued from `{root}`" in (result.output_dir / "README.md").read_text()
        assert result.test["all"]["strict"].sentences == 40  # its own language's test only
        stage = load_file(str(result.output_dir / "model.safetensors"))
        assert stage.keys() == joint.keys() and any(not torch.equal(stage[k], joint[k]) for k in joint)
    # Telugu has no dev data: its stage keeps the penalty it started with instead of failing.
    assert json.loads((root / "telugu/ilner.json").read_text())["o_penalty"] == 0.1
    assert "only its hindi sentences" in (root / "hindi/README.md").read_text()
    # Resuming after everything finished trains nothing again.
    again = run_experiment(config, resume=True, log=lambda m: None)
    assert [r.output_dir for r in again] == [root]


def test_language_stages_for_some_languages_only(tmp_path, capsys):
    """``language_stages.languages`` picks the languages that get a stage; the others keep the
    model for all languages, and ``ilner train`` ends with the model serving each language. A
    language the data lacks is refused before anything is trained."""
    from ilner.cli.train import print_serving_models

    files = _two_languages(tmp_path)
    train = f"train=[{files['hindi', 'train']}, {files['telugu', 'train']}]"
    config = tiny_config(tmp_path, train, "dev=[]", f"test=[{files['hindi', 'test']}, {files['telugu', 'test']}]",
                         "epochs=1", "language_stages={epochs: 1, languages: [telugu]}")
    results = run_experiment(config, log=lambda m: None)
    root = Path(config.output_dir)
    assert [r.output_dir for r in results] == [root, root / "telugu"]
    assert not (root / "hindi").exists()
    assert json.loads((root / "telugu/ilner.json").read_text())["languages"] == ["telugu"]
    capsys.readouterr()
    print_serving_models(results)
    rows = {line.split("│")[1].strip(): [cell.strip() for cell in line.split("│")[2:4]]
            for line in capsys.readouterr().out.splitlines() if line.count("│") == 4}
    hindi, telugu = results[0].test["hindi"]["strict"].micro.f1, results[1].test["all"]["strict"].micro.f1
    assert results[1].only_language == "telugu" and results[0].only_language is None
    assert rows["hindi"] == [str(root), f"{100 * hindi:.2f}"]
    assert rows["telugu"] == [str(root / "telugu"), f"{100 * telugu:.2f}"]
    assert rows["average"] == ["", f"{50 * (hindi + telugu):.2f}"]

    typo = tiny_config(tmp_path, train, "dev=[]", "test=[]", "epochs=1", "output_dir=" + str(tmp_path / "typo"),
                       "language_stages={epochs: 1, languages: [telgu]}")
    with pytest.raises(IlnerError, match=r"language_stages.languages: telgu not among the languages of the "
                                         r"training data \(hindi, telugu\)"):
        run_experiment(typo, log=lambda m: None)
    assert not (tmp_path / "typo").exists()


class _Stop(Exception):
    """Raised in place of training a model: what a run did before it is what a test looks at."""


def _no_training(config, **kwargs):
    raise _Stop


def test_a_fresh_run_forgets_what_the_earlier_run_left(tmp_path, hindi, monkeypatch):
    """Before its NER init, a fresh run clears the main run's checkpoints (else a --resume after a
    crash in the NER init would continue the old main run) and all of its old language stages,
    finished or not (else a --resume would skip or continue them)."""
    root = tmp_path / "run"
    (root / "checkpoints/last").mkdir(parents=True)
    (root / "checkpoints/last/trainer_state.json").write_text("{}")
    for name, source in (("hindi", str(root)), ("mine", "somewhere/else")):
        (root / name / "checkpoints").mkdir(parents=True)
        (root / name / "ilner.json").write_text(json.dumps({"init_from": source}))
    (root / "urdu/checkpoints/last").mkdir(parents=True)  # a stage killed before it finished
    from dataclasses import asdict

    from ilner.training.checkpoints import TrainerState

    killed = TrainerState(fingerprint={"init_from": str(root)})
    (root / "urdu/checkpoints/last/trainer_state.json").write_text(json.dumps(asdict(killed)))
    import ilner.training.experiments as experiments

    monkeypatch.setattr(experiments, "run_training", _no_training)
    config = tiny_config(tmp_path, f"train=[{hindi['train']}]", "dev=[]", "test=[]", "language_stages.epochs=1")
    with pytest.raises(_Stop):
        run_experiment(config, log=lambda m: None)
    assert not (root / "checkpoints").exists()
    assert not (root / "hindi/ilner.json").exists() and not (root / "hindi/checkpoints").exists()
    assert not (root / "urdu/checkpoints").exists()
    assert (root / "mine/ilner.json").exists() and (root / "mine/checkpoints").exists()  # not ours: left alone


def _finished_run(root: Path, stage: bool = True) -> list[Path]:
    """The files a finished run (and its hindi stage) leaves; their content does not matter here."""
    files = [root / "config.json", root / "ilner.json", root / "metrics.jsonl", root / "checkpoints/last/trainer_state.json"]
    files += [root / "hindi/ilner.json", root / "hindi/config.json"] if stage else []
    for path in files:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"init_from": str(root)}))
    return files


@pytest.mark.parametrize("overrides,message", [
    (["tagset=il_ner"], "unknown tagset 'il_ner'"),
    (["train=[{missing}]"], "missing.txt: no such file"),
    (["only_language=odia"], "no training sentences of 'odia'"),
])
@pytest.mark.parametrize("stages", [False, True])
def test_a_config_mistake_keeps_the_earlier_model(tmp_path, hindi, overrides, message, stages):
    files = _finished_run(tmp_path / "run")
    overrides = [o.format(missing=tmp_path / "missing.txt") for o in overrides]
    config = tiny_config(tmp_path, f"train=[{hindi['train']}]", "dev=[]", "test=[]", *overrides,
                         *(["language_stages.epochs=1"] if stages else []))
    with pytest.raises(IlnerError, match=message):
        (run_experiment if stages else run_training)(config, log=lambda m: None)
    assert all(path.exists() for path in files)


@pytest.mark.parametrize("strategy", ["cross-lingual", "progressive"])
def test_a_fresh_multi_model_run_forgets_all_its_models(tmp_path, hindi, monkeypatch, strategy):
    """Before its first model trains, a fresh run removes what every one of its models had, so
    that a --resume after a crash neither skips nor continues models of the earlier run."""
    import ilner.training.experiments as experiments

    data = Path(hindi["train"]).parent
    if strategy == "cross-lingual":
        overrides = ["strategy=cross-lingual", "languages=[Hindi, Hindi2]", f'train=["{data}/{{language}}-train.txt"]']
        (data / "Hindi2-train.txt").write_text(Path(hindi["train"]).read_text(encoding="utf-8"), encoding="utf-8")
        dirs = ["Hindi", "Hindi2"]
    else:
        overrides = ["strategy=progressive", f"stages=[{{name: a, train: [{hindi['train']}]}}, {{name: b, train: [{hindi['train']}]}}]"]
        dirs = ["stage-1-a", "stage-2-b"]
    root = tmp_path / "run"
    files = [f for d in dirs for f in _finished_run(root / d, stage=False)]

    monkeypatch.setattr(experiments, "run_training", _no_training)
    with pytest.raises(_Stop):
        run_experiment(tiny_config(tmp_path, *overrides, "dev=[]", "test=[]"), log=lambda m: None)
    assert not any(path.exists() for path in files)


def test_progressive_resume_refuses_stages_trained_with_other_settings(tmp_path, hindi):
    config = tiny_config(tmp_path, "strategy=progressive", "dev=[]", "test=[]", "epochs=1", "max_train_sentences=60",
                         f"stages=[{{name: a, train: [{hindi['train']}]}}, {{name: b, train: [{hindi['dev']}]}}]")
    run_experiment(config, log=lambda m: None)
    logs: list[str] = []
    run_experiment(config, resume=True, log=logs.append)
    assert "== stage 1 (a) already finished; continuing from it" in logs
    changed = replace(config, learning_rate=1e-3)
    with pytest.raises(IlnerError, match="stage-1-a holds a model trained with other settings \\(learning_rate\\)"):
        run_experiment(changed, resume=True, log=lambda m: None)


def test_continuing_a_model_checks_its_script_and_positions(tmp_path):
    source = tmp_path / "odia-model"
    source.mkdir()
    (source / "ilner.json").write_text(json.dumps({"script": "devanagari"}))
    (source / "config.json").write_text(json.dumps({"model_type": "xlm-roberta", "max_position_embeddings": 66,
                                                    "pad_token_id": 1}))
    with pytest.raises(IlnerError, match="script 'devanagari', but this run uses script 'native'.*--set script=devanagari"):
        run_training(tiny_config(tmp_path, f"model={source}"), log=lambda m: None)
    with pytest.raises(IlnerError, match="max_length 128 is more than the 64 positions .*--set max_length=64"):
        run_training(tiny_config(tmp_path, f"model={source}", "script=devanagari", "max_length=128"), log=lambda m: None)


def test_string_keys_are_taken_as_typed():
    config = load_config(None, ["output_dir=/tmp/x/run #2", "description=Hindi run #2", "model=yes",
                                "data_dir=no", "only_language=null", "train=[a.txt, b.txt]", "epochs=3",
                                "keep_unknown=yes"])
    assert (config.output_dir, config.description, config.model) == ("/tmp/x/run #2", "Hindi run #2", "yes")
    assert config.data_dir == "no" and config.only_language is None
    assert config.train == ["a.txt", "b.txt"] and config.epochs == 3 and config.keep_unknown is True
    quoted = load_config(None, ['description="Hindi run"', "model= scratch ", "tagset='il-ner'", "data_dir='it's'"])
    assert (quoted.description, quoted.model, quoted.tagset, quoted.data_dir) == ("Hindi run", "scratch", "il-ner", "'it's'")


def test_only_language_with_no_such_sentences_is_a_clear_error(tmp_path, hindi):
    config = tiny_config(tmp_path, f"train=[{hindi['train']}]", "only_language=odia")
    with pytest.raises(IlnerError, match="only_language: no training sentences of 'odia' \\(the training data has hindi\\)"):
        run_training(config, log=lambda m: None)


def test_only_language_is_checked_against_each_strategy_training_data(tmp_path, hindi):
    """Progressive stages and cross-lingual languages bring their own training files; the early
    data check must read only_language against those, not against the top-level train list."""
    from ilner.training.experiments import _check_data

    config = tiny_config(tmp_path, "train=[]", "only_language=hindi")
    _check_data(config, [str(hindi["train"])], [str(hindi["dev"])])  # the stage's Hindi file: fine
    with pytest.raises(IlnerError, match="no training sentences of 'hindi' \\(the training data has no files\\)"):
        _check_data(config, [], [str(hindi["train"])])  # Hindi only among dev and test files


def test_a_starting_model_is_one_model_however_its_path_is_spelled(tmp_path, monkeypatch):
    from ilner.training.trainer import _settings

    (tmp_path / "runs/x").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    assert _settings({}, "runs/x") == _settings({}, str(tmp_path / "runs/x")) == _settings({}, "./runs/x/")
    assert _settings({}, "xlm-roberta-base")["init_from"] == "xlm-roberta-base"  # hub ids as they are


def test_cross_lingual_matrix(tmp_path):
    files = _two_languages(tmp_path)
    config = tiny_config(
        tmp_path, "strategy=cross-lingual", "languages=[Hindi, Telugu]",
        f'train=["{tmp_path}/{{language}}-train.txt"]', f'dev=["{tmp_path}/{{language}}-dev.txt"]',
        f"test=[{files['hindi', 'test']}, {files['telugu', 'test']}]", "epochs=1",
    )
    results = run_experiment(config, log=lambda m: None)
    assert len(results) == 2
    matrix = json.loads((Path(config.output_dir) / "matrix.json").read_text())
    assert set(matrix) == {"Hindi", "Telugu"} and set(matrix["Hindi"]) == {"all", "hindi", "telugu"}
    assert (Path(config.output_dir) / "Telugu" / "ilner.json").exists()
    from transformers import AutoTokenizer

    # The scratch tokenizer of the Hindi run also learnt Telugu text: zero-shot is not all <unk>.
    vocab = AutoTokenizer.from_pretrained(Path(config.output_dir) / "Hindi").get_vocab()
    assert any("\u0c00" <= c <= "\u0c7f" for piece in vocab for c in piece)
    assert "| Hindi |" in (Path(config.output_dir) / "matrix.md").read_text()


def test_progressive_stages_continue_from_previous(tmp_path):
    files = _two_languages(tmp_path)
    config = tiny_config(
        tmp_path, "strategy=progressive",
        f"stages=[{{name: hi, train: [{files['hindi', 'train']}]}}, {{name: te, train: [{files['telugu', 'train']}], dev: [{files['telugu', 'dev']}]}}]",
        f"dev=[{files['hindi', 'dev']}]", f"test=[{files['telugu', 'test']}]", "epochs=1",
    )
    results = run_experiment(config, log=lambda m: None)
    assert [r.output_dir.name for r in results] == ["stage-1-hi", "stage-2-te"]
    assert results[0].head["how"] == "fresh" and results[1].head["how"] == "same"
    second = json.loads((results[1].output_dir / "ilner.json").read_text())
    assert second["config"]["train"] == [files["telugu", "train"]]


@pytest.mark.parametrize("script,letters", [("devanagari", ("\u0900", "\u097f")), ("roman", ("a", "z"))])
def test_script_transform_is_recorded_and_used(tmp_path, script, letters):
    from conftest import MIRROR

    if MIRROR is None:
        pytest.skip("dataset mirror not found")
    if script == "roman":
        pytest.importorskip("indic_transliteration")
    train = slice_file(MIRROR, "il-ner/Odia/Odia-train.txt", tmp_path / "Odia-train.txt", 80)
    config = tiny_config(tmp_path, f"script={script}", f"train=[{train}]", "dev=[]", f"test=[{train}]", "epochs=1")
    result = run_training(config, log=lambda m: None)
    meta = json.loads((result.output_dir / "ilner.json").read_text())
    assert meta["script"] == script
    from transformers import AutoTokenizer

    vocab = AutoTokenizer.from_pretrained(result.output_dir).get_vocab()
    odia = sum(any("\u0b00" <= c <= "\u0b7f" for c in piece) for piece in vocab)
    converted = sum(any(letters[0] <= c <= letters[1] for c in piece) for piece in vocab)
    assert odia == 0 and converted > 100  # the tokenizer learnt from converted text
    assert result.test["all"]["strict"].sentences == 80  # scored on the original (Odia) tokens


def test_gradient_accumulation_halves_optimizer_steps(tmp_path, hindi):
    config = tiny_config(tmp_path, f"train=[{hindi['train']}]", "dev=[]", "test=[]", "epochs=1",
                         "gradient_accumulation_steps=2")
    run_training(config, log=lambda m: None)
    meta = json.loads((Path(config.output_dir) / "ilner.json").read_text())
    state = json.loads((Path(config.output_dir) / "checkpoints/last/trainer_state.json").read_text())
    batches = math.ceil(meta["train_windows"] / 16)
    assert state["step"] == meta["steps_per_epoch"] == math.ceil(batches / 2)


def test_vocab_augmentation_through_config(tmp_path, hindi):
    config = tiny_config(tmp_path, f"train=[{hindi['train']}]", "dev=[]", "test=[]", "epochs=1", "vocab_augmentation=20")
    run_training(config, log=lambda m: None)
    assert json.loads((Path(config.output_dir) / "ilner.json").read_text())["added_tokens"] == 20


def _weights(directory: Path) -> dict:
    return load_file(str(directory / "model.safetensors"))


def test_resume_after_kill_equals_uninterrupted_run(tmp_path, hindi):
    overrides = [f"train=[{hindi['train']}]", f"dev=[{hindi['dev']}]", "test=[]", "epochs=3",
                 "save_every_steps=4", "scratch.dropout=0.1"]
    uninterrupted = tiny_config(tmp_path, *overrides, f"output_dir={tmp_path / 'a'}")
    run_training(uninterrupted, log=lambda m: None)

    from training_helpers import TINY

    killed_dir = tmp_path / "b"
    args = [sys.executable, "-m", "ilner", "train"]
    for item in [*TINY, *overrides, f"output_dir={killed_dir}"]:
        args += ["--set", item]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    state_file = killed_dir / "checkpoints/last/trainer_state.json"
    deadline = time.time() + 120
    while time.time() < deadline and process.poll() is None:
        if state_file.exists() and json.loads(state_file.read_text())["step"] >= 8:
            break
        time.sleep(0.02)
    assert process.poll() is None, "training ended before it could be killed: " + process.stderr.read().decode()[-2000:]
    process.send_signal(signal.SIGKILL)
    process.wait()
    killed_at = json.loads(state_file.read_text())
    assert killed_at["epoch"] < 3 and not (killed_dir / "ilner.json").exists()

    done = subprocess.run(args + ["--resume"], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "resuming from" in done.stderr
    a, b = _weights(tmp_path / "a"), _weights(killed_dir)
    assert a.keys() == b.keys()
    for name in a:
        assert torch.equal(a[name], b[name]), name
    history = [json.loads(line) for line in (killed_dir / "metrics.jsonl").read_text().splitlines()]
    expected = [json.loads(line) for line in (tmp_path / "a/metrics.jsonl").read_text().splitlines()]
    assert history[-1]["strict_f1"] == expected[-1]["strict_f1"]
    # Each epoch's mean loss counts the batches trained before the kill too.
    assert [r["loss"] for r in history] == pytest.approx([r["loss"] for r in expected], rel=1e-6)


def test_two_process_cpu_run_with_accelerate(tmp_path, hindi):
    config_file = tmp_path / "tiny.yaml"
    from training_helpers import TINY

    lines = [f"{k}: {v}" for k, v in (item.split("=", 1) for item in TINY if "." not in item.split("=")[0])]
    config_file.write_text("\n".join(lines) + "\nscratch: {vocab_size: 1500, hidden_size: 48, num_layers: 1, "
                           "num_heads: 2, intermediate_size: 96}\n", encoding="utf-8")
    env = {**os.environ, "ACCELERATE_USE_CPU": "true", "PYTHONUNBUFFERED": "1"}
    command = [
        sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2",
        "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no", "--main_process_port", "29561",
        "-m", "ilner", "train", "--config", str(config_file), "--set", f"train=[{hindi['train']}]",
        "--set", f"dev=[{hindi['dev']}]", "--set", f"test=[{hindi['test']}]", "-o", str(tmp_path / "ddp"),
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    meta = json.loads((tmp_path / "ddp/ilner.json").read_text())
    assert meta["scores"]["test"]["all"]["strict"]["sentences"] == 150
    # Each process trained on half of the batches: steps per epoch are halved.
    state = json.loads((tmp_path / "ddp/checkpoints/last/trainer_state.json").read_text())
    batches = math.ceil(meta["train_windows"] / 16)
    assert meta["steps_per_epoch"] == math.ceil(batches / 2)
    assert state["step"] == 2 * meta["steps_per_epoch"]


def test_shipped_configs_are_valid():
    from ilner.data.registry import is_address, match

    from ilner.training.config import preset_path, presets

    configs = sorted((REPO / "configs").rglob("*.yaml")) + [preset_path(name) for name in presets()]
    assert len(configs) >= 11 and "cpu" in presets()
    for path in configs:
        config = load_config(path)
        assert config.description, path
        specs = config.train + config.dev + config.test + [s for st in config.stages for s in st.train + st.dev]
        for language in config.languages or ["hindi"]:
            for spec in specs:
                spec = spec.replace("{language}", language)
                assert is_address(spec) and match(spec), (path, spec)


@pytest.mark.parametrize("overrides,message", [
    (["epoch=3"], "unknown config key 'epoch'; did you mean epochs"),
    (["epochs=three"], "'epochs' must be int"),
    (["scratch.hiden_size=3"], "unknown config key 'scratch.hiden_size'"),
    (["script=latin"], "'script' must be one of native, devanagari, roman"),
    (["scratch.architecture=lstm"], "'scratch.architecture' must be one of transformer, bilstm-crf"),
    (["scratch.architecture=bilstm-crf", "model=scratch", "vocab_augmentation=100"], "does not apply"),
    (["scratch.architecture=bilstm-crf", "scratch.linear_member=true"], "needs scratch.architecture bilstm-crf with"),
    (["scratch.gazetteers=[cldr]"], "scratch.gazetteers.*needs scratch.architecture bilstm-crf"),
    (["scratch.architecture=bilstm-crf", "scratch.word_level=true", "scratch.gazetteers=[no/such.tsv]"], "neither .cldr. nor a file"),
    (["scratch.architecture=bilstm-crf", "scratch.ensemble_size=0"], "0 only with scratch.linear_member"),
    (["scratch.wide_buckets=1"], "'scratch.wide_buckets' must be at least 2"),
    (["strategy=progressive"], "needs 'stages'"),
    (["ner_init={train: [x.conll], tagset: hiner-original}"], "give ner_init.mapping"),
    (["ner_init={train: [x.conll]}", "ner_init.epochs=0"], "'ner_init.epochs' must be positive"),
    (["tune_o_penalty=true", "dev=[]"], "tune_o_penalty chooses the O penalty on dev data"),
    (["ner_init={train: [x.conll], tagset: hiner-original, mapping: hiner-collapsed_to_il-ner}"],
     "maps hiner-collapsed to il-ner, not hiner-original to il-ner"),
    (["language_stages.epochs=-1"], "'language_stages.epochs' must not be negative"),
    (["language_stages.learning_rate=0"], "'language_stages.learning_rate' must be positive"),
    (["language_stages.languages=[odia, odia]"], "'language_stages.languages' names a language twice"),
    (["language_stages.epochs=2", "strategy=cross-lingual", "languages=[hindi]"], "language_stages follow a single run"),
    (["stages=[{train: [x.conll]}]"], "'stages' are trained by strategy 'progressive' only, not 'single'"),
    (["languages=[hindi]", "strategy=progressive", "stages=[{train: [x.conll]}]"],
     "'languages' are used by strategy 'cross-lingual' only, not 'progressive'"),
    (["strategy=progressive", "stages=[{train: [x.conll], epochs: -1}]"], "stage 1 \\(unnamed\\): 'epochs' must be positive"),
    (["strategy=progressive", "stages=[{train: [x.conll], learning_rate: 0}]"], "'learning_rate' must be positive"),
    (["max_length=6"], "'max_length' must be at least 10"),
    (["sampling_unit=genre"], "'sampling_unit' must be one of language, corpus"),
    (["entity_free_share=0"], "'entity_free_share' must be above 0 and at most 1"),
    (["entity_free_share=1.5"], "'entity_free_share' must be above 0 and at most 1"),
    (["data_mappings=[a.txt]"], "'data_mappings' must be a mapping"),
    (["scratch.num_heads=3"], "'scratch.num_heads' \\(3\\) must divide scratch.hidden_size \\(256\\)"),
    (["scratch.vocab_size=0"], "'scratch.vocab_size' must be at least"),
    (["scratch.dropout=1.0"], "'scratch.dropout' must be at least 0 and below 1"),
    (["epochs"], "--set expects key=value"),
    (["train=[a/{language}.txt]"], "not valid YAML"),
])
def test_config_errors(overrides, message):
    with pytest.raises(IlnerError, match=message):
        load_config(None, overrides)


def test_train_cli_prints_per_language_per_type_table(cli, tmp_path):
    files = _two_languages(tmp_path)
    from training_helpers import TINY

    args = ["train"]
    for item in [*TINY, "epochs=1", f"train=[{files['hindi', 'train']}]", "dev=[]",
                 f"test=[{files['hindi', 'test']}, {files['telugu', 'test']}]", f"output_dir={tmp_path / 'cli'}"]:
        args += ["--set", item]
    code, out, err = cli(*args)
    assert code == 0, err
    assert "Test results" in out and "hindi" in out and "telugu" in out and "NEP" in out and "strict F1" in out


def test_output_dir_must_not_be_the_starting_model(tmp_path):
    (tmp_path / "m").mkdir()
    config = tiny_config(tmp_path, f"model={tmp_path / 'm'}", f"output_dir={tmp_path / 'm'}")
    with pytest.raises(IlnerError, match="is the model training starts from"):
        run_training(config, log=lambda m: None)


def test_model_card_of_a_continued_bilstm_crf_still_says_what_it_is():
    from ilner.training.modelcard import model_card

    meta = {
        "config": {"model": "runs/cpu/ner-init", "train": ["il-ner:*:train"], "epochs": 12, "learning_rate": 0.002,
                   "scratch": {"architecture": "transformer"}},
        "architecture": {"model_type": "ilner-bilstm-crf", "taggers": 2, "feature_crf": True},
        "languages": ["hindi"], "ilner_version": "0", "tagset": "il-ner", "labels": ["O"], "script": "native",
        "best_epoch": 3, "train_seconds": 1.0, "scores": {}, "init_from": None, "o_penalty": 0.25,
    }
    card = model_card(meta)
    assert "`runs/cpu/ner-init` (bilstm-crf, 2 taggers and a feature CRF averaged, no pretrained weights)" in card
    assert "register()" in card  # loading it through transformers needs ilner's architecture
    assert "Decoding takes 0.25 off every word's O score to find more entities (ilner applies it" in card
    assert 'echo "प्रधानमंत्री नरेंद्र मोदी' in card
    untrained = model_card({**meta, "best_epoch": None, "config": {**meta["config"], "epochs": 0}})
    assert "no epoch trained" in untrained and "no dev data" not in untrained
    urdu = model_card({**meta, "languages": ["urdu"]})
    assert 'echo "وزیر اعظم نریندر مودی' in urdu and "प्रधानमंत्री" not in urdu  # an Urdu model's example is Urdu
