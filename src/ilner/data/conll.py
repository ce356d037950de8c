"""CoNLL-style files: one token per line, the tag in the last column, blank lines between sentences.

Accepted: ``token<TAB>tag`` or whitespace-separated columns (token first, tag last), optional
``-DOCSTART-`` lines, BOM, CRLF or CR line ends, trailing spaces, runs of blank lines.

Columns: every token line of a file must have the same number of columns, as in CoNLL-2003
(``token POS chunk NER``), and the tag is the last one. A line with another number of columns
(``token B-NEP O`` in a two-column file, ``New Delhi B-NEL`` without a tab) is an error naming it
and the line that set the count: reading its last column would lose or invent an entity. So is a
file whose last column holds no entity while another column holds ``B-``/``I-`` tags (the NER
column is not last). A line of one field is not token + tag: a ``malformed-line`` repair, or an
untagged token with ``tags_optional``.

Tokens are what CoNLL can hold: a token never contains a tab or a line break, nor starts with a
byte-order mark, which only the decoder may take off the start of the file (a BOM inside the
file is an error naming its line). The JSONL reader refuses such tokens too, so every corpus
ilner reads can be written as CoNLL and read back.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from ilner.data.corpus import Sentence
from ilner.data.files import atomic_write_text
from ilner.data.repair import RepairReport, clean_tag, strip_invisible
from ilner.data.schemes import iob2_to_bioes
from ilner.errors import DataError

# A raw sentence: tokens, cleaned (rules 1-3) tags, line numbers.
RawSentence = tuple[list[str], list[str], list[int]]


def parse_conll(text: str, report: RepairReport, tags_optional: bool = False) -> list[RawSentence]:
    """Split CoNLL text into sentences, cleaning tags (rules 1-3) and skipping malformed lines.

    With ``tags_optional`` a line holding only a token is a token (tag O, counted in
    ``report.untagged_lines``), as in pre-tokenised input to a tagger; a line of several words
    without a tab is an error there, as its last word would be taken for a tag and lost."""
    sentences: list[RawSentence] = []
    columns = _Columns(report.source)
    tokens: list[str] = []
    tags: list[str] = []
    lines: list[int] = []

    def close() -> None:
        nonlocal tokens, tags, lines
        if tokens:
            sentences.append((tokens, tags, lines))
            tokens, tags, lines = [], [], []

    # str.splitlines() would also split at U+0085, U+2028 and friends inside tokens.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.rstrip(" ")  # keep a trailing tab: "token<TAB>" has an empty tag (rule 3)
        if not line.strip() or line.startswith("-DOCSTART-"):
            close()
            continue
        fields = line.split("\t") if "\t" in line else line.split()
        if tags_optional and "\t" not in line and len(fields) > 1 and not _could_be_tag(fields[-1]):
            raise DataError(
                report.source, f"{line!r} has several words and no tab; give one token per line, "
                "or token<TAB>tag", line=number,
            )
        while len(fields) > 2 and not fields[-1].strip():  # "token<TAB>B-NEP<TAB>": the tag is B-NEP
            fields.pop()
        token = fields[0]
        if len(fields) == 1 and tags_optional and token.strip():
            fields.append("O")  # pre-tokenised text without tags, for prediction
            report.untagged_lines += 1
        if len(fields) < 2 or not token.strip():
            report.skip(number, line)
            continue
        if token.startswith("\ufeff"):
            raise DataError(report.source, "a byte-order mark (U+FEFF) inside the file, at the start of a token "
                            "(files joined with cat?); remove it", line=number)
        columns.check(fields, number)
        tokens.append(token)
        tags.append(clean_tag(fields[-1], number, report))
        lines.append(number)
    close()
    columns.check_tag_column()
    return sentences


# Header names of the three columns of a sentence-id table (MahaNER: words, labels, sentence_id).
_TOKEN_COLUMNS = ("words", "word", "tokens", "token")
_TAG_COLUMNS = ("labels", "label", "tags", "tag")
_SENTENCE_COLUMNS = ("sentence_id", "sentence")


def parse_sentence_id_table(text: str, report: RepairReport) -> list[RawSentence]:
    """Split a tab-separated table with a header row (``words labels sentence_id``) into sentences.

    One token a row and no blank lines: a sentence ends where the sentence id changes (a blank
    line ends one too). A row without a field for each column is a ``malformed-line`` repair."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    rows = enumerate(text.split("\n"), start=1)
    header_line, header = next(((n, line) for n, line in rows if line.strip()), (1, ""))
    names = [name.strip().lower() for name in header.split("\t")]
    columns = [next((names.index(n) for n in choices if n in names), None)
               for choices in (_TOKEN_COLUMNS, _TAG_COLUMNS, _SENTENCE_COLUMNS)]
    if None in columns:
        raise DataError(report.source, f"the header row {header!r} must name a token column (words), a tag "
                        "column (labels) and a sentence_id column, separated by tabs", line=header_line)
    token_at, tag_at, sentence_at = columns
    sentences: list[RawSentence] = []
    current: RawSentence = ([], [], [])
    sentence_id = None
    for number, line in rows:
        fields = line.split("\t")
        if not line.strip() or len(fields) != len(names) or not fields[token_at].strip():
            if line.strip():
                report.skip(number, line)
            else:
                sentence_id = None  # a blank line ends the sentence too
            continue
        if fields[sentence_at].strip() != sentence_id and current[0]:
            sentences.append(current)
            current = ([], [], [])
        sentence_id = fields[sentence_at].strip()
        current[0].append(fields[token_at])
        current[1].append(clean_tag(fields[tag_at], number, report))
        current[2].append(number)
    if current[0]:
        sentences.append(current)
    return sentences


class _Columns:
    """Checks that a file's token lines have one number of columns and that the last one holds the tags."""

    def __init__(self, source: str):
        self.source = source
        self.count = self.first_line = 0
        self.tags_in_last = False  # whether the last column holds any entity tag
        self.tag_elsewhere: tuple[int, int, str] | None = None  # (line, column, field): a B-/I- tag not last

    def check(self, fields: list[str], number: int) -> None:
        if not self.count:
            self.count, self.first_line = len(fields), number
        elif len(fields) != self.count:
            raise DataError(
                self.source, f"{len(fields)} columns, but line {self.first_line} has {self.count}; every token "
                "line needs the same columns (token first, tag last): fix this line, or join a token that "
                "holds spaces to its tag with a tab", line=number,
            )
        if not self.tags_in_last:
            self.tags_in_last = _could_be_tag(fields[-1]) and strip_invisible(fields[-1]).upper() not in ("O", "-", "")
        if self.tag_elsewhere is None:
            column = next((i for i, field in enumerate(fields[1:-1], start=1) if _PREFIXED.fullmatch(strip_invisible(field))), None)
            if column is not None:
                self.tag_elsewhere = (number, column + 1, fields[column])

    def check_tag_column(self) -> None:
        """At the end of the file: no entity in the last column, but B-/I- tags in another, is a
        file whose NER column is not the last one."""
        if self.tag_elsewhere and not self.tags_in_last:
            number, column, field = self.tag_elsewhere
            raise DataError(
                self.source, f"column {column} holds a tag ({field!r}) but the last column, where the tag is "
                f"read from, holds no entity in the whole file; put the NER tags in the last column", line=number,
            )


# What a tag looks like: O, -X or a bare -, a prefixed type (any case), or a bare upper-case type.
_TAG_SHAPE = re.compile(r"(?i:O|-.*|[BIESLU]-.+)|[A-Z][A-Z_]*")
_PREFIXED = re.compile(r"(?i:[BIESLU]-\S+)")  # a tag of an entity, unmistakably


def _could_be_tag(field: str) -> bool:
    """Whether ``field`` can be a tag once rule 1's format characters are gone: ``Delhi``, ``2024``
    or ``दिल्ली`` are words."""
    return bool(_TAG_SHAPE.fullmatch(strip_invisible(field)))


def format_conll(sentences: Iterable[Sentence], scheme: str = "iob2") -> str:
    """CoNLL text (``token<TAB>tag``) in IOB2, or BIOES with ``scheme="bioes"``."""
    if scheme not in ("iob2", "bioes"):
        raise ValueError(f"can write IOB2 or BIOES, not {scheme!r}")
    parts = []
    for sentence in sentences:
        tags = iob2_to_bioes(sentence.tags) if scheme == "bioes" else sentence.tags
        parts.append("".join(f"{token}\t{tag}\n" for token, tag in zip(sentence.tokens, tags)))
    return "\n".join(parts)


def write_conll(sentences: Iterable[Sentence], path: str | Path, scheme: str = "iob2") -> None:
    atomic_write_text(path, format_conll(sentences, scheme))
