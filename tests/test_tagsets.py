"""Built-in tagsets and mappings, user mapping files, and mapping errors."""

import pytest
from conftest import write

from ilner.data import load_corpora, load_mapping, load_tagset
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
