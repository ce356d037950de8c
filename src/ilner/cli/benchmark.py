"""``ilner benchmark``: score a model on outside benchmarks, comparing only what both annotate."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from ilner.cli._app import DataDirOption, JsonOption, app, console, err_console, progress
from ilner.cli._render import pct, print_fitted, write_json


@app.command("benchmark")
def benchmark(
    model: Annotated[str, typer.Argument(help="Model directory (from `ilner train`) or Hugging Face id.", show_default=False)],
    benchmarks: Annotated[Optional[list[str]], typer.Argument(help="Registered benchmarks (urdu-uner, hiner:original:validation, ...) or your own annotated files; none: every registered one in the model's languages.", show_default=False)] = None,
    coarse: Annotated[bool, typer.Option("--coarse", help="Score the PER/LOC/ORG view that every Indic benchmark shares.")] = False,
    zero_shot: Annotated[bool, typer.Option("--zero-shot", help="Without BENCHMARKS: also the languages the model was not trained on.")] = False,
    tagset_map: Annotated[Optional[Path], typer.Option("--tagset-map", help="For a file of your own: YAML mapping each of its types to an IL-NER type or O.")] = None,
    language: Annotated[Optional[str], typer.Option(help="For a file of your own: its language (e.g. hindi).")] = None,
    bootstrap: Annotated[int, typer.Option(min=0, help="Resamples for the 95% interval of strict F1 (0: none).")] = 1000,
    update_card: Annotated[bool, typer.Option("--update-card", help="Also record the table in the model's ilner.json and model card (README.md).")] = False,
    json_path: JsonOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Tag each benchmark's sentences (its own tokens) with MODEL and score them on the types both
    annotate: gold types through the benchmark's mapping (a type mapped to O, or to a set of types
    it does not tell apart, is not scored), predicted types the benchmark does not annotate set to
    O. Prints strict and conlleval micro F1 with a 95% bootstrap interval, per-type F1, and how
    many gold entities the model never saw as entities in training (with F1 on those and on the rest).

    Example: ilner benchmark runs/cpu/urdu urdu-uner
    """
    from ilner.evaluation.benchmarking import benchmark as run_benchmark, update_card as record

    if update_card and not (Path(model) / "ilner.json").is_file():
        raise typer.BadParameter(f"{model} is not a model directory written by ilner train", param_hint="--update-card")
    run = run_benchmark(model, benchmarks or [], view="coarse" if coarse else "il-ner", bootstrap=bootstrap,
                        tagset_map=tagset_map, language=language, zero_shot=zero_shot, data_dir=data_dir,
                        progress=progress)
    print_fitted(console, _table(run))
    for result in run.results:
        dropped = ", ".join(f"{t} {n}" for t, n in result.predicted_dropped.items())
        left_out = ", ".join(t + (f" (one of {', '.join(result.gold_types_ambiguous[t])}, not told apart)"
                                  if t in result.gold_types_ambiguous else "") for t in result.gold_types_dropped)
        console.print(f"{result.name}: scored {', '.join(result.scored_types)}"
                      + (f"; gold types left out: {left_out}" if left_out else "")
                      + (f"; predicted entities set to O (types it does not annotate): {dropped}" if dropped else ""),
                      soft_wrap=True)
    for note in run.notes:
        err_console.print(f"note: {note}", soft_wrap=True)
    if json_path:
        write_json(json_path, run.to_dict())
    if update_card:
        record(model, run)
        err_console.print(f"model card updated: {Path(model) / 'README.md'}")


def _table(run) -> Table:
    types = sorted({t for r in run.results for t in r.scored_types})
    table = Table(title=f"{run.model} on outside benchmarks ({run.view} types)", title_justify="left")
    for column in ("benchmark", "language", "sentences", "gold entities", "strict F1 [95%]", "conlleval F1",
                   *types, "unseen", "F1 seen / unseen"):
        table.add_column(column, justify="left" if column in ("benchmark", "language") else "right")
    for r in run.results:
        interval = f" [{pct(r.interval.low)}, {pct(r.interval.high)}]" if r.interval else ""
        per_type = [pct(r.strict.per_type[t].f1) if t in r.strict.per_type else "" for t in types]
        unseen = "" if r.unseen_share is None else f"{100 * r.unseen_share:.0f}%"
        split = "" if r.unseen_share is None else " / ".join("-" if f is None else pct(f) for f in (r.f1_seen, r.f1_unseen))
        name = r.name + (" (seen in training)" if r.seen_in_training else "")
        table.add_row(name, r.language or "", str(r.sentences), str(r.gold_entities),
                      pct(r.strict.micro.f1) + interval, pct(r.conlleval.micro.f1), *per_type, unseen, split)
    return table
