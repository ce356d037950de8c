"""spaCy's side of ``benchmarks/train_speed.py``, run by the python of spaCy's own environment
(``benchmarks/.venv-spacy``; spaCy is not installed beside ilner).

Two commands, and a module for ``spacy train --code``:

    python train_speed_spacy.py convert SENTENCES.jsonl OUT.spacy
        sentences, one JSON object a line ({"tokens": [...], "tags": [IOB2 tags]}), to a DocBin;
    python train_speed_spacy.py configure IN.cfg OUT.cfg TIMES.json
        the config of ``spacy init config`` with the clock below, which writes TIMES.json;
    python -m spacy train OUT.cfg --code train_speed_spacy.py ...
        registers the clock: a logger that notes when the training loop is set up and when it
        ends, and a ``before_update`` callback that notes when each epoch's first update starts.

Times are ``time.time()``, so that the caller can set them against its own clock.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any, Callable

import spacy
from spacy.tokens import Doc, DocBin

LOGGER = "ilner_bench.train_clock.v1"
CALLBACK = "ilner_bench.epoch_clock.v1"

# What the two hooks saw, in this process: filled during `spacy train`, written at its end.
_times: dict[str, Any] = {"epoch_starts": [], "steps": 0}


@spacy.registry.callbacks(CALLBACK)
def epoch_clock() -> Callable[[Any, dict], None]:
    """Before each update: note the time when an epoch's first update starts, and count steps."""

    def before_update(nlp: Any, args: dict) -> None:
        if len(_times["epoch_starts"]) == args["epoch"]:
            _times["epoch_starts"].append(time.time())
        _times["steps"] = args["step"] + 1

    return before_update


@spacy.registry.loggers(LOGGER)
def train_clock(path: str) -> Callable:
    """A logger that prints nothing: notes when the training loop is set up (after the pipeline's
    initialisation, before the training corpus is read into memory) and when it ends, and
    writes what it noted to ``path``."""

    def setup(nlp: Any, stdout: Any = sys.stdout, stderr: Any = sys.stderr):
        from thinc.api import get_current_ops

        _times["loop_setup"] = time.time()

        def log_step(info: dict | None) -> None:
            if info is not None:
                _times["evaluations"] = _times.get("evaluations", 0) + 1

        def finalize() -> None:
            _times["end"] = time.time()
            _times["spacy"] = spacy.__version__
            _times["ops"] = type(get_current_ops()).__name__
            with open(path, "w", encoding="utf-8") as handle:
                json.dump(_times, handle)

        return log_step, finalize

    return setup


def convert(sentences_path: str, out_path: str) -> None:
    """JSON lines of tokens and IOB2 tags to a DocBin of docs with those words and entities."""
    nlp = spacy.blank("xx")
    docs = DocBin()
    with open(sentences_path, encoding="utf-8") as handle:
        for line in handle:
            sentence = json.loads(line)
            docs.add(Doc(nlp.vocab, words=sentence["tokens"], ents=sentence["tags"]))
    docs.to_disk(out_path)


def configure(in_path: str, out_path: str, times_path: str) -> None:
    """The config with the clock as its logger and before_update callback."""
    from thinc.api import Config

    config = Config().from_disk(in_path, interpolate=False)
    config["training"]["logger"] = {"@loggers": LOGGER, "path": times_path}
    config["training"]["before_update"] = {"@callbacks": CALLBACK}
    config.to_disk(out_path)


if __name__ == "__main__":
    commands = {"convert": convert, "configure": configure}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    commands[sys.argv[1]](*sys.argv[2:])
