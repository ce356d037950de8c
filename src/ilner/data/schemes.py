"""Tagging schemes (IO, IOB1, IOB2, BIOES/BILOU) and entity chunks.

ilner holds tags in IOB2 everywhere inside: readers convert to it, writers convert from it.
Chunk extraction follows seqeval exactly, in its two modes:
``strict`` (IOB2: an entity is ``B-X`` followed by ``I-X``...; a stray ``I-X`` is no entity)
and ``conlleval`` (lenient: a stray ``I-X`` starts an entity, as conlleval.pl does).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, NamedTuple

Scheme = Literal["io", "iob1", "iob2", "bioes"]
ChunkMode = Literal["strict", "conlleval"]
SCHEMES: tuple[str, ...] = ("io", "iob1", "iob2", "bioes")
CHUNK_MODES: tuple[str, ...] = ("strict", "conlleval")

# BIOES/BILOU prefixes and their IOB2 equivalents.
_BIOES_TO_IOB2 = {"S": "B", "U": "B", "E": "I", "L": "I"}


class Chunk(NamedTuple):
    """An entity over tokens ``start`` (inclusive) to ``end`` (exclusive)."""

    label: str
    start: int
    end: int


def split_tag(tag: str) -> tuple[str, str]:
    """``"B-NEP"`` -> ``("B", "NEP")``; ``"O"`` -> ``("O", "")``; a bare ``"NEP"`` -> ``("", "NEP")``."""
    if tag == "O":
        return "O", ""
    if len(tag) > 2 and tag[1] == "-":
        return tag[0], tag[2:]
    return "", tag


def detect_scheme(tags: Sequence[str]) -> Scheme:
    """Guess the scheme of normalised tags (prefixes upper-case, no ``-X`` left).

    BIOES if any E/S/L/U prefix occurs; IO if no tag has ``B-`` but some are entities, bare
    (``NEP``) or written ``I-NEP`` (a few bare tags in a file with ``B-`` are noise to repair, not
    the scheme); IOB1 if ``B-`` occurs only right after a token of the same type (its one use in
    IOB1); IOB2 otherwise. IO, IOB1 without ``B-`` and IOB2 read the same way where they agree, and
    IO is the reading that repairs nothing: a run of ``I-X`` is one entity.
    """
    prefixes = set()
    b_only_after_same_type = True
    prev_type = ""
    for tag in tags:
        prefix, type_ = split_tag(tag)
        prefixes.add(prefix)
        if prefix == "B" and type_ != prev_type:
            b_only_after_same_type = False
        prev_type = type_
    if prefixes & set(_BIOES_TO_IOB2):
        return "bioes"
    if prefixes & {"", "I"} and "B" not in prefixes:
        return "io"
    if "B" in prefixes and b_only_after_same_type:
        return "iob1"
    return "iob2"


def to_iob2_prefix(tag: str) -> str:
    """Map one tag of any scheme to its IOB2 form, leaving sequence repair to the caller.

    A bare type (IO) becomes ``I-X``; the caller's I-after-O repair then opens the entity.
    """
    prefix, type_ = split_tag(tag)
    if prefix == "O" or prefix in ("B", "I"):
        return tag
    if prefix == "":
        return f"I-{type_}"
    if prefix in _BIOES_TO_IOB2:
        return f"{_BIOES_TO_IOB2[prefix]}-{type_}"
    return tag


def hyphenate(tag: str) -> str:
    """``BNEP`` -> ``B-NEP``: an IOB tag written without its hyphen (MahaNER's spelling).

    Only files declared so are read this way: elsewhere ``BED`` or ``INDIA`` may be a type.
    """
    if len(tag) > 1 and tag[0] in "BI" and tag[1] != "-":
        return f"{tag[0]}-{tag[1:]}"
    return tag


def fix_iob2(tags: list[str]) -> list[int]:
    """Turn every ``I-X`` that does not continue an ``X`` entity into ``B-X``, in place.

    Returns the positions changed. This is the IOB1->IOB2 conversion and the IOB2 repair at once.
    """
    changed = []
    prev_type = ""
    for i, tag in enumerate(tags):
        if tag == "O":
            prev_type = ""
            continue
        prefix, type_ = split_tag(tag)
        if prefix == "I" and type_ != prev_type:
            tags[i] = f"B-{type_}"
            changed.append(i)
        prev_type = type_
    return changed


def iob2_to_bioes(tags: Sequence[str]) -> list[str]:
    """IOB2 tags (well-formed) to BIOES."""
    out = []
    for i, tag in enumerate(tags):
        if tag == "O":
            out.append(tag)
            continue
        prefix, type_ = split_tag(tag)
        continues = i + 1 < len(tags) and tags[i + 1] == f"I-{type_}"
        if prefix == "B":
            out.append(f"B-{type_}" if continues else f"S-{type_}")
        else:
            out.append(f"I-{type_}" if continues else f"E-{type_}")
    return out


def chunks(tags: Sequence[str], mode: ChunkMode = "strict") -> list[Chunk]:
    """Entities in IOB2 ``tags`` (see the module docstring for the two modes)."""
    found: list[Chunk] = []
    label = ""  # type of the open entity, "" if none
    start = 0
    for i, tag in enumerate(tags):
        prefix, type_ = split_tag(tag)
        if prefix == "I" and label == type_:
            continue
        if label:
            found.append(Chunk(label, start, i))
            label = ""
        if prefix == "B" or (prefix == "I" and mode == "conlleval"):
            label, start = type_, i
    if label:
        found.append(Chunk(label, start, len(tags)))
    return found


def chunks_to_iob2(length: int, entities: Sequence[Chunk]) -> list[str]:
    """IOB2 tags of ``length`` tokens with the given (non-overlapping) entities."""
    tags = ["O"] * length
    for label, start, end in entities:
        tags[start] = f"B-{label}"
        for i in range(start + 1, end):
            tags[i] = f"I-{label}"
    return tags
