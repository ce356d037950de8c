"""The ``ilner`` command line: thin wrappers over the library, one module per command."""

from __future__ import annotations

import sys

from ilner.cli import data_check, data_convert, data_fetch, data_repair, data_stats, evaluate, export, predict, pretrain, train  # noqa: F401
from rich.markup import escape

from ilner.cli._app import app, err_console
from ilner.errors import IlnerError
from ilner.extras import extras_named


def main() -> None:
    """Entry point: run the app, and show library errors as one message instead of a traceback."""
    try:
        with extras_named():  # predict/train/export without their extra: one line naming the install
            app()
    except IlnerError as error:
        err_console.print(f"[bold red]error:[/bold red] {escape(str(error))}", soft_wrap=True)
        sys.exit(2)
