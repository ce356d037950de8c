"""``ilner train``: fine-tune (or train from scratch) a NER model from a config file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from ilner.cli._app import app, console, progress
from ilner.cli._render import pct


@app.command("train")
def train(
    config: Annotated[Optional[Path], typer.Option("--config", "-c", help="YAML config (see configs/).")] = None,
    preset: Annotated[Optional[str], typer.Option("--preset", help="A config shipped with ilner instead of --config: fast (a BiLSTM-CRF from scratch, all four IL-NER languages, about 14 minutes on 2 cores), cpu (the best CPU recipe: two BiLSTM-CRFs, HiNER first; about an hour), indic (seven languages from six corpora) or crf (a feature CRF, the classic baseline).")] = None,
    overrides: Annotated[Optional[list[str]], typer.Option("--set", help="Override a config key: key=value (dots for nested keys; YAML for lists, numbers and booleans, text keys taken as typed). Repeatable.")] = None,
    model: Annotated[Optional[str], typer.Option("--model", "-m", help="Shortcut for --set model=... (a hub id, a model directory, e.g. from ilner pretrain, or scratch).")] = None,
    output_dir: Annotated[Optional[str], typer.Option("--output-dir", "-o", help="Shortcut for --set output_dir=...")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue from the last checkpoint in the output directory.")] = False,
) -> None:
    """Train a NER model and evaluate it on dev and test (strict and conlleval F1, per language and type).

    Defaults follow the paper: xlm-roberta-base, AdamW lr 5e-5, linear schedule with warmup, 10
    epochs, first-sub-word labels, model selection on dev strict F1.

    Examples: ilner train --preset fast;  ilner train --config configs/paper/hindi.yaml --set epochs=2 -o runs/quick
    """
    from ilner.data.files import check_writable
    from ilner.errors import IlnerError
    from ilner.training import load_config, run_experiment
    from ilner.training.config import preset_path

    if preset and config:
        raise IlnerError("give either --preset or --config, not both")
    if preset:
        config = preset_path(preset)
    settings = list(overrides or []) + ([f"model={model}"] if model else []) + ([f"output_dir={output_dir}"] if output_dir else [])
    resolved = load_config(config, settings)
    check_writable(resolved.output_dir, folder=True)
    results = run_experiment(resolved, resume=resume, log=progress)
    for result in results:
        if result.test:
            print_scores(result.test, f"Test results: {result.output_dir}")
    if resolved.strategy == "single" and resolved.language_stages.epochs and len([r for r in results if r.test]) > 1:
        print_serving_models(results)


def print_scores(scores: dict, title: str) -> None:
    """Rows: languages (and all); columns: strict F1, conlleval F1, strict F1 per type."""
    types = sorted({t for group in scores.values() for t in group["strict"].per_type})
    table = Table(title=title, title_justify="left")
    for column in ("", "sentences", "strict F1", "conlleval F1", *types):
        table.add_column(column, justify="left" if not column else "right")
    ordered = [k for k in scores if k != "all"] + ["all"]
    for group in ordered:
        strict = scores[group]["strict"]
        row = [group, str(strict.sentences), pct(strict.micro.f1), pct(scores[group]["conlleval"].micro.f1)]
        row += [pct(strict.per_type[t].f1) if t in strict.per_type else "–" for t in types]
        table.add_row(*row)
    console.print(table)


def print_serving_models(results) -> None:
    """Per language, the test strict F1 of the model that serves it: its language stage where the
    run has one, else the model for all languages (the numbers to quote for a run)."""
    serving: dict[str, tuple[Path, float]] = {}
    for result in results:  # a language stage comes after the model it continued from, and replaces it
        if result.only_language and result.test:
            serving[result.only_language] = (result.output_dir, result.test["all"]["strict"].micro.f1)
        elif result.test:
            for language, scores in result.test.items():
                if language != "all":
                    serving[language] = (result.output_dir, scores["strict"].micro.f1)
    table = Table(title="Test strict F1 per language", title_justify="left")
    for column in ("language", "served by", "strict F1"):
        table.add_column(column, justify="right" if column == "strict F1" else "left")
    for language, (directory, f1) in serving.items():
        table.add_row(language, str(directory), pct(f1))
    table.add_row("average", "", pct(sum(f1 for _, f1 in serving.values()) / len(serving)))
    console.print(table)
