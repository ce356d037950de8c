"""``ilner data fetch``: download registered datasets into the cache, checking checksums."""

from __future__ import annotations

from typing import Annotated

import typer

from ilner.cli._app import console, data_app, progress
from ilner.data import registry


@data_app.command("fetch")
def fetch(
    name: Annotated[str, typer.Argument(help=f"Dataset ({', '.join(registry.DATASETS)}) or address pattern.", show_default=False)],
    force: Annotated[bool, typer.Option("--force", help="Download again even if cached.")] = False,
) -> None:
    """Download a dataset's pinned upstream files into ~/.cache/ilner (or $ILNER_CACHE).

    Each file comes from a fixed commit and is refused unless its sha256 matches.

    Example: ilner data fetch il-ner
    """
    for data_file, path, how in registry.fetch(name, force=force, progress=progress):
        console.print(f"{data_file.address}: {how} {path} (sha256 ok)")
