"""Streaming raw text through a Tagger: read lines lazily, tag them in batches, write as they come.

A document is a file (or standard input), or, with ``lines=True``, each line. Text is read line
by line and tagged a few hundred lines at a time; each line is tagged on its own (a sentence
wrapped over two lines is tagged as two pieces), and a line longer than ``MAX_PIECE`` characters
is cut at whitespace into pieces as it arrives. Input is decoded as every command decodes files
(``ilner.data.files``: UTF-8, UTF-16/32 with a byte-order mark, told by the first bytes; NUL bytes
refused with their line). So memory stays flat for the ``spans`` and ``conll`` formats
and for ``--lines``; ``jsonl`` without ``--lines`` holds one document's text and entities.
Offsets point into the document: ``document[start:end] == entity text``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO, TextIO

from ilner.data.files import decode_stream
from ilner.inference.tagger import Tagged, Tagger

OUTPUT_FORMATS = ("spans", "jsonl", "conll")
MAX_PIECE = 100_000  # characters of one line tagged at once


@dataclass(frozen=True)
class Unit:
    """A piece of input text: its document, line, and where it starts in the document."""

    source: str
    line: int
    text: str  # without the line break
    offset: int  # in characters, from the start of the document (of the line with ``lines``)
    newline: str = "\n"  # what followed it in the input: the line break, or "" inside a long line


def _cut(text: str) -> int:
    """Where the first piece of a text longer than MAX_PIECE ends: after the last whitespace in its
    second half, else at MAX_PIECE."""
    window = range(MAX_PIECE - 1, MAX_PIECE // 2 - 1, -1)
    return next((i + 1 for i in window if text[i].isspace()), MAX_PIECE)


def _pieces(text: str) -> Iterator[tuple[int, str]]:
    """(offset, piece) of a whole line, cut at whitespace every MAX_PIECE characters or so."""
    start = 0
    while len(text) - start > MAX_PIECE:
        cut = start + _cut(text[start:start + MAX_PIECE])
        yield start, text[start:cut]
        start = cut
    yield start, text[start:]


def read_units(source: str, handle: BinaryIO, lines: bool) -> Iterator[Unit]:
    """Pieces of a binary stream's lines, decoded as the data commands decode files (``decode_stream``:
    UTF-8, or UTF-16/32 with a byte-order mark; errors name the input and line).

    Nothing waits for a line's end: a line is cut into pieces while it arrives, so a line of any
    length (even an endless one) is tagged in flat memory.
    """
    _, chunks = decode_stream(handle, source, max_line=None)
    number, offset = 1, 0  # the current line, and where it starts in the document
    done, rest = 0, ""  # characters of the current line already given out, and the ones not yet
    for chunk in chunks:
        rest += chunk
        start = 0
        while (end := rest.find("\n", start)) >= 0:
            line = rest[start:end + 1]
            yield from _line_units(source, number, line, (0 if lines else offset) + done)
            number, offset, done, start = number + 1, offset + done + len(line), 0, end + 1
        rest = rest[start:]
        while len(rest.rstrip("\r")) > MAX_PIECE:  # the line goes on past this piece: give it out now
            cut = _cut(rest)
            yield Unit(source, number, rest[:cut], (0 if lines else offset) + done, "")
            done, rest = done + cut, rest[cut:]
    if rest:
        yield from _line_units(source, number, rest, (0 if lines else offset) + done)


def _line_units(source: str, number: int, text: str, base: int) -> Iterator[Unit]:
    """The units of the (rest of a) line ``text``, its line break included, starting at ``base``."""
    body = text.rstrip("\r\n")
    pieces = list(_pieces(body))
    for index, (start, piece) in enumerate(pieces):
        newline = text[len(body):] if index == len(pieces) - 1 else ""
        yield Unit(source, number, piece, base + start, newline)


def _tsv(text: str) -> str:
    return text.replace("\t", " ").replace("\r", " ").replace("\n", " ")


class Writer:
    """Writes tagged units in one of OUTPUT_FORMATS; call ``close`` at the end of the input."""

    def __init__(self, out: TextIO, output_format: str, lines: bool):
        if output_format not in OUTPUT_FORMATS:
            raise ValueError(f"format must be one of {', '.join(OUTPUT_FORMATS)}")
        self.out, self.format, self.lines = out, output_format, lines
        self.document: dict | None = None  # jsonl: the document being collected
        if output_format == "spans":
            out.write("source\tstart\tend\tlabel\tscore\ttext\n")

    def write(self, unit: Unit, tagged: Tagged) -> None:
        source = f"{unit.source}:{unit.line}" if self.lines else unit.source
        if self.format == "spans":
            for e in tagged.entities:
                self.out.write(f"{_tsv(source)}\t{unit.offset + e.start}\t{unit.offset + e.end}\t{e.label}\t"
                               f"{e.score}\t{_tsv(e.text)}\n")
        elif self.format == "conll":
            for a, b in tagged.sentences:
                self.out.write("".join(f"{t.text}\t{tag}\n" for t, tag in zip(tagged.tokens[a:b], tagged.tags[a:b])) + "\n")
        else:
            if self.document is not None and self.document["source"] != source:
                self.close()
            if self.document is None:
                self.document = {"source": source, "text": [], "entities": []}
            self.document["text"].append(unit.text + ("" if self.lines else unit.newline))
            self.document["entities"] += [
                {**e.to_dict(), "start": unit.offset + e.start, "end": unit.offset + e.end} for e in tagged.entities
            ]

    def close(self) -> None:
        """Write the jsonl document being collected, if any."""
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
        advance(sum(len(u.text.encode("utf-8")) + len(u.newline) for u in batch))
        batch.clear()

    for unit in units:
        batch.append(unit)
        if len(batch) >= batch_lines:
            flush()
    if batch:
        flush()
    return found
