"""`ilner benchmark`: scores on outside benchmarks, comparable types only, seen and unseen entities."""

import doctest
import json
from pathlib import Path

import pytest

from ilner.data import Sentence, load_tagset
from ilner.data.tagsets import Tagset, TagMapping, load_mapping
from ilner.evaluation import benchmarking
from ilner.evaluation.benchmarking import Benchmark, score
from training_helpers import tiny_trained_model


def test_the_module_examples_run():
    assert doctest.testmod(benchmarking).failed == 0


def _bench(gold):
    return Benchmark("toy", "hindi", gold, load_tagset("hiner-original"),
                     {view: load_mapping(f"hiner-original_to_{view}") for view in ("il-ner", "coarse")})


def test_types_the_benchmark_does_not_annotate_are_not_scored_on_either_side():
    tokens = ("राम", "ने", "दीवाली", "पर", "गीता", "पढ़ी", "और", "5", "लड्डू")
    gold = [Sentence(tokens, ("B-PERSON", "O", "B-FESTIVAL", "O", "B-LITERATURE", "O", "O", "B-NUMEX", "O"))]
    predicted = [Sentence(tokens, ("B-NEP", "O", "B-NETI", "O", "B-NEAR", "O", "O", "B-NEN", "O"))]
    il_ner = score(_bench(gold), predicted, None, bootstrap=0)
    assert il_ner.gold_types_dropped == ["FESTIVAL", "GAME", "LANGUAGE", "MISC", "RELIGION"]
    assert il_ner.scored_types == ["NEAR", "NEL", "NEN", "NEO", "NEP", "NETI"] and il_ner.predicted_dropped == {}
    # FESTIVAL is O in the gold's IL-NER view, so the model's NETI there is a false positive: 3 of 4 right.
    assert (il_ner.strict.micro.correct, il_ner.strict.micro.predicted, il_ner.gold_entities) == (3, 4, 3)
    coarse = score(_bench(gold), predicted, load_mapping("il-ner_to_coarse"), view="coarse", bootstrap=0)
    # Coarse: only PER/LOC/ORG are scored; the model's NETI, NEAR and NEN are set to O and counted.
    assert coarse.scored_types == ["LOC", "ORG", "PER"] and coarse.predicted_dropped == {"NEAR": 1, "NEN": 1, "NETI": 1}
    assert coarse.strict.micro.f1 == 1.0 and coarse.gold_entities == 1


def test_a_gold_type_mapped_to_a_set_is_left_out_and_the_scores_stay_those_of_mapping_it_to_o():
    """Telugu's MISC is a number or a date, which the corpus does not tell apart: not comparable."""
    tokens = ("రాము", "5", "గంటలకు", "హైదరాబాద్", "వచ్చాడు")
    gold = [Sentence(tokens, ("B-PERSON", "B-MISC", "I-MISC", "B-LOC", "O"))]
    predicted = [Sentence(tokens, ("B-NEP", "B-NEN", "B-NETI", "B-NEO", "O"))]
    tagset = load_tagset("telugu-reddy2018")
    as_o = TagMapping("telugu-reddy2018", "il-ner", {"PERSON": "NEP", "LOC": "NEL", "ORG": "NEO", "MISC": "O"})
    before = score(Benchmark("toy", "telugu", gold, tagset, {"il-ner": as_o}), predicted, None, bootstrap=0)
    now = score(Benchmark("toy", "telugu", gold, tagset, {"il-ner": load_mapping("telugu-reddy2018_to_il-ner")}),
                predicted, None, bootstrap=0)
    assert now.to_dict() == before.to_dict() | {"gold_types_ambiguous": {"MISC": ["NEN", "NETI"]}}
    assert now.scored_types == ["NEL", "NEO", "NEP"] and now.gold_types_dropped == ["MISC"]
    assert now.predicted_dropped == {"NEN": 1, "NETI": 1} and now.gold_entities == 2


def test_a_type_in_a_set_is_not_scored_even_where_another_type_maps_to_it_alone():
    tokens = ("राम", "मई", "5")
    gold = [Sentence(tokens, ("B-PER", "B-DATE", "B-MISC"))]
    predicted = [Sentence(tokens, ("B-NEP", "B-NETI", "B-NEN"))]
    mapping = TagMapping("toy", "il-ner", {"PER": "NEP", "DATE": "NETI"}, sets={"MISC": frozenset({"NEN", "NETI"})})
    result = score(Benchmark("toy", "hindi", gold, Tagset("toy", ("PER", "DATE", "MISC")), {"il-ner": mapping}),
                   predicted, None, bootstrap=0)
    # NETI is only partly annotated (a MISC may be one): DATE's gold NETI is left out with it.
    assert result.scored_types == ["NEP"] and result.gold_entities == 1 and result.strict.micro.f1 == 1.0
    assert result.gold_types_dropped == ["MISC"] and result.predicted_dropped == {"NEN": 1, "NETI": 1}


def test_the_default_benchmarks_leave_the_training_splits_out(monkeypatch):
    from ilner.errors import DatasetUnavailableError

    monkeypatch.setenv("ILNER_OFFLINE", "1")  # the test splits are not mirrored: each is noted as left out
    notes: list[str] = []
    assert benchmarking._load_benchmarks([], ["bengali"], False, None, None, None, notes) == []
    assert [note.split()[2].rstrip(":") for note in notes] == [
        "bengali-rifat:bengali:test", "bengali-banglakit:bengali:all"]
    with pytest.raises(DatasetUnavailableError, match="^bengali-rifat:bengali:test is not available offline"):
        benchmarking._registered("bengali-rifat", None)  # the test split, not train or dev
    [dev] = benchmarking._registered("bengali-rifat:*:dev", None)  # named on purpose: scored
    assert dev.name == "bengali-rifat:bengali:dev" and len(dev.sentences) == 437


def test_seen_and_unseen_entities_are_scored_apart():
    tokens = ("राम", "और", "श्याम", "दिल्ली", "गए")
    gold = [Sentence(tokens, ("B-PERSON", "O", "B-PERSON", "B-LOCATION", "O"))]
    predicted = [Sentence(tokens, ("B-NEP", "O", "O", "B-NEL", "O"))]
    result = score(_bench(gold), predicted, None, bootstrap=0, training_entities={"राम", "दिल्ली"})
    assert result.unseen_share == pytest.approx(1 / 3)
    assert result.f1_seen == 1.0 and result.f1_unseen == 0.0


@pytest.fixture(scope="module")
def hindi_model(tmp_path_factory):
    return tiny_trained_model(tmp_path_factory.mktemp("bench"), 400).output_dir


def test_benchmark_on_hiner_equals_the_manual_convert_predict_evaluate_route(hindi_model, tmp_path, cli):
    code, _, err = cli("benchmark", hindi_model, "hiner:original:validation", "--bootstrap", "50",
                       "--json", tmp_path / "bench.json")
    assert code == 0, err
    [result] = json.loads((tmp_path / "bench.json").read_text(encoding="utf-8"))["results"]
    gold, predicted = tmp_path / "gold.conll", tmp_path / "pred.conll"
    assert cli("data", "convert", "hiner:original:validation", gold, "--to", "conll", "--map", "hiner-original_to_il-ner")[0] == 0
    assert cli("predict", hindi_model, gold, "--input-format", "conll", "--format", "conll", "-o", predicted)[0] == 0
    code, _, err = cli("evaluate", gold, predicted, "--json", tmp_path / "manual.json")
    assert code == 0, err
    manual = json.loads((tmp_path / "manual.json").read_text(encoding="utf-8"))
    assert result["strict"]["micro"] == manual["micro"] and result["strict"]["per_type"] == manual["per_type"]
    assert result["sentences"] == 10851 and result["seen_in_training"] is False and result["predicted_dropped"] == {}
    low, high = result["strict_f1_interval"]
    assert low <= result["strict"]["micro"]["f1"] <= high
    assert 0 < result["unseen_share"] < 1  # the model saw 400 Hindi sentences' entities


def test_a_file_of_your_own_with_its_map(hindi_model, tmp_path, cli):
    gold = tmp_path / "mine.conll"
    gold.write_text("राम\tB-PER\nदिल्ली\tB-CITY\nगए\tO\n\nमोदी\tB-PER\nने\tO\nकहा\tB-VERB\n\n", encoding="utf-8")
    mapping = tmp_path / "map.yaml"
    mapping.write_text("source: mine\nmap:\n  PER: NEP\n  CITY: NEL\n  VERB: O\n", encoding="utf-8")
    code, out, err = cli("benchmark", hindi_model, gold, "--tagset-map", mapping, "--language", "hindi",
                         "--bootstrap", "0", "--json", tmp_path / "r.json")
    assert code == 0, err
    [result] = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["results"]
    assert result["gold_entities"] == 3 and result["gold_types_dropped"] == ["VERB"] and result["language"] == "hindi"
    assert "gold types left out: VERB" in out
    # The coarse view goes through IL-NER's: PER and CITY count, VERB does not.
    code, _, err = cli("benchmark", hindi_model, gold, "--tagset-map", mapping, "--coarse", "--bootstrap", "0",
                       "--json", tmp_path / "c.json")
    assert code == 0 and json.loads((tmp_path / "c.json").read_text())["results"][0]["scored_types"] == ["LOC", "PER"]


@pytest.mark.parametrize(("map_text", "message"), [
    ("map:\n  PER: NEP\n  CITY: NEL\n", "VERB, which"),                # a type of the file missing from the map
    ("map:\n  PER: PERSON\n  CITY: NEL\n  VERB: O\n", "not an IL-NER type"),
    ("map:\n  per: NEP\n", "upper case"),
    ("target: coarse\nmap:\n  PER: PER\n", "must be il-ner"),
    ("just text", "needs 'map:'"),
])
def test_a_bad_map_is_one_clear_line(hindi_model, tmp_path, cli, map_text, message):
    gold = tmp_path / "mine.conll"
    gold.write_text("राम\tB-PER\nदिल्ली\tB-CITY\nगए\tB-VERB\n\n", encoding="utf-8")
    (tmp_path / "map.yaml").write_text(map_text, encoding="utf-8")
    code, _, err = cli("benchmark", hindi_model, gold, "--tagset-map", tmp_path / "map.yaml", "--bootstrap", "0")
    assert code == 2 and message in err and "Traceback" not in err, err


def test_a_set_valued_gold_type_is_named_as_left_out(hindi_model, tmp_path, cli, mirror):
    code, out, err = cli("benchmark", hindi_model, "telugu-reddy2018:fold0:dev", "--bootstrap", "0",
                         "--json", tmp_path / "r.json")
    assert code == 0, err
    [result] = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["results"]
    assert result["scored_types"] == ["NEL", "NEO", "NEP"] and result["gold_entities"] == 506 - 170
    assert result["gold_types_dropped"] == ["MISC"] and result["gold_types_ambiguous"] == {"MISC": ["NEN", "NETI"]}
    assert "gold types left out: MISC (one of NEN, NETI, not told apart)" in " ".join(out.split())


def test_unknown_benchmarks_and_missing_maps_are_clear_errors(hindi_model, tmp_path, cli):
    code, _, err = cli("benchmark", hindi_model, "no-such-benchmark:x:y")
    assert code == 2 and "no-such-benchmark" in err
    (tmp_path / "gold.conll").write_text("राम\tB-PER\n\n", encoding="utf-8")
    code, _, err = cli("benchmark", hindi_model, tmp_path / "gold.conll")
    assert code == 2 and "--tagset-map" in err


def test_a_benchmark_in_the_training_data_is_marked(tmp_path, cli, mirror):
    """A model whose first stage learnt from HiNER validation: that benchmark is seen in training."""
    from ilner.models.directory import read_meta

    root = tmp_path / "model"
    config = tiny_trained_model(root, 50)
    (tmp_path / "map.yaml").write_text("map: {NEP: NEP, NEL: NEL, NEO: NEO, NEAR: NEAR, NETI: NETI, NEN: NEN}\n")
    meta = read_meta(config.output_dir)
    meta.config["ner_init"] = {"train": ["hiner:original:validation"]}
    meta.write(Path(config.output_dir))
    code, out, err = cli("benchmark", config.output_dir, "hiner:collapsed:validation", "--bootstrap", "0",
                         "--json", tmp_path / "r.json")
    assert code == 0 and "(seen in training)" in out  # the same sentences in HiNER's other tagset
    code, out, err = cli("benchmark", config.output_dir, tmp_path / "model" / "Hindi-train.txt", "--tagset-map",
                         tmp_path / "map.yaml", "--bootstrap", "0")
    assert code == 0 and "(seen in training)" in out, err  # the model's own training file
    code, out, err = cli("benchmark", config.output_dir, "hiner:original:validation", "--bootstrap", "0",
                         "--json", tmp_path / "r.json")
    assert code == 0 and json.loads((tmp_path / "r.json").read_text())["results"][0]["seen_in_training"] is True
    assert "(seen in training)" in out


def test_update_card_records_the_table(hindi_model, tmp_path, cli):
    from ilner.models.directory import read_meta

    gold = tmp_path / "mine.conll"
    gold.write_text("राम\tB-PER\nदिल्ली\tB-CITY\nगए\tO\n\n", encoding="utf-8")
    (tmp_path / "map.yaml").write_text("map: {PER: NEP, CITY: NEL}\n", encoding="utf-8")
    code, _, err = cli("benchmark", hindi_model, gold, "--tagset-map", tmp_path / "map.yaml", "--bootstrap", "20",
                       "--update-card")
    assert code == 0, err
    row = read_meta(hindi_model).benchmarks["il-ner"][str(gold)]
    assert row["gold_entities"] == 2 and row["scored_types"] == ["NEL", "NEP"]
    card = (Path(hindi_model) / "README.md").read_text(encoding="utf-8")
    assert "## Outside benchmarks (il-ner types" in card and f"| {gold} | " in card
    code, _, err = cli("benchmark", tmp_path, gold, "--tagset-map", tmp_path / "map.yaml", "--update-card")
    assert code == 2 and "not a model directory" in " ".join(err.replace("│", " ").split())


def test_the_python_api_returns_the_result_object(hindi_model, tmp_path):
    from ilner.evaluation import BenchmarkRun, benchmark

    gold = tmp_path / "mine.conll"
    gold.write_text("राम\tB-PER\nदिल्ली\tB-CITY\nगए\tO\n\n", encoding="utf-8")
    (tmp_path / "map.yaml").write_text("map: {PER: NEP, CITY: NEL}\n", encoding="utf-8")
    run = benchmark(hindi_model, [str(gold)], tagset_map=tmp_path / "map.yaml", language="hindi", bootstrap=0)
    assert isinstance(run, BenchmarkRun) and run.view == "il-ner" and run.training_sources
    [result] = run.results
    assert result.gold_entities == 2 and result.to_dict()["benchmark"] == str(gold)


def test_without_names_every_registered_benchmark_of_the_models_languages(hindi_model, tmp_path, cli, mirror, monkeypatch):
    """An Urdu model: UNER from the mirror; the Urdu sets that are neither mirrored nor cached are
    left out with a note (offline here), and no Hindi or Marathi set is run without --zero-shot."""
    import shutil

    from ilner.models.directory import read_meta

    urdu = tmp_path / "urdu-model"
    shutil.copytree(hindi_model, urdu, ignore=shutil.ignore_patterns("checkpoints"))
    meta = read_meta(urdu)
    meta.languages = ["urdu"]
    meta.write(urdu)
    monkeypatch.setenv("ILNER_OFFLINE", "1")
    monkeypatch.setenv("ILNER_CACHE", str(tmp_path / "empty-cache"))
    code, out, err = cli("benchmark", urdu, "--bootstrap", "0", "--json", tmp_path / "r.json")
    assert code == 0, err
    names = [r["benchmark"] for r in json.loads((tmp_path / "r.json").read_text())["results"]]
    assert names == ["urdu-uner:urdu:all"]
    assert "left out ijcnlp08-urdu:urdu:all" in " ".join(err.split()) and "hiner" not in out
    code, _, err = cli("benchmark", hindi_model, "--bootstrap", "0", "--coarse", "--zero-shot", "--json", tmp_path / "z.json")
    assert code == 0, err
    ran = {r["benchmark"] for r in json.loads((tmp_path / "z.json").read_text())["results"]}
    assert {"urdu-uner:urdu:all", "hiner:original:validation", "hiner:collapsed:validation"} <= ran


def test_training_sources_follow_relative_stages_from_anywhere(tmp_path, monkeypatch):
    """``init_from`` is recorded relative to where training ran (``runs/cpu`` for ``runs/cpu/urdu``):
    the chain is found from another working directory too, so HiNER in the first stage still
    marks HiNER as seen in training."""
    from ilner.evaluation.benchmarking import training_sources
    from ilner.models.directory import ModelMeta

    runs = tmp_path / "project" / "runs"
    for folder, meta in {
        runs / "cpu" / "ner-init": ModelMeta(config={"train": ["hiner:original:validation"]}),
        runs / "cpu": ModelMeta(config={"model": "runs/cpu/ner-init", "train": ["il-ner:*:train"]}),  # started from
        runs / "cpu" / "urdu": ModelMeta(init_from="runs/cpu", config={"train": ["il-ner:urdu:train"]}),
    }.items():
        folder.mkdir(parents=True, exist_ok=True)
        meta.write(folder)
    (runs / "lost").mkdir()
    monkeypatch.chdir(tmp_path)  # not the folder training ran in
    specs, notes = training_sources(runs / "cpu" / "urdu")
    assert specs == ["il-ner:urdu:train", "il-ner:*:train", "hiner:original:validation"] and notes == []
    ModelMeta(init_from="runs/elsewhere", config={"model": "scratch"}).write(runs / "lost")
    assert training_sources(runs / "lost") == ([], [f"{runs / 'lost'}: the stage it continued from (runs/elsewhere) "
                                                    "is not found, so what it was trained on is not fully known"])
