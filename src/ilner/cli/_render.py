"""Rich tables shared by commands."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

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


def print_fitted(console: Console, table: Table) -> None:
    """Print ``table`` if it fits the terminal; else each row as its first cell followed by
    "column value" pairs, which wrap between pairs, so that no name or number is ever cut short
    (a squeezed table would end cells in "…")."""
    natural = console.measure(table, options=console.options.update_width(1_000_000)).maximum
    if natural <= console.width:
        console.print(table)
        return
    console.print(Text(str(table.title or ""), style="italic"))
    headers = [str(column.header) for column in table.columns]
    for row in zip(*(column.cells for column in table.columns)):
        pairs = [f"{header} {cell}" for header, cell in zip(headers[1:], map(str, row[1:])) if cell != ""]
        console.print(Text(str(row[0]), style="bold"), overflow="fold")
        console.print(Padding(Text(" · ".join(pairs)), (0, 0, 0, 2)), overflow="fold")


def write_json(path: Path, payload: dict) -> None:
    atomic_write_text(path, json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
