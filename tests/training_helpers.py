"""Small configs and files for training tests: tiny from-scratch models on slices of IL-NER."""

from __future__ import annotations

from pathlib import Path

from ilner.data import read_corpus, write_corpus
from ilner.training.config import TrainConfig, load_config

TINY = [
    "model=scratch", "scratch.vocab_size=1500", "scratch.hidden_size=48", "scratch.num_layers=1",
    "scratch.num_heads=2", "scratch.intermediate_size=96", "scratch.dropout=0.0",
    "batch_size=16", "learning_rate=3e-3", "epochs=2", "max_length=64", "window_overlap=16",
    "seed=7",
]


def slice_file(mirror: Path, relative: str, target: Path, n: int, tagset: str = "il-ner") -> str:
    """The first ``n`` sentences of a mirror file (in ``tagset``) as a new file (named like the original)."""
    corpus = read_corpus(mirror / relative, tagset=tagset)
    write_corpus(corpus.sentences[:n], target)
    return str(target)


def tiny_config(tmp_path: Path, *overrides: str) -> TrainConfig:
    return load_config(None, [*TINY, f"output_dir={tmp_path / 'run'}", *overrides])


def tiny_trained_model(root: Path, sentences: int) -> TrainConfig:
    """Train a tiny model for one epoch on the first ``sentences`` of IL-NER Hindi train (from the
    mirror; the calling test is skipped without it) into ``root/run``; returns its config."""
    import pytest
    from conftest import MIRROR

    from ilner.training import run_training

    if MIRROR is None:
        pytest.skip("dataset mirror not found")
    train = slice_file(MIRROR, "il-ner/Hindi/Hindi-train.txt", root / "Hindi-train.txt", sentences)
    config = tiny_config(root, f"train=[{train}]", "dev=[]", "test=[]", "epochs=1")
    run_training(config, log=lambda m: None)
    return config
