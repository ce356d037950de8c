"""``ilner data convert``: between CoNLL (IOB2/BIOES) and JSONL (spans/tokens)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ilner.cli._app import (
    DataDirOption, KeepUnknownOption, SchemeOption, TagsetOption, console, data_app, output_file, progress,
)
from ilner.data.io import write_corpus
from ilner.data.sources import load_corpora

TARGETS = {
    "conll": ("conll", "iob2", "spans"),
    "conll-bioes": ("conll", "bioes", "spans"),
    "jsonl": ("jsonl", "iob2", "spans"),
    "jsonl-tokens": ("jsonl", "iob2", "tokens"),
}


@data_app.command("convert")
def convert(
    source: Annotated[str, typer.Argument(help="File or dataset address.", show_default=False)],
    output: Annotated[Path, typer.Argument(help="Output file.", callback=output_file, show_default=False)],
    to: Annotated[str, typer.Option("--to", help=f"Output format: {', '.join(TARGETS)}.")] = "jsonl",
    tagset: TagsetOption = None,
    keep_unknown: KeepUnknownOption = False,
    input_scheme: SchemeOption = "auto",
    mapping: Annotated[Optional[str], typer.Option(
        "--map", help="Map the tags onto another tagset on the way (a mapping name, e.g. hiner-collapsed_to_il-ner, "
        "or a YAML file).")] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Convert a corpus; input tags of any scheme are read (and repaired) as IOB2 first.

    jsonl writes {"text", "entities": [{"start", "end", "label"}]} with tokens joined by spaces;
    jsonl-tokens writes {"tokens", "tags"}.

    Example: ilner data convert il-ner:urdu:dev urdu-dev.jsonl --to jsonl
    """
    if to not in TARGETS:
        raise typer.BadParameter(f"{to!r}; choose one of {', '.join(TARGETS)}", param_hint="--to")
    file_format, scheme, kind = TARGETS[to]
    loaded = load_corpora([source], data_dir=data_dir, tagset=tagset, mapping=mapping, scheme=input_scheme,
                          keep_unknown=keep_unknown, progress=progress)
    sentences = [s for _, corpus in loaded for s in corpus]
    write_corpus(sentences, output, file_format=file_format, scheme=scheme, jsonl_kind=kind)
    repairs = sum(corpus.report.total for _, corpus in loaded)
    console.print(f"{source} -> {output} ({to}): {len(sentences)} sentences; {repairs} tag repairs "
                  "(see `ilner data check`)")
