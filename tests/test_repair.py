"""Each repair rule, counted per file with its line; strict mode; the real IL-NER noise."""

import pytest
from conftest import write

from ilner.data import read_corpus
from ilner.errors import DataError

NOISY = (
    "a\tB-\u200c\u200cNEP\n"   # 1: rule 1 (format characters)
    "b\ti-nep\n"               # 2: rule 1 (case)
    "c\t-NEL\n"                # 3: rule 2
    "d\t-\n"                   # 4: rule 3
    "e\t\n"                    # 5: rule 3 (empty tag after the tab)
    "f\tB-NEMI\n"              # 6: rule 5
    "g\tO\n"
    "h\tI-NEO\n"               # 8: rule 6
    "O\n"                      # 9: rule 7
    "i\tI-NEO\n"
)


def test_every_rule_counted_with_lines(tmp_path):
    corpus = read_corpus(write(tmp_path / "noisy.txt", NOISY))
    report = corpus.report
    assert dict(report.counts) == {
        "tag-format": 2, "dash-type": 1, "bare-dash": 2, "unknown-type": 1, "i-after-o": 1, "malformed-line": 1,
    }
    assert report.example_lines["tag-format"] == [1, 2]
    assert report.example_lines["bare-dash"] == [4, 5]
    assert report.example_lines["i-after-o"] == [8]
    assert report.skipped_lines == [(9, "O")]
    assert report.unknown_types == {"NEMI": 1}
    assert corpus.sentences[0].tokens == tuple("abcdefghi")
    assert corpus.sentences[0].tags == ("B-NEP", "I-NEP", "B-NEL", "O", "O", "O", "O", "B-NEO", "I-NEO")


def test_keep_unknown_keeps_type(tmp_path):
    corpus = read_corpus(write(tmp_path / "n.txt", NOISY), keep_unknown=True)
    assert corpus.sentences[0].tags[5] == "B-NEMI"
    assert "unknown-type" not in corpus.report.counts
    assert corpus.report.unknown_types == {"NEMI": 1}


def test_strict_names_first_repair_line(tmp_path):
    with pytest.raises(DataError, match=r"n\.txt:1: format characters .*tag-format; 8 repairs"):
        read_corpus(write(tmp_path / "n.txt", NOISY), strict=True)


def test_io_and_iob1_conversion_is_not_a_repair(tmp_path):
    io = read_corpus(write(tmp_path / "io.txt", "a\tNEP\nb\tNEP\nc\tO\nd\tNEL\n"))
    assert io.report.scheme == "io"
    assert io.sentences[0].tags == ("B-NEP", "I-NEP", "O", "B-NEL")
    assert io.report.total == 0 and io.report.conversions == 2
    read_corpus(write(tmp_path / "iob1.txt", "a\tI-NEP\nb\tB-NEP\nc\tO\n"), strict=True)


def test_bare_tags_in_an_iob2_file_are_repairs(tmp_path):
    corpus = read_corpus(write(tmp_path / "b.txt", "a\tB-NEP\nb\tNEP\nc\tO\nd\tI-NEL\n\ne\tNEO\n"))
    assert corpus.report.scheme == "iob2"
    assert corpus.sentences[0].tags == ("B-NEP", "I-NEP", "O", "B-NEL")
    assert corpus.sentences[1].tags == ("B-NEO",)
    assert corpus.report.example_lines["bare-type"] == [2, 6]
    assert corpus.report.example_lines["i-after-o"] == [4, 6]
    assert corpus.report.conversions == 0
    with pytest.raises(DataError, match=r"b\.txt:2: type without B-/I- prefix .*bare-type"):
        read_corpus(tmp_path / "b.txt", strict=True)


def test_file_in_another_tagset_is_an_error(tmp_path):
    path = write(tmp_path / "hiner.txt", "a\tB-PERSON\nb\tI-PERSON\nc\tO\nd\tB-LOCATION\n")
    with pytest.raises(DataError, match=r"hiner\.txt: none of its entity types \(PERSON, LOCATION\) is in tagset il-ner") as error:
        read_corpus(path)
    assert "--tagset" in str(error.value)
    assert read_corpus(path, tagset="hiner-collapsed").entity_counts() == {"PERSON": 1, "LOCATION": 1}
    assert read_corpus(path, keep_unknown=True).report.unknown_types == {"PERSON": 2, "LOCATION": 1}


def test_predictions_keep_stray_inside_tags(tmp_path):
    corpus = read_corpus(write(tmp_path / "p.txt", "a\tO\nb\tI-NEP\n"), repair_iob=False, scheme="iob2")
    assert corpus.sentences[0].tags == ("O", "I-NEP")


def test_il_ner_telugu_test_after_repair(mirror):
    corpus = read_corpus(mirror / "il-ner/Telugu/Telugu-test.txt")
    assert sum(corpus.entity_counts().values()) == 334
    assert corpus.report.counts["dash-type"] == 163


def test_il_ner_hindi_train_malformed_line(mirror):
    corpus = read_corpus(mirror / "il-ner/Hindi/Hindi-train.txt")
    assert corpus.report.skipped_lines == [(213885, "O")]
    with pytest.raises(DataError, match=r"Hindi-train\.txt:\d+: "):
        read_corpus(mirror / "il-ner/Hindi/Hindi-train.txt", strict=True)


def test_il_ner_odia_zero_width_tags(mirror):
    corpus = read_corpus(mirror / "il-ner/Odia/Odia-train.txt")
    assert corpus.report.counts["tag-format"] > 0
    assert corpus.report.unknown_types["NEMI"] > 0
    assert all(tag.isascii() for s in corpus for tag in s.tags)


@pytest.mark.parametrize("tag", ["Z-NEL", "O-NETI", "x-nep"])
def test_a_tag_prefix_that_no_scheme_uses_is_an_error_naming_the_line(tmp_path, tag):
    """Read as it stands, such a tag was kept and then lost when the corpus was written."""
    path = tmp_path / "odd.conll"
    path.write_text(f"दिल्ली\tB-NEL\nमें\tO\nलाहौर\t{tag}\n", encoding="utf-8")
    with pytest.raises(DataError, match=f"odd.conll:3: tag '{tag}' has the prefix .-, which no tagging scheme uses"):
        read_corpus(path)
