"""Readers and writers: CoNLL variants, JSONL shapes, encodings, bad input, round trips."""

import json
import os
import stat

import pytest
from conftest import write

from ilner.data import Sentence, read_corpus, write_corpus
from ilner.data.jsonl import sentence_to_record
from ilner.errors import DataError

HINDI = "नरेंद्र\tB-NEP\nमोदी\tI-NEP\nने\tO\nदिल्ली\tB-NEL\nमें\tO\nभाषण\tO\nदिया\tO\n।\tO\n"


def test_tab_separated(tmp_path):
    corpus = read_corpus(write(tmp_path / "a.txt", HINDI + "\n" + "ओडिशा\tB-NEL\n"))
    assert len(corpus) == 2
    first = corpus.sentences[0]
    assert first.tokens[:2] == ("नरेंद्र", "मोदी")
    assert first.tags[:4] == ("B-NEP", "I-NEP", "O", "B-NEL")
    assert first.lines == tuple(range(1, 9))
    assert corpus.sentences[1].line == 10
    assert corpus.report.total == 0


def test_whitespace_columns_tag_last_docstart_bom_crlf_trailing_spaces(tmp_path):
    text = (
        "\ufeff-DOCSTART- -X- O O\r\n\r\n"
        "Sachin NNP B-NP B-PER  \r\nTendulkar NNP I-NP I-PER\r\n\r\n\r\n\r\n"
        "-DOCSTART- -X- O O\r\nMumbai NNP B-NP B-LOC\r\n"
    )
    corpus = read_corpus(write(tmp_path / "c.conll", text), tagset="coarse")
    assert [s.tokens for s in corpus] == [("Sachin", "Tendulkar"), ("Mumbai",)]
    assert [s.tags for s in corpus] == [("B-PER", "I-PER"), ("B-LOC",)]
    assert corpus.report.total == 0
    assert corpus.sentences[1].line == 9


def test_cr_only_line_ends(tmp_path):
    corpus = read_corpus(write(tmp_path / "mac.txt", "राम\tB-NEP\rगया\tO\r\rदिल्ली\tB-NEL\r"))
    assert [s.tokens for s in corpus] == [("राम", "गया"), ("दिल्ली",)]
    assert corpus.sentences[1].lines == (4,)
    mixed = read_corpus(write(tmp_path / "mixed.txt", "a\tO\r\nb\tB-NEP\r\rc\tO\n"))
    assert [s.lines for s in mixed] == [(1, 2), (4,)]


def test_untagged_line_of_several_words_is_an_error(tmp_path):
    with pytest.raises(DataError, match=r"words\.txt:2: 'नई दिल्ली' has several words and no tab; give one token"):
        read_corpus(write(tmp_path / "words.txt", "राम\nनई दिल्ली\nगए\n"), tags_optional=True)
    for number, line in enumerate(["New Delhi", "सन् 2024"], start=1):  # Latin words and numbers are no tags
        with pytest.raises(DataError, match=rf"latin{number}\.txt:1: .*several words and no tab"):
            read_corpus(write(tmp_path / f"latin{number}.txt", line + "\n"), tags_optional=True)
    corpus = read_corpus(write(tmp_path / "cols.txt", "राम B-NEP\nगए\nदिल्ली NEL\n"), tags_optional=True, tagset=None)
    assert corpus.sentences[0].tags == ("B-NEP", "O", "B-NEL")  # space-separated columns with a tag still read


def test_trailing_tab_after_the_tag(tmp_path):
    corpus = read_corpus(write(tmp_path / "t.txt", "राम\tB-NEP\t\nगए\t\n"))
    assert corpus.sentences[0].tags == ("B-NEP", "O")  # "गए<TAB>": an empty tag, rule 3
    assert corpus.report.counts["bare-dash"] == 1


def test_span_labels_with_iob_prefix(tmp_path):
    record = {"text": "राम गए", "entities": [{"start": 0, "end": 3, "label": "B-NEP"}]}
    corpus = read_corpus(write(tmp_path / "p.jsonl", json.dumps(record, ensure_ascii=False) + "\n"))
    assert corpus.sentences[0].tags == ("B-NEP", "O")
    record["entities"][0]["label"] = "O"
    with pytest.raises(DataError, match="labelled O"):
        read_corpus(write(tmp_path / "o.jsonl", json.dumps(record, ensure_ascii=False) + "\n"))


def test_zwnj_and_zwj_inside_tokens_are_kept(tmp_path):
    token = "पै\u200cसा\u200d"
    corpus = read_corpus(write(tmp_path / "z.txt", f"{token}\tO\n"))
    assert corpus.sentences[0].tokens == (token,)


def test_utf16_with_bom_is_decoded_and_reported(tmp_path):
    path = write(tmp_path / "u16.txt", "\ufeff" + HINDI, encoding="utf-16-le")
    corpus = read_corpus(path)
    assert corpus.sentences[0].tokens[0] == "नरेंद्र"
    assert corpus.report.encoding == "utf-16"


def test_utf16_without_bom_is_a_clear_error(tmp_path):
    path = write(tmp_path / "u16.txt", HINDI, encoding="utf-16-le")
    with pytest.raises(DataError, match=r"u16\.txt:\d+: looks like UTF-16LE without a byte-order mark"):
        read_corpus(path)


def test_binary_file_is_a_clear_error(tmp_path):
    path = tmp_path / "model.bin"
    path.write_bytes(bytes(range(256)) * 8)
    with pytest.raises(DataError, match=r"model\.bin:\d+: is a binary file"):
        read_corpus(path)


def test_latin1_file_names_line_of_bad_byte(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("a\tO\n\nb\tO\ncaf\xe9\tO\n".encode("latin-1"))
    with pytest.raises(DataError, match=r"latin1\.txt:4: is not valid UTF-8: byte 0xe9"):
        read_corpus(path)


def test_empty_and_blank_files(tmp_path):
    with pytest.raises(DataError, match=r"empty\.txt: is empty"):
        read_corpus(write(tmp_path / "empty.txt", ""))
    with pytest.raises(DataError, match=r"blank\.txt: has only blank lines, no sentences"):
        read_corpus(write(tmp_path / "blank.txt", "\n\n  \n\t\n\n"))


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        read_corpus(tmp_path / "nope.txt")


def test_jsonl_spans_split_tokens_at_entity_boundaries(tmp_path):
    text = "मैं दिल्ली, भारत गया।"
    start = text.index("दिल्ली")
    record = {"text": text, "entities": [
        {"start": start, "end": start + len("दिल्ली"), "label": "NEL"},
        {"start": text.index("भारत"), "end": text.index("भारत") + 4, "label": "NEL"},
    ]}
    path = write(tmp_path / "s.jsonl", json.dumps(record, ensure_ascii=False) + "\n")
    sentence = read_corpus(path).sentences[0]
    assert sentence.tokens == ("मैं", "दिल्ली", ",", "भारत", "गया।")
    assert sentence.tags == ("O", "B-NEL", "O", "B-NEL", "O")


def test_jsonl_span_boundary_inside_a_letter_is_an_error(tmp_path):
    # रामजी: an entity "र" would leave a token starting with the vowel sign ा.
    for name, text, end in [("matra", "रामजी आए", 1), ("virama", "क्षत्रिय आए", 2)]:
        record = {"text": text, "entities": [{"start": 0, "end": end, "label": "NEP"}]}
        path = write(tmp_path / f"{name}.jsonl", "\n" + json.dumps(record, ensure_ascii=False) + "\n")
        with pytest.raises(DataError, match=rf"{name}\.jsonl:2: .*boundary inside a letter at offset {end}"):
            read_corpus(path)


def test_jsonl_tokens_and_errors(tmp_path):
    good = json.dumps({"tokens": ["a", "b"], "tags": ["B-NEP", "-NEL"]})
    corpus = read_corpus(write(tmp_path / "t.jsonl", good + "\n"))
    assert corpus.sentences[0].tags == ("B-NEP", "B-NEL")
    assert corpus.report.counts["dash-type"] == 1
    with pytest.raises(DataError, match=r"bad\.jsonl:2: not valid JSON"):
        read_corpus(write(tmp_path / "bad.jsonl", good + "\n{oops\n"))
    with pytest.raises(DataError, match=r"len\.jsonl:1: 2 tokens but 1 tags"):
        read_corpus(write(tmp_path / "len.jsonl", json.dumps({"tokens": ["a", "b"], "tags": ["O"]}) + "\n"))
    overlap = {"text": "ab cd", "entities": [{"start": 0, "end": 5, "label": "NEP"}, {"start": 3, "end": 5, "label": "NEL"}]}
    with pytest.raises(DataError, match=r"ov\.jsonl:1: overlapping entities"):
        read_corpus(write(tmp_path / "ov.jsonl", json.dumps(overlap) + "\n"))
    outside = {"text": "ab", "entities": [{"start": 0, "end": 9, "label": "NEP"}]}
    with pytest.raises(DataError, match=r"out\.jsonl:1: entity .* outside the text"):
        read_corpus(write(tmp_path / "out.jsonl", json.dumps(outside) + "\n"))
    with pytest.raises(DataError, match=r"shape\.jsonl:1: expected"):
        read_corpus(write(tmp_path / "shape.jsonl", json.dumps({"words": []}) + "\n"))


def test_spans_record_offsets_slice_the_text():
    sentence = Sentence(("श्री", "नरेंद्र", "मोदी", "ने", "15", "अगस्त"), ("O", "B-NEP", "I-NEP", "O", "B-NETI", "I-NETI"))
    record = sentence_to_record(sentence)
    assert [record["text"][e["start"]:e["end"]] for e in record["entities"]] == ["नरेंद्र मोदी", "15 अगस्त"]


@pytest.mark.parametrize("fmt,kind,scheme", [
    ("jsonl", "spans", "iob2"), ("jsonl", "tokens", "iob2"), ("conll", "spans", "bioes"), ("conll", "spans", "iob2"),
])
def test_round_trip_on_real_corpus(mirror, tmp_path, fmt, kind, scheme):
    original = read_corpus(mirror / "il-ner/Telugu/Telugu-test.txt")
    out = tmp_path / ("out.jsonl" if fmt == "jsonl" else "out.txt")
    write_corpus(original.sentences, out, file_format=fmt, scheme=scheme, jsonl_kind=kind)
    again = read_corpus(out)
    assert [s.tokens for s in again] == [s.tokens for s in original]
    assert [s.tags for s in again] == [s.tags for s in original]
    assert again.report.total == 0  # what we write needs no repair
    assert again.report.scheme == ("bioes" if scheme == "bioes" else "iob2")


def test_written_files_get_the_mode_open_would_give(tmp_path):
    sentences = read_corpus(write(tmp_path / "in.txt", HINDI)).sentences
    old_umask = os.umask(0o027)
    try:
        write_corpus(sentences, tmp_path / "new.txt")
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == 0o640
    (tmp_path / "new.txt").chmod(0o604)
    write_corpus(sentences, tmp_path / "new.txt", file_format="jsonl")
    assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == 0o604  # an existing file keeps its mode
