"""The BiLSTM-CRF family: its CRF against brute force, padding, tokenizer, and the whole path
(ilner train -> model directory -> Tagger / ilner predict / ONNX export)."""

import itertools
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from training_helpers import slice_file, tiny_config

from ilner.data import load_corpora, load_tagset
from ilner.evaluation import evaluate_sentences
from ilner.inference.decoding import label_constraints, viterbi
from ilner.inference.tagger import Tagger
from ilner.models.bilstm_crf import (
    BiLstmCrfConfig, BiLstmCrfForTokenClassification, LinearChainCrf, assemble_words, piece_tables, starts_word_table,
    word_tokenizer,
)
from ilner.training import run_training

BILSTM = [
    "scratch.architecture=bilstm-crf", "scratch.vocab_size=300", "scratch.hidden_size=32",
    "scratch.embedding_size=24", "scratch.char_filters=16", "scratch.feature_size=16",
    "scratch.feature_buckets=4096", "scratch.dropout=0.2", "scratch.ensemble_size=2", "learning_rate=5e-3", "warmup_ratio=0.0",
    "weight_decay=0.0", "max_grad_norm=5.0", "scratch.word_level=true", "scratch.linear_member=true",
    "scratch.wide_buckets=8192",
]


def _crf(num_labels=3, seed=0):
    torch.manual_seed(seed)
    crf = LinearChainCrf(num_labels).requires_grad_(False)
    for parameter in crf.parameters():
        parameter.normal_()
    return crf


def test_crf_likelihood_is_normalised_by_brute_force():
    crf = _crf()
    emissions = torch.randn(2, 4, 3)
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 0, 0]], dtype=torch.float)
    for row, length in enumerate((4, 2)):
        total = []
        for path in itertools.product(range(3), repeat=length):
            tags = torch.tensor([list(path) + [0] * (4 - length)])
            total.append(torch.exp(-crf.neg_log_likelihood(emissions[row:row + 1], tags, mask[row:row + 1])))
        # Probabilities of all label sequences of the real length add up to one.
        assert float(sum(total)) == pytest.approx(1.0, abs=1e-5)


def test_partial_likelihood_sums_the_allowed_sequences_by_brute_force():
    crf = _crf(num_labels=4, seed=2)
    emissions = torch.randn(2, 4, 4)
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 1, 0]], dtype=torch.float)
    allowed = torch.rand(2, 4, 4) < 0.6
    allowed[..., 0] = True  # every word may at least be label 0
    loss = crf.partial_neg_log_likelihood(emissions, allowed, mask)
    for row, length in enumerate((4, 3)):
        permitted = 0.0
        for path in itertools.product(range(4), repeat=length):
            if all(allowed[row, t, k] for t, k in enumerate(path)):
                tags = torch.tensor([list(path) + [0] * (4 - length)])
                permitted += float(torch.exp(-crf.neg_log_likelihood(emissions[row:row + 1], tags, mask[row:row + 1])))
        assert float(loss[row]) == pytest.approx(-np.log(permitted), abs=1e-4)
    # One label allowed a word: the ordinary likelihood of that sequence; every label: nothing to learn.
    tags = torch.randint(0, 4, (2, 4))
    one_hot = torch.nn.functional.one_hot(tags, 4).bool()
    assert torch.allclose(crf.partial_neg_log_likelihood(emissions, one_hot, mask),
                          crf.neg_log_likelihood(emissions, tags, mask), atol=1e-4)
    everything = torch.ones(2, 4, 4, dtype=torch.bool)
    assert torch.allclose(crf.partial_neg_log_likelihood(emissions, everything, mask), torch.zeros(2), atol=1e-4)


def test_the_model_loss_with_one_allowed_label_a_word_is_its_loss_with_labels():
    model = _tiny_model(["O", "B-NEP", "I-NEP", "B-NEN", "I-NEN"], word_level=True, linear_member=True)
    input_ids = torch.randint(5, 40, (3, 7))
    attention_mask = torch.ones(3, 7, dtype=torch.long)
    attention_mask[2, 5:] = 0
    labels = torch.randint(0, 5, (3, 7))
    labels[:, 2] = -100  # a later piece of a word
    labels[2, 5:] = -100
    allowed = torch.nn.functional.one_hot(labels.clamp(min=0), 5).bool()
    with torch.no_grad():
        plain = model(input_ids, attention_mask, labels=labels).loss
        partial = model(input_ids, attention_mask, labels=labels, allowed_labels=allowed).loss
        allowed[:, :, 0] = True  # O allowed everywhere as well: more sequences count, the loss is lower
        looser = model(input_ids, attention_mask, labels=labels, allowed_labels=allowed).loss
    assert float(partial) == pytest.approx(float(plain), abs=1e-3)
    assert float(looser) < float(plain)


def test_crf_likelihood_prefers_the_sequence_with_the_highest_score():
    crf = _crf(seed=1)
    emissions = torch.randn(1, 3, 3)
    mask = torch.ones(1, 3)

    def score(path):
        s = crf.start[path[0]] + crf.end[path[-1]] + sum(emissions[0, t, k] for t, k in enumerate(path))
        return float(s + sum(crf.transitions[a, b] for a, b in zip(path, path[1:])))

    paths = list(itertools.product(range(3), repeat=3))
    best = max(paths, key=score)
    losses = {p: float(crf.neg_log_likelihood(emissions, torch.tensor([p]), mask)) for p in paths}
    assert min(losses, key=losses.get) == best


def test_viterbi_with_transitions_is_the_best_valid_path_by_brute_force():
    labels = ["O", "B-NEP", "I-NEP", "B-NEL", "I-NEL"]
    rng = np.random.default_rng(0)
    allowed, start_ok, _ = label_constraints(tuple(labels))
    for _ in range(20):
        scores = rng.normal(size=(4, 5))
        transitions = (rng.normal(size=5), rng.normal(size=(5, 5)), rng.normal(size=5))

        def total(path):
            s = transitions[0][path[0]] + transitions[2][path[-1]] + sum(scores[t, k] for t, k in enumerate(path))
            return s + sum(transitions[1][a, b] for a, b in zip(path, path[1:]))

        valid = [p for p in itertools.product(range(5), repeat=4)
                 if start_ok[p[0]] and all(allowed[a, b] for a, b in zip(p, p[1:]))]
        assert viterbi(scores, labels, transitions) == list(max(valid, key=total))


def _tiny_model(labels, vocab_size=40, word_level=False, linear_member=False):
    config = BiLstmCrfConfig(vocab_size=vocab_size, embedding_size=8, char_vocab_size=10, char_embedding_size=4,
                             char_filters=6, max_piece_chars=5, feature_buckets=64, feature_size=4, hidden_size=5,
                             num_layers=2, dropout=0.0, word_dropout=0.0, unk_token_id=3, word_level=word_level,
                             max_word_chars=7, linear_member=linear_member, wide_buckets=50, id2label=dict(enumerate(labels)),
                             label2id={l: i for i, l in enumerate(labels)})
    torch.manual_seed(0)
    model = BiLstmCrfForTokenClassification(config).eval()  # one BiLSTM (and the linear member)
    model.piece_chars.random_(1, 10)
    model.piece_features.random_(0, 64)
    if word_level:
        model.piece_starts_word.random_(0, 2)
    if linear_member:
        with torch.no_grad():
            model.members[1].wide.weight.normal_()
    return model


@pytest.mark.parametrize(("word_level", "linear_member"), [(False, False), (True, False), (True, True)])
def test_padding_does_not_change_a_sentence_scores(word_level, linear_member):
    """The backward LSTM must read each row from its own last piece (or word), not from the padding,
    and the linear member's window of words ends where the row ends."""
    model = _tiny_model(["O", "B-NEP", "I-NEP"], word_level=word_level, linear_member=linear_member)
    short = torch.tensor([[5, 6, 7]])
    padded = torch.tensor([[5, 6, 7, 1, 1, 1], [8, 9, 10, 11, 12, 13]])
    mask = torch.tensor([[1, 1, 1, 0, 0, 0], [1, 1, 1, 1, 1, 1]])
    with torch.no_grad():
        alone = model(short, torch.ones_like(short)).logits[0]
        longer = model(padded[1:], mask[1:]).logits[0]
        batched = model(padded, mask).logits
    torch.testing.assert_close(alone, batched[0, :3])
    torch.testing.assert_close(longer, batched[1])  # and no row reads another


def test_linear_member_reads_the_word_and_its_neighbours_within_two():
    """Like a feature CRF's window: a word's scores change with the word two places away, not with
    the one three places away."""
    model = _tiny_model(["O", "B-NEP", "I-NEP"], word_level=True, linear_member=True)
    model.piece_starts_word.fill_(1)  # every piece is a word
    linear = model.members[1]

    def wide_scores(ids):
        ids = torch.tensor([ids])
        _, (word_ids, pieces) = model.member_inputs(ids, torch.ones_like(ids))
        return linear(word_ids, pieces)[0]

    base = wide_scores([5, 6, 7, 8, 9, 10])
    assert torch.equal(wide_scores([5, 6, 7, 8, 20, 10])[1], base[1])  # three places after word 1
    assert not torch.equal(wide_scores([5, 6, 7, 20, 9, 10])[1], base[1])  # two places after
    assert not torch.equal(wide_scores([20, 6, 7, 8, 9, 10])[2], base[2])  # two places before word 2
    assert torch.equal(wide_scores([20, 6, 7, 8, 9, 10])[3], base[3])


@pytest.mark.parametrize("row_hash", [None, 0])  # 0: every row has the same key, so a collision
def test_training_character_cnn_matches_the_full_width_one(row_hash, monkeypatch):
    """In training the character CNN runs once per distinct spelling over a trimmed width; its
    vectors and gradients must be those of every word read at full width."""
    if row_hash is not None:
        monkeypatch.setattr("ilner.models.bilstm_crf._ROW_HASH", row_hash)
    model = _tiny_model(["O", "B-NEP", "I-NEP"], word_level=True)
    tagger = model.members[0]
    with torch.no_grad():  # filters 0-2: every window holding a character scores below padding alone
        tagger.char_embeddings.weight.abs_()
        tagger.char_cnn.weight.abs_()[:3].neg_()
        tagger.char_cnn.bias.fill_(1.0)
    words = torch.tensor([[1, 2, 3, 0, 0, 0, 0], [4, 5, 6, 7, 8, 0, 0], [1, 2, 3, 0, 0, 0, 0], [0] * 7]).view(2, 2, 7)
    full = tagger._convolve(words.view(4, 7)).view(2, 2, -1)
    fast = tagger.train()._spell(words)
    torch.testing.assert_close(fast, full)
    (full_grad,) = torch.autograd.grad((full * torch.arange(6.0)).sum(), tagger.char_cnn.weight)
    (fast_grad,) = torch.autograd.grad((fast * torch.arange(6.0)).sum(), tagger.char_cnn.weight)
    torch.testing.assert_close(fast_grad, full_grad)


@pytest.mark.parametrize("linear_member", [False, True])
def test_eager_scores_are_those_of_the_static_shapes_export_traces(linear_member, monkeypatch):
    """Scoring eagerly trims the word axis and reads each distinct spelling once; traced (ONNX
    export), every slot is read at full width. Both must give the same scores."""
    model = _tiny_model(["O", "B-NEP", "I-NEP"], word_level=True, linear_member=linear_member).eval()
    ids = torch.tensor([[5, 6, 7, 5, 1, 1, 1, 1], [8, 9, 10, 11, 12, 13, 9, 8]])
    mask = (ids != 1).long()
    with torch.no_grad():
        eager = model(ids, mask).logits
        monkeypatch.setattr("ilner.models.bilstm_crf._traced", lambda: True)
        static = model(ids, mask).logits
    real = mask.bool()  # padding pieces are read by no one
    torch.testing.assert_close(eager[real], static[real])


def test_loss_uses_only_labelled_positions():
    model = _tiny_model(["O", "B-NEP", "I-NEP"])
    ids = torch.tensor([[5, 6, 7, 8]])
    with torch.no_grad():
        logits = model(ids).logits
        # Words start at pieces 0 and 2 (pieces 1 and 3 continue them).
        loss = model(ids, labels=torch.tensor([[1, -100, 2, -100]])).loss
        expected = model.members[0].crf.neg_log_likelihood(logits[:, [0, 2]], torch.tensor([[1, 2]]), torch.ones(1, 2))
    assert float(loss) == pytest.approx(float(expected[0]), rel=1e-5)


def test_tokenizer_keeps_frequent_words_whole_and_splits_the_rest():
    texts = ["दिल्ली में बारिश", "दिल्ली में धूप", "मुंबई में बारिश"] * 3 + ["अहमदाबाद"]
    tokenizer = word_tokenizer(texts, min_count=2, subword_size=60)
    pieces = tokenizer.tokenize("दिल्ली में अहमदाबाद")
    assert pieces[:2] == ["▁दिल्ली", "▁में"]
    assert len(pieces) > 3  # the word seen once is split into sub-word pieces
    assert "".join(pieces[2:]).replace("▁", "") == "अहमदाबाद"


def test_piece_tables_hold_each_piece_characters_and_features():
    chars, features, size = piece_tables(["<s>", "<pad>", "</s>", "<unk>", "<mask>", "▁राम", "ाम"], 3, 1000)
    assert chars[:5].sum() == 0  # special tokens have no characters
    assert chars[5].tolist() == [1, 2, 3] and chars[6].tolist() == [2, 3, 0]  # र ा म: ids by first appearance
    assert size == 4
    assert (features[5] > 0).sum() == 12 and not torch.equal(features[5], features[6])


def test_words_are_assembled_from_their_pieces():
    """The word-level reader sees each word whole: its characters (first and last halves of a
    long word), and affix features that depend on the word alone, not on its neighbours."""
    texts = ["दिल्ली में बारिश", "दिल्ली में धूप", "मुंबई में बारिश"] * 3 + ["अहमदाबाद इलाहाबाद"]
    tokenizer = word_tokenizer(texts, min_count=2, subword_size=60)
    vocabulary = tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))
    chars, _, _ = piece_tables(vocabulary, 24, 1000)
    spelling = {int(i): c for piece, row in zip(vocabulary, chars) for c, i in zip(piece.removeprefix("▁"), row) if i}
    starts = starts_word_table(vocabulary)
    sentences = ["अहमदाबाद में बारिश", "मुंबई इलाहाबाद"]
    batch = tokenizer(sentences, padding=True, return_tensors="pt")
    assert len(tokenizer.tokenize("अहमदाबाद")) > 1  # seen once: sub-word pieces
    words = assemble_words(batch.input_ids, batch.attention_mask, chars, starts, max_chars=6, buckets=1000, trim=False)
    for row, sentence in enumerate(sentences):
        expected = ["", *sentence.split(), ""]  # <s> and </s> are words without characters
        assert int(words.lengths[row]) == len(expected)
        spelled = ["".join(spelling.get(int(i), "") for i in words.chars[row, w]) for w in range(len(expected))]
        assert spelled == [w if len(w) <= 6 else w[:3] + w[-3:] for w in expected]
        pieces = int(batch.attention_mask[row].sum())
        word_of_piece = [-1 if w is None else w for w in batch.word_ids(row)][:pieces]
        assert words.index[row, 1:pieces - 1].tolist() == [w + 1 for w in word_of_piece[1:pieces - 1]]
    ahmedabad, allahabad = words.affixes[0, 1], words.affixes[1, 2]  # both end in "ाबाद", 8 characters
    assert torch.equal(ahmedabad[4:], allahabad[4:]) and not torch.equal(ahmedabad[:4], allahabad[:4])
    alone = tokenizer(["इलाहाबाद"], return_tensors="pt")
    again = assemble_words(alone.input_ids, alone.attention_mask, chars, starts, 6, 1000, trim=False)
    assert torch.equal(again.affixes[0, 1], allahabad)


def test_feature_weights_get_the_same_gradient_every_time():
    """Same seed, same weights: the feature CRF's gradient must not depend on thread timing, though
    the bias feature and frequent words hit the same rows many times in a batch."""
    from ilner.models.bilstm_crf import WideFeatures, Words

    torch.manual_seed(0)
    wide = WideFeatures(1 << 12, 13)
    ids = torch.randint(0, 60, (32, 40))
    affixes = ids.unsqueeze(2).repeat(1, 1, 9) % 7
    words = Words(index=ids, membership=None, first=None, chars=None, affixes=affixes, identity=ids,
                  lengths=torch.full((32,), 40))
    first = torch.randint(0, 5, (32, 40, 4))
    upstream = torch.randn(32, 40, 13)
    gradients = []
    for _ in range(20):
        wide.weight.grad = None
        (wide(words, first) * upstream).sum().backward()
        gradients.append(wide.weight.grad.clone())
    assert all(torch.equal(gradients[0], g) for g in gradients[1:])


def test_a_word_of_invisible_characters_is_still_a_word():
    """Normalisation drops a zero-width space or direction mark inside a word, but a word made of
    nothing else must still start a word of its own, or it would take its neighbour's tag."""
    from ilner.models.encoding import WordEncoder

    tokenizer = word_tokenizer(["दिल्ली में बारिश"] * 3, min_count=2, subword_size=60)
    starts = starts_word_table(tokenizer.convert_ids_to_tokens(list(range(len(tokenizer)))))
    sentence = ["दिल्ली", "\u200b", "\u200f", "में"]
    pieces = WordEncoder(tokenizer, max_length=64).pieces([sentence])[0]
    assert [int(starts[word[0]]) for word in pieces] == [1, 1, 1, 1]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from conftest import MIRROR

    if MIRROR is None:
        pytest.skip("dataset mirror not found")
    root = tmp_path_factory.mktemp("bilstm")
    train = slice_file(MIRROR, "il-ner/Hindi/Hindi-train.txt", root / "Hindi-train.txt", 600)
    dev = slice_file(MIRROR, "il-ner/Hindi/Hindi-dev.txt", root / "Hindi-dev.txt", 200)
    gazetteer = root / "places.tsv"
    gazetteer.write_text("भारत\tNEL\nनई दिल्ली\tNEL\nजनवरी\tNETI\n", encoding="utf-8")
    config = tiny_config(root, *BILSTM, f"train=[{train}]", f"dev=[{dev}]", f"scratch.gazetteers=[{gazetteer}]",
                         f"test=[{MIRROR / 'il-ner/Hindi/Hindi-test.txt'}]",
                         "epochs=4")
    result = run_training(config, log=lambda m: None)
    return Path(config.output_dir), result


def test_trained_model_learns_and_its_directory_reloads(trained):
    model_dir, result = trained
    meta = json.loads((model_dir / "ilner.json").read_text(encoding="utf-8"))
    assert json.loads((model_dir / "config.json").read_text())["model_type"] == "ilner-bilstm-crf"
    test_f1 = result.test["all"]["strict"].micro.f1
    assert test_f1 > 0.25, test_f1  # 600 sentences, 4 epochs: well above chance
    assert meta["scores"]["test"]["all"]["strict"]["micro"]["f1"] == pytest.approx(test_f1)
    card = (model_dir / "README.md").read_text(encoding="utf-8")
    assert "bilstm-crf, 2 taggers and a feature CRF averaged, a gazetteer of 3 names (NEL, NETI)" in card
    assert f"| all | {100 * test_f1:.2f} |" in card
    # The CRF's learned transitions reached the decoder: I-NEP after O is forbidden by IOB2 and
    # O -> B-X is learned, so the transition matrix is no longer all zero.
    weights = Tagger.load(model_dir).runner.transitions
    assert np.abs(weights[1]).max() > 0.01
    gold = [s for _, c in load_corpora(["il-ner:hindi:test"]) for s in c]
    tagged = Tagger.load(model_dir).tag_tokens([s.tokens for s in gold])
    predicted = [replace(s, tags=tuple(t.tags)) for s, t in zip(gold, tagged)]
    assert evaluate_sentences(gold, predicted).micro.f1 == pytest.approx(test_f1)


def test_predict_cli_tags_raw_text(trained, cli, tmp_path):
    model_dir, _ = trained
    path = tmp_path / "in.txt"
    text = "प्रधानमंत्री नरेंद्र मोदी ने 15 अगस्त 2024 को दिल्ली में भाषण दिया।"
    path.write_text(text + "\n", encoding="utf-8")
    code, out, err = cli("predict", model_dir, path, "--format", "jsonl")
    assert code == 0, err
    [record] = [json.loads(line) for line in out.splitlines()]
    assert record["entities"], record
    for entity in record["entities"]:
        assert text[entity["start"]:entity["end"]] == entity["text"]


def test_predict_in_a_new_process_knows_the_architecture(trained, tmp_path):
    """A fresh process has not registered ilner's model types with transformers: loading must."""
    import subprocess
    import sys

    model_dir, _ = trained
    done = subprocess.run([sys.executable, "-m", "ilner", "predict", str(model_dir), "-"], input="भारत की राजधानी दिल्ली है\n",
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "entities" in done.stdout + done.stderr


def test_onnx_export_gives_the_same_tags(trained, tmp_path):
    pytest.importorskip("onnxruntime")
    import shutil

    from ilner.errors import IlnerError
    from ilner.inference.onnx import CRF_FILE, export_onnx

    model_dir, _ = trained
    files = export_onnx(model_dir, int8=True)  # ORT's shape inference cannot follow the LSTM graph
    assert {f.name for f in files} >= {"model.onnx", "model_int8.onnx"}
    gold = [s for _, c in load_corpora(["il-ner:hindi:test"]) for s in c][:300]
    words = [s.tokens for s in gold]
    torch_tags = [t.tags for t in Tagger.load(model_dir).tag_tokens(words)]
    onnx_tags = [t.tags for t in Tagger.load(model_dir, backend="onnx").tag_tokens(words)]
    assert onnx_tags == torch_tags
    assert any(tag != "O" for tags in torch_tags for tag in tags)

    def f1(tags):
        return evaluate_sentences(gold, [replace(s, tags=tuple(t)) for s, t in zip(gold, tags)]).micro.f1

    int8_tags = [t.tags for t in Tagger.load(model_dir, backend="onnx-int8").tag_tokens(words)]
    assert abs(f1(int8_tags) - f1(torch_tags)) < 0.01, (f1(int8_tags), f1(torch_tags))

    # A deployment without model.safetensors decodes with the transitions written next to the graph.
    deployed = tmp_path / "deployed"
    shutil.copytree(model_dir, deployed, ignore=shutil.ignore_patterns("model.safetensors", "checkpoints"))
    assert [t.tags for t in Tagger.load(deployed, backend="onnx").tag_tokens(words)] == torch_tags
    (deployed / CRF_FILE).unlink()
    with pytest.raises(IlnerError, match="CRF model, but its transition scores"):
        Tagger.load(deployed, backend="onnx")


def test_continuing_with_other_labels_resets_the_crf(trained, tmp_path):
    """Same label count, other labels: neither the head nor the transitions may be reused."""
    from ilner.models.loading import load_token_classifier

    model_dir, _ = trained
    labels = list(load_tagset("il-ner").labels)
    renamed = [label.replace("NEP", "PER") for label in labels]
    with pytest.raises(Exception, match="trained for the labels"):
        load_token_classifier(str(model_dir), renamed)
    model, _, head = load_token_classifier(str(model_dir), labels[::-1])
    assert head.how == "reordered"
    assert all(float(p.detach().abs().sum()) == 0.0 for m in model.members for p in m.crf.parameters())
    # The linear member's per-label feature weights follow their labels.
    original, _, _ = load_token_classifier(str(model_dir), labels)
    old, new = original.members[-1].wide.weight.detach(), model.members[-1].wide.weight.detach()
    assert float(old.abs().sum()) > 0
    torch.testing.assert_close(new, old.flip(1))


def test_crf_preset_is_a_feature_crf_that_learns_and_exports(tmp_path):
    """`--preset crf`: the linear member alone, through the same training, card, tagger and ONNX."""
    pytest.importorskip("onnxruntime")
    from conftest import MIRROR

    from ilner.inference.onnx import export_onnx
    from ilner.models.bilstm_crf import LinearCrf
    from ilner.training import load_config
    from ilner.training.config import preset_path

    if MIRROR is None:
        pytest.skip("dataset mirror not found")
    train = slice_file(MIRROR, "il-ner/Hindi/Hindi-train.txt", tmp_path / "Hindi-train.txt", 800)
    dev = slice_file(MIRROR, "il-ner/Hindi/Hindi-dev.txt", tmp_path / "Hindi-dev.txt", 200)
    config = load_config(preset_path("crf"), [f"train=[{train}]", f"dev=[{dev}]", f"test=[{dev}]", "epochs=3",
                                              "scratch.vocab_size=300", "scratch.wide_buckets=16384",
                                              f"output_dir={tmp_path / 'crf'}"])
    result = run_training(config, log=lambda m: None)
    assert result.test["all"]["strict"].micro.f1 > 0.3  # 800 sentences, 3 epochs
    tagger = Tagger.load(config.output_dir)
    assert [type(m) for m in tagger.runner.model.members] == [LinearCrf]
    assert "a feature CRF alone" in (Path(config.output_dir) / "README.md").read_text(encoding="utf-8")
    words = [s.tokens for _, c in load_corpora([dev]) for s in c]
    export_onnx(config.output_dir)
    onnx_tags = [t.tags for t in Tagger.load(config.output_dir, backend="onnx").tag_tokens(words)]
    assert onnx_tags == [t.tags for t in tagger.tag_tokens(words)]


def test_bioes_model_learns_entity_ends_and_tags_in_iob2(tmp_path):
    """`tag_scheme: bioes`: the model learns O/B/I/E/S labels; everything downstream sees IOB2."""
    from conftest import MIRROR

    from ilner.data.schemes import iob2_to_bioes
    from ilner.errors import IlnerError
    from ilner.models.loading import load_token_classifier

    if MIRROR is None:
        pytest.skip("dataset mirror not found")
    train = slice_file(MIRROR, "il-ner/Hindi/Hindi-train.txt", tmp_path / "Hindi-train.txt", 600)
    dev = slice_file(MIRROR, "il-ner/Hindi/Hindi-dev.txt", tmp_path / "Hindi-dev.txt", 200)
    config = tiny_config(tmp_path, *BILSTM, f"train=[{train}]", f"dev=[{dev}]", f"test=[{dev}]", "epochs=4",
                         "tag_scheme=bioes")
    result = run_training(config, log=lambda m: None)
    labels = list(load_tagset("il-ner").labels_for("bioes"))
    assert len(labels) == 25 and {"E-NEP", "S-NEP"} <= set(labels)
    assert json.loads((Path(config.output_dir) / "config.json").read_text())["id2label"]["4"] == labels[4]
    assert result.dev["all"]["strict"].micro.f1 > 0.25  # 600 sentences, 4 epochs: well above chance
    assert "(25 BIOES labels, which ilner turns into IOB2 tags)" in (Path(config.output_dir) / "README.md").read_text()

    tagger = Tagger.load(config.output_dir)
    gold = [s for _, c in load_corpora([dev]) for s in c]
    tagged = tagger.tag_tokens([s.tokens for s in gold])
    tags = [t.tags for t in tagged]
    assert {tag[0] for sentence in tags for tag in sentence} <= {"O", "B", "I"}
    # Entities of one word and of several were found, so S-X and E-X were both decoded.
    found = [iob2_to_bioes(sentence) for sentence in tags]
    assert any(tag.startswith("S-") for s in found for tag in s) and any(tag.startswith("E-") for s in found for tag in s)
    predicted = [replace(s, tags=tuple(t)) for s, t in zip(gold, tags)]
    assert evaluate_sentences(gold, predicted).micro.f1 == pytest.approx(result.test["all"]["strict"].micro.f1)
    # The learnt transitions say that an entity goes on after B-X, and stops after E-X.
    start, between, end = tagger.runner.transitions
    b, i, e = labels.index("B-NEP"), labels.index("I-NEP"), labels.index("E-NEP")
    assert between[b, e] > between[b, labels.index("O")] and between[e, 0] > between[e, i]
    # Continuing it with IOB2 labels would reuse a head that means something else: refused, with the fix.
    with pytest.raises(IlnerError, match="set tag_scheme=bioes to continue it"):
        load_token_classifier(config.output_dir, load_tagset("il-ner").labels)
