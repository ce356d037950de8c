"""Rich tables shared by commands."""

from __future__ import annotations

import json
from pathlib import Path

from rich.table import Table

from ilner.data.files import atomic_write_text
from ilner.evaluation.metrics import Scores


def pct(value: float) -> str:
    return f"{100 * value:.2f}"


def scores_table(scores: Scores, title: str) -> Table:
    """Per-type P/R/F1/support with micro and macro rows (percentages)."""
    table = Table(title=title, title_justify="left")
    for column in ("type", "precision", "recall", "F1", "support"):
        table.add_column(column, justify="left" if column == "type" else "right")
    for entity_type, prf in scores.per_type.items():
        table.add_row(entity_type, pct(prf.precision), pct(prf.recall), pct(prf.f1), str(prf.support))
    table.add_section()
    for name, prf in (("micro", scores.micro), ("macro", scores.macro)):
        table.add_row(f"[bold]{name}[/bold]", pct(prf.precision), pct(prf.recall), f"[bold]{pct(prf.f1)}[/bold]", str(prf.support))
    return table


def write_json(path: Path, payload: dict) -> None:
    atomic_write_text(path, json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
