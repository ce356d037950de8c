"""The Typer applications every command module registers on, and shared options."""

from __future__ import annotations

import errno
import math
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Optional

import typer
import typer.rich_utils
from rich.console import Console
from typer.core import TyperGroup

from ilner.data.files import check_writable

EXIT_CODES = (
    "Exit codes: 0 success; 1 `ilner data check` found the data unusable; 2 bad input, usage or "
    "environment (an option, a file that cannot be read or written, data or a model that cannot be "
    "used); 3 internal error (run with --debug for the traceback); 130 interrupted (Ctrl-C); 141 "
    "standard output closed early (e.g. `| head`)."
)


class Escaped(Exception):
    """Carries a failure that click would handle its own way (a broken pipe as a silent exit 1,
    EOFError as "Aborted!", Ctrl-C as a silent 130) out to ilner's entry point, which reports
    every failure in one place."""

    def __init__(self, error: BaseException):
        super().__init__(repr(error))
        self.error = error


@contextmanager
def _escaping() -> Iterator[None]:
    try:
        yield
    except (BrokenPipeError, EOFError, KeyboardInterrupt) as error:
        raise Escaped(error) from error


class _Group(TyperGroup):
    """The top command group: parsing (help included) and every command run inside ``_escaping``."""

    def make_context(self, *args, **kwargs) -> typer.Context:
        with _escaping():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: typer.Context):
        with _escaping():
            return super().invoke(ctx)


app = typer.Typer(
    name="ilner",
    cls=_Group,
    help="Named-entity recognition for Indian languages (IL-NER: Hindi, Urdu, Odia, Telugu, ...).",
    epilog=EXIT_CODES,
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


class Session:
    """What the global options asked for; the entry point reads it when a command fails."""

    debug = False


@app.callback()
def _global_options(
    debug: Annotated[bool, typer.Option("--debug", envvar="ILNER_DEBUG",
                                        help="Show the traceback of an internal error (exit code 3).")] = False,
) -> None:
    Session.debug = debug

# Reports are wide tables: when output goes to a file or CI log, do not squeeze them into 80 columns.
_COLUMNS = os.environ.get("COLUMNS", "")
_WIDTH = None if sys.stdout.isatty() else (int(_COLUMNS) if _COLUMNS.isdigit() else 180)


class _Console(Console):
    def on_broken_pipe(self) -> None:
        """Leave a closed output to the entry point (exit 141, silently), not rich's exit 1."""
        self.quiet = True
        raise BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE))


# typer prints --help through a Console of its own making: the same closed-output handling there
# (`ilner --help | head` exits 141, not 1).
typer.rich_utils.Console = _Console
console = _Console(highlight=False, width=_WIDTH)
err_console = _Console(stderr=True, highlight=False, width=_WIDTH)

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


def output_file(value: Optional[Path]) -> Optional[Path]:
    """Option callback: an output file that cannot be written is refused before any work starts."""
    if value is not None:
        check_writable(value)
    return value


JsonOption = Annotated[Optional[Path], typer.Option("--json", help="Also write the result as JSON to this file.",
                                                    callback=output_file)]


def finite_float(value: str | float) -> float:
    """Option parser: a number, but not nan or inf, which no option means (an O penalty of nan
    tags nothing)."""
    try:
        number = float(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a number") from None
    if not math.isfinite(number):
        raise typer.BadParameter(f"{value!r} is not a finite number")
    return number


def progress(message: str) -> None:
    err_console.print(f"[dim]{message}[/dim]")
