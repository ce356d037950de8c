"""JSON Lines corpora, one sentence per line, in either of two shapes:

- spans: ``{"text": "...", "entities": [{"start": 0, "end": 5, "label": "NEP"}]}`` with
  character offsets (end exclusive);
- tokens: ``{"tokens": [...], "tags": [...]}``.

Reading spans needs tokens: the text is split at whitespace (so that span files ilner writes,
tokens joined by spaces, read back to the same tokens), and also at every entity boundary that
falls inside a word (``दिल्ली,`` with the entity ``दिल्ली`` gives ``दिल्ली`` and ``,``), so no
entity is ever lost or widened. An entity boundary inside a grapheme cluster (between a
consonant and its vowel sign or virama) is an error: no token may start with a matra. So is an
entity that starts or ends with an invisible character (a zero-width space, a BOM, a direction
mark: any format character, except a ZWJ/ZWNJ right after the letter it joins): its text would
not match the same name typed without it.

Every line is parsed strictly: a key twice in one object, a lone surrogate (``"\\ud800"``), a
number too long to convert, nesting too deep to parse, or ``true``/``false`` as an offset are
errors that name the file and line, not a guess. A token may not hold a tab, a line break or a
NUL (``\\u0000``), nor start with ``-DOCSTART-`` or a byte-order mark: CoNLL, which ilner writes
and reads, could not hold it. Such tokens are refused when read, so that every corpus ilner reads
can be written as CoNLL and read back unchanged.
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NoReturn

from ilner.data.conll import RawSentence
from ilner.data.corpus import Sentence
from ilner.data.files import atomic_write_text
from ilner.data.repair import RepairReport, clean_tag
from ilner.data.schemes import Chunk, chunks, chunks_to_iob2
from ilner.errors import DataError
from ilner.text.tokenize import grapheme_boundaries

JSONL_KINDS = ("spans", "tokens")
_NON_SPACE = re.compile(r"\S+")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")  # a \uD800-\uDFFF escape, paired or not
_SURROGATE = re.compile("[\ud800-\udfff]")
_NOT_IN_CONLL = re.compile("[\t\n\r\x00]")  # separators of CoNLL, and NUL, which no text file holds
_JOINERS = "\u200c\u200d"  # ZWNJ, ZWJ: part of the letter before them


class _DuplicateKey(Exception):
    """A key that occurs twice in one JSON object."""


def _unique_keys(pairs: list[tuple[str, object]]) -> dict:
    """``object_pairs_hook`` that refuses duplicate keys (json keeps the last one silently)."""
    record = dict(pairs)
    if len(record) != len(pairs):
        seen: set[str] = set()
        raise _DuplicateKey(next(key for key, _ in pairs if key in seen or seen.add(key)))
    return record


def _fail(source: str, line: int, message: str) -> NoReturn:
    raise DataError(source, message, line=line)


def _spans_to_raw(record: dict, source: str, line: int, report: RepairReport) -> RawSentence:
    text, entities = record["text"], record["entities"]
    if not isinstance(text, str) or not isinstance(entities, list):
        _fail(source, line, "'text' must be a string and 'entities' a list")
    spans = []
    for entity in entities:
        try:
            start, end, label = entity["start"], entity["end"], entity["label"]
        except (TypeError, KeyError):
            _fail(source, line, f"each entity needs 'start', 'end' and 'label': {entity!r}")
        if not all(isinstance(offset, int) and not isinstance(offset, bool) for offset in (start, end)):
            _fail(source, line, f"entity {entity!r}: 'start' and 'end' must be whole numbers (character offsets)")
        if not 0 <= start < end <= len(text):
            _fail(source, line, f"entity {entity!r} has offsets outside the text (length {len(text)})")
        _check_visible_edges(text, start, end, str(label), source, line)
        spans.append((start, end, str(label)))
    boundaries = grapheme_boundaries(text)
    for start, end, label in spans:
        inside = [offset for offset in (start, end) if offset not in boundaries]
        if inside:
            _fail(source, line, f"entity {text[start:end]!r} ({label}, {start}-{end}) has a boundary inside a "
                  f"letter at offset {inside[0]} (a vowel sign, virama or nukta belongs to its consonant)")
    spans.sort()
    for (_, end_a, _), (start_b, _, _) in zip(spans, spans[1:]):
        if start_b < end_a:
            _fail(source, line, "overlapping entities; nested NER is not supported")
    cuts = {offset for start, end, _ in spans for offset in (start, end)}
    pieces = []  # (start, end) of each token
    for match in _NON_SPACE.finditer(text):
        start = match.start()
        for cut in sorted(c for c in cuts if match.start() < c < match.end()):
            pieces.append((start, cut))
            start = cut
        pieces.append((start, match.end()))
    entities = []
    for start, end, label in spans:
        label = clean_tag(label, line, report)
        if label == "O":
            _fail(source, line, "an entity labelled O: leave it out of 'entities'")
        if label[:2] in ("B-", "I-"):
            label = label[2:]  # a type written with an IOB prefix
        inside = [i for i, (a, b) in enumerate(pieces) if a >= start and b <= end]
        entities.append(Chunk(label, inside[0], inside[-1] + 1))
    tags = chunks_to_iob2(len(pieces), entities)
    tokens = [text[a:b] for a, b in pieces]
    return tokens, tags, [line] * len(tokens)


def _invisible(char: str) -> bool:
    return char.isspace() or unicodedata.category(char) == "Cf"


def _check_visible_edges(text: str, start: int, end: int, label: str, source: str, line: int) -> None:
    """An entity must start and end with a visible character; whitespace at its edges is dropped
    with the spaces between tokens, but a format character (ZWSP, BOM, LRM...) would stay in a token."""
    where = f"entity {text[start:end]!r} ({label}, {start}-{end})"
    first = next((i for i in range(start, end) if not _invisible(text[i])), None)
    if first is None:
        _fail(source, line, f"{where} covers only whitespace or invisible characters")
    last = next(i for i in range(end - 1, first - 1, -1) if not _invisible(text[i]))
    trailing = text[last + 1:end].lstrip(_JOINERS)  # a joiner right after a letter belongs to it
    for edge, part, advice in (("starts", text[start:first], "start it at its first visible character"),
                               ("ends", trailing, "end it after its last visible character")):
        hidden = next((c for c in part if not c.isspace()), None)
        if hidden is not None:
            name = unicodedata.name(hidden, "a format character")
            _fail(source, line, f"{where} {edge} with the invisible character U+{ord(hidden):04X} {name}; {advice}")


def _tokens_to_raw(record: dict, source: str, line: int, report: RepairReport) -> RawSentence:
    tokens, tags = record["tokens"], record["tags"]
    if not (isinstance(tokens, list) and isinstance(tags, list)):
        _fail(source, line, "'tokens' and 'tags' must be lists")
    if len(tokens) != len(tags):
        _fail(source, line, f"{len(tokens)} tokens but {len(tags)} tags")
    if not all(isinstance(t, str) and t.strip() for t in tokens):
        _fail(source, line, "every token must be a non-empty string")
    return list(tokens), [clean_tag(str(tag), line, report) for tag in tags], [line] * len(tokens)


def json_records(text: str, source: str) -> Iterator[tuple[int, dict]]:
    """(line number, object) for each non-blank line; anything but a JSON object is an error."""
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        record = _parse_line(line, source, number)
        if not isinstance(record, dict):
            _fail(source, number, "each line must be a JSON object")
        yield number, record


def _parse_line(line: str, source: str, number: int) -> object:
    """One JSON value, strictly (see the module docstring)."""
    try:
        value = json.loads(line, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as error:
        _fail(source, number, f"not valid JSON: {error.msg} (column {error.colno})")
    except _DuplicateKey as error:
        _fail(source, number, f"key {error.args[0]!r} occurs twice in one object; keep one (JSON readers "
              "disagree on which one counts)")
    except ValueError:  # int() refuses numbers of more digits than this
        _fail(source, number, f"not valid JSON: a number of more than {sys.get_int_max_str_digits():,} digits")
    except RecursionError:
        _fail(source, number, "not valid JSON: nested too deeply to read; a record is a flat object")
    if _SURROGATE_ESCAPE.search(line) and holds_lone_surrogate(value):
        _fail(source, number, "a string holds a lone surrogate (a \\uD800-\\uDFFF escape without its pair), "
              "which is no character; fix or remove that escape")
    return value


def holds_lone_surrogate(value: object) -> bool:
    """Whether any string in a parsed JSON value (keys too) holds a surrogate code point."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            stack += [*item.keys(), *item.values()]
        elif isinstance(item, list):
            stack += item
    return False


def parse_jsonl(text: str, source: str, report: RepairReport, predicted: bool = False) -> list[RawSentence]:
    """Parse JSONL text of either shape (records may mix them); empty records are skipped. With
    ``predicted``, a record's ``predicted_tags`` or ``predicted_entities`` (``ilner predict``'s
    output) are read in place of its gold ``tags`` or ``entities``."""
    sentences = []
    for number, record in json_records(text, source):
        if predicted and "tokens" in record and "predicted_tags" in record:
            record = {"tokens": record["tokens"], "tags": record["predicted_tags"]}
        elif predicted and "text" in record and "predicted_entities" in record:
            record = {"text": record["text"], "entities": record["predicted_entities"]}
        if "tokens" in record and "tags" in record:
            raw = _tokens_to_raw(record, source, number, report)
        elif "text" in record and "entities" in record:
            raw = _spans_to_raw(record, source, number, report)
        else:
            _fail(source, number, 'expected {"text", "entities"} or {"tokens", "tags"}')
        check_conll_tokens(raw[0], source, number)
        if raw[0]:
            sentences.append(raw)
    return sentences


def parse_json_arrays(text: str, report: RepairReport) -> list[RawSentence]:
    """Parse lines of ``[text, [tag, ...]]`` (banglakit's layout): one tag per whitespace-separated
    token of the text, in any scheme (BILUO there). A tag count that differs from the token count
    is an error naming the line: which tag belongs to which word cannot be told."""
    source, sentences = report.source, []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        record = _parse_line(line, source, number)
        if not (isinstance(record, list) and len(record) == 2 and isinstance(record[0], str)
                and isinstance(record[1], list) and all(isinstance(tag, str) for tag in record[1])):
            _fail(source, number, "each line must be a JSON array [text, [tags]], the tags strings")
        tokens, tags = record[0].split(), record[1]
        if len(tokens) != len(tags):
            _fail(source, number, f"{len(tokens)} whitespace-separated tokens in the text but {len(tags)} tags; "
                  "give one tag per token")
        check_conll_tokens(tokens, source, number)
        if tokens:
            sentences.append((tokens, [clean_tag(tag, number, report) for tag in tags], [number] * len(tokens)))
    return sentences


def check_conll_tokens(tokens: list[str], source: str, line: int) -> None:
    """Every token must survive being written as CoNLL and read back (see the module docstring)."""
    for token in tokens:
        problem = conll_token_problem(token)
        if problem:
            _fail(source, line, problem)


def conll_token_problem(token: str) -> str | None:
    """Why ``token`` cannot be written as CoNLL and read back, or None if it can."""
    if _NOT_IN_CONLL.search(token):
        return (f"token {token!r} holds a tab, a line break or a NUL, which CoNLL cannot hold in a token; "
                "split it into tokens or replace them with spaces")
    if token.startswith("-DOCSTART-"):
        return f"token {token!r} is a CoNLL document marker, not a word; leave it out"
    if token.startswith("\ufeff"):
        return (f"token {token!r} starts with a byte-order mark (U+FEFF), which a CoNLL reader takes for the "
                "file's own; remove it")
    return None


def sentence_to_record(sentence: Sentence, kind: str = "spans") -> dict:
    """A sentence as a JSONL record; spans join tokens with single spaces."""
    if kind == "tokens":
        return {"tokens": list(sentence.tokens), "tags": list(sentence.tags)}
    if kind != "spans":
        raise ValueError(f"JSONL kind must be one of {JSONL_KINDS}, not {kind!r}")
    starts, offset = [], 0
    for token in sentence.tokens:
        starts.append(offset)
        offset += len(token) + 1
    entities = [
        {"start": starts[c.start], "end": starts[c.end - 1] + len(sentence.tokens[c.end - 1]), "label": c.label}
        for c in chunks(sentence.tags)
    ]
    return {"text": " ".join(sentence.tokens), "entities": entities}


def write_jsonl(sentences: Iterable[Sentence], path: str | Path, kind: str = "spans") -> None:
    lines = (json.dumps(sentence_to_record(s, kind), ensure_ascii=False) + "\n" for s in sentences)
    atomic_write_text(path, "".join(lines))
