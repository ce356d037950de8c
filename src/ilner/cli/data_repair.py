"""``ilner data repair``: write a repaired copy of a corpus, with the report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ilner.cli._app import (
    DataDirOption, KeepUnknownOption, SchemeOption, TagsetOption, console, data_app, progress,
)
from ilner.data.files import check_writable
from ilner.data.io import guess_format, write_corpus
from ilner.data.repair import RULES
from ilner.data.sources import load_corpora
from ilner.errors import DataError


@data_app.command("repair")
def repair(
    source: Annotated[str, typer.Argument(help="File or dataset address to repair.", show_default=False)],
    output: Annotated[Path, typer.Argument(
        help="Output file; a folder when SOURCE stands for several files, each written under its own "
        "file name (files that share a name, as in 'hiner:*', must be repaired one at a time).",
        show_default=False,
    )],
    tagset: TagsetOption = None,
    keep_unknown: KeepUnknownOption = False,
    input_scheme: SchemeOption = "auto",
    output_scheme: Annotated[str, typer.Option("--output-scheme", help="iob2 or bioes (CoNLL output).")] = "iob2",
    data_dir: DataDirOption = None,
) -> None:
    """Apply the repair rules and write the result (CoNLL, or JSONL by the output's extension).

    Example: ilner data repair il-ner:telugu:test telugu-test.repaired.txt
    """
    if output_scheme not in ("iob2", "bioes"):
        raise typer.BadParameter(f"{output_scheme!r}; choose iob2 or bioes", param_hint="--output-scheme")
    check_writable(output, folder=output.is_dir())  # before reading; whether a folder fits depends on SOURCE (below)
    loaded = load_corpora([source], data_dir=data_dir, tagset=tagset, scheme=input_scheme,
                          keep_unknown=keep_unknown, progress=progress)
    several = len(loaded) > 1
    if several and output.is_file():
        raise typer.BadParameter(f"{output} is a file; {source} stands for {len(loaded)} files, so give a folder",
                                 param_hint="OUTPUT")
    if not several and output.is_dir():
        raise typer.BadParameter(f"{output} is a folder; give the output file's path", param_hint="OUTPUT")
    if output_scheme != "iob2" and any(guess_format(output / src.path.name if several else output) == "jsonl"
                                       for src, _ in loaded):
        raise typer.BadParameter("JSONL output holds spans or IOB2 tags; --output-scheme is for CoNLL output",
                                 param_hint="--output-scheme")
    names = [src.path.name for src, _ in loaded]
    if several and len(set(names)) < len(names):
        raise DataError(source, "stands for several files with the same name, which would overwrite each "
                        "other in the output folder; repair them one at a time")
    for src, corpus in loaded:
        target = output / src.path.name if several else output
        write_corpus(corpus.sentences, target, file_format=guess_format(target), scheme=output_scheme)
        counts = ", ".join(f"{rule} {corpus.report.counts[rule]}" for rule in RULES if corpus.report.counts[rule])
        console.print(f"{src.name} -> {target}: {len(corpus)} sentences; repairs: {counts or 'none'}")
