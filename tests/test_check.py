"""Leakage between splits, duplicates and conflicting taggings."""

from conftest import write

from ilner.data import load_corpora, read_corpus
from ilner.data.check import overlaps


def test_overlaps_on_small_files(tmp_path):
    train = read_corpus(write(tmp_path / "train.txt", "a\tO\nb\tB-NEP\n\nc\tO\n\nc\tO\n"), split="train")
    test = read_corpus(
        write(tmp_path / "test.txt", "a\tO\nb\tO\n\nc\tO\n\nnew\tO\n\nnew\tB-NEL\n"), split="test"
    )
    [train_row, test_row] = overlaps([("g", train), ("g", test)])
    assert (train_row.seen_in_train, train_row.duplicates) == (0, 1)
    assert test_row.sentences == 4
    assert test_row.seen_in_train == 2  # "a b" and "c"
    assert test_row.seen_tagged_differently == 1  # "a b": B-NEP in train, O in test
    assert test_row.duplicates == 1  # "new" twice
    assert test_row.conflicting == 2  # "a b" across files, "new" within test


def test_plain_files_of_two_languages_in_one_folder_are_separate_groups(tmp_path):
    write(tmp_path / "hindi-train.txt", "राम\tB-NEP\nगया\tO\n")
    write(tmp_path / "odia-train.txt", "ରାମ\tB-NEP\nଗଲା\tO\n")
    write(tmp_path / "odia-test.txt", "ରାମ\tB-NEP\nଗଲା\tO\n\nଓଡ଼ିଶା\tB-NEL\n")
    loaded = load_corpora([str(tmp_path / f) for f in ("hindi-train.txt", "odia-train.txt", "odia-test.txt")])
    rows = {(r.group, r.split): r for r in overlaps([(s.group, c) for s, c in loaded])}
    assert rows[f"{tmp_path}:odia", "test"].seen_in_train == 1
    assert rows[f"{tmp_path}:hindi", "train"].sentences == 1


def test_il_ner_leakage(mirror):
    loaded = load_corpora(["il-ner:odia:*", "il-ner:hindi:*"])
    rows = {(r.group, r.split): r for r in overlaps([(s.group, c) for s, c in loaded])}
    assert 0.37 < rows["il-ner:odia", "test"].seen_share < 0.41
    assert 0.15 < rows["il-ner:hindi", "test"].seen_share < 0.19
    assert rows["il-ner:hindi", "test"].seen_tagged_differently > 0
