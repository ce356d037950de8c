"""The Typer applications every command module registers on, and shared options."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

app = typer.Typer(
    name="ilner",
    help="Named-entity recognition for Indian languages (IL-NER: Hindi, Urdu, Odia, Telugu, ...).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)
data_app = typer.Typer(
    help="Check, repair, describe, convert and fetch NER corpora.",
    no_args_is_help=True,
)
app.add_typer(data_app, name="data")

# Reports are wide tables: when output goes to a file or CI log, do not squeeze them into 80 columns.
_COLUMNS = os.environ.get("COLUMNS", "")
_WIDTH = None if sys.stdout.isatty() else (int(_COLUMNS) if _COLUMNS.isdigit() else 180)
console = Console(highlight=False, width=_WIDTH)
err_console = Console(stderr=True, highlight=False, width=_WIDTH)

DATA_HELP = (
    "A dataset address (il-ner:hindi:train, il-ner:*:test, hiner:original:validation) or a file "
    "(CoNLL, or JSONL by extension)."
)
DataDirOption = Annotated[
    Optional[Path],
    typer.Option("--data-dir", envvar="ILNER_DATA_DIR", help="Mirror of the registered datasets (layout of shared/datasets)."),
]
TagsetOption = Annotated[
    Optional[str],
    typer.Option(help="Tagset name or YAML file; default: the dataset's own (il-ner for plain files)."),
]
SchemeOption = Annotated[
    str, typer.Option("--input-scheme", help="Tagging scheme of the input: auto, io, iob1, iob2, bioes.")
]
KeepUnknownOption = Annotated[
    bool, typer.Option("--keep-unknown", help="Keep types outside the tagset instead of reading them as O.")
]
JsonOption = Annotated[Optional[Path], typer.Option("--json", help="Also write the result as JSON to this file.")]


def progress(message: str) -> None:
    err_console.print(f"[dim]{message}[/dim]")
