"""Inline markup corpora: one sentence a line, entities marked in the text as ``<TYPE>words</TYPE>``
(UNER's layout).

Tokens are the whitespace-separated words of a line, punctuation attached as in the file; a tag
always ends a token, so ``<PERSON>نام</PERSON>۔`` gives ``نام`` (B-PERSON) and ``۔`` (O). Every
token inside a tag gets ``B-``/``I-`` of its type.

Real files have typos. Each is read as meant where that can be told, and counted per line:

- ``tag-format``: spaces inside the brackets (``< PERSON >``), a lower-case type;
- ``inner-bom``: a byte-order mark inside a line (files joined with cat) separates words;
- ``glued-tag``: a tag glued to a word on both sides splits it (``کے<PERSON>علی``);
- ``markup-typo``: ``25/<NUMBER>`` closing an open NUMBER is read as ``25</NUMBER>``; a closing
  tag of another type closes the open entity, which keeps its opening type; a closing tag with
  nothing open, and an entity without words, are dropped;
- ``unclosed-tag``: an entity still open at the end of the line, or at the next opening tag
  (entities do not nest), ends there.
"""

from __future__ import annotations

import re

from ilner.data.conll import RawSentence
from ilner.data.jsonl import check_conll_tokens
from ilner.data.repair import (
    GLUED_TAG, INNER_BOM, MARKUP_TYPO, TAG_FORMAT, UNCLOSED_TAG, RepairReport,
)

# An opening or closing tag, spaces inside the brackets allowed; a type is letters and underscores.
_TAG = re.compile(r"<\s*(/?)\s*([A-Za-z_]+)\s*>")


def parse_inline(text: str, report: RepairReport) -> list[RawSentence]:
    """Sentences of inline-markup text (see the module docstring); blank lines are skipped."""
    sentences: list[RawSentence] = []
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    for number, line in enumerate(text.split("\n"), start=1):
        if "\ufeff" in line:
            for _ in range(line.count("\ufeff")):
                report.add(INNER_BOM, number)
            line = line.replace("\ufeff", " ")
        tokens, tags = _Line(report, number).read(line)
        if tokens:
            check_conll_tokens(tokens, report.source, number)
            sentences.append((tokens, tags, [number] * len(tokens)))
    return sentences


class _Line:
    """Reads one line: the open entity's type and how many words it has so far."""

    def __init__(self, report: RepairReport, number: int):
        self.report = report
        self.number = number
        self.tokens: list[str] = []
        self.tags: list[str] = []
        self.open: str | None = None
        self.words_inside = 0

    def read(self, line: str) -> tuple[list[str], list[str]]:
        start = 0
        for match in _TAG.finditer(line):
            segment = line[start:match.start()]
            closing, entity_type = match.group(1) == "/", self._type(match)
            if not closing and entity_type == self.open and segment.endswith("/"):  # "25/<NUMBER>"
                segment, closing = segment[:-1], True
                self.report.add(MARKUP_TYPO, self.number)
            self._words(segment)
            if _glued(line, match.start(), match.end()):
                self.report.add(GLUED_TAG, self.number)
            if closing:
                self._close(entity_type)
            else:
                self._open(entity_type)
            start = match.end()
        self._words(line[start:])
        if self.open is not None:
            self.report.add(UNCLOSED_TAG, self.number)
            self._end()
        return self.tokens, self.tags

    def _type(self, match: re.Match) -> str:
        """The tag's type, upper-cased; spaces inside the brackets or lower case are tag-format repairs."""
        name = match.group(2)
        written = match.group(0)
        if name != name.upper() or written != f"<{match.group(1)}{name}>":
            self.report.add(TAG_FORMAT, self.number)
        return name.upper()

    def _words(self, segment: str) -> None:
        for word in segment.split():
            if self.open is None:
                self.tags.append("O")
            else:
                self.tags.append(("I-" if self.words_inside else "B-") + self.open)
                self.words_inside += 1
            self.tokens.append(word)

    def _open(self, entity_type: str) -> None:
        if self.open is not None:
            self.report.add(UNCLOSED_TAG, self.number)
            self._end()
        self.open, self.words_inside = entity_type, 0

    def _close(self, entity_type: str) -> None:
        if self.open is None or entity_type != self.open:
            self.report.add(MARKUP_TYPO, self.number)
        if self.open is not None:
            self._end()

    def _end(self) -> None:
        if not self.words_inside:
            self.report.add(MARKUP_TYPO, self.number)
        self.open = None


def _glued(line: str, start: int, end: int) -> bool:
    """Whether the tag at ``line[start:end]`` splits a word: text touches it on both sides (another
    tag touching it does not count)."""
    before = line[start - 1] if start else " "
    after = line[end] if end < len(line) else " "
    return not (before.isspace() or after.isspace() or before == ">" or after == "<")
