"""The core install (`pip install -e .`, no extras) in a fresh virtual environment: the core commands
work, and a command that needs the `train` extra says which install to run instead of ending in a
traceback (issue 23: numpy was imported but not a dependency, so even `ilner --help` failed)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, write

GOLD = "राम\tB-NEP\nदिल्ली\tB-NEL\nगए\tO\n\nमोदी\tB-NEP\nने\tO\nकहा\tO\n\n"
PRED = "राम\tB-NEP\nदिल्ली\tO\nगए\tO\n\nमोदी\tB-NEP\nने\tO\nकहा\tO\n\n"
# What pip says when it cannot reach the package index (then the test is skipped, except in CI).
OFFLINE = ("NewConnectionError", "Name or service not known", "Temporary failure in name resolution",
           "Max retries exceeded", "ConnectTimeout", "Could not fetch URL", "No matching distribution found")
TRAIN_EXTRA = "needs the train extra: pip install 'ilner[train]'"


def _clean_env() -> dict[str, str]:
    """The environment without this checkout on the path, so the fresh venv is all that is used."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}


@pytest.fixture(scope="module")
def core(tmp_path_factory) -> Path:
    """bin/ of a fresh venv holding ilner's core alone, installed with its real dependencies
    (from the package index, through pip's cache), from a copy of this checkout."""
    root = tmp_path_factory.mktemp("core-install")
    source = root / "ilner"
    shutil.copytree(REPO / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    subprocess.run([sys.executable, "-m", "venv", str(root / "venv")], check=True, env=_clean_env())
    bin_dir = root / "venv" / "bin"
    done = subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                           "-e", str(source)], capture_output=True, text=True, env=_clean_env(), timeout=600)
    if done.returncode:
        if any(sign in done.stdout + done.stderr for sign in OFFLINE) and not os.environ.get("CI"):
            pytest.skip(f"pip cannot reach the package index: {done.stderr.strip().splitlines()[-1]}")
        pytest.fail(f"pip install -e . failed:\n{done.stderr[-3000:]}")
    return bin_dir


def _ilner(core: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(core / "ilner"), *args], capture_output=True, text=True, cwd=cwd,
                          env=_clean_env(), timeout=120)


@pytest.mark.slow
def test_the_core_install_holds_no_torch(core):
    found = subprocess.run([str(core / "python"), "-c", "import importlib.util as u; print(u.find_spec('torch'))"],
                           capture_output=True, text=True, env=_clean_env())
    assert found.stdout.strip() == "None"  # else the commands below would not test the core alone


@pytest.mark.slow
def test_core_commands_run_without_extras(core, tmp_path):
    write(tmp_path / "gold.txt", GOLD)
    write(tmp_path / "pred.txt", PRED)
    runs = {
        "help": ("--help",),
        "check": ("data", "check", "gold.txt"),
        "stats": ("data", "stats", "gold.txt"),
        "repair": ("data", "repair", "gold.txt", "repaired.txt", "--output-scheme", "bioes"),
        "convert": ("data", "convert", "gold.txt", "gold.jsonl", "--to", "jsonl"),
        "evaluate": ("evaluate", "gold.txt", "pred.txt", "--bootstrap", "100", "--json", "scores.json"),
    }
    for name, args in runs.items():
        done = _ilner(core, tmp_path, *args)
        assert "Traceback" not in done.stderr, (name, done.stderr)
        assert done.returncode == 0, (name, done.stderr)
    assert '"entities"' in (tmp_path / "gold.jsonl").read_text(encoding="utf-8")
    assert "E-NEP" not in (tmp_path / "repaired.txt").read_text(encoding="utf-8")  # one-word entities: S-
    assert "S-NEP" in (tmp_path / "repaired.txt").read_text(encoding="utf-8")
    assert (tmp_path / "scores.json").is_file()


@pytest.mark.slow
def test_commands_of_the_train_extra_name_it_in_one_line(core, tmp_path):
    write(tmp_path / "gold.txt", GOLD)
    (tmp_path / "model").mkdir()
    runs = [
        ("predict", "x"),
        ("predict", "model", "gold.txt", "--input-format", "conll"),
        ("train", "--preset", "crf", "--set", "train=[gold.txt]", "--set", "dev=[gold.txt]", "--set", "test=[]",
         "-o", "run"),
        ("pretrain", "--preset", "cpu", "--corpus", "gold.txt", "-o", "pretrained"),
        ("export", "model", "--onnx"),
    ]
    for args in runs:
        done = _ilner(core, tmp_path, *args)
        assert "Traceback" not in done.stderr, (args, done.stderr)
        assert done.returncode == 2, (args, done.stderr)
        assert TRAIN_EXTRA in done.stderr and len(done.stderr.strip().splitlines()) == 1, (args, done.stderr)


def test_a_missing_extra_is_one_line_in_process(cli, monkeypatch, tmp_path):
    """The same as above without a fresh venv: torch and transformers made unimportable."""
    for module in ("torch", "transformers"):
        monkeypatch.setitem(sys.modules, module, None)
    code, _, err = cli("predict", str(tmp_path))
    assert code == 2 and TRAIN_EXTRA in err and "Traceback" not in err


def test_make_install_takes_torch_from_the_cpu_index_and_falls_back_to_the_pin(tmp_path):
    """From PyPI `torch==2.13.0` is the CUDA build (gigabytes): the set-up asks PyTorch's CPU index
    first, briefly, and only then the plain pin; the README's hand install says the same."""
    if shutil.which("make") is None:
        pytest.skip("make not installed")
    plan = subprocess.run(["make", "-n", "install", f"VENV={tmp_path / 'venv'}"], cwd=REPO, capture_output=True,
                          text=True, check=True).stdout
    cpu = "--index-url https://download.pytorch.org/whl/cpu 'torch==2.13.0'"
    [first] = [line for line in plan.splitlines() if cpu in line]
    assert "--timeout 10 --retries 0" in first
    assert re.search(r"\|\| \{ .*pip install -q --disable-pip-version-check 'torch==2\.13\.0'; \}", plan)
    assert plan.index(cpu) < plan.index("-e '.[train")  # torch before the extras that need it
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu" in readme
