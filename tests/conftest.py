"""Shared fixtures: the dataset mirror (../shared/datasets) and a CLI runner."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import sys
import threading
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _mirror() -> Path | None:
    candidate = Path(os.environ.get("ILNER_DATA_DIR") or REPO.parent / "shared" / "datasets")
    return candidate if (candidate / "il-ner").is_dir() else None


MIRROR = _mirror()


# Variables of the user's environment that change what ilner does (offline mode, tracebacks):
# the suite passes whatever the environment holds, and tests set what they need themselves.
CHANGING_BEHAVIOUR = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
# Read once, when ilner.cli is imported (table width, colours): cleared before any test imports it.
for _name in ("COLUMNS", "FORCE_COLOR", "NO_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
    os.environ.pop(_name, None)


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path_factory):
    """Every test sees the mirror (if any) and an empty private cache, never ~/.cache, and none of
    the user's ILNER_* settings."""
    for name in [*CHANGING_BEHAVIOUR, *(n for n in os.environ if n.startswith("ILNER_"))]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ILNER_CACHE", str(tmp_path_factory.mktemp("cache")))
    if MIRROR is not None:
        monkeypatch.setenv("ILNER_DATA_DIR", str(MIRROR))


EXTRA_MISSING = "extra is not installed"  # the skip reason of tests that need an optional extra


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    """CI installs every extra: there a module skipped for a missing extra fails instead."""
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI") and report.skipped and EXTRA_MISSING in str(report.longrepr):
        report.outcome = "failed"


@pytest.fixture
def mirror() -> Path:
    if MIRROR is None:
        if os.environ.get("CI"):
            pytest.fail("CI needs the dataset mirror at ../shared/datasets (or ILNER_DATA_DIR)")
        pytest.skip("dataset mirror not found (set ILNER_DATA_DIR)")
    return MIRROR


@pytest.fixture
def cli(monkeypatch, capsys):
    """Run ``ilner ARGS`` in-process through the real entry point; returns (exit code, stdout, stderr)."""
    from ilner.cli import main

    def run(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["ilner", *map(str, args)])
        code = 0
        try:
            main()
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        out, err = capsys.readouterr()
        return code, out, err

    return run


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture
def upstream(mirror, tmp_path, monkeypatch):
    """A local HTTP server laid out like raw.githubusercontent.com, serving the mirror's files
    (outside benchmarks whose files are not mirrored are not served)."""
    from ilner.data import registry

    root = tmp_path / "upstream"
    for data_file in registry.REGISTRY:
        if not (mirror / data_file.mirror_path).is_file():
            continue
        target = root / data_file.repo / data_file.commit / data_file.upstream_path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(mirror / data_file.mirror_path, target)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setattr(registry, "RAW_URL", f"http://127.0.0.1:{server.server_address[1]}/{{repo}}/{{commit}}/{{path}}")
    monkeypatch.delenv("ILNER_DATA_DIR", raising=False)
    yield root
    server.shutdown()
