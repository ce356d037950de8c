"""``ilner data check``: read files as training would, and report every repair and leak."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from ilner.cli._app import (
    DATA_HELP, DataDirOption, JsonOption, KeepUnknownOption, SchemeOption, TagsetOption, console,
    data_app, err_console, progress,
)
from ilner.cli._render import pct, print_fitted, write_json
from ilner.data.check import overlaps
from ilner.data.repair import MARKUP_RULES, RULE_DESCRIPTIONS, RULES
from ilner.data.sources import resolve
from ilner.errors import DataError


@data_app.command("check")
def check(
    data: Annotated[list[str], typer.Argument(help=DATA_HELP, show_default=False)],
    tagset: TagsetOption = None,
    strict: Annotated[bool, typer.Option("--strict", help="Fail on any repair, listing file:line of each kind.")] = False,
    keep_unknown: KeepUnknownOption = False,
    input_scheme: SchemeOption = "auto",
    json_path: JsonOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Check corpora: repairs per file, malformed lines, and leakage between train/dev/test.

    Exits 0 when every file is usable after repair (with --strict: only when nothing needed
    repair), non-zero with file:line messages otherwise.

    Example: ILNER_DATA_DIR=../shared/datasets ilner data check 'il-ner:*:*'
    """
    files, grouped, errors = [], [], []
    for spec in data:
        for source in resolve(spec, data_dir, progress):
            try:
                corpus = source.read(tagset=tagset or source.tagset, scheme=input_scheme, keep_unknown=keep_unknown)
            except DataError as error:
                errors.append(str(error))
                continue
            files.append((source, corpus))
            grouped.append((source.group, corpus))

    table = Table(title="Repairs per file", title_justify="left")
    table.add_column("file")
    table.add_column("scheme")
    table.add_column("sentences", justify="right")
    table.add_column("entities", justify="right")
    # The markup rules get a column only where a file needed them (inline-markup corpora).
    rules = [r for r in RULES if r not in MARKUP_RULES or any(c.report.counts[r] for _, c in files)]
    for rule in rules:
        table.add_column(rule, justify="right")
    table.add_column("unknown types")
    for source, corpus in files:
        report = corpus.report
        unknown = ", ".join(f"{t}×{n}" for t, n in report.unknown_types.most_common())
        if unknown and report.kept_unknown:
            unknown += " (kept)"
        scheme = report.scheme + ("" if report.encoding == "utf-8" else f", {report.encoding}")
        table.add_row(
            source.name, scheme, str(len(corpus)), str(sum(corpus.entity_counts().values())),
            *(str(report.counts.get(rule, 0)) for rule in rules), unknown,
        )
    print_fitted(console, table)
    console.print("Rules: " + "; ".join(f"[bold]{r}[/bold]: {RULE_DESCRIPTIONS[r]}" for r in rules), soft_wrap=True)

    for source, corpus in files:
        for line, text in corpus.report.skipped_lines:
            console.print(f"{corpus.source}:{line}: skipped malformed line {text!r}", markup=False, soft_wrap=True)

    leaks = overlaps(grouped)
    leak_table = Table(title="Overlap between splits", title_justify="left")
    for column in ("file", "split", "sentences", "in train", "% in train", "tagged differently",
                   "duplicates in file", "conflicting tags"):
        leak_table.add_column(column, justify="left" if column in ("file", "split") else "right")
    names = {(corpus.source, corpus.split): source.name for source, corpus in files}  # a carved file has two parts
    for leak in leaks:
        leak_table.add_row(
            names[leak.source, leak.split], leak.split or "?", str(leak.sentences), str(leak.seen_in_train),
            pct(leak.seen_share), str(leak.seen_tagged_differently), str(leak.duplicates), str(leak.conflicting),
        )
    print_fitted(console, leak_table)
    if any(leak.seen_in_train for leak in leaks):
        console.print("Some dev/test sentences occur word for word in train: report scores with "
                      "`ilner evaluate ... --exclude-seen TRAIN` as well.")

    if strict:
        for source, corpus in files:
            for rule, lines in corpus.report.example_lines.items():
                count = corpus.report.counts[rule]
                more = f" (and {count - len(lines)} more)" if count > len(lines) else ""
                for line in lines:
                    errors.append(f"{corpus.source}:{line}: {RULE_DESCRIPTIONS[rule]} [{rule}]")
                if more:
                    errors.append(f"{corpus.source}: {rule}{more}")

    if json_path:
        write_json(json_path, {
            "files": [
                {"name": s.name, "path": str(s.path), "language": s.language, "split": s.split,
                 "sentences": len(c), "entities": dict(c.entity_counts()), **c.report.to_dict()}
                for s, c in files
            ],
            "overlaps": [leak.to_dict() for leak in leaks],
            "errors": errors,
            "usable": not errors,
        })
    for message in errors:
        err_console.print(message, style="red", markup=False, soft_wrap=True)
    if errors:
        err_console.print(f"[bold red]{len(errors)} problem(s)[/bold red]" + (" (--strict)" if strict else ""))
        raise typer.Exit(1)
    console.print(f"[green]{len(files)} file(s) usable[/green]"
                  + (" after repair" if any(c.report.total for _, c in files) else ""))
