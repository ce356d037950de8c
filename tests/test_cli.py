"""The command line, run in-process through the real entry point (error handling included)."""

import json

import pytest
from conftest import write

COMMANDS = [["data", "check"], ["data", "repair"], ["data", "stats"], ["data", "fetch"], ["data", "convert"], ["evaluate"]]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help_with_an_example(cli, command):
    code, out, _ = cli(*command, "--help")
    assert code == 0
    assert "Example:" in out and "ilner " in out


def test_check_il_ner_reports_repairs_per_file(cli, mirror, tmp_path):
    code, out, _ = cli("data", "check", "il-ner:*:*", "--json", tmp_path / "check.json")
    assert code == 0
    assert "il-ner:telugu:test" in out and "12 file(s) usable after repair" in out
    assert "Hindi-train.txt:213885: skipped malformed line 'O'" in out.replace("\n", "")
    report = json.loads((tmp_path / "check.json").read_text())
    files = {f["name"]: f for f in report["files"]}
    assert sum(files["il-ner:telugu:test"]["entities"].values()) == 334
    assert files["il-ner:telugu:test"]["repairs"]["dash-type"] == 163
    assert files["il-ner:telugu:train"]["repairs"]["dash-type"] == 1026
    odia_test = next(o for o in report["overlaps"] if o["source"].endswith("Odia-test.txt"))
    assert 0.37 < odia_test["seen_share"] < 0.41


def test_check_strict_fails_with_file_and_line(cli, mirror):
    code, _, err = cli("data", "check", "il-ner:telugu:test", "--strict")
    assert code == 1
    assert "Telugu-test.txt:" in err and "[dash-type]" in err


@pytest.mark.parametrize("name,content,message", [
    ("empty.txt", b"", "is empty"),
    ("blank.txt", b"\n\n\n", "has only blank lines"),
    ("utf16.txt", "a\tO\n".encode("utf-16-le"), "UTF-16LE without a byte-order mark"),
    ("binary.bin", bytes(range(256)), "binary file"),
])
def test_check_bad_files_exit_nonzero_without_traceback(cli, tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    code, out, err = cli("data", "check", path)
    assert code == 1
    assert f"{name}" in err and message in err
    assert "Traceback" not in out + err


def test_evaluate_cli_json_and_token_mismatch(cli, tmp_path):
    gold = write(tmp_path / "gold.txt", "राम\tB-NEP\nदिल्ली\tB-NEL\nगए\tO\n\n5\tB-NEN\nबजे\tI-NEN\n")
    pred = write(tmp_path / "pred.txt", "राम\tB-NEP\nदिल्ली\tB-NEO\nगए\tO\n\n5\tO\nबजे\tI-NEN\n")
    code, out, _ = cli("evaluate", gold, pred, "--json", tmp_path / "scores.json", "--bootstrap", "50")
    assert code == 0 and "micro F1 of all 2 sentences with 95% bootstrap interval" in " ".join(out.split())
    scores = json.loads((tmp_path / "scores.json").read_text())
    assert scores["scheme"] == "strict"
    assert scores["micro"]["precision"] == pytest.approx(1 / 2)  # strict ignores the stray I-NEN
    assert scores["conlleval"]["micro"]["precision"] == pytest.approx(1 / 3)
    assert scores["per_type"]["NEL"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert set(scores) >= {"micro", "macro", "per_type", "scheme"}
    assert scores["micro_interval"]["low"] <= scores["micro"]["f1"] <= scores["micro_interval"]["high"]

    wrong = write(tmp_path / "wrong.txt", "राम\tB-NEP\nमुंबई\tB-NEO\nगए\tO\n\n5\tO\nबजे\tI-NEN\n")
    code, out, err = cli("evaluate", gold, wrong)
    assert code == 2
    assert "wrong.txt:2:" in err and "'मुंबई'" in err and "Traceback" not in err


def test_evaluate_predicted_types_outside_the_gold_tagset_are_an_error(cli, tmp_path):
    gold = write(tmp_path / "gold.txt", "राम\tB-NEP\nदिल्ली\tB-NEL\nगए\tO\n")
    renamed = write(tmp_path / "renamed.txt", "राम\tB-PER\nदिल्ली\tB-NEL\nगए\tO\n")
    code, _, err = cli("evaluate", gold, renamed)
    assert code == 2 and "renamed.txt:1:" in err and "predicted types PER" in err and "--map il-ner_to_coarse" in err
    code, _, err = cli("evaluate", gold, renamed, "--map", "il-ner_to_coarse")  # NEL is not a coarse type
    assert code == 2 and "renamed.txt:2:" in err and "NEL" in err and "must already use" in err
    coarse = write(tmp_path / "coarse.txt", "राम\tB-PER\nदिल्ली\tB-ORG\nगए\tO\n")
    code, _, err = cli("evaluate", gold, coarse)  # every predicted type foreign: still the --map hint
    assert code == 2 and "coarse.txt:1:" in err and "predicted types ORG, PER" in err and "--map il-ner_to_coarse" in err
    code, out, err = cli("evaluate", gold, coarse, "--map", "il-ner_to_coarse", "--json", tmp_path / "s.json")
    assert code == 0, err
    assert json.loads((tmp_path / "s.json").read_text())["micro"]["precision"] == pytest.approx(1 / 2)
    code, out, _ = cli("evaluate", "--help")
    assert "predictions must already use" in " ".join(out.replace("│", " ").split())


def test_evaluate_reads_the_predictions_of_predict_jsonl_output(cli, tmp_path):
    """ilner predict keeps a record's gold tags and adds predicted_tags: evaluate must score the
    latter, not the gold against itself."""
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps({"tokens": ["राम", "दिल्ली", "गए"], "tags": ["B-NEP", "B-NEL", "O"]},
                               ensure_ascii=False) + "\n", encoding="utf-8")
    predicted = tmp_path / "pred.jsonl"
    predicted.write_text(json.dumps({"tokens": ["राम", "दिल्ली", "गए"], "tags": ["B-NEP", "B-NEL", "O"],
                                     "predicted_tags": ["B-NEP", "O", "O"]}, ensure_ascii=False) + "\n", encoding="utf-8")
    code, _, err = cli("evaluate", gold, predicted, "--json", tmp_path / "s.json")
    assert code == 0, err
    micro = json.loads((tmp_path / "s.json").read_text())["micro"]
    assert (micro["precision"], micro["recall"]) == (pytest.approx(1.0), pytest.approx(0.5))


def test_evaluate_prediction_line_without_tag_is_an_error(cli, tmp_path):
    gold = write(tmp_path / "gold.txt", "राम\tB-NEP\nदिल्ली\tB-NEL\nगए\tO\n\nसीता\tB-NEP\n")
    pred = write(tmp_path / "pred.txt", "राम\tB-NEP\nदिल्ली\nगए\tO\n\nसीता\tB-NEP\n")
    code, _, err = cli("evaluate", gold, pred)
    assert code == 2 and "pred.txt:2:" in err and "'दिल्ली' is not token + tag" in err and "Traceback" not in err
    code, _, err = cli("evaluate", gold, gold, "--bootstrap", "-5")
    assert code == 2 and "--bootstrap" in err


def test_evaluate_several_languages_with_exclude_seen(cli, mirror, tmp_path):
    preds = tmp_path / "preds"
    for language in ("Telugu", "Urdu"):
        code, _, _ = cli("data", "repair", f"il-ner:{language.lower()}:test", preds / f"{language}-test.txt")
        assert code == 0
    code, out, _ = cli(
        "evaluate", "il-ner:[tu][er]*:test", preds, "--exclude-seen", "il-ner:*:train", "--json", tmp_path / "s.json"
    )
    assert code == 0, out
    scores = json.loads((tmp_path / "s.json").read_text())
    assert set(scores["per_language"]) == {"telugu", "urdu"}
    assert scores["micro"]["f1"] == 1.0
    assert scores["unseen"]["excluded"] == 6  # 5 Telugu and 1 Urdu test sentences occur in train


def test_convert_and_repair_round_trip(cli, mirror, tmp_path):
    code, _, _ = cli("data", "convert", "il-ner:telugu:dev", tmp_path / "dev.jsonl", "--to", "jsonl")
    assert code == 0
    code, _, _ = cli("data", "convert", tmp_path / "dev.jsonl", tmp_path / "dev.bioes", "--to", "conll-bioes")
    assert code == 0
    assert "S-NEP" in (tmp_path / "dev.bioes").read_text(encoding="utf-8")
    code, _, _ = cli("data", "repair", "il-ner:telugu:dev", tmp_path / "dev.txt")
    assert code == 0
    code, out, _ = cli("evaluate", tmp_path / "dev.bioes", tmp_path / "dev.txt")
    assert code == 0 and "100.00" in out


def test_repair_refuses_sources_with_the_same_output_name(cli, mirror, tmp_path):
    code, _, err = cli("data", "repair", "hiner:*", tmp_path / "out")
    assert code == 2
    assert "hiner:*: stands for several files with the same name" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_repair_and_convert_refuse_outputs_they_cannot_write(cli, mirror, tmp_path):
    folder, file = tmp_path / "folder", tmp_path / "file.txt"
    folder.mkdir()
    file.write_text("x\n", encoding="utf-8")
    cases = [
        (("data", "repair", "il-ner:telugu:test", folder), "is a folder"),
        (("data", "repair", "il-ner:telugu:*", file), "stands for 3 files, so give a folder"),
        (("data", "repair", "il-ner:telugu:test", tmp_path / "x.txt", "--output-scheme", "bio"), "choose iob2 or bioes"),
        (("data", "repair", "il-ner:telugu:test", tmp_path / "x.jsonl", "--output-scheme", "bioes"), "for CoNLL output"),
        (("data", "convert", "il-ner:telugu:test", folder), f"{folder}: Is a directory"),
    ]
    for args, message in cases:
        code, _, err = cli(*args)
        assert code == 2 and message in " ".join(err.replace("│", " ").split()) and "Traceback" not in err, args
    assert file.read_text(encoding="utf-8") == "x\n" and not list(folder.iterdir())


def test_stats_json(cli, mirror, tmp_path):
    code, out, _ = cli("data", "stats", "il-ner:urdu:test", "--json", tmp_path / "stats.json")
    assert code == 0 and "Arabic" in out
    [stats] = json.loads((tmp_path / "stats.json").read_text())["files"]
    assert stats["sentences"] == 1096 and stats["length_p99"] <= stats["length_max"]
    assert max(stats["scripts"], key=stats["scripts"].get) == "Arabic"


def test_fetch_offline_is_one_clear_error(cli, monkeypatch):
    monkeypatch.setenv("ILNER_OFFLINE", "1")
    monkeypatch.delenv("ILNER_DATA_DIR", raising=False)
    code, _, err = cli("data", "stats", "il-ner:hindi:dev")
    assert code == 2
    assert "ilner data fetch il-ner" in err and "ILNER_DATA_DIR" in err and "Traceback" not in err


def test_unknown_tagset_is_one_clear_error(cli, tmp_path):
    code, _, err = cli("data", "stats", write(tmp_path / "a.txt", "a\tO\n"), "--tagset", "nope")
    assert code == 2 and "unknown tagset 'nope'" in err
