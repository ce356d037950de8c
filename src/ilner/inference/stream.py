"""Streaming raw text through a Tagger: read lines lazily, tag them in batches, write as they come.

Memory stays flat however large the input: text is read line by line and tagged a few hundred
lines at a time. A document is a file (or standard input), or, with ``lines=True``, each line.
Offsets in the output point into the document: ``document[start:end] == entity text``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO, TextIO

from ilner.errors import DataError
from ilner.inference.tagger import Tagged, Tagger

OUTPUT_FORMATS = ("spans", "jsonl", "conll")


@dataclass(frozen=True)
class Unit:
    """A line of input: where it comes from and where it starts in its document."""

    source: str
    line: int
    text: str  # without the line break
    offset: int  # in characters, from the start of the document
    newline: str = "\n"  # the line break that followed it, as in the input ("" at the end)


def read_units(source: str, handle: BinaryIO, lines: bool) -> Iterator[Unit]:
    """Lines of a binary stream, decoded as UTF-8 (a clear error names the input and line)."""
    offset = 0
    for number, raw in enumerate(handle, start=1):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise DataError(source, f"is not valid UTF-8 (byte 0x{raw[error.start]:02x} at column "
                            f"{error.start + 1}); convert it to UTF-8", line=number) from None
        if number == 1:
            text = text.removeprefix("\ufeff")
        body = text.rstrip("\r\n")
        yield Unit(source, number, body, 0 if lines else offset, text[len(body):])
        offset += len(text)


class Writer:
    """Writes tagged units in one of OUTPUT_FORMATS; jsonl documents are closed by ``end_document``."""

    def __init__(self, out: TextIO, output_format: str, lines: bool):
        if output_format not in OUTPUT_FORMATS:
            raise ValueError(f"format must be one of {', '.join(OUTPUT_FORMATS)}")
        self.out, self.format, self.lines = out, output_format, lines
        self.document: dict | None = None
        if output_format == "spans":
            out.write("source\tstart\tend\tlabel\tscore\ttext\n")

    def write(self, unit: Unit, tagged: Tagged) -> None:
        source = f"{unit.source}:{unit.line}" if self.lines else unit.source
        if self.format == "spans":
            for e in tagged.entities:
                self.out.write(f"{source}\t{unit.offset + e.start}\t{unit.offset + e.end}\t{e.label}\t{e.score}\t{e.text}\n")
        elif self.format == "conll":
            for a, b in tagged.sentences:
                self.out.write("".join(f"{t.text}\t{tag}\n" for t, tag in zip(tagged.tokens[a:b], tagged.tags[a:b])) + "\n")
        elif self.lines:
            self.out.write(json.dumps({"source": source, **tagged.to_dict()}, ensure_ascii=False) + "\n")
        else:
            if self.document is None:
                self.document = {"source": unit.source, "text": [], "entities": []}
            self.document["text"].append(unit.text + unit.newline)
            self.document["entities"] += [
                {**e.to_dict(), "start": unit.offset + e.start, "end": unit.offset + e.end} for e in tagged.entities
            ]

    def end_document(self) -> None:
        if self.document is not None:
            document, self.document = self.document, None
            document["text"] = "".join(document["text"])
            self.out.write(json.dumps(document, ensure_ascii=False) + "\n")


def tag_stream(
    tagger: Tagger, units: Iterable[Unit], writer: Writer, batch_lines: int = 256,
    advance: Callable[[int], None] = lambda n: None,
) -> int:
    """Tag units in batches and write them in order; returns the number of entities found."""
    found = 0
    batch: list[Unit] = []

    def flush() -> None:
        nonlocal found
        for unit, tagged in zip(batch, tagger([u.text for u in batch])):
            writer.write(unit, tagged)
            found += len(tagged.entities)
        advance(sum(len(u.text.encode("utf-8")) + 1 for u in batch))
        batch.clear()

    for unit in units:
        batch.append(unit)
        if len(batch) >= batch_lines:
            flush()
    if batch:
        flush()
    return found
