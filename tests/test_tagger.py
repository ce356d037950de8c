"""The Tagger and `ilner predict`: offsets into the original text, long inputs, streaming, errors."""

import json
import sys

import pytest

import tiny_models
from ilner.inference.tagger import Tagger
from ilner.models.scratch import ScratchSpec, build_scratch_model
from tiny_models import SENTENCES


@pytest.fixture(scope="module")
def forced_model(tmp_path_factory):
    """Every word is an entity of its own (B-NEL)."""
    return tiny_models.forced_model(tmp_path_factory.mktemp("forced") / "m", "B-NEL")


@pytest.fixture(scope="module")
def continuing_model(tmp_path_factory):
    """Every word continues an entity (I-NEL): Viterbi makes each sentence one entity."""
    return tiny_models.forced_model(tmp_path_factory.mktemp("forced") / "m", "I-NEL")


@pytest.mark.parametrize("language", SENTENCES)
def test_entity_offsets_slice_the_original_text(forced_model, language):
    text = "  " + SENTENCES[language] + "\u200c \n"
    [result] = Tagger.load(forced_model)(text)
    assert result.entities and len(result.entities) == len(result.tokens)
    for entity in result.entities:
        assert text[entity.start:entity.end] == entity.text
        assert entity.label == "NEL" and 0.99 < entity.score <= 1.0
    assert [t.text for t in result.tokens] == [text[t.start:t.end] for t in result.tokens]


def test_a_10000_word_document_is_tagged_completely(forced_model):
    words = (SENTENCES["hindi"].rstrip("।").split() * 1000)[:10000]
    tagger = Tagger.load(forced_model)
    [result] = tagger(" ".join(words))  # one 10,000-word sentence: no sentence end at all
    assert len(result.tokens) == 10000 and len(result.tags) == 10000
    assert len(result.entities) == 10000
    [tokens_result] = tagger.tag_tokens([words])
    assert tokens_result.tags == ["B-NEL"] * 10000


def test_tag_tokens_returns_token_indices(forced_model):
    [result] = Tagger.load(forced_model).tag_tokens([["राम", "दिल्ली", "गए"]])
    assert [(e.start, e.end, e.text) for e in result.entities] == [(0, 1, "राम"), (1, 2, "दिल्ली"), (2, 3, "गए")]
    [mean] = Tagger.load(forced_model, pooling="mean").tag_tokens([["राम", "हैदराबादवासियों", "गए"]])
    assert mean.tags == ["B-NEL"] * 3


def test_mean_pooling_averages_sub_words():
    import numpy as np

    from ilner.inference.scores import _word_rows
    from ilner.models.encoding import Window

    window = Window(0, 0, 2, [0, 7, 8, 9, 2], [1, 3])  # <s> w0 w0 w1 </s>
    log_probs = np.log(np.array([[0.5, 0.5], [0.9, 0.1], [0.1, 0.9], [0.2, 0.8], [0.5, 0.5]]))
    first = _word_rows(log_probs, window, 1, "first")
    mean = _word_rows(log_probs, window, 1, "mean")
    assert np.allclose(np.exp(first), [[0.9, 0.1], [0.2, 0.8]])
    assert np.allclose(np.exp(mean[0]), [0.5, 0.5]) and np.allclose(np.exp(mean[1]), [0.2, 0.8])


def test_not_a_ner_model_is_a_clear_error(tmp_path):
    from ilner.errors import IlnerError

    spec = ScratchSpec(vocab_size=100, hidden_size=32, num_layers=1, num_heads=2, intermediate_size=64, max_positions=64)
    encoder = build_scratch_model(tmp_path / "enc", ["राम दिल्ली गए"] * 50, spec=spec)
    with pytest.raises(IlnerError, match="is not a token-classification"):
        Tagger.load(encoder)


def test_predict_cli_stdin_spans(forced_model, cli, monkeypatch):
    import io

    text = SENTENCES["hindi"] + "\n" + SENTENCES["urdu"] + "\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode("utf-8"))))
    code, out, err = cli("predict", forced_model)
    assert code == 0, err
    rows = [line.split("\t") for line in out.splitlines()]
    assert rows[0] == ["source", "start", "end", "label", "score", "text"]
    assert len(rows) > 20
    for source, start, end, label, score, entity in rows[1:]:
        assert source == "<stdin>" and text[int(start):int(end)] == entity


def test_predict_cli_o_penalty_overrides_the_model(forced_model, cli, tmp_path):
    source = tmp_path / "in.txt"
    source.write_text(SENTENCES["hindi"] + "\n", encoding="utf-8")
    code, out, err = cli("predict", forced_model, str(source))
    assert code == 0, err
    assert len(out.splitlines()) > 5  # every word an entity
    code, out, err = cli("predict", forced_model, str(source), "--o-penalty=-40")  # O now beats B-NEL's +20
    assert code == 0, err
    assert out.splitlines() == ["source\tstart\tend\tlabel\tscore\ttext"]


def test_predict_cli_files_lines_jsonl(forced_model, cli, tmp_path):
    path = tmp_path / "in.txt"
    path.write_text("\r\n".join(SENTENCES.values()) + "\r\n", encoding="utf-8")
    code, out, _ = cli("predict", forced_model, path, "--lines", "--format", "jsonl")
    assert code == 0
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["text"] for r in records] == list(SENTENCES.values())
    for record in records:
        assert all(record["text"][e["start"]:e["end"]] == e["text"] for e in record["entities"])
    code, out, _ = cli("predict", forced_model, path, "--format", "jsonl", "-o", tmp_path / "doc.jsonl")
    [document] = [json.loads(line) for line in (tmp_path / "doc.jsonl").read_text(encoding="utf-8").splitlines()]
    assert document["text"] == path.read_bytes().decode("utf-8")  # CRLF kept: offsets index the file
    assert all(document["text"][e["start"]:e["end"]] == e["text"] for e in document["entities"])


def test_predict_cli_conll_evaluate(forced_model, cli, tmp_path):
    gold = tmp_path / "gold.txt"
    gold.write_text("राम\tB-NEP\nदिल्ली\tB-NEL\nगए\tO\n", encoding="utf-8")
    code, out, err = cli("predict", forced_model, gold, "--input-format", "conll", "--format", "conll", "--evaluate")
    assert code == 0
    assert out.split("\n")[:3] == ["राम\tB-NEL", "दिल्ली\tB-NEL", "गए\tB-NEL"]
    assert "micro" in err and "33.33" in err  # 1 of 3 predicted entities is right


def test_predict_cli_invalid_utf8_names_the_input(forced_model, cli, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes("ठीक है\n".encode() + b"caf\xe9\n")
    code, _, err = cli("predict", forced_model, bad)
    assert code == 2
    assert "bad.txt:2" in err and "not valid UTF-8" in err and "Traceback" not in err


def test_predict_cli_conll_without_tags(forced_model, cli, tmp_path):
    tokens = tmp_path / "tokens.txt"
    tokens.write_text("राम\nदिल्ली\nगए\n\nसीता\n", encoding="utf-8")
    code, out, err = cli("predict", forced_model, tokens, "--input-format", "conll")
    assert code == 0, err
    assert out.split("\n")[:5] == ["राम\tB-NEL", "दिल्ली\tB-NEL", "गए\tB-NEL", "", "सीता\tB-NEL"]
    code, _, err = cli("predict", forced_model, tokens, "--input-format", "conll", "--evaluate")
    assert code == 2 and "no tag to evaluate against" in err
    # As JSONL, predictions go under predicted_*; the input's own tags come along only if it had them.
    code, out, err = cli("predict", forced_model, tokens, "--input-format", "conll", "--format", "jsonl")
    first = json.loads(out.splitlines()[0])
    assert code == 0 and "tags" not in first and first["predicted_tags"] == ["B-NEL"] * 3
    tagged = tmp_path / "tagged.txt"
    tagged.write_text("राम\tB-NEP\nगए\tO\n", encoding="utf-8")
    code, out, err = cli("predict", forced_model, tagged, "--input-format", "conll", "--format", "jsonl")
    record = json.loads(out)
    assert code == 0 and record["tags"] == ["B-NEP", "O"] and record["predicted_tags"] == ["B-NEL", "B-NEL"]
    assert [e["text"] for e in record["predicted_entities"]] == ["राम", "गए"]


def test_long_lines_are_cut_into_pieces_with_document_offsets(forced_model, monkeypatch):
    import io

    from ilner.inference import stream

    monkeypatch.setattr(stream, "MAX_PIECE", 40)
    text = (SENTENCES["hindi"] + " ") * 5 + "\n" + SENTENCES["urdu"] + "\n"
    units = list(stream.read_units("doc", io.BytesIO(text.encode("utf-8")), lines=False))
    assert len(units) > 5 and all(len(u.text) <= 40 for u in units)
    assert "".join(u.text + u.newline for u in units) == text
    out = io.StringIO()
    stream.tag_stream(Tagger.load(forced_model), units, stream.Writer(out, "spans", lines=False))
    rows = [line.split("\t") for line in out.getvalue().splitlines()[1:]]
    from ilner.text.tokenize import tokenize

    assert len(rows) == len(tokenize(text))  # every token tagged once, none lost at the cuts
    assert all(text[int(start):int(end)] == entity for _, start, end, _, _, entity in rows)


def test_predict_refuses_to_overwrite_its_input(forced_model, cli, tmp_path):
    path = tmp_path / "in.txt"
    path.write_text("राम\n", encoding="utf-8")
    code, _, err = cli("predict", forced_model, path, "-o", path)
    assert code != 0 and "both an input and the output" in " ".join(err.replace("│", " ").split())
    assert path.read_text(encoding="utf-8") == "राम\n"


@pytest.mark.parametrize("newline", ["\n\n", "\r\n", "\u2028"])
def test_line_breaks_end_sentences_in_raw_text(continuing_model, newline):
    text = "लेखक: राहुल शर्मा" + newline + "दिल्ली पुलिस ने कहा"
    [result] = Tagger.load(continuing_model)(text)
    assert [e.text for e in result.entities] == ["लेखक: राहुल शर्मा", "दिल्ली पुलिस ने कहा"]
    assert all(text[e.start:e.end] == e.text for e in result.entities)


def test_argmax_decoding_comes_out_as_valid_iob2(continuing_model):
    [result] = Tagger.load(continuing_model, decoding="argmax").tag_tokens([["राम", "दिल्ली", "गए"]])
    assert result.tags == ["B-NEL", "I-NEL", "I-NEL"]  # argmax alone says I-NEL three times


@pytest.mark.parametrize("option,message", [
    (["--decoding", "foo"], "choose one of viterbi, argmax"),
    (["--pooling", "foo"], "choose one of first, mean"),
    (["--batch-size", "0"], "greater than or equal to 1"),
])
def test_predict_cli_rejects_bad_options_before_loading(cli, tmp_path, option, message):
    path = tmp_path / "in.txt"
    path.write_text("राम\n", encoding="utf-8")
    code, _, err = cli("predict", tmp_path / "no-model-needed", path, *option)
    assert code == 2 and message in " ".join(err.replace("│", " ").split()) and "Traceback" not in err


def test_predict_and_export_refuse_a_folder_that_is_not_a_model(cli, tmp_path):
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "x.txt").write_text("राम\n", encoding="utf-8")
    for command in (["predict", folder, folder / "x.txt"], ["export", folder, "--onnx"]):
        code, _, err = cli(*command)
        assert code == 2 and "is not a model directory" in err and "Traceback" not in err
    code, _, err = cli("export", tmp_path / "missing", "--onnx")
    assert code == 2 and "Invalid value for 'model'" in err and "Traceback" not in err


def test_predict_cli_jsonl_keeps_gold_tags(forced_model, cli, tmp_path):
    path = tmp_path / "in.jsonl"
    gold = {"tokens": ["राम", "दिल्ली", "गए"], "tags": ["B-NEP", "B-NEL", "O"], "id": 7}
    # Token and text records are tagged in batches; the output keeps the input's order.
    texts = [{"text": "दिल्ली गए", "id": 8}, {"tokens": ["राम"], "id": 9}, {"text": "मुंबई", "id": 10}]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in [gold, *texts]), encoding="utf-8")
    code, out, err = cli("predict", forced_model, path, "--input-format", "jsonl")
    assert code == 0, err
    record, *others = [json.loads(line) for line in out.splitlines()]
    assert {k: record[k] for k in gold} == gold
    assert record["predicted_tags"] == ["B-NEL"] * 3 and len(record["predicted_entities"]) == 3
    assert [r["id"] for r in others] == [8, 9, 10]
    assert [e["text"] for e in others[0]["predicted_entities"]] == ["दिल्ली", "गए"]
    assert "predicted_tags" not in others[0] and others[1]["predicted_tags"] == ["B-NEL"]


def test_predict_cli_evaluate_gold_in_another_tagset(forced_model, cli, tmp_path):
    coarse = tmp_path / "coarse.txt"
    coarse.write_text("राम\tB-PER\nदिल्ली\tB-LOC\nगए\tO\n", encoding="utf-8")
    code, _, err = cli("predict", forced_model, coarse, "--input-format", "conll", "--format", "conll", "--evaluate")
    assert code == 2 and "coarse.txt:1" in err and "PER, LOC" in err and "ilner data convert" in err
    # The way out the message gives: map the gold onto the model's tagset, then evaluate.
    mapping = tmp_path / "coarse_to_il-ner.yaml"
    mapping.write_text("source: coarse\ntarget: il-ner\nmap: {PER: NEP, LOC: NEL, ORG: NEO}\n", encoding="utf-8")
    code, _, err = cli("data", "convert", coarse, tmp_path / "mapped.txt", "--to", "conll", "--map", mapping)
    assert code == 0, err
    code, out, err = cli("predict", forced_model, tmp_path / "mapped.txt", "--input-format", "conll", "--format",
                         "conll", "--evaluate")
    assert code == 0 and "50.00" in err, err  # B-NEL everywhere: recall 1 of 2 (दिल्ली), not 0
    mixed = tmp_path / "mixed.txt"
    mixed.write_text("राम\tB-NEU\nदिल्ली\tB-NEL\nगए\tO\n", encoding="utf-8")
    code, _, err = cli("predict", forced_model, mixed, "--input-format", "conll", "--format", "conll", "--evaluate")
    assert code == 0, err
    assert "1 gold tags of types the model lacks (NEU) as O" in err and "33.33" in err


def test_long_lines_are_cut_at_any_whitespace(monkeypatch):
    import io

    from ilner.inference import stream

    monkeypatch.setattr(stream, "MAX_PIECE", 40)
    text = "\u00a0".join(SENTENCES["hindi"].split() * 5) + "\n"  # words joined by no-break spaces
    units = list(stream.read_units("doc", io.BytesIO(text.encode("utf-8")), lines=False))
    assert len(units) > 3 and "".join(u.text + u.newline for u in units) == text
    assert all(u.text.endswith("\u00a0") for u in units[:-1])  # never inside a word
