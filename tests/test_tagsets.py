"""Built-in tagsets and mappings, user mapping files, and mapping errors."""

import pytest
from conftest import write

from ilner.data import load_corpora, load_mapping, load_tagset, read_corpus
from ilner.data.tagsets import builtin_mappings, builtin_tagsets
from ilner.errors import TagsetError


def test_builtin_tagsets():
    assert set(builtin_tagsets()) >= {"il-ner", "hiner-original", "hiner-collapsed", "coarse"}
    il_ner = load_tagset("il-ner")
    assert il_ner.types == ("NEP", "NEL", "NEO", "NEAR", "NETI", "NEN")
    assert len(il_ner.labels) == 13 and il_ner.labels[0] == "O"
    assert len(load_tagset("hiner-original").types) == 11
    assert load_tagset("hiner-collapsed").types == ("PERSON", "LOCATION", "ORGANIZATION")


def test_every_builtin_mapping_loads():
    for name in builtin_mappings():
        mapping = load_mapping(name)
        assert name == f"{mapping.source}_to_{mapping.target}"


def test_hiner_to_il_ner_mapping():
    mapping = load_mapping("hiner-original_to_il-ner")
    tags = ["B-PERSON", "I-PERSON", "B-FESTIVAL", "I-FESTIVAL", "B-LITERATURE", "O", "B-TIMEX"]
    assert mapping.map_tags(tags) == ["B-NEP", "I-NEP", "O", "O", "B-NEAR", "O", "B-NETI"]
    assert load_mapping("il-ner_to_coarse").map_tags(["B-NEP", "B-NEN", "I-NEN", "B-NEO"]) == ["B-PER", "O", "O", "B-ORG"]


def test_user_mapping_with_default(tmp_path):
    path = write(tmp_path / "m.yaml", "source: hiner-original\ntarget: coarse\nmap:\n  PERSON: PER\ndefault: O\n")
    assert load_mapping(str(path)).map_tags(["B-PERSON", "B-GAME"]) == ["B-PER", "O"]


@pytest.mark.parametrize("body,message", [
    ("source: hiner-collapsed\ntarget: il-ner\nmap:\n  PERSON: NEP\n", "does not say where LOCATION, ORGANIZATION"),
    ("source: hiner-collapsed\ntarget: il-ner\nmap:\n  PERSONN: NEP\ndefault: O\n", "'PERSONN' is not a type of hiner-collapsed"),
    ("source: hiner-collapsed\ntarget: il-ner\nmap:\n  PERSON: PER\ndefault: O\n", "'PER', which is not a type of il-ner"),
    ("source: hiner-collapsed\nmap: {}\n", "needs 'source:', 'target:'"),
    ("source: nope\ntarget: il-ner\nmap: {}\n", "unknown tagset 'nope'"),
    ("[1, 2", "cannot read mapping file"),
])
def test_bad_mapping_files(tmp_path, body, message):
    with pytest.raises(TagsetError, match=message):
        load_mapping(str(write(tmp_path / "bad.yaml", body)))


def test_unmapped_type_at_use_is_an_error(tmp_path):
    mapping = load_mapping("hiner-collapsed_to_il-ner")
    with pytest.raises(TagsetError, match="does not say where type 'GAME' goes"):
        mapping.map_tags(["B-GAME"])


@pytest.mark.parametrize("body, message", [
    ("types: {1: x}", "must map type names to descriptions"),
    ("types: {PER: [a, b]}", "must map type names to descriptions"),
    ("types: [per]", "must be upper case"),
])
def test_bad_tagset_files(tmp_path, body, message):
    path = tmp_path / "t.yaml"
    path.write_text(body + "\n", encoding="utf-8")
    with pytest.raises(TagsetError, match=rf"tagset file .*t\.yaml: .*{message}"):
        load_tagset(str(path))


def test_unknown_names():
    with pytest.raises(TagsetError, match="unknown tagset 'ilner': built-in ones are"):
        load_tagset("ilner")
    with pytest.raises(TagsetError, match="unknown mapping 'il-ner_to_hiner-original': built-in ones are"):
        load_mapping("il-ner_to_hiner-original")


def test_mapping_real_hiner(mirror):
    [(_, corpus)] = load_corpora(["hiner:original:validation"], mapping="hiner-original_to_il-ner")
    assert corpus.tagset.name == "il-ner"
    counts = corpus.entity_counts()
    assert set(counts) <= {"NEP", "NEL", "NEO", "NEAR", "NETI", "NEN"}
    assert counts["NEP"] == 3765 and counts["NEL"] == 20062 and counts["NEAR"] == 74


def test_mapping_reads_registered_files_in_their_own_tagset(mirror, tmp_path):
    loaded = load_corpora(["il-ner:telugu:test", "hiner:collapsed:validation"], mapping="hiner-collapsed_to_il-ner")
    [(_, telugu), (_, hiner)] = loaded
    assert sum(telugu.entity_counts().values()) == 334  # already il-ner: passed through
    assert "unknown-type" not in hiner.report.counts and hiner.entity_counts()["NEP"] > 0
    assert telugu.tagset.name == hiner.tagset.name == "il-ner"
    with pytest.raises(TagsetError, match="hiner:original:validation is in tagset hiner-original, but mapping"):
        load_corpora(["hiner:original:validation"], mapping="hiner-collapsed_to_il-ner")
    plain = write(tmp_path / "plain.txt", "राम\tB-PERSON\nगए\tO\n")  # plain files: the mapping's source tagset
    [(_, corpus)] = load_corpora([str(plain)], mapping="hiner-collapsed_to_il-ner")
    assert corpus.sentences[0].tags == ("B-NEP", "O")


# Partial annotation (issue 27): a source type mapped to a set of types, and what a corpus annotates.

def test_the_module_examples_run():
    import doctest

    from ilner.data import tagsets

    result = doctest.testmod(tagsets)
    assert result.failed == 0 and result.attempted >= 8


def test_every_builtin_mapping_onto_il_ner_states_what_its_corpus_annotates():
    import yaml

    from ilner.data.tagsets import _RESOURCES

    for name in builtin_mappings():
        if name.endswith("_to_il-ner"):
            declared = yaml.safe_load((_RESOURCES / "mappings" / f"{name}.yaml").read_text(encoding="utf-8"))["annotates"]
            annotation = load_mapping(name).annotation  # loading checked it against map:
            assert {t: c for c, types in declared.items() for t in types} == {
                t: annotation.coverage(t) for t in load_tagset("il-ner").types}


def test_what_the_outside_corpora_annotate():
    telugu = load_mapping("telugu-reddy2018_to_il-ner").annotation
    assert (telugu.types("full"), telugu.types("partial"), telugu.types("none")) == (
        ("NEP", "NEL", "NEO"), ("NETI", "NEN"), ("NEAR",))
    assert telugu.sources("NETI") == ("MISC",) and telugu.sources("NEAR") == ()
    for name in ("bengali-rifat", "assamese-astourne"):  # no numbers, no artefacts
        assert load_mapping(f"{name}_to_il-ner").annotation.types("none") == ("NEAR", "NEN")
    for name in ("mahaner", "urdu-uner"):
        annotation = load_mapping(f"{name}_to_il-ner").annotation
        assert annotation.types("none") == ("NEAR",) and annotation.types("partial") == ()
    assert load_mapping("urdu-uner_to_il-ner").annotation.targets["DESIGNATION"] == {"O"}


SET_MAPPING = """source: {tagset}
target: il-ner
map:
  PER: NEP
  NUMDATE: [NEN, NETI]
  TITLE: O
annotates:
  full: [NEP]
  partial: [NEN, NETI]
  none: [NEL, NEO, NEAR]
"""


@pytest.fixture
def toy(tmp_path):
    """A tagset of a corpus that lumps numbers and dates together, and its set-valued mapping."""
    tagset = write(tmp_path / "toy.yaml", "name: toy\ntypes: [PER, NUMDATE, TITLE]\n")
    return tmp_path, str(tagset)


def test_a_set_valued_mapping_loads_and_refuses_hard_tags(toy):
    folder, tagset = toy
    mapping = load_mapping(str(write(folder / "map.yaml", SET_MAPPING.format(tagset=tagset))))
    assert mapping.table == {"PER": "NEP", "TITLE": "O"} and mapping.sets == {"NUMDATE": frozenset({"NEN", "NETI"})}
    with pytest.raises(TagsetError, match=r"map\.yaml sends NUMDATE to one of NEN, NETI, which no single tag can say"):
        mapping.map_tags(["B-PER", "B-NUMDATE"])
    assert mapping.map_tags(["B-PER", "B-NUMDATE", "I-NUMDATE", "B-TITLE"], drop_sets=True) == ["B-NEP", "O", "O", "O"]


def test_allowed_labels_of_a_written_tiny_corpus(toy):
    folder, tagset = toy
    annotation = load_mapping(str(write(folder / "map.yaml", SET_MAPPING.format(tagset=tagset)))).annotation
    corpus = read_corpus(write(folder / "toy.txt", "श्री\tB-TITLE\nराम\tB-PER\nने\tO\n5\tB-NUMDATE\nमई\tI-NUMDATE\n"),
                         tagset=tagset)
    [sentence] = corpus.sentences
    hidden = {f"{p}-{t}" for t in ("NEL", "NEO", "NEAR") for p in "BI"}  # what an O token may be here
    assert annotation.allowed(sentence.tags) == [
        {"O"}, {"B-NEP"}, {"O"} | hidden, {"B-NEN", "B-NETI"}, {"I-NEN", "I-NETI"},
    ]
    assert annotation.allowed(sentence.tags, scheme="bioes") == [
        {"O"}, {"S-NEP"}, {"O"} | {f"{p}-{t}" for t in ("NEL", "NEO", "NEAR") for p in "BIES"},
        {"B-NEN", "B-NETI"}, {"E-NEN", "E-NETI"},
    ]
    assert all(labels <= set(load_tagset("il-ner").labels_for("bioes")) for labels in annotation.allowed(sentence.tags, "bioes"))
    with pytest.raises(TagsetError, match="'LOC' is not a type of toy"):
        annotation.allowed_labels("B-LOC")


@pytest.mark.parametrize("change, message", [
    (("NUMDATE: [NEN, NETI]", "NUMDATE: [NEN, NUMBER]"), r"NUMDATE -> \[NEN, NUMBER\], but 'NUMBER' is not a type of il-ner"),
    (("NUMDATE: [NEN, NETI]", "NUMDATE: [NEN, O]"), "but 'O' is not a type of il-ner"),
    (("NUMDATE: [NEN, NETI]", "NUMDATE: [NEN]"), r"NUMDATE -> \[NEN\] must list two or more different types \(for one, write NUMDATE: TYPE\)"),
    (("NUMDATE: [NEN, NETI]", "NUMDATE: [NEN, NEN]"), "must list two or more different types"),
    (("none: [NEL, NEO, NEAR]", "none: [NEL, NEO]"), "annotates does not list NEAR"),
    (("none: [NEL, NEO, NEAR]", "none: [NEL, NEO, NEAR, NEP]"), "annotates lists NEP twice"),
    (("none: [NEL, NEO, NEAR]", "none: [NEL, NEO, NEAR, PER]"), "annotates 'PER', which is not a type of il-ner"),
    (("full: [NEP]\n  partial: [NEN, NETI]", "full: [NEP, NEN]\n  partial: [NETI]"),
     r"annotates lists NEN as full, but by its 'map:' \(NUMDATE -> it\) it is partial"),
    (("none: [NEL, NEO, NEAR]", "none: [NEL, NEO, NEAR]\n  some: [NEP]"), "'annotates:' must hold lists under full, partial, none"),
    (("none: [NEL, NEO, NEAR]", "none: NEAR"), "'annotates: none:' must be a list of il-ner types"),
])
def test_invalid_mapping_files_give_one_line_errors_naming_file_and_type(toy, change, message):
    folder, tagset = toy
    path = write(folder / "bad.yaml", SET_MAPPING.format(tagset=tagset).replace(*change))
    with pytest.raises(TagsetError, match=message) as error:
        load_mapping(str(path))
    assert "\n" not in str(error.value) and str(error.value).startswith(f"mapping file {path}: ")
