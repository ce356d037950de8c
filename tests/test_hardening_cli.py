"""The command line under failure: one line naming the path, a documented exit code, never a
traceback; outputs written whole or not at all (issue 23)."""

from __future__ import annotations

import errno
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO, write

EXIT_CODES = {0, 1, 2, 3, 130, 141}
CONLL = "राम\tB-NEP\nदिल्ली\tB-NEL\nगए\tO\n\nसीता\tB-NEP\n"


def _flat(text: str) -> str:
    """Error text as one line (click's boxes and wrapping undone)."""
    return " ".join(text.replace("│", " ").split())


def _fails(result: tuple[int, str, str], code: int, *parts: str) -> str:
    """Assert one clean failure: the exit code, no traceback, and each part in the message."""
    got, _, err = result
    assert got == code and got in EXIT_CODES, err
    assert "Traceback" not in err, err
    for part in parts:
        assert part in _flat(err), err
    return err


def _ilner(*args: str, **kwargs) -> subprocess.Popen:
    """The real ``ilner`` in a process of its own (this checkout's code)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen([sys.executable, "-m", "ilner", *map(str, args)], env=env, **kwargs)


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> str:
    """A tiny model (every word B-NEL; tests/tiny_models.py)."""
    pytest.importorskip("torch")
    from tiny_models import forced_model

    return forced_model(tmp_path_factory.mktemp("forced") / "m", "B-NEL")


@pytest.fixture
def gold(tmp_path) -> Path:
    return write(tmp_path / "gold.txt", CONLL)


# -- One place for failures -------------------------------------------------------------------

def test_library_errors_are_one_line_prefixed_ilner_error(cli, gold):
    err = _fails(cli("data", "stats", gold, "--tagset", "nope"), 2, "unknown tagset 'nope'")
    assert err.startswith("ilner: error: ") and err.count("\n") == 1


def test_usage_errors_exit_2(cli):
    _fails(cli("data", "stats", "--no-such-option"), 2, "No such option")


def test_an_unexpected_exception_is_one_line_exit_3_and_debug_shows_the_traceback(cli, gold, monkeypatch):
    def broken(corpus):
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr("ilner.cli.data_stats.corpus_stats", broken)
    err = _fails(cli("data", "stats", gold), 3)
    assert err == "ilner: internal error: RuntimeError: boom second line (run with --debug for the traceback)\n"
    code, _, err = cli("--debug", "data", "stats", gold)
    assert code == 3 and "Traceback" in err and "RuntimeError: boom" in err
    monkeypatch.setenv("ILNER_DEBUG", "1")
    code, _, err = cli("data", "stats", gold)
    assert code == 3 and "Traceback" in err


@pytest.mark.parametrize("error,code,message", [
    (KeyboardInterrupt(), 130, "ilner: interrupted"),
    (EOFError(), 3, "ilner: internal error: EOFError"),  # click would say "Aborted!" with exit 1
    (PermissionError(errno.EACCES, "Permission denied", "/srv/x.txt"), 2,
     "ilner: error: /srv/x.txt: Permission denied; check the permissions"),
    (OSError(errno.ENOSPC, "No space left on device"), 2, "ilner: error: No space left on device; the disk is full"),
])
def test_interrupts_and_os_errors_anywhere_in_a_command(cli, gold, monkeypatch, error, code, message):
    def fail(corpus):
        raise error

    monkeypatch.setattr("ilner.cli.data_stats.corpus_stats", fail)
    _fails(cli("data", "stats", gold), code, message)


def test_help_documents_the_exit_codes(cli):
    code, out, _ = cli("--help")
    assert code == 0 and "Exit codes: 0 success" in _flat(out) and "141 standard output closed early" in _flat(out)
    assert "--debug" in out
    assert "### Exit codes" in (REPO / "README.md").read_text(encoding="utf-8")


def test_closed_standard_output_exits_141_silently(gold):
    """`ilner data stats FILE | head -1`: the reader is gone before the first write."""
    process = _ilner("data", "stats", gold, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()
    _, err = process.communicate(timeout=120)
    assert process.returncode == 141, err
    assert err == b""


def test_help_into_a_closed_standard_output_exits_141_silently():
    """`ilner --help | head -1`: typer prints help through a console of its own."""
    process = _ilner("--help", stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()
    _, err = process.communicate(timeout=120)
    assert process.returncode == 141 and err == b"", err


def test_predict_into_a_closed_standard_output_exits_141_silently(model, gold):
    """`ilner predict MODEL FILE | head`."""
    process = _ilner("predict", model, gold, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()
    _, err = process.communicate(timeout=120)
    assert process.returncode == 141 and b"Traceback" not in err and b"error" not in err, err


def test_ctrl_c_in_predict_leaves_the_earlier_output_and_no_partial_file(model, tmp_path):
    output = write(tmp_path / "out.tsv", "earlier\n")
    process = _ilner("predict", model, "-o", output, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                     stderr=subprocess.PIPE)
    process.stdin.write("राम दिल्ली गए\n".encode())
    process.stdin.flush()  # stdin stays open: predict waits for more text
    deadline = time.monotonic() + 120
    while not list(tmp_path.glob(".out.tsv.*.tmp")):  # the model is loaded and tagging has begun
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()[1]
        time.sleep(0.1)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130 and err.decode().strip().endswith("ilner: interrupted"), err
    assert b"Traceback" not in err
    assert output.read_text(encoding="utf-8") == "earlier\n" and sorted(tmp_path.iterdir()) == [output]


# -- Output paths ------------------------------------------------------------------------------

def test_json_into_a_folder_fails_before_evaluating(cli, gold, tmp_path, monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("evaluated before the output was checked")

    monkeypatch.setattr("ilner.cli.evaluate.load_corpora", never)
    _fails(cli("evaluate", gold, gold, "--json", tmp_path), 2, f"{tmp_path}: Is a directory", "give the path of a file")


@pytest.mark.parametrize("command", [
    ["data", "stats", "GOLD", "--json", "OUT"],
    ["data", "check", "GOLD", "--json", "OUT"],
    ["evaluate", "GOLD", "GOLD", "--json", "OUT"],
    ["data", "convert", "GOLD", "OUT"],
    ["data", "repair", "GOLD", "OUT"],
    ["predict", "NO-MODEL", "GOLD", "-o", "OUT"],  # refused before the (missing) model is loaded
], ids=lambda c: " ".join(c[:2]))
def test_a_parent_that_is_a_file_names_the_path(cli, gold, tmp_path, command):
    out = tmp_path / "gold.txt" / "out.json"
    args = [{"GOLD": gold, "OUT": out, "NO-MODEL": tmp_path / "no-model"}.get(a, a) for a in command]
    _fails(cli(*args), 2, f"{out}: Not a directory", "choose another path")


@pytest.mark.parametrize("command", [
    ["train", "--preset", "crf", "--set", "train=[MISSING]", "-o", "FILE"],
    ["pretrain", "--preset", "cpu", "--corpus", "MISSING", "-o", "FILE"],
], ids=lambda c: c[0])
def test_an_output_folder_that_is_a_file_fails_before_reading_data(cli, gold, tmp_path, command):
    args = [{"MISSING": str(tmp_path / "missing.txt"), "FILE": gold}.get(a, a) for a in command]
    _fails(cli(*args), 2, f"{gold}: Not a directory")


def test_permission_denied_and_read_only_file_system_name_the_path(cli, gold, tmp_path, monkeypatch):
    out = tmp_path / "out.jsonl"
    with monkeypatch.context() as patched:  # as for a folder this user may not write (root may write anywhere)
        patched.setattr(os, "access", lambda path, mode, **kwargs: not mode & os.W_OK)
        _fails(cli("data", "convert", gold, out), 2, f"{out}: Permission denied", "check the permissions")
        _fails(cli("export", tmp_path, "--onnx"), 2, f"{tmp_path}: Permission denied")

    class ReadOnly:
        f_flag = os.ST_RDONLY

    monkeypatch.setattr(os, "statvfs", lambda path: ReadOnly())
    _fails(cli("data", "stats", gold, "--json", out), 2, f"{out}: Read-only file system", "choose another path")
    assert not out.exists()


def _full_disk(monkeypatch) -> None:
    """Every write of an atomic output fails as on a full disk (the error names no file)."""
    real = os.fdopen

    def fdopen(fd, *args, **kwargs):
        handle = real(fd, *args, **kwargs)

        def write(text):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        handle.write = write
        return handle

    monkeypatch.setattr(os, "fdopen", fdopen)


def test_a_full_disk_names_the_output_and_keeps_the_earlier_file(cli, gold, tmp_path, monkeypatch):
    out = write(tmp_path / "out.jsonl", "earlier\n")
    _full_disk(monkeypatch)
    _fails(cli("data", "convert", gold, out), 2, f"{out}: No space left on device", "free some space")
    assert out.read_text(encoding="utf-8") == "earlier\n" and sorted(tmp_path.iterdir()) == [gold, out]


def test_missing_folders_are_created(cli, gold, tmp_path):
    for args in (["data", "stats", gold, "--json", tmp_path / "a/b/stats.json"],
                 ["data", "convert", gold, tmp_path / "c/d/out.jsonl"]):
        code, _, err = cli(*args)
        assert code == 0, err
    assert (tmp_path / "a/b/stats.json").is_file() and (tmp_path / "c/d/out.jsonl").is_file()


def test_a_symbolic_link_as_output_is_written_through(cli, gold, tmp_path):
    for args, name in ((["data", "convert", gold, "LINK"], "out.jsonl"), (["data", "stats", gold, "--json", "LINK"], "s.json")):
        target = write(tmp_path / f"target-{name}", "old\n")
        link = tmp_path / name
        link.symlink_to(target.name)
        code, _, err = cli(*[link if a == "LINK" else a for a in args])
        assert code == 0, err
        assert link.is_symlink() and os.readlink(link) == target.name
        assert target.read_text(encoding="utf-8") != "old\n"


# -- predict -o ----------------------------------------------------------------------------------

def test_predict_output_in_a_missing_folder_is_created(cli, model, gold, tmp_path):
    out = tmp_path / "new" / "out.txt"
    code, _, err = cli("predict", model, gold, "--input-format", "conll", "-o", out)
    assert code == 0, err
    assert "B-NEL" in out.read_text(encoding="utf-8")


def test_predict_a_bad_later_input_keeps_the_earlier_output(cli, model, tmp_path):
    good = write(tmp_path / "good.txt", "राम दिल्ली गए\n")
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"caf\xe9\n")
    out = write(tmp_path / "out.tsv", "earlier\n")
    _fails(cli("predict", model, good, bad, "-o", out), 2, "bad.txt:1")
    assert out.read_text(encoding="utf-8") == "earlier\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.txt", "good.txt", "out.tsv"]


def test_predict_on_a_full_disk_names_the_output(cli, model, tmp_path, monkeypatch):
    text = write(tmp_path / "in.txt", "राम दिल्ली गए\n")
    out = tmp_path / "out.tsv"
    _full_disk(monkeypatch)
    _fails(cli("predict", model, text, "-o", out), 2, f"{out}: No space left on device")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.txt"]


# -- Options ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("device,available,message", [
    ("nonsense", None, "--device nonsense: not a torch device"),
    ("cuda", "cuda", "--device cuda: torch finds no cuda device"),
    ("mps", "mps", "--device mps: torch finds no mps device"),
    ("meta", None, "ilner tags on cpu, cuda or mps"),
])
def test_predict_device_is_checked_before_loading(cli, gold, tmp_path, monkeypatch, device, available, message):
    torch = pytest.importorskip("torch")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    _fails(cli("predict", tmp_path / "no-model", gold, "--device", device), 2, message)


@pytest.mark.parametrize("args", [
    ["predict", "NO-MODEL", "GOLD", "--o-penalty", "nan"],
    ["predict", "NO-MODEL", "GOLD", "--o-penalty", "-inf"],
    ["pretrain", "--corpus", "GOLD", "-o", "OUT", "--mask-probability", "inf"],
], ids=lambda a: " ".join(a[-2:]))
def test_non_finite_float_options_are_refused(cli, gold, tmp_path, args):
    args = [{"GOLD": gold, "NO-MODEL": tmp_path / "no-model", "OUT": tmp_path / "out"}.get(a, a) for a in args]
    _fails(cli(*args), 2, "is not a finite number")


@pytest.mark.parametrize("setting", ["learning_rate=nan", "o_penalty=.inf", "warmup_ratio=-.inf", "scratch.dropout=NaN",
                                     "sampling_temperature=1e999", "language_stages.learning_rate=nan"])
def test_non_finite_config_values_are_refused(cli, tmp_path, setting):
    key, value = setting.split("=")
    no_data = ["--set", f"train=[{tmp_path / 'missing.txt'}]", "-o", tmp_path / "run"]  # were it accepted: fail fast
    _fails(cli("train", "--preset", "crf", "--set", setting, *no_data), 2, f"config key '{key}' must be a finite number")
    parent, _, child = key.rpartition(".")
    config = write(tmp_path / "c.yaml", f"{parent}:\n  {child}: {value}\n" if parent else f"{key}: {value}\n")
    _fails(cli("train", "--config", config, *no_data), 2, f"config key '{key}' must be a finite number")


@pytest.mark.parametrize("content,message", [
    (bytes(range(256)) * 4, "c.yaml:1: is a binary file"),
    ("epochs: 2\ndescription: caf\xe9\n".encode("latin-1"), "c.yaml:2: is not valid UTF-8"),
    (b"epochs: [2\n", "c.yaml:2: is not valid YAML"),
    (b"- epochs\n- 2\n", "c.yaml: holds a YAML list, not a mapping"),
    (b"just words\n", "c.yaml: holds a YAML str, not a mapping"),
    (b"[" * 100_000, "c.yaml"),
])
def test_a_config_that_is_not_a_yaml_mapping_is_one_line_naming_it(cli, tmp_path, content, message):
    config = tmp_path / "c.yaml"
    config.write_bytes(content)
    for command in ("train", "pretrain"):
        _fails(cli(command, "--config", config, "-o", tmp_path / "run"), 2, message)
    _fails(cli("train", "--config", tmp_path, "-o", tmp_path / "run"), 2, f"{tmp_path}: is a directory")


# -- Offline ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("how", ["ILNER_OFFLINE", "HF_HUB_OFFLINE", "unreachable"])
def test_an_unknown_model_name_fails_fast_offline(cli, gold, monkeypatch, how):
    pytest.importorskip("transformers")
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)  # restored after the test: ilner sets it offline
    if how == "unreachable":
        monkeypatch.setattr(constants, "ENDPOINT", "http://127.0.0.1:9")  # nothing listens: refused at once
    else:
        monkeypatch.setenv(how, "1")
    import transformers  # noqa: F401 - imported before the clock starts

    started = time.monotonic()
    err = _fails(cli("predict", "nosuchmodel", gold), 2, "nosuchmodel: no such model directory",
                 "Give a local model directory", "or a Hugging Face model id while online")
    assert time.monotonic() - started < 10
    assert ("cannot be reached" in err) == (how == "unreachable")


def test_the_suite_passes_whatever_the_users_environment_holds():
    """`ILNER_OFFLINE=1 make test` once failed the download test: the conftest clears such settings."""
    env = {**os.environ, "ILNER_OFFLINE": "1", "HF_HUB_OFFLINE": "1", "ILNER_DEBUG": "1", "COLUMNS": "40",
           "FORCE_COLOR": "1", "PYTHONPATH": os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "tests/test_registry.py::test_failed_download_names_both_ways_out",
                           "tests/test_cli.py::test_stats_json",  # a table cut at 40 columns
                           "tests/test_cli.py::test_evaluate_prediction_line_without_tag_is_an_error"],  # colours
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:]


def test_predict_refuses_jsonl_tokens_that_conll_cannot_hold(model, tmp_path, cli):
    """A token with a tab would be split in two when the CoNLL output is read back."""
    records = write(tmp_path / "in.jsonl", '{"tokens": ["ok"]}\n{"tokens": ["नई\\tदिल्ली", "में"]}\n')
    _fails(cli("predict", model, records, "--input-format", "jsonl", "--format", "conll"), 2, "in.jsonl:2", "tab")


def test_an_output_that_is_no_regular_file_is_written_in_place(tmp_path, gold, cli):
    """A FIFO (or /dev/stdout, a device) is a stream: replacing it by a file would leave its reader waiting."""
    import threading

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text(encoding="utf-8")), daemon=True)
    reader.start()
    code, _, err = cli("data", "convert", gold, fifo, "--to", "jsonl")
    reader.join(timeout=30)
    assert code == 0, err
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert received and '"entities"' in received[0]
