"""The README cannot drift from the code (issue 23): every `ilner` command line of its ```bash
blocks is parsed by the real command-line app (commands, options, presets, `--set` keys), the
cheap ones (data check/stats/repair/convert, evaluate) are run on the mirror, and its ```python
blocks are run against a tiny model built here."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.main import get_command

from conftest import MIRROR, REPO, write
from ilner.cli import app

README = (REPO / "README.md").read_text(encoding="utf-8")
# Placeholders of the README's command summaries, and what the test runs them with.
VALUES = {"GOLD": "il-ner:telugu:test", "PRED": "telugu-test.txt", "TRAIN": "il-ner:telugu:train"}
RUN = {("data", "check"), ("data", "stats"), ("data", "repair"), ("data", "convert"), ("evaluate",)}
PLACEHOLDER = re.compile(r"[A-Z][A-Z_]{2,}")


def blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", README, flags=re.S | re.M)


def command_lines() -> list[list[str]]:
    """Each bash line as shell words (comments dropped, continuations joined), split at pipes and `&&`."""
    segments = []
    for block in blocks("bash"):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            current: list[str] = []
            for i, word in enumerate(words):
                # `--preset cpu | --config FILE` offers alternatives; `... | ilner predict` is a pipe.
                if word == "&&" or (word == "|" and not words[i + 1].startswith("-")):
                    segments.append(current)
                    current = []
                elif word != "|":
                    current.append(word)
            segments.append(current)
    return [s for s in segments if s]


Item = str | list[str]  # a word, or an optional [group] of words


def ilner_lines() -> list[list[Item]]:
    """The arguments of every `ilner` command line, optional [groups] as lists; `...` dropped."""
    found = []
    for words in command_lines():
        if "ilner" not in words or words[0] not in ("ilner", "accelerate"):
            continue
        items: list[Item] = []
        group: list[str] | None = None
        for word in words[words.index("ilner") + 1:]:
            opens = word.startswith("[")
            closes = word.endswith("]") and (opens or group is not None)  # `train=[...]` is a value
            plain = word[opens:len(word) - closes]
            if opens:
                group = []
            if plain and plain != "...":
                (items if group is None else group).append(plain)
            if closes:
                items.append(group)
                group = None
        found.append(items)
    return found


def _flat(items: list[Item]) -> list[str]:
    return [w for item in items for w in ([item] if isinstance(item, str) else item)]


ROOT = get_command(app)


def _command(words: list[str]) -> tuple[list[str], object, list[str]]:
    """The command path (`data check`), its click command (typer's own click), and the words after it."""
    path, command, rest = [], ROOT, list(words)
    while hasattr(command, "list_commands"):  # a group
        assert rest, f"`ilner {' '.join(words)}`: no command"
        name = rest.pop(0)
        sub = command.get_command(None, name)
        assert sub is not None, f"README names `ilner {' '.join(path + [name])}`, which does not exist"
        path, command = path + [name], sub
    return path, command, rest


def _options(command) -> dict[str, object]:
    return {name: p for p in command.params if p.param_type_name == "option" for name in (*p.opts, *p.secondary_opts)}


def test_readme_has_the_commands_to_check():
    paths = {tuple(_command(_flat(items))[0]) for items in ilner_lines()}
    assert RUN | {("train",), ("predict",), ("pretrain",), ("export",), ("data", "fetch")} <= paths


@pytest.mark.parametrize("items", ilner_lines(), ids=lambda items: " ".join(_flat(items))[:60])
def test_every_readme_command_and_option_exists(items):
    from ilner.training.config import load_config, preset_path, presets

    line = " ".join(_flat(items))
    path, command, words = _command(_flat(items))
    options = _options(command)
    for word in words:
        if word.startswith("-") and word != "-":
            assert word.split("=")[0] in options, f"`ilner {' '.join(path)}` has no option {word} (README: {line})"
    first = [w.split("|")[0] for w in words]
    command.make_context(" ".join(path), first, resilient_parsing=True)
    if path[0] in ("train", "pretrain"):  # the preset or config exists and every --set key is known
        sets = [first[i + 1] for i, w in enumerate(first[:-1]) if w == "--set" and not first[i + 1].startswith("key=")]
        if "--preset" in first:
            assert first[first.index("--preset") + 1] in presets()
            load_config(preset_path(first[first.index("--preset") + 1]), sets)
        if "--config" in first and not PLACEHOLDER.search(first[first.index("--config") + 1]):
            load_config(REPO / first[first.index("--config") + 1], sets)


def test_the_readme_benchmark_scripts_make_targets_and_extras_exist():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    extras = set(pyproject["project"]["optional-dependencies"])
    targets = set(re.findall(r"^([a-z]+):", (REPO / "Makefile").read_text(encoding="utf-8"), flags=re.M))
    for words in command_lines():
        for word in words:
            if word.startswith("benchmarks/"):
                assert (REPO / word).is_file(), word
            if re.fullmatch(r"\.\[([a-z,]+)\]", word):
                assert set(word[2:-1].split(",")) <= extras, word
        if words[0] == "make":
            assert set(words[1:]) <= targets, words


def _fill(word: str) -> str:
    """Placeholders replaced by VALUES, and the first of `a|b` alternatives."""
    return PLACEHOLDER.sub(lambda m: VALUES.get(m.group(), m.group()), word).split("|")[0]


def _runnable(items: list[Item]) -> list[str]:
    """The words to run: optional groups kept where every placeholder can be filled in; [] if a
    required placeholder cannot."""
    words = []
    for item in items:
        filled = [_fill(w) for w in ([item] if isinstance(item, str) else item)]
        if any(PLACEHOLDER.search(w) for w in filled):
            if isinstance(item, str):
                return []
            continue
        words += filled
    return words


@pytest.mark.slow
def test_the_cheap_readme_commands_run_on_the_mirror(mirror, cli, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # the commands' output files land here
    ran = 0
    for items in ilner_lines():
        path, _, _ = _command(_flat(items))
        if tuple(path) not in RUN:
            continue
        args = _runnable(items)
        assert args, f"cannot run `{' '.join(_flat(items))}`"
        code, out, err = cli(*args)
        assert "Traceback" not in err, (args, err)
        assert code == (1 if path == ["data", "check"] and "--strict" in args else 0), (args, err)
        ran += 1
    assert ran >= 6
    scores = json.loads((tmp_path / "scores.json").read_text(encoding="utf-8"))
    assert scores["micro"]["f1"] == 1.0  # the repaired Telugu test against itself
    assert (tmp_path / "urdu-dev.jsonl").is_file() and (tmp_path / "hiner.txt").is_file()


def test_the_readme_mapping_example_is_a_valid_mapping(tmp_path):
    from ilner.data import load_mapping

    [example] = blocks("yaml")
    mapping = load_mapping(str(write(tmp_path / "mine.yaml", example)))
    assert (mapping.source, mapping.target) == ("hiner-original", "il-ner")


# ---------------------------------------------------------------------------------------------
# The Python snippets, against a tiny model trained here with the crf preset


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """A folder with a tiny model at runs/cpu/urdu (where the README's snippets look), and the
    training log of the crf preset that built it."""
    from training_helpers import slice_file

    from ilner.training import load_config, run_training
    from ilner.training.config import preset_path

    if MIRROR is None:
        pytest.skip("dataset mirror not found")
    root = tmp_path_factory.mktemp("readme")
    train = slice_file(MIRROR, "il-ner/Urdu/Urdu-train.txt", root / "Urdu-train.txt", 200)
    dev = slice_file(MIRROR, "il-ner/Urdu/Urdu-dev.txt", root / "Urdu-dev.txt", 50)
    config = load_config(preset_path("crf"), [f"train=[{train}]", f"dev=[{dev}]", "test=[]", "epochs=1",
                                              "scratch.vocab_size=300", "scratch.wide_buckets=4096",
                                              f"output_dir={root / 'runs/cpu/urdu'}"])
    log: list[str] = []
    run_training(config, log=log.append)
    shutil.copytree(root / "runs/cpu/urdu", root / "runs/fast")  # the spaCy snippet's model
    return root, log


@pytest.mark.slow
def test_the_crf_preset_log_says_what_it_builds(workspace):
    _, log = workspace
    [built] = [line for line in log if line.startswith("building ")]
    assert built.startswith("building a feature CRF over"), built  # not "a 4-layer BiLSTM-CRF"


def _python(code: str, cwd: Path) -> subprocess.CompletedProcess:
    """A snippet in a fresh interpreter: nothing registered or imported by earlier tests helps it."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd, env=env, timeout=300)


@pytest.mark.slow
def test_the_readme_python_snippets_run(workspace, monkeypatch):
    root, _ = workspace
    monkeypatch.chdir(root)
    snippets = blocks("python")
    assert len(snippets) == 4
    for code in snippets:
        if "AutoModelForTokenClassification" in code:  # in a fresh interpreter: register() must be its own
            done = _python(code, root)
            assert done.returncode == 0, f"{code}\n{done.stderr[-3000:]}"
        else:
            exec(compile(code, "README.md", "exec"), {})
    assert (root / "runs/crf-telugu/model.safetensors").is_file()


@pytest.mark.slow
def test_transformers_loading_needs_the_register_line(workspace):
    root, _ = workspace
    [snippet] = [code for code in blocks("python") if "AutoModelForTokenClassification" in code]
    without = "\n".join(line for line in snippet.splitlines() if "register" not in line)
    assert _python(without, root).returncode != 0  # the line the README shows is the one needed


@pytest.mark.slow
def test_tag_tokens_gives_token_indices_as_the_readme_says(workspace):
    from ilner.inference.tagger import Tagger

    root, _ = workspace
    tagger = Tagger.load(str(root / "runs/cpu/urdu"), o_penalty=20.0)  # every word an entity
    words = ["وزیراعظم", "نے", "کراچی", "میں", "خطاب", "کیا"]
    [result] = tagger.tag_tokens([words])
    assert result.entities
    for entity in result.entities:
        assert 0 <= entity.start < entity.end <= len(words)
        assert entity.text == " ".join(words[entity.start:entity.end])


@pytest.mark.slow
def test_predict_jsonl_fields_per_input_kind_are_as_the_readme_says(workspace, cli, tmp_path):
    model = str(workspace[0] / "runs/cpu/urdu")
    text = write(tmp_path / "in.txt", "وزیراعظم نے کراچی میں خطاب کیا۔\n")
    records = write(tmp_path / "in.jsonl", '{"text": "کراچی میں", "entities": []}\n{"tokens": ["کراچی"], "tags": ["B-NEL"]}\n')
    conll = write(tmp_path / "in.conll", "کراچی\tB-NEL\nمیں\tO\n\n")
    expected = {
        (str(text), "text"): [{"source", "text", "entities"}],
        (str(records), "jsonl"): [{"text", "entities", "predicted_entities"},
                                  {"tokens", "tags", "predicted_tags", "predicted_entities"}],
        (str(conll), "conll"): [{"tokens", "tags", "predicted_tags", "predicted_entities"}],
    }
    for (path, kind), keys in expected.items():
        code, out, err = cli("predict", model, path, "--input-format", kind, "--format", "jsonl")
        assert code == 0, err
        assert [set(json.loads(line)) for line in out.splitlines()] == keys
    for kind in ("text", "JSONL", "CoNLL"):
        assert f"  - {kind}" in README
