"""`ilner pretrain`: masking, MLM pre-training of both scratch architectures, fine-tuning from it."""

from pathlib import Path

import numpy as np
import pytest
import torch
from test_bilstm_crf import BILSTM
from training_helpers import slice_file, tiny_config

from ilner.data import load_tagset
from ilner.models.loading import load_token_classifier
from ilner.training import run_training
from ilner.training.pretrain import mask_pieces, read_texts, run_pretraining


def test_masking_follows_bert_and_spares_special_pieces_and_padding():
    rng = np.random.default_rng(0)
    ids = rng.integers(5, 1000, size=(200, 50))
    ids[:, 0], ids[:, -1] = 0, 2  # <s> ... </s>
    attention = np.ones_like(ids)
    attention[:, 40:] = 0
    masked, labels = mask_pieces(ids, attention, {0, 1, 2, 3, 4}, 4, 1000, rng)
    chosen = labels != -100
    assert not chosen[:, 0].any() and not chosen[:, 40:].any()
    assert np.array_equal(labels[chosen], ids[chosen])
    assert 0.13 < chosen[:, 1:40].mean() < 0.17
    assert 0.75 < (masked[chosen] == 4).mean() < 0.85
    assert np.array_equal(masked[~chosen], ids[~chosen])


def test_read_texts_takes_raw_text_and_corpora(tmp_path, mirror):
    raw = tmp_path / "news.txt"
    raw.write_text("मोदी दिल्ली गए। वहाँ भाषण दिया।\nदूसरी पंक्ति\n", encoding="utf-8")
    conll = slice_file(mirror, "il-ner/Urdu/Urdu-dev.txt", tmp_path / "Urdu-dev.txt", 5)
    sentences = read_texts([conll], [str(raw)])
    assert sentences[5:] == [["मोदी", "दिल्ली", "गए", "।"], ["वहाँ", "भाषण", "दिया", "।"], ["दूसरी", "पंक्ति"]]
    assert len(sentences) == 8


@pytest.mark.parametrize("architecture", ["bilstm-crf", "transformer"])
def test_pretraining_learns_and_ner_training_starts_from_it(tmp_path, mirror, architecture):
    from transformers import AutoModelForMaskedLM

    train = slice_file(mirror, "il-ner/Hindi/Hindi-train.txt", tmp_path / "Hindi-train.txt", 300)
    extra = BILSTM if architecture == "bilstm-crf" else []
    config = tiny_config(tmp_path, *extra, f"scratch.architecture={architecture}", "scratch.ensemble_size=1",
                         "epochs=3", f"output_dir={tmp_path / 'pre'}")
    lines: list[str] = []
    result = run_pretraining(config, [train], log=lines.append)
    losses = [float(line.split()[-1]) for line in lines if "masked-piece loss" in line]
    assert losses == sorted(losses, reverse=True) and losses[-1] < losses[0] - 0.3, losses  # it learns
    assert result.sentences == 300 and result.steps >= 3 * 19  # 300 sentences (some in 2 windows), batches of 16
    pretrained = AutoModelForMaskedLM.from_pretrained(result.output_dir)
    # NER fine-tuning starts from the pre-trained encoder, with a fresh head.
    ner = tiny_config(tmp_path, *extra, f"model={result.output_dir}", f"train=[{train}]", "dev=[]", "test=[]",
                      "epochs=1", f"output_dir={tmp_path / 'ner'}")
    run = run_training(ner, log=lambda m: None)
    assert run.head["how"] == "fresh"
    start, _, _ = load_token_classifier(str(Path(ner.output_dir) / "checkpoints" / "init"), load_tagset("il-ner").labels)
    name = "members.0.embeddings.weight" if architecture == "bilstm-crf" else "roberta.embeddings.word_embeddings.weight"
    torch.testing.assert_close(start.state_dict()[name], pretrained.state_dict()[name])


def test_a_feature_crf_alone_has_nothing_to_pretrain(tmp_path):
    from ilner.errors import IlnerError
    from ilner.training import load_config
    from ilner.training.config import preset_path

    config = load_config(preset_path("crf"), [f"output_dir={tmp_path / 'p'}"])
    with pytest.raises(IlnerError, match="feature CRF alone .* no encoder to pre-train"):
        run_pretraining(config, ["il-ner:hindi:dev"], log=lambda m: None)


def test_too_small_a_vocabulary_is_a_clear_error():
    from ilner.errors import IlnerError
    from ilner.models.scratch import train_tokenizer

    with pytest.raises(IlnerError, match="scratch.vocab_size 6 cannot hold every character"):
        train_tokenizer(["अबकदफ गहजक"], 6)


def test_pretrain_cli_needs_a_scratch_model(cli, tmp_path):
    code, _, err = cli("pretrain", "--corpus", "il-ner:hindi:dev", "-o", str(tmp_path / "p"), "--set", "model=xlm-roberta-base")
    assert code == 2 and "model: scratch" in err


def test_train_cli_model_option_reaches_the_config(cli, tmp_path):
    code, _, err = cli("train", "--preset", "cpu", "--model", str(tmp_path / "missing"), "--set",
                       "train=[il-ner:telugu:dev]", "--set", "dev=[]", "--set", "test=[]", "--set", "tune_o_penalty=false",
                       "-o", str(tmp_path / "out"))
    assert code == 2 and f"no model directory {tmp_path / 'missing'}" in err
