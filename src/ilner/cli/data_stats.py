"""``ilner data stats``: sizes, entities per type, sentence lengths and scripts of corpora."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from ilner.cli._app import (
    DATA_HELP, DataDirOption, JsonOption, KeepUnknownOption, SchemeOption, TagsetOption, console,
    data_app, progress,
)
from ilner.cli._render import print_fitted, write_json
from ilner.data.sources import load_corpora
from ilner.data.stats import corpus_stats


@data_app.command("stats")
def stats(
    data: Annotated[list[str], typer.Argument(help=DATA_HELP, show_default=False)],
    tagset: TagsetOption = None,
    keep_unknown: KeepUnknownOption = False,
    input_scheme: SchemeOption = "auto",
    json_path: JsonOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Describe corpora (after repair): sentences, tokens, entities per type, lengths, scripts.

    Example: ilner data stats 'il-ner:*:train' hiner:original:validation
    """
    loaded = load_corpora(
        data, data_dir=data_dir, tagset=tagset, scheme=input_scheme, keep_unknown=keep_unknown,
        progress=progress,
    )
    results = [(source, corpus_stats(corpus)) for source, corpus in loaded]
    table = Table(title="Corpus statistics", title_justify="left")
    table.add_column("file")
    for column in ("sentences", "tokens", "entities", "len mean", "len p99", "len max"):
        table.add_column(column, justify="right")
    table.add_column("scripts (share of tokens)")
    for source, s in results:
        scripts = ", ".join(f"{name} {100 * share:.1f}%" for name, share in s.scripts.items() if share >= 0.001)
        table.add_row(
            source.name, str(s.sentences), str(s.tokens), str(sum(s.entities.values())),
            f"{s.length_mean:.1f}", str(s.length_p99), str(s.length_max), scripts,
        )
    print_fitted(console, table)
    # One entity table per tagset, so that each has only its own types as columns.
    by_types: dict[tuple[str, ...], list] = {}
    for source, s in results:
        by_types.setdefault(tuple(s.entities), []).append((source, s))
    for types, rows in by_types.items():
        entity_table = Table(title="Entities per type", title_justify="left")
        entity_table.add_column("file")
        for entity_type in types:
            entity_table.add_column(entity_type, justify="right")
        for source, s in rows:
            entity_table.add_row(source.name, *(str(s.entities[t]) for t in types))
        print_fitted(console, entity_table)
    if json_path:
        write_json(json_path, {"files": [{"name": src.name, **s.to_dict()} for src, s in results]})
