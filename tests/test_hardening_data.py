"""Issue 23, data side: hostile or odd input to the corpus readers and to predict's text reader
ends in a Corpus or one DataError naming file and line, never a traceback or a silent loss."""

import io
import json
import re
import time

import pytest
from conftest import write

from ilner.data import read_corpus
from ilner.data.files import MAX_LINE_CHARS, read_stream
from ilner.errors import DataError
from ilner.inference.stream import MAX_PIECE, read_units


def _line(record: dict) -> str:
    return json.dumps(record, ensure_ascii=False) + "\n"


def _assert_cli_error(result, name: str, line: int, what: str, code: int = 1) -> None:
    exit_code, _, err = result
    assert exit_code == code and "Traceback" not in err
    err = err.replace("\n", "")
    assert f"{name}:{line}: " in err and what in err


# --- JSONL: strict parsing -------------------------------------------------------------------

@pytest.mark.parametrize("name,line,what", [
    ("digits", '{"text": "ab", "entities": [{"start": ' + "1" * 5000 + ', "end": 2, "label": "NEP"}]}',
     "not valid JSON: a number of more than 4,300 digits"),
    ("deep", "[" * 100_000 + "]" * 100_000, "not valid JSON: nested too deeply"),
    ("surrogate", '{"tokens": ["\\ud800", "b"], "tags": ["B-NEP", "O"]}', "a string holds a lone surrogate"),
    ("bool", '{"text": "ab cd", "entities": [{"start": false, "end": true, "label": "NEP"}]}',
     "'start' and 'end' must be whole numbers"),
    ("dup_entities", '{"text": "ab cd", "entities": [{"start": 0, "end": 2, "label": "NEP"}], "entities": []}',
     "key 'entities' occurs twice in one object"),
    ("dup_tags", '{"tokens": ["a"], "tags": ["B-NEP"], "tags": ["O"]}', "key 'tags' occurs twice in one object"),
    ("dup_label", '{"text": "ab", "entities": [{"start": 0, "end": 2, "label": "NEP", "label": "NEL"}]}',
     "key 'label' occurs twice"),
])
def test_jsonl_hostile_records_are_one_error_with_file_and_line(tmp_path, cli, name, line, what):
    path = write(tmp_path / f"{name}.jsonl", _line({"tokens": ["ok"], "tags": ["O"]}) + line + "\n")
    with pytest.raises(DataError, match=rf"{name}\.jsonl:2: .*{re.escape(what)}"):
        read_corpus(path, tagset=None)
    _assert_cli_error(cli("data", "check", path), f"{name}.jsonl", 2, what)
    _assert_cli_error(cli("data", "stats", path), f"{name}.jsonl", 2, what, code=2)


def test_surrogate_pairs_are_characters_not_errors(tmp_path):
    corpus = read_corpus(write(tmp_path / "pair.jsonl", '{"tokens": ["\\ud83d\\ude00"], "tags": ["O"]}\n'))
    assert corpus.sentences[0].tokens == ("😀",)


def test_conversion_of_a_surrogate_record_is_refused_before_writing(tmp_path, cli):
    source = write(tmp_path / "s.jsonl", '{"tokens": ["\\udc00x"], "tags": ["O"]}\n')
    _assert_cli_error(cli("data", "convert", source, tmp_path / "out.txt"), "s.jsonl", 1,
                      "a string holds a lone surrogate", code=2)
    assert not (tmp_path / "out.txt").exists()


# --- JSONL: tokens that CoNLL cannot hold, entities with invisible edges ----------------------

@pytest.mark.parametrize("token", ["a\tb", "a\nb", "a\r", "a\x00"])
def test_token_with_a_conll_separator_is_refused_when_read(tmp_path, token):
    path = write(tmp_path / "t.jsonl", _line({"tokens": ["x", token], "tags": ["O", "B-NEP"]}))
    with pytest.raises(DataError, match=r"t\.jsonl:1: token .* holds a tab, a line break or a NUL"):
        read_corpus(path)


def test_token_with_a_space_still_round_trips_through_conll(tmp_path):
    from ilner.data import write_corpus

    corpus = read_corpus(write(tmp_path / "t.jsonl", _line({"tokens": ["नई दिल्ली", "गए"], "tags": ["B-NEL", "O"]})))
    write_corpus(corpus.sentences, tmp_path / "t.txt")
    assert read_corpus(tmp_path / "t.txt").sentences[0].tokens == ("नई दिल्ली", "गए")


@pytest.mark.parametrize("text,start,end,what", [
    ("x \u200bराम गए", 2, 6, "starts with the invisible character U+200B ZERO WIDTH SPACE"),
    ("x राम\u200b गए", 2, 6, "ends with the invisible character U+200B ZERO WIDTH SPACE"),
    ("\ufeffराम गए", 0, 4, "starts with the invisible character U+FEFF"),
    ("राम \u200c गए", 0, 5, "ends with the invisible character U+200C ZERO WIDTH NON-JOINER"),
    ("x \u200b गए", 2, 3, "covers only whitespace or invisible characters"),
])
def test_span_entity_with_invisible_edges_is_an_error(tmp_path, text, start, end, what):
    path = write(tmp_path / "z.jsonl", _line({"text": text, "entities": [{"start": start, "end": end, "label": "NEP"}]}))
    with pytest.raises(DataError, match=rf"z\.jsonl:1: entity .* {re.escape(what)}"):
        read_corpus(path)


def test_joiner_right_after_a_letter_and_spaces_at_the_edges_are_fine(tmp_path):
    records = [
        {"text": "ന്\u200d വന്നു", "entities": [{"start": 0, "end": 3, "label": "NEP"}]},  # ZWJ ends a chillu
        {"text": "x  राम गए", "entities": [{"start": 1, "end": 6, "label": "NEP"}]},  # spaces are not tokens
    ]
    corpus = read_corpus(write(tmp_path / "ok.jsonl", "".join(map(_line, records))))
    assert [s.tokens for s in corpus] == [("ന്\u200d", "വന്നു"), ("x", "राम", "गए")]
    assert [s.tags for s in corpus] == [("B-NEP", "O"), ("O", "B-NEP", "O")]


# --- Decoding: one policy, NUL bytes, endless input -------------------------------------------

def test_a_stray_nul_in_utf8_is_named_not_taken_for_utf16(tmp_path, cli):
    path = write(tmp_path / "nul.txt", "नरेंद्र\tB-NEP\nमोदी\tI-NEP\n\x00ने\tO\n")
    with pytest.raises(DataError, match=r"nul\.txt:3: has a NUL byte"):
        read_corpus(path)
    _assert_cli_error(cli("data", "check", path), "nul.txt", 3, "has a NUL byte")
    big = write(tmp_path / "late.txt", "राम\tB-NEP\n" * 20_000 + "x\x00\tO\n")  # past the first chunk
    with pytest.raises(DataError, match=r"late\.txt:20001: has a NUL byte"):
        read_corpus(big)


def test_a_line_over_the_limit_is_refused_with_its_line(tmp_path, cli):
    record = _line({"text": "क " * (MAX_LINE_CHARS // 2 + 1), "entities": []})
    path = write(tmp_path / "long.jsonl", _line({"tokens": ["a"], "tags": ["O"]}) + record)
    with pytest.raises(DataError, match=r"long\.jsonl:2: a line longer than 1,000,000 characters"):
        read_corpus(path)
    _assert_cli_error(cli("data", "check", path), "long.jsonl", 2, "a line longer than 1,000,000 characters")
    conll = write(tmp_path / "long.txt", "a\tO\n" + "क" * (MAX_LINE_CHARS + 1) + "\tO\n")
    with pytest.raises(DataError, match=r"long\.txt:2: a line longer"):
        read_corpus(conll)


def test_dev_zero_ends_at_once_with_a_clear_error():
    started = time.monotonic()
    with pytest.raises(DataError, match=r"/dev/zero:1: is a binary file"):
        read_corpus("/dev/zero")
    assert time.monotonic() - started < 5


class _Endless(io.RawIOBase):
    """An input that never ends: ``block`` again and again; reading more than ``limit`` bytes
    means the reader tried to hold all of it."""

    def __init__(self, block: bytes, limit: int = 50_000_000):
        self.block, self.left = block, limit

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        assert self.left > 0, "read 50 MB of an endless input without giving anything out"
        n = min(len(buffer), len(self.block))
        buffer[:n] = self.block[:n]
        self.left -= n
        return n


def test_predict_tags_an_endless_line_piece_by_piece():
    units = read_units("<stdin>", io.BufferedReader(_Endless(b"abc " * 65536)), lines=False)
    first = [next(units) for _ in range(3)]
    assert [u.offset for u in first] == [0, len(first[0].text), len(first[0].text) + len(first[1].text)]
    assert all(MAX_PIECE // 2 <= len(u.text) <= MAX_PIECE and u.newline == "" for u in first)


def test_predict_refuses_endless_nul_bytes_at_once():
    with pytest.raises(DataError, match=r"<stdin>:1: is a binary file"):
        next(read_units("<stdin>", io.BufferedReader(_Endless(b"\x00" * 65536)), lines=False))


def test_predict_decodes_as_the_data_commands_do():
    text = "नरेंद्र मोदी दिल्ली गए\nराम\n"
    for encoding in ("utf-16", "utf-32", "utf-8-sig"):  # a byte-order mark: decoded, as data commands do
        units = list(read_units("in.txt", io.BytesIO(text.encode(encoding)), lines=False))
        assert [u.text for u in units] == ["नरेंद्र मोदी दिल्ली गए", "राम"] and units[1].offset == 23
    for encoding, name in (("utf-16-le", "UTF-16LE"), ("utf-16-be", "UTF-16BE")):  # no mark: refused, not tagged
        with pytest.raises(DataError, match=rf"in\.txt:1: looks like {name} without a byte-order mark"):
            list(read_units("in.txt", io.BytesIO(text.encode(encoding)), lines=False))
        with pytest.raises(DataError, match=rf"in\.txt:1: looks like {name} without a byte-order mark"):
            read_stream(io.BytesIO(text.encode(encoding)), "in.txt")
    with pytest.raises(DataError, match=r"in\.txt:2: has a NUL byte"):
        list(read_units("in.txt", io.BytesIO("राम\nसी\x00ता\n".encode()), lines=False))
    with pytest.raises(DataError, match=r"in\.txt:2: is not valid UTF-8: byte 0xe9"):
        list(read_units("in.txt", io.BytesIO(b"ok\ncaf\xe9\n"), lines=False))


# --- CoNLL: columns --------------------------------------------------------------------------

HINDI = "नरेंद्र\tB-NEP\nमोदी\tI-NEP\nने\tO\nदिल्ली\tB-NEL\nमें\tO\n"


@pytest.mark.parametrize("name,extra,line", [
    ("tag_o", "भाषण\tB-NEAR\tO\n", 6),  # the entity would vanish: the tag read is O
    ("junk", "भाषण\tB-NEAR\tjunk\n", 6),
    ("spaces", "नई दिल्ली B-NEL\n", 6),  # a token with a space and no tab: "दिल्ली" would be lost
])
def test_a_line_with_other_columns_is_an_error_naming_it(tmp_path, cli, name, extra, line):
    path = write(tmp_path / f"{name}.txt", HINDI + extra + "गए\tO\n")
    with pytest.raises(DataError, match=rf"{name}\.txt:{line}: 3 columns, but line 1 has 2"):
        read_corpus(path)
    with pytest.raises(DataError, match=rf"{name}\.txt:{line}: 3 columns"):
        read_corpus(path, strict=True)
    _assert_cli_error(cli("data", "check", path), f"{name}.txt", line, "3 columns, but line 1 has 2")


def test_a_file_whose_last_column_is_not_the_tag_is_an_error(tmp_path):
    text = "".join(f"{token}\t{tag}\tO\n" for token, tag in (line.split("\t") for line in HINDI.splitlines()))
    with pytest.raises(DataError, match=r"shifted\.txt:1: column 2 holds a tag \('B-NEP'\) but the last column"):
        read_corpus(write(tmp_path / "shifted.txt", text))


def test_consistent_columns_read_the_last_one_as_before(tmp_path):
    conll2003 = "EU NNP B-NP B-ORG\nrejects VBZ B-VP O\nGerman JJ B-NP B-MISC\n\nPeter NNP B-NP B-PER\n"
    corpus = read_corpus(write(tmp_path / "c.txt", conll2003), tagset=None)
    assert [s.tags for s in corpus] == [("B-ORG", "O", "B-MISC"), ("B-PER",)] and corpus.report.total == 0
    untagged = read_corpus(write(tmp_path / "u.txt", "राम B-NEP\nगए\nदिल्ली B-NEL\n"), tagset=None, tags_optional=True)
    assert untagged.sentences[0].tags == ("B-NEP", "O", "B-NEL")  # a token alone is untagged, not another column count


# --- Schemes ---------------------------------------------------------------------------------

def test_an_io_file_with_i_prefixes_is_read_as_io_without_repairs(tmp_path, cli):
    path = write(tmp_path / "io.txt", "नरेंद्र\tI-NEP\nमोदी\tI-NEP\nने\tO\nदिल्ली\tI-NEL\nमें\tO\n\nओडिशा\tI-NEL\n")
    corpus = read_corpus(path, strict=True)
    assert corpus.report.scheme == "io" and corpus.report.total == 0
    assert [s.tags for s in corpus] == [("B-NEP", "I-NEP", "O", "B-NEL", "O"), ("B-NEL",)]
    code, out, err = cli("data", "check", "--strict", path)
    assert code == 0 and "Traceback" not in err


# --- Reports in an 80-column terminal ----------------------------------------------------------

def test_check_and_stats_cut_no_name_or_number_at_80_columns(cli, mirror, tmp_path, monkeypatch):
    from rich.console import Console

    from ilner.cli import data_check, data_stats

    specs = ["il-ner:telugu:*", "hiner:original:validation"]
    for module, command in ((data_check, "check"), (data_stats, "stats")):
        screen = io.StringIO()
        monkeypatch.setattr(module, "console", Console(width=80, file=screen, highlight=False))
        code, _, err = cli("data", command, *specs, "--json", tmp_path / f"{command}.json")
        assert code == 0 and "Traceback" not in err
        shown = screen.getvalue()
        assert "…" not in shown
        files = json.loads((tmp_path / f"{command}.json").read_text())["files"]
        for record in files:
            assert record["name"] in shown
            counts = record["entities"]
            numbers = [record["sentences"], sum(counts.values())]
            if command == "stats":
                numbers += [record["tokens"], record["length_max"], *counts.values()]
            else:
                numbers += [n for n in record["repairs"].values() if n]
            for number in numbers:
                assert str(number) in shown, (record["name"], number)


# --- Property: any input is a Corpus or one DataError; entities are kept or a repair is counted --

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from ilner.data.schemes import chunks  # noqa: E402

_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_TYPES = ["NEP", "NEL", "NEO"]
_TAGS = ["O", *(f"{p}-{t}" for p in "BI" for t in _TYPES)]
_FIELDS = st.sampled_from(["राम", "दिल्ली", "क्ष", "\u200c", "a", "-DOCSTART-", "B-NEP", "I-NEL", "-NEO", "-", "o",
                           "S-NEP", "E-NEL", "NEP", "{", "\"", "\ufeff", "\x00", "1.0"]) | st.text(max_size=4)
_CONLL_LINES = st.lists(st.lists(_FIELDS, max_size=4).map(lambda f: "\t".join(f)) | st.lists(_FIELDS, max_size=4).map(" ".join),
                        max_size=12)
_JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=6),
                            lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(
                                ["text", "entities", "tokens", "tags", "start", "end", "label"]), inner, max_size=4),
                            max_leaves=12)


def _read_any(folder, name: str, data: bytes):
    """read_corpus on ``data`` as file ``name``: a Corpus, or None after a DataError. A Corpus read
    must also survive being written as CoNLL (and JSONL tokens) and read back unchanged."""
    from ilner.data import write_corpus

    path = folder / name
    path.write_bytes(data)
    try:
        corpus = read_corpus(path, tagset=None)
    except DataError as error:
        assert str(error).startswith(str(path))
        return None
    for out, kind in (("again.txt", "spans"), ("again.jsonl", "tokens")):
        write_corpus(corpus.sentences, folder / out, jsonl_kind=kind)
        again = read_corpus(folder / out, tagset=None)
        assert [(s.tokens, s.tags) for s in again] == [(s.tokens, s.tags) for s in corpus]
        assert again.report.total == 0
    return corpus


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


@_SETTINGS
@given(data=st.binary(max_size=200) | _CONLL_LINES.map(lambda lines: "\n".join(lines).encode("utf-8", "surrogatepass")))
def test_any_bytes_read_as_conll_or_jsonl_are_a_corpus_or_a_data_error(folder, data):
    for name in ("fuzz.txt", "fuzz.jsonl"):
        _read_any(folder, name, data)


@_SETTINGS
@given(records=st.lists(_JSON_VALUES, min_size=1, max_size=4))
def test_any_json_records_are_a_corpus_or_a_data_error(folder, records):
    _read_any(folder, "records.jsonl", "".join(json.dumps(r) + "\n" for r in records).encode())


@_SETTINGS
@given(sentences=st.lists(st.lists(st.tuples(_FIELDS.filter(lambda t: t.strip() != ""), st.sampled_from(_TAGS)),
                                   min_size=1, max_size=8), min_size=1, max_size=4))
def test_token_records_keep_every_entity_or_count_a_repair(folder, sentences):
    lines = [json.dumps({"tokens": [t for t, _ in s], "tags": [g for _, g in s]}) for s in sentences]
    corpus = _read_any(folder, "tokens.jsonl", ("\n".join(lines) + "\n").encode())
    if corpus is None:
        return
    entities_in = sum(tag.startswith("B-") for s in sentences for _, tag in s)
    entities_out = sum(len(chunks(s.tags)) for s in corpus)
    assert entities_out == entities_in or corpus.report.total or corpus.report.conversions


def test_tokens_conll_cannot_hold_are_refused_with_their_line(tmp_path):
    with pytest.raises(DataError, match=r"cat\.txt:3: a byte-order mark \(U\+FEFF\) inside the file"):
        read_corpus(write(tmp_path / "cat.txt", "\ufeffराम\tB-NEP\n\n\ufeffसीता\tB-NEP\n"))  # two files joined
    for token, what in (("-DOCSTART-", "CoNLL document marker"), ("\ufeffराम", "starts with a byte-order mark")):
        path = write(tmp_path / "doc.jsonl", _line({"tokens": ["a"], "tags": ["O"]}) + _line({"tokens": [token], "tags": ["O"]}))
        with pytest.raises(DataError, match=rf"doc\.jsonl:2: token .* {what}"):
            read_corpus(path)


@pytest.fixture(scope="module")
def forced_model(tmp_path_factory):
    from tiny_models import forced_model as build

    return build(tmp_path_factory.mktemp("forced") / "m", "B-NEL")


def test_predict_reads_every_input_format_under_the_one_policy(forced_model, cli, tmp_path):
    utf16 = tmp_path / "u16.txt"
    utf16.write_bytes("राम दिल्ली गए\n".encode("utf-16-le"))
    code, out, err = cli("predict", forced_model, utf16)
    assert code == 2 and "u16.txt:1: looks like UTF-16LE without a byte-order mark" in err and "Traceback" not in err
    utf16.write_bytes("राम दिल्ली गए\n".encode("utf-16"))  # with a byte-order mark: decoded, as data commands do
    code, out, err = cli("predict", forced_model, utf16)
    assert code == 0 and out.splitlines()[1].split("\t")[1:4] == ["0", "3", "NEL"]
    long = write(tmp_path / "long.jsonl", _line({"text": "राम"}) + _line({"text": "क " * (MAX_LINE_CHARS // 2 + 1)}))
    code, _, err = cli("predict", forced_model, long, "--input-format", "jsonl")
    assert code == 2 and "long.jsonl:2: a line longer than 1,000,000 characters" in err and "Traceback" not in err
