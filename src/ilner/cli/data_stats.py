"""``ilner data stats``: sizes, entities per type, sentence lengths and scripts of corpora, and
for registered outside corpora which IL-NER types they annotate and how their dev split was made."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from ilner.cli._app import (
    DATA_HELP, DataDirOption, JsonOption, KeepUnknownOption, SchemeOption, TagsetOption, console,
    data_app, progress,
)
from ilner.cli._render import print_fitted, write_json
from ilner.data.registry import DataFile
from ilner.data.sources import Source, load_corpora
from ilner.data.stats import corpus_stats
from ilner.data.tagsets import Annotation


@data_app.command("stats")
def stats(
    data: Annotated[list[str], typer.Argument(help=DATA_HELP, show_default=False)],
    tagset: TagsetOption = None,
    keep_unknown: KeepUnknownOption = False,
    input_scheme: SchemeOption = "auto",
    json_path: JsonOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Describe corpora (after repair): sentences, tokens, entities per type, lengths, scripts;
    for registered outside corpora, which IL-NER types each annotates fully, partly (as one of a
    set) or not at all, and how a dev split carved off its train file was chosen.

    Example: ilner data stats 'il-ner:*:train' 'bengali-rifat:*:train'
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
    annotations = {f.tagset: f.annotation() for f in _outside_files(source for source, _ in results)}
    for annotation in annotations.values():
        print_fitted(console, _annotation_table(annotation))
    for source, _ in results:
        if source.data_file is not None and source.data_file.carve is not None:
            console.print(f"{source.name}: {source.data_file.carve.describe(source.path.name)}", soft_wrap=True)
    if json_path:
        write_json(json_path, {"files": [_file_json(src, s, annotations) for src, s in results]})


def _outside_files(sources) -> list[DataFile]:
    """The registered files among ``sources`` in a tagset of their own that maps onto il-ner."""
    return [s.data_file for s in sources
            if s.data_file is not None and f"{s.data_file.tagset}_to_il-ner" in s.data_file.mappings]


def _annotation_table(annotation: Annotation) -> Table:
    """Rows: the target's types; columns: annotated fully, partly (from which source types, as
    one of which set) or not at all."""
    table = Table(title=f"{annotation.target.name} types that {annotation.source} annotates", title_justify="left")
    for column in (f"{annotation.target.name} type", "full (from)", "partial (from)", "not annotated"):
        table.add_column(column)
    for entity_type in annotation.target.types:
        coverage = annotation.coverage(entity_type)
        sources = [s if len(annotation.targets[s]) == 1 else f"{s}, one of {'/'.join(sorted(annotation.targets[s]))}"
                   for s in annotation.sources(entity_type)]
        cells = {"full": "", "partial": "", "none": ""} | {coverage: "; ".join(sources) or "yes"}
        table.add_row(entity_type, cells["full"], cells["partial"], cells["none"])
    return table


def _file_json(source: Source, stats, annotations: dict[str, Annotation]) -> dict:
    entry = {"name": source.name, **stats.to_dict()}
    found = source.data_file
    if found is not None and found.tagset in annotations:
        annotation = annotations[found.tagset]
        entry["annotates"] = {t: {"coverage": annotation.coverage(t), "from": list(annotation.sources(t))}
                              for t in annotation.target.types}
    if found is not None and found.carve is not None:
        entry["carved"] = found.carve.describe(source.path.name)
    return entry
