"""The fuzz cases of tests/fuzz.py: every command keeps its exit codes, prints no traceback and
loses nothing silently, on the causes of issue 23 and on randomly damaged files."""

from pathlib import Path

from fuzz import model_cases, named_cases, random_cases, run_case
from training_helpers import tiny_trained_model


def _problems(cases) -> list[str]:
    return [f"{o.case.name}: {o.problem}" for o in map(run_case, cases) if o.problem]


def test_named_cases(tmp_path):
    assert _problems(named_cases(tmp_path)) == []


def test_randomly_damaged_files(tmp_path):
    assert _problems(random_cases(tmp_path, 200, seed=23)) == []


def test_predict_cases(tmp_path):
    config = tiny_trained_model(tmp_path, 40)
    named_cases(tmp_path)  # writes the shared inputs (binary.conll, plain-file)
    assert _problems(model_cases(tmp_path, str(Path(config.output_dir)))) == []
