"""Training throughput of ilner against spaCy's ``spacy train``, on the same repaired IL-NER data.

Usage: ILNER_DATA_DIR=../shared/datasets .venv/bin/python benchmarks/train_speed.py [--preset cpu]
       [--languages hindi urdu odia telugu] [--epochs 1] [--max-sentences N] [--set key=value ...]
       [--threads N] [--out runs/train-speed] [--json FILE]
   or: make bench-speed [BENCH_ARGS='--epochs 2']

Both systems train for the same epochs on the same sentences (IL-NER train of the languages, as
ilner reads it: repaired, the first N of each file with --max-sentences; same tokens, same IOB2
tags), one after the other, and the script prints words/s of each and the ratio ilner/spaCy.

- spaCy: a blank ``xx`` pipeline with ``ner`` (``spacy init config --optimize efficiency``, CPU;
  no model downloaded), ``spacy train`` for exactly N epochs (max_steps 0, patience 0, no dev
  evaluation but the one at step 0, on 5 dev sentences a language; nothing saved). spaCy runs in
  its own environment, ``benchmarks/.venv-spacy``, built on the first run (``pip install
  spacy==3.8.*``, about a minute; it needs PyPI or a mirror).
- ilner: ``run_training`` with the preset and the --set overrides, HiNER's NER init and the
  language stages off, no dev or test (so no evaluation), the same N epochs, every sentence in
  each (``entity_free_share`` 1: the ``fast`` preset's shorter epochs would read fewer words).

What "seconds per epoch" includes, on each side: the training epochs, from the first update
(ilner: from the end of encoding the corpus, just before its optimiser is made) to the end of the
last, divided by the epochs: shuffling, batching, making the model's inputs, forward, backward and
optimiser steps; ilner also its checkpoint at each epoch's end (part of its epoch), spaCy its
evaluation at step 0 (5 sentences a language). Not included (the "set-up" column, once a run):
start-up, reading the corpus, building and initialising the model (ilner: its tokenizer,
vocabulary and encoding the corpus into windows; spaCy: its labels from the corpus, and reading
the corpus into memory, which ``spacy train`` does once before the first epoch). Words are the
training sentences' tokens, the same count on both sides.

How long: an epoch of the four languages is 34,898 sentences, 676,834 words; at the rates of
short runs on 2 cores (and ilner's 103-156 s an epoch in benchmarks/cpu-preset.md) the default
run takes roughly 5-10 minutes, plus about a minute to build spaCy's environment the first time.
Run nothing else meanwhile: the times are wall-clock, and on a busy machine torch's threads wait
for each other (ilner's steps then slow down tenfold or more with 2 threads on 2 busy cores; the
output gives the load average before the run, and --threads sets torch's threads).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

from ilner.errors import IlnerError

HERE = Path(__file__).resolve().parent
SPACY_PIN = "spacy==3.8.*"
SPACY_HELPER = HERE / "train_speed_spacy.py"
DEV_SENTENCES = 5  # a language, for the one evaluation `spacy train` cannot skip (at step 0)
# ilner's log lines that bound its training epochs (trainer.run_training).
ILNER_EPOCHS_START = " training sentences -> "
ILNER_EPOCHS_END = "no dev data: keeping the weights of the last epoch"


class SetupError(Exception):
    """A step around the measurement failed (spaCy's environment, a command): said in one line."""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--languages", nargs="+", default=["hindi", "urdu", "odia", "telugu"])
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--max-sentences", type=int, help="the first N sentences of each language (quick checks)")
    parser.add_argument("--preset", default="cpu")
    parser.add_argument("--set", dest="overrides", action="append", default=[], help="ilner config override key=value")
    parser.add_argument("--threads", type=int, help="torch's threads for ilner (default: torch's choice)")
    parser.add_argument("--out", default="runs/train-speed")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--spacy-venv", default=str(HERE / ".venv-spacy"), help="spaCy's environment (built if missing)")
    args = parser.parse_args()
    if args.epochs < 1:
        parser.error("--epochs must be at least 1")
    return args


# ---------------------------------------------------------------------------------------------
# spaCy's side


def spacy_environment(venv: Path) -> Path:
    """The python of spaCy's own environment, built with pip on the first call."""
    python = venv / "bin" / "python"
    marker = venv / ".installed"
    if marker.is_file() and python.is_file():
        return python
    print(f"building spaCy's environment in {venv} ({SPACY_PIN}; once, about a minute)", file=sys.stderr)
    shutil.rmtree(venv, ignore_errors=True)
    try:
        _run([sys.executable, "-m", "venv", str(venv)], "python -m venv")
        _run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "--retries", "1",
              "--timeout", "30", SPACY_PIN], f"pip install {SPACY_PIN}")
    except (SetupError, OSError) as error:
        shutil.rmtree(venv, ignore_errors=True)  # the next run tries again
        raise SetupError(f"cannot build spaCy's environment {venv}: {error} (it needs PyPI or a mirror)") from None
    marker.write_text(SPACY_PIN + "\n", encoding="utf-8")
    return python


def _run(command: list[str], what: str, log: Path | None = None, env: dict | None = None) -> None:
    """Run a command, its output to ``log`` if given; fail in one line (the output's last error)."""
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    if log:
        log.write_text(result.stdout, encoding="utf-8")
    if result.returncode:
        lines = [line.strip() for line in result.stdout.splitlines() if line.strip()] or ["no output"]
        errors = [line for line in lines if line.startswith(("ERROR", "Error", "error", "✘"))] or lines
        raise SetupError(f"{what} failed (exit {result.returncode}): {errors[-1]}" + (f"; see {log}" if log else ""))


def write_jsonl(path: Path, sentences) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for sentence in sentences:
            handle.write(json.dumps({"tokens": list(sentence.tokens), "tags": list(sentence.tags)}, ensure_ascii=False) + "\n")


def train_spacy(python: Path, train, dev, epochs: int, out: Path) -> dict:
    """``spacy train`` for ``epochs`` epochs on ``train``; its clock's times, and the command's."""
    out.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # nothing of ilner's there
    for name, sentences in (("train", train), ("dev", dev)):
        write_jsonl(out / f"{name}.jsonl", sentences)
        _run([str(python), str(SPACY_HELPER), "convert", str(out / f"{name}.jsonl"), str(out / f"{name}.spacy")],
             f"converting {name} to spaCy's DocBin", out / f"convert-{name}.log", env)
    _run([str(python), "-m", "spacy", "init", "config", "--lang", "xx", "--pipeline", "ner", "--optimize",
          "efficiency", "--force", str(out / "init.cfg")], "spacy init config", out / "init-config.log", env)
    times_path = out / "times.json"
    times_path.unlink(missing_ok=True)
    _run([str(python), str(SPACY_HELPER), "configure", str(out / "init.cfg"), str(out / "config.cfg"), str(times_path)],
         "adding the clock to spaCy's config", out / "configure.log", env)
    started = time.time()
    _run([str(python), "-m", "spacy", "train", str(out / "config.cfg"), "--code", str(SPACY_HELPER),
          "--paths.train", str(out / "train.spacy"), "--paths.dev", str(out / "dev.spacy"),
          "--training.max_epochs", str(epochs), "--training.max_steps", "0", "--training.patience", "0",
          "--training.eval_frequency", str(10**9)], "spacy train", out / "train.log", env)
    finished = time.time()
    times = json.loads(times_path.read_text(encoding="utf-8"))
    if len(times["epoch_starts"]) != epochs:
        raise SetupError(f"spacy train ran {len(times['epoch_starts'])} epochs, not {epochs}; see {out / 'train.log'}")
    return {"version": times["spacy"], "ops": times["ops"], "steps": times["steps"],
            "setup_seconds": times["epoch_starts"][0] - started,
            "train_seconds": times["end"] - times["epoch_starts"][0],
            "command_seconds": finished - started}


# ---------------------------------------------------------------------------------------------
# ilner's side


def train_ilner(config) -> dict:
    """``run_training`` on ``config``; the times of its epochs (from its log lines) and of the run."""
    from ilner.training import run_training

    lines: list[tuple[float, str]] = []

    def log(message: str) -> None:
        lines.append((time.time(), message))
        print(f"  ilner: {message}", file=sys.stderr, flush=True)

    started = time.time()
    run_training(config, log=log)
    finished = time.time()
    begin = next((t for t, m in lines if ILNER_EPOCHS_START in m), None)
    end = next((t for t, m in lines if m.startswith(ILNER_EPOCHS_END)), None)
    if begin is None or end is None:
        raise SetupError("ilner's log lacks the lines that bound its epochs (has trainer.run_training changed?)")
    return {"setup_seconds": begin - started, "train_seconds": end - begin, "command_seconds": finished - started}


# ---------------------------------------------------------------------------------------------


def main() -> None:
    args = parse_args()
    import torch

    import ilner
    from ilner.training.config import load_config, preset_path
    from ilner.training.data import read_split

    out = Path(args.out).resolve()
    if args.threads:
        torch.set_num_threads(args.threads)
    load = os.getloadavg()[0]
    if load >= 0.5:
        print(f"warning: the load average is {load:.1f}: something else runs, and the times will show it",
              file=sys.stderr)
    # 0. spaCy's environment first: if it cannot be built, nothing else is worth doing.
    python = spacy_environment(Path(args.spacy_venv))
    # 1. ilner's config: one training on the languages' train, no NER init, stages, dev or test.
    config = load_config(preset_path(args.preset), [
        "train=[" + ",".join(f"il-ner:{language}:train" for language in args.languages) + "]",
        "dev=[]", "test=[]", "ner_init.train=[]", "language_stages.epochs=0", "tune_o_penalty=false",
        "entity_free_share=1",  # every sentence each epoch, as spaCy reads them (a preset may skip some)
        f"epochs={args.epochs}", f"output_dir={out / 'ilner'}",
        *([f"max_train_sentences={args.max_sentences}"] if args.max_sentences else []), *args.overrides])
    # 2. The sentences, read as ilner reads them (repaired); spaCy gets the same ones.
    quiet = lambda message: None  # noqa: E731
    data = {"tagset": config.tagset, "data_dir": config.data_dir, "data_mapping": config.data_mapping,
            "keep_unknown": config.keep_unknown}
    train = read_split(config.train, quiet, **data, limit=config.max_train_sentences).sentences
    dev = read_split([f"il-ner:{language}:dev" for language in args.languages], quiet, **data, limit=DEV_SENTENCES).sentences
    words = sum(len(sentence) for sentence in train)
    epochs = config.epochs  # --epochs, unless a --set said otherwise
    print(f"{len(train)} training sentences, {words} words ({', '.join(args.languages)}); {epochs} epoch(s)",
          file=sys.stderr)

    # 3. spaCy, in its own environment.
    print("training spaCy", file=sys.stderr, flush=True)
    spacy_times = train_spacy(python, train, dev, epochs, out / "spacy")

    # 4. ilner.
    print(f"training ilner (preset {args.preset})", file=sys.stderr, flush=True)
    ilner_times = train_ilner(config)

    # 5. The table.
    rows = {"spaCy": spacy_times, "ilner": ilner_times}
    for times in rows.values():
        times["seconds_per_epoch"] = times["train_seconds"] / epochs
        times["words_per_second"] = words / times["seconds_per_epoch"]
    ratio = ilner_times["words_per_second"] / spacy_times["words_per_second"]
    names = {"spaCy": f"spaCy {spacy_times['version']} (blank xx + ner, efficiency config)",
             "ilner": f"ilner {ilner.__version__} (preset {args.preset}"
                      + (f"; {' '.join(args.overrides)}" if args.overrides else "") + ")"}
    print("\n| system | sentences | words per epoch | epochs | set-up s (once) | s per epoch | words/s |")
    print("|---|---|---|---|---|---|---|")
    for key, times in rows.items():
        print(f"| {names[key]} | {len(train):,} | {words:,} | {epochs} | {times['setup_seconds']:.1f} | "
              f"{times['seconds_per_epoch']:.1f} | {times['words_per_second']:,.0f} |")
    print(f"\n**ilner / spaCy words/s: {ratio:.2f}**\n")
    date = datetime.datetime.now().astimezone().isoformat(timespec="minutes")
    print(f"{date}; {platform.python_version()}; spaCy {spacy_times['version']} (thinc {spacy_times['ops']}), "
          f"torch {torch.__version__} (threads: {torch.get_num_threads()}), ilner {ilner.__version__}; "
          f"{os.cpu_count()} CPUs, load average {load:.1f} before the run; languages {', '.join(args.languages)}"
          + (f", the first {args.max_sentences} sentences of each" if args.max_sentences else ""))
    print("s per epoch: the training epochs (spaCy: from its first update, ilner: from the end of encoding the "
          "corpus) to the end of the last, divided by the epochs: shuffling, batching, forward, backward, optimiser; "
          f"ilner also its epoch-end checkpoint, spaCy one evaluation of {len(dev)} dev sentences at step 0. "
          "Set-up: start-up, reading the data, building the model; whole commands: "
          f"spaCy {spacy_times['command_seconds']:.1f} s, ilner {ilner_times['command_seconds']:.1f} s.")
    if args.json:
        result = {"date": date, "languages": args.languages, "max_sentences": args.max_sentences,
                  "epochs": epochs, "sentences": len(train), "words_per_epoch": words,
                  "preset": args.preset, "overrides": args.overrides, "ratio": ratio,
                  "versions": {"spacy": spacy_times["version"], "torch": torch.__version__, "ilner": ilner.__version__,
                               "python": platform.python_version()},
                  "torch_threads": torch.get_num_threads(), "load_average": load, "spacy": spacy_times, "ilner": ilner_times}
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    try:
        main()
    except (SetupError, IlnerError) as error:
        sys.exit(f"train_speed: {error}")
