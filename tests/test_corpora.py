"""Training splits of outside corpora (issue 27, data layer): the mirrored splits through the
registry, the dev splits carved off train files, refusal of a tampered copy, and the annotated-types
table of `ilner data stats`. The corpora's test splits are never read here."""

import json
import shutil
from collections import Counter

import pytest

from ilner.data import load_corpora, read_corpus, registry, resolve
from ilner.data.registry import Carve
from ilner.errors import IlnerError

# address -> (mirror file, sentences, repairs, entities per type)
SPLITS = {
    "telugu-reddy2018:fold0:train": ("telugu-reddy2018/train_sentences_0_IOB.txt", 2341, {"i-after-o": 7},
                                     {"LOC": 1359, "PERSON": 1122, "ORG": 582, "MISC": 1445}),
    "telugu-reddy2018:fold0:dev": ("telugu-reddy2018/train_sentences_0_IOB.txt", 268, {"i-after-o": 1},
                                   {"LOC": 150, "PERSON": 123, "ORG": 63, "MISC": 170}),
    "bengali-rifat:bengali:train": ("bengali-rifat/train_data.txt", 4175,
                                    {"malformed-line": 33, "bare-dash": 4, "bare-type": 1474, "i-after-o": 1165},
                                    {"PER": 1705, "LOC": 1227, "ORG": 1238, "TIM": 1103}),
    "bengali-rifat:bengali:dev": ("bengali-rifat/train_data.txt", 437,
                                  {"malformed-line": 1, "bare-type": 135, "i-after-o": 102},
                                  {"PER": 172, "LOC": 112, "ORG": 169, "TIM": 100}),
    "assamese-astourne:assamese:train": ("assamese-astourne/train.csv", 4988, {"i-after-o": 13},
                                         {"LOC": 3624, "PER": 1361, "MISC": 509, "YEAR": 318, "ORG": 268,
                                          "ENT": 166, "FAC": 113, "DATE": 63}),
    "assamese-astourne:assamese:dev": ("assamese-astourne/dev.csv", 1073, {"i-after-o": 2},
                                       {"LOC": 774, "PER": 294, "MISC": 108, "YEAR": 68, "ORG": 58, "ENT": 36,
                                        "FAC": 23, "DATE": 13}),
    "mahaner:marathi:validation": ("mahaner/valid_iob.txt", 1500, {"i-after-o": 1},
                                   {"NEM": 405, "NEP": 322, "NEL": 293, "NEO": 178, "NED": 141, "ED": 61, "NETI": 43}),
    "mahaner:marathi:validation-train": ("mahaner/valid_iob.txt", 1196, {"i-after-o": 1},
                                         {"NEM": 330, "NEP": 254, "NEL": 231, "NEO": 130, "NED": 112, "ED": 44, "NETI": 34}),
    "mahaner:marathi:validation-dev": ("mahaner/valid_iob.txt", 304, {},
                                       {"NEM": 75, "NEP": 68, "NEL": 62, "NEO": 48, "NED": 29, "ED": 17, "NETI": 9}),
}


def test_the_mirrored_splits_are_registered_as_training_data_not_benchmarks():
    for address in SPLITS:
        [data_file] = registry.match(address)
        assert data_file.tagset == data_file.dataset and not data_file.benchmark
        test = registry.match(f"{data_file.dataset}:{data_file.subset}:test")[0]
        assert (data_file.mappings, data_file.language, data_file.repo, data_file.commit) == (
            test.mappings, test.language, test.repo, test.commit)
        assert test.benchmark and test.upstream_path != data_file.upstream_path
    assert [f.address for f in registry.match("mahaner:*:*")] == [
        "mahaner:marathi:validation", "mahaner:marathi:validation-train", "mahaner:marathi:validation-dev",
        "mahaner:marathi:test"]
    assert [f.split for f in registry.match("bengali-rifat")] == ["train", "dev", "test"]
    carved = [f.address for f in registry.REGISTRY if f.carve is not None]
    assert carved == ["telugu-reddy2018:fold0:train", "telugu-reddy2018:fold0:dev",
                      "mahaner:marathi:validation-train", "mahaner:marathi:validation-dev",
                      "bengali-rifat:bengali:train", "bengali-rifat:bengali:dev"]


def test_the_five_mirrored_splits_load_offline_with_a_repair_report(mirror, monkeypatch):
    monkeypatch.setenv("ILNER_OFFLINE", "1")
    loaded = load_corpora(list(SPLITS))
    assert [source.name for source, _ in loaded] == list(SPLITS)
    for source, corpus in loaded:
        path, sentences, repairs, entities = SPLITS[source.name]
        assert source.path == mirror / path and source.tagset == source.data_file.dataset
        assert source.split == ("dev" if source.name.endswith(("dev", ":validation")) else "train")
        assert (len(corpus), dict(corpus.report.counts), dict(corpus.entity_counts())) == (sentences, repairs, entities)
        assert not corpus.report.unknown_types and corpus.report.scheme == "iob2"


@pytest.mark.parametrize("dataset, file_name", [("telugu-reddy2018:fold0", "train_sentences_0_IOB.txt"),
                                                ("bengali-rifat:bengali", "train_data.txt")])
def test_a_carved_dev_split_and_its_train_split_share_the_file_and_nothing_else(mirror, dataset, file_name):
    [(_, train), (_, dev)] = load_corpora([f"{dataset}:train", f"{dataset}:dev"])
    whole = read_corpus(train.report.source, tagset=registry.match(f"{dataset}:train")[0].tagset, scheme="iob2")
    assert Counter(s.tokens for s in train) + Counter(s.tokens for s in dev) == Counter(s.tokens for s in whole)
    assert not {s.tokens for s in train} & {s.tokens for s in dev}  # repeated sentences stay on one side
    assert 0.08 < len(dev) / len(whole) < 0.12
    # Each line's repairs count in the part that owns it: the parts add up to the whole file.
    assert train.report.counts + dev.report.counts == whole.report.counts
    assert sorted(train.report.skipped_lines + dev.report.skipped_lines) == whole.report.skipped_lines
    assert {s.source for s in dev} == {str(mirror / dataset.split(":")[0] / file_name)}


def test_data_check_tells_the_two_parts_of_a_carved_file_apart(mirror, cli, tmp_path):
    code, out, err = cli("data", "check", "bengali-rifat:*:train", "bengali-rifat:*:dev", "--json", tmp_path / "c.json")
    assert code == 0, err
    overlap = out.split("Overlap between splits", 1)[1]
    rows = [[cell.strip() for cell in line.split("│")[1:-1]] for line in overlap.splitlines() if line.startswith("│ ")]
    assert [row[:4] for row in rows] == [["bengali-rifat:bengali:train", "train", "4175", "0"],
                                         ["bengali-rifat:bengali:dev", "dev", "437", "0"]]  # no dev sentence in train
    files = json.loads((tmp_path / "c.json").read_text(encoding="utf-8"))["files"]
    assert [(f["name"], f["repairs"]["malformed-line"]) for f in files] == [
        ("bengali-rifat:bengali:train", 33), ("bengali-rifat:bengali:dev", 1)]


def test_the_carve_off_is_fixed_forever():
    """A sha256 of the words, not a random generator: these answers must never change, or the
    dev split of every trained model would move."""
    dev = Carve(dev=True)
    assert [i for i in range(40) if dev.keeps((str(i),))] == [7, 8, 16, 30, 38]
    assert not dev.keeps(("राम", "दिल्ली", "गया")) and Carve(dev=False).keeps(("राम", "दिल्ली", "गया"))


@pytest.mark.parametrize("address", list(dict.fromkeys(SPLITS)))
def test_a_tampered_copy_is_refused(mirror, tmp_path, monkeypatch, address, cli):
    path = SPLITS[address][0]
    copy = tmp_path / path
    copy.parent.mkdir(parents=True)
    shutil.copy(mirror / path, copy)
    data = bytearray(copy.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit of one byte
    copy.write_bytes(bytes(data))
    monkeypatch.setenv("ILNER_DATA_DIR", str(tmp_path))
    expected = registry.match(address)[0].sha256
    with pytest.raises(IlnerError, match=rf"{copy.name} \({address}\) has sha256 [0-9a-f]{{64}}, expected {expected}"):
        resolve(address)
    code, _, err = cli("data", "stats", address)
    assert code == 2 and f"({address}) has sha256" in err and "Traceback" not in err


def test_data_stats_shows_what_each_outside_corpus_annotates(mirror, cli, tmp_path):
    code, out, err = cli("data", "stats", "telugu-reddy2018:fold0:dev", "bengali-rifat:bengali:dev",
                         "il-ner:telugu:dev", "--json", tmp_path / "stats.json")
    assert code == 0, err
    assert "il-ner types that telugu-reddy2018 annotates" in out and "il-ner types that bengali-rifat annotates" in out
    assert "types that il-ner annotates" not in out  # IL-NER annotates its own types fully: no table
    telugu, bengali = (_rows(table) for table in out.split("il-ner types that bengali-rifat annotates"))
    assert telugu["NEN"] == telugu["NETI"] == ["", "MISC, one of NEN/NETI", ""]
    assert telugu["NEP"] == ["PERSON", "", ""] and telugu["NEAR"] == ["", "", "yes"]
    assert bengali["NEN"] == bengali["NEAR"] == ["", "", "yes"] and bengali["NETI"] == ["TIM", "", ""]
    assert "bengali-rifat:bengali:dev: carved off train_data.txt: about 10% of its sentences" in " ".join(out.split())
    files = json.loads((tmp_path / "stats.json").read_text(encoding="utf-8"))["files"]
    assert files[0]["annotates"]["NETI"] == {"coverage": "partial", "from": ["MISC"]}
    assert files[1]["annotates"]["NEAR"] == {"coverage": "none", "from": []}
    assert "annotates" not in files[2] and "carved" in files[0] and "carved" not in files[2]


def _rows(text: str) -> dict[str, list[str]]:
    """The full / partial / not annotated cells of each IL-NER type's row of the first such table."""
    rows: dict[str, list[str]] = {}
    for line in text.split("not annotated", 1)[1].splitlines():
        cells = [cell.strip() for cell in line.split("│")[1:-1]]
        if len(cells) == 4 and cells[0].startswith("NE"):
            rows.setdefault(cells[0], cells[1:])
    return rows


def test_the_registry_gives_each_file_its_annotation():
    assert registry.match("bengali-rifat:bengali:train")[0].annotation().types("none") == ("NEAR", "NEN")
    assert registry.match("il-ner:hindi:train")[0].annotation().types("full") == ("NEP", "NEL", "NEO", "NEAR", "NETI", "NEN")
    assert registry.match("urdu-uner")[0].annotation().allowed_labels("B-DESIGNATION") == {"O"}
    assert registry.match("hiner:collapsed:validation")[0].annotation("coarse").types("full") == ("PER", "LOC", "ORG")
