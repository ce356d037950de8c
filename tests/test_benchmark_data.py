"""Outside benchmarks (issue 26): their registry entries, tagsets and mappings, and a reader for
each of their layouts, on small files written here in that layout (never their test splits)."""

import dataclasses
import io
import json
import tarfile

import pytest
from conftest import write

from ilner.data import load_corpora, load_mapping, load_tagset, read_corpus, registry, resolve
from ilner.data.files import sha256_of
from ilner.data.io import READ_FORMATS
from ilner.errors import DataError, IlnerError

BENCHMARKS = (
    "urdu-uner", "ijcnlp08-urdu", "urdu-jahangir", "telugu-reddy2018", "mahaner", "bengali-rifat",
    "bengali-banglakit", "assamese-astourne",
)


def test_every_benchmark_is_registered_with_its_tagset_and_two_mappings():
    for name in BENCHMARKS:
        [data_file] = [f for f in registry.match(name) if f.benchmark]
        assert data_file.split in ("test", "all") and data_file.carve is None
        assert data_file.tagset == name and data_file.file_format in READ_FORMATS
        tagset = load_tagset(data_file.tagset)
        for target in ("il-ner", "coarse"):
            mapping = load_mapping(data_file.mapping_to(target))  # validated: every type has a target
            assert (mapping.source, mapping.target) == (name, target)
            assert all(mapping.annotation.targets[t] <= {*load_tagset(target).types, "O"} for t in tagset.types)
        assert data_file.url.startswith(f"https://raw.githubusercontent.com/{data_file.repo}/{data_file.commit}/")
        assert (data_file.member is not None) == data_file.upstream_path.endswith((".tar.gz", ".tar.xz"))
    assert registry.match("il-ner:hindi:test")[0].mapping_to("il-ner") is None
    with pytest.raises(IlnerError, match="urdu-uner:urdu:all has no mapping onto tagset 'hiner-original'"):
        registry.match("urdu-uner")[0].mapping_to("hiner-original")


def test_the_mappings_say_where_types_without_a_counterpart_go():
    assert load_mapping("urdu-uner_to_il-ner").table == {
        "PERSON": "NEP", "LOCATION": "NEL", "ORGANIZATION": "NEO", "NUMBER": "NEN", "DATE": "NETI",
        "TIME": "NETI", "DESIGNATION": "O",
    }
    assert load_mapping("telugu-reddy2018_to_il-ner").sets == {"MISC": frozenset({"NEN", "NETI"})}
    assert load_mapping("bengali-rifat_to_il-ner").map_type("TIM") == "NETI"
    assert load_mapping("bengali-banglakit_to_il-ner").map_type("GPE") == "NEL"
    assert load_mapping("assamese-astourne_to_il-ner").map_type("FAC") == "NEL"
    assert load_mapping("mahaner_to_il-ner").map_type("ED") == "O"


def test_an_unknown_benchmark_name_is_a_clear_error(cli):
    with pytest.raises(IlnerError, match="unknown dataset 'urdu-unr'; registered ones are .*urdu-uner"):
        registry.match("urdu-unr:urdu:all")
    with pytest.raises(IlnerError, match="'urdu-unr' is neither a file nor a registered dataset; datasets: .*urdu-uner"):
        resolve("urdu-unr")
    code, _, err = cli("data", "check", "urdu-unr")
    assert code == 2 and "'urdu-unr' is neither a file nor a registered dataset" in err and "Traceback" not in err


# Inline markup, one sentence a line, with the typos real files have (UNER's layout).
INLINE = "\r\n".join([
    "<PERSON>علی خان</PERSON> نے <LOCATION>لاہور</LOCATION>۔",  # 1: a closing tag glued to "۔"
    "< person >احمد</ Person> گیا",                           # 2: spaces inside brackets, lower case
    "<NUMBER>25/<NUMBER> لوگ",                                 # 3: "/<X>" for "</X>"
    "وہ</PERSON> آیا",                                         # 4: a closing tag with nothing open
    "<ORGANIZATION>تحریک انصاف</LOCATION> میں",                # 5: a closing tag of another type
    "<DATE>سنہ 2015",                                          # 6: unclosed at the line end
    "کے<PERSON>علی</PERSON>",                                  # 7: an opening tag glued to "کے"
    "پہلا۔\ufeffدوسرا <TIME>صبح</TIME>",                      # 8: files joined with cat
    "",
    "<PERSON>زید <LOCATION>پشاور</LOCATION>",                   # 10: unclosed at the next opening tag
]) + "\r\n"


def test_inline_markup_with_typos_utf16_crlf(tmp_path):
    path = write(tmp_path / "uner.txt", "\ufeff" + INLINE, encoding="utf-16-le")
    corpus = read_corpus(path, file_format="inline", tagset="urdu-uner")
    assert corpus.report.encoding == "utf-16"
    got = [list(zip(s.tokens, s.tags)) for s in corpus]
    assert got == [
        [("علی", "B-PERSON"), ("خان", "I-PERSON"), ("نے", "O"), ("لاہور", "B-LOCATION"), ("۔", "O")],
        [("احمد", "B-PERSON"), ("گیا", "O")],
        [("25", "B-NUMBER"), ("لوگ", "O")],
        [("وہ", "O"), ("آیا", "O")],
        [("تحریک", "B-ORGANIZATION"), ("انصاف", "I-ORGANIZATION"), ("میں", "O")],
        [("سنہ", "B-DATE"), ("2015", "I-DATE")],
        [("کے", "O"), ("علی", "B-PERSON")],
        [("پہلا۔", "O"), ("دوسرا", "O"), ("صبح", "B-TIME")],
        [("زید", "B-PERSON"), ("پشاور", "B-LOCATION")],
    ]
    assert [s.line for s in corpus] == [1, 2, 3, 4, 5, 6, 7, 8, 10]
    report = corpus.report
    assert dict(report.counts) == {
        "glued-tag": 2, "tag-format": 2, "markup-typo": 3, "unclosed-tag": 2, "inner-bom": 1,
    }
    assert report.example_lines["markup-typo"] == [3, 4, 5]
    assert report.example_lines["unclosed-tag"] == [6, 10]
    assert report.example_lines["glued-tag"] == [1, 7]
    with pytest.raises(DataError, match=r"uner\.txt:1: markup tag glued to a word, .*glued-tag"):
        read_corpus(path, file_format="inline", tagset="urdu-uner", strict=True)


def test_inline_markup_drops_an_entity_without_words(tmp_path):
    corpus = read_corpus(write(tmp_path / "e.txt", "<PERSON> </PERSON> گیا\n"), file_format="inline", tagset=None)
    assert corpus.sentences[0].tags == ("O",) and corpus.report.counts == {"markup-typo": 1}


# IO tags: bare type names; a run of one type is one entity, the only reading IO allows.
IO_TAGS = "\ufeffعلی\tPERSON\nخان\tPERSON\nنے\tO\nلاہور\tLOCATION\nکراچی\tLOCATION\nاور\tO\nپشاور\tLOCATION\n"


@pytest.mark.parametrize("scheme", ["io", "auto"])
def test_io_tags_become_iob2_runs(tmp_path, scheme):
    corpus = read_corpus(write(tmp_path / "io.txt", IO_TAGS), tagset="ijcnlp08-urdu", scheme=scheme)
    assert corpus.sentences[0].tags == ("B-PERSON", "I-PERSON", "O", "B-LOCATION", "I-LOCATION", "O", "B-LOCATION")
    assert corpus.report.scheme == "io" and corpus.report.total == 0 and corpus.report.conversions == 3


# MahaNER's layout: a header row, one token a row, a sentence id instead of blank lines, tags
# without a hyphen.
SENTENCE_ID = (
    "words\tlabels\tsentence_id\n"
    "नरेंद्र\tBNEP\t1.0\nमोदी\tINEP\t1.0\nआज\tBNED\t1.0\n"
    "पंतप्रधान\tBED\t2.0\nपुण्यात\tBNEL\t2.0\nगेले\tO\t2.0\n"
    "दोन\tBNEM\n"  # 8: no sentence id
    "मुंबई\tBNEL\t3.0\n"
)


def test_sentence_id_table_with_hyphenless_tags(tmp_path):
    path = write(tmp_path / "test_iob.txt", SENTENCE_ID)
    corpus = read_corpus(path, file_format="sentence-id", tagset="mahaner", hyphenless=True)
    assert [s.tokens for s in corpus] == [("नरेंद्र", "मोदी", "आज"), ("पंतप्रधान", "पुण्यात", "गेले"), ("मुंबई",)]
    assert [s.tags for s in corpus] == [("B-NEP", "I-NEP", "B-NED"), ("B-ED", "B-NEL", "O"), ("B-NEL",)]
    assert [s.lines for s in corpus][1] == (5, 6, 7)
    assert corpus.report.skipped_lines == [(8, "दोन\tBNEM")] and corpus.report.counts == {"malformed-line": 1}
    # Not guessed for a file not declared so: BNEP is then a type of its own.
    plain = read_corpus(path, file_format="sentence-id", tagset=None)
    assert plain.sentences[0].tags[:2] == ("B-BNEP", "B-INEP")


def test_sentence_id_table_needs_its_header(tmp_path):
    path = write(tmp_path / "noheader.txt", "नरेंद्र\tBNEP\t1.0\n")
    with pytest.raises(DataError, match=r"noheader\.txt:1: the header row .* must name a token column"):
        read_corpus(path, file_format="sentence-id", tagset=None)


def test_space_separated_token_pos_tag_reads_the_last_column(tmp_path):
    text = "రాముడు NNP B-PERSON\nహైదరాబాద్ NNP B-LOC\nకి PSP O\n\nసోమవారం NN B-MISC\nఉదయం NN I-MISC\n"
    corpus = read_corpus(write(tmp_path / "te.txt", text), tagset="telugu-reddy2018")
    assert [s.tags for s in corpus] == [("B-PERSON", "B-LOC", "O"), ("B-MISC", "I-MISC")]
    assert corpus.sentences[0].tokens == ("రాముడు", "హైదరాబాద్", "కి") and corpus.report.total == 0
    with pytest.raises(DataError, match=r"short\.txt:2: 2 columns, but line 1 has 3"):  # POS missing: no guess
        read_corpus(write(tmp_path / "short.txt", "రాముడు NNP B-PERSON\nహైదరాబాద్ B-LOC\n"), tagset="telugu-reddy2018")


def test_bengali_bare_time_tags_and_empty_tags_are_counted(tmp_path):
    text = "\ufeffরহিম\tB-PER\nসকাল\tTIM\n১০টা\tTIM\nঢাকায়\tB-LOC\nযান\t\n।\tO\n"
    corpus = read_corpus(write(tmp_path / "bn.txt", text), tagset="bengali-rifat", scheme="iob2")
    assert corpus.sentences[0].tags == ("B-PER", "B-TIM", "I-TIM", "B-LOC", "O", "O")
    assert dict(corpus.report.counts) == {"bare-type": 2, "i-after-o": 1, "bare-dash": 1}


def _json_arrays(*records) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def test_json_arrays_with_biluo_tags(tmp_path):
    text = _json_arrays(
        ["শেখ হাসিনা ঢাকায় গেলেন", ["B-PERSON", "L-PERSON", "U-GPE", "O"]],
        ["", []],
        ["২০২০ সালের আইন", ["U-DATE", "O", "U-LAW"]],
    )
    corpus = read_corpus(write(tmp_path / "main.jsonl", text), file_format="json-arrays", tagset="bengali-banglakit")
    assert corpus.report.scheme == "bioes" and corpus.report.total == 0
    assert [s.tags for s in corpus] == [("B-PERSON", "I-PERSON", "B-GPE", "O"), ("B-DATE", "O", "B-LAW")]
    assert [s.line for s in corpus] == [1, 3]


@pytest.mark.parametrize("record, message", [
    (["শেখ হাসিনা গেলেন", ["B-PERSON", "L-PERSON"]], "3 whitespace-separated tokens in the text but 2 tags"),
    ({"text": "শেখ", "tags": ["U-PERSON"]}, r"each line must be a JSON array \[text, \[tags\]\]"),
    (["শেখ", [1]], r"each line must be a JSON array"),
])
def test_json_arrays_that_do_not_fit_name_the_line(tmp_path, record, message):
    text = _json_arrays(["ঢাকা", ["U-GPE"]], record)
    with pytest.raises(DataError, match=rf"bad\.jsonl:2: {message}"):
        read_corpus(write(tmp_path / "bad.jsonl", text), file_format="json-arrays", tagset=None)


def _archive(path, members: dict[str, bytes], mode: str):
    with tarfile.open(path, mode) as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


@pytest.mark.parametrize("suffix, mode", [(".tar.gz", "w:gz"), (".tar.xz", "w:xz"), (".tgz", "w:gz")])
def test_an_archive_member_is_read_in_memory(tmp_path, suffix, mode):
    corpus_bytes = "\ufeff<PERSON>علی</PERSON> گیا\r\n".encode("utf-16-le")
    path = _archive(tmp_path / f"corpus{suffix}", {"ner/README": b"x", "ner/uner.txt": corpus_bytes}, mode)
    before = sorted(tmp_path.rglob("*"))
    corpus = read_corpus(path, member="ner/uner.txt", file_format="inline", tagset="urdu-uner")
    assert corpus.sentences[0].tags == ("B-PERSON", "O") and corpus.report.encoding == "utf-16"
    assert corpus.source == f"{path}[ner/uner.txt]"
    assert sorted(tmp_path.rglob("*")) == before  # nothing extracted


def test_a_member_name_is_never_a_path(tmp_path):
    path = _archive(tmp_path / "evil.tar.gz", {"../escaped.txt": "राम\tB-NEP\n".encode()}, "w:gz")
    corpus = read_corpus(path, member="../escaped.txt")
    assert corpus.sentences[0].tags == ("B-NEP",)
    assert not (tmp_path.parent / "escaped.txt").exists() and sorted(tmp_path.iterdir()) == [path]


def test_a_missing_member_names_the_archive_and_its_members(tmp_path):
    path = _archive(tmp_path / "c.tar.xz", {"jahangir.txt": b"a\tO\n", "docs/README": b""}, "w:xz")
    with pytest.raises(DataError) as error:
        read_corpus(path, member="ijnlp.txt")
    assert str(error.value) == (
        f"{path}: the archive has no member 'ijnlp.txt'; it holds jahangir.txt, docs/README: give one of "
        "those, or check that this is the right archive"
    )
    not_tar = write(tmp_path / "plain.tar.gz", "a\tO\n")
    with pytest.raises(DataError, match=r"plain\.tar\.gz: is not a readable tar archive"):
        read_corpus(not_tar, member="ijnlp.txt")


def test_an_archive_benchmark_with_a_wrong_checksum_is_refused(tmp_path, monkeypatch):
    (tmp_path / "urdu-uner").mkdir()
    _archive(tmp_path / "urdu-uner/uner.txt.tar.gz", {"ner/uner.txt": "<PERSON>علی</PERSON>\n".encode()}, "w:gz")
    monkeypatch.setenv("ILNER_DATA_DIR", str(tmp_path))
    with pytest.raises(IlnerError, match="uner.txt.tar.gz \\(urdu-uner:urdu:all\\) has sha256 .* expected bf50bf3b"):
        resolve("urdu-uner")


def test_a_registered_file_is_read_in_its_declared_layout(tmp_path, monkeypatch):
    """Through resolve and load_corpora, as every command reads: MahaNER's layout, hyphenless tags,
    and its mapping onto IL-NER."""
    (tmp_path / "mahaner").mkdir()
    target = write(tmp_path / "mahaner/test_iob.txt", SENTENCE_ID)
    pinned = dataclasses.replace(registry.match("mahaner:marathi:test")[0], sha256=sha256_of(target))
    monkeypatch.setattr(registry, "REGISTRY", tuple(pinned if f.address == pinned.address else f for f in registry.REGISTRY))
    monkeypatch.setenv("ILNER_DATA_DIR", str(tmp_path))
    [(source, corpus)] = load_corpora(["mahaner:marathi:test"])
    assert (source.name, source.language, source.split, source.tagset) == ("mahaner:marathi:test", "marathi", "test", "mahaner")
    assert corpus.sentences[0].tags == ("B-NEP", "I-NEP", "B-NED")
    [(_, mapped)] = load_corpora(["mahaner:marathi:test"], mapping=pinned.mapping_to("il-ner"))
    assert mapped.sentences[0].tags == ("B-NEP", "I-NEP", "B-NETI") and mapped.tagset.name == "il-ner"
    assert mapped.sentences[1].tags == ("O", "B-NEL", "O")  # ED (designation) has no IL-NER type


def test_an_archive_benchmark_is_downloaded_verified_and_read(upstream):
    [(data_file, path, how)] = registry.fetch("urdu-uner")
    assert how == "downloaded" and path == registry.cache_dir() / "urdu-uner/uner.txt.tar.gz"
    assert sha256_of(path) == data_file.sha256 == registry.match("urdu-uner")[0].sha256
    [(source, corpus)] = load_corpora(["urdu-uner"])
    assert source.path == path and len(corpus) == 1637


def test_the_mirrored_uner_file(mirror, cli, tmp_path):
    [(source, corpus)] = load_corpora(["urdu-uner"])
    assert source.path == mirror / "urdu-uner/uner.txt.tar.gz"
    assert corpus.source.endswith("uner.txt.tar.gz[ner/uner.txt]")
    assert len(corpus) == 1637 and corpus.report.encoding == "utf-16"
    assert 48_000 < sum(len(s) for s in corpus) < 49_500
    assert corpus.entity_counts() == {
        "LOCATION": 1217, "PERSON": 1212, "NUMBER": 994, "ORGANIZATION": 672, "DESIGNATION": 287,
        "DATE": 206, "TIME": 73,
    }
    # Five typos: three "/<X>" closing tags, a stray </PERSON>, none left open; 189 BOMs of joined files.
    assert dict(corpus.report.counts) == {"inner-bom": 189, "glued-tag": 27, "markup-typo": 5}
    assert corpus.report.example_lines["markup-typo"] == [801, 905, 983, 1374, 1451]

    code, out, _ = cli("data", "check", "urdu-uner", "--json", tmp_path / "check.json")
    [entry] = json.loads((tmp_path / "check.json").read_text(encoding="utf-8"))["files"]
    assert code == 0 and entry["name"] == "urdu-uner:urdu:all" and entry["repairs"]["markup-typo"] == 5
    code, out, _ = cli("data", "convert", "urdu-uner", tmp_path / "uner.conll", "--to", "conll", "--map", "urdu-uner_to_il-ner")
    assert code == 0 and "1637 sentences" in out
    converted = read_corpus(tmp_path / "uner.conll")
    assert converted.entity_counts() == {"NEL": 1217, "NEP": 1212, "NEN": 994, "NEO": 672, "NETI": 279}
