"""Read any supported corpus file into a Corpus (repairing tags) and write corpora back out."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from ilner.data.conll import RawSentence, parse_conll, parse_sentence_id_table, write_conll
from ilner.data.corpus import Corpus, Sentence
from ilner.data.files import member_source, read_member, read_text
from ilner.data.inline import parse_inline
from ilner.data.jsonl import parse_json_arrays, parse_jsonl, write_jsonl
from ilner.data.repair import RULE_DESCRIPTIONS, RepairReport, TagRepairer
from ilner.data.schemes import SCHEMES, detect_scheme, hyphenate
from ilner.data.tagsets import Tagset, load_tagset
from ilner.errors import DataError

FORMATS = ("conll", "jsonl")  # what ilner writes, and guesses from a file name
# Layouts of registered outside corpora, read only when a file is declared so (DataFile.file_format).
_LAYOUT_PARSERS: dict[str, Callable[[str, RepairReport], list[RawSentence]]] = {
    "inline": parse_inline,
    "sentence-id": parse_sentence_id_table,
    "json-arrays": parse_json_arrays,
}
READ_FORMATS = FORMATS + tuple(_LAYOUT_PARSERS)
JSONL_SUFFIXES = (".jsonl", ".json", ".ndjson")


def guess_format(path: str | Path) -> str:
    return "jsonl" if Path(path).suffix.lower() in JSONL_SUFFIXES else "conll"


def read_corpus(
    path: str | Path,
    *,
    tagset: Tagset | str | None = "il-ner",
    scheme: str = "auto",
    keep_unknown: bool = False,
    strict: bool = False,
    repair_iob: bool = True,
    tags_optional: bool = False,
    file_format: str | None = None,
    language: str | None = None,
    split: str | None = None,
    text: str | None = None,
    predicted: bool = False,
    member: str | None = None,
    hyphenless: bool = False,
    keep: Callable[[Sequence[str]], bool] | None = None,
) -> Corpus:
    """Read a corpus file (CoNLL, JSONL, or one of READ_FORMATS) into IOB2 sentences, applying the
    repair rules.

    ``tagset=None`` keeps every type. ``repair_iob=False`` leaves ``I-X`` after ``O`` as it is
    (rule 6), as predictions must be read so that the strict and conlleval schemes can differ. ``strict=True`` raises a DataError at the first repair
    instead of repairing. ``text`` reads already-decoded contents (e.g. stdin) labelled ``path``.
    ``predicted`` reads the predictions of ``ilner predict``'s JSONL output (``predicted_tags``,
    ``predicted_entities``), where the records also keep their gold ``tags`` and ``entities``.
    ``member`` reads that file of the tar archive ``path``, in memory. ``hyphenless`` reads tags
    written ``BNEP`` as ``B-NEP``: set it only for files declared so. ``keep`` reads a part of
    the file: the sentences whose tokens it accepts, with the repairs on their lines only (a line
    between two sentences counts with the one after it).
    """
    file_format = file_format or guess_format(member or path)
    if file_format not in READ_FORMATS:
        raise ValueError(f"unknown format {file_format!r}; use one of {', '.join(READ_FORMATS)}")
    source = member_source(path, member) if member else str(path)
    if isinstance(tagset, str):
        tagset = load_tagset(tagset)
    if scheme != "auto" and scheme not in SCHEMES:
        raise DataError(source, f"unknown tagging scheme {scheme!r}; use one of auto, {', '.join(SCHEMES)}")
    if text is None:
        text, encoding = read_member(path, member) if member else read_text(path)
    else:
        encoding = "utf-8"
    report = RepairReport(source, encoding=encoding)

    def parse(report: RepairReport) -> list[RawSentence]:
        if file_format == "jsonl":
            found = parse_jsonl(text, source, report, predicted)
        elif file_format == "conll":
            found = parse_conll(text, report, tags_optional)
        else:
            found = _LAYOUT_PARSERS[file_format](text, report)
        if hyphenless:
            return [(tokens, [hyphenate(tag) for tag in tags], lines) for tokens, tags, lines in found]
        return found

    raw = parse(report)
    if not raw:
        if not text:
            what = "is empty"
        elif not text.strip():
            what = "has only blank lines, no sentences"
        else:
            what = "has no sentences (only -DOCSTART- or malformed lines)"
        raise DataError(source, what)
    if scheme == "auto":  # the whole file's scheme, whichever part is read
        scheme = detect_scheme([tag for _, tags, _ in raw for tag in tags])
    if keep is not None:  # a part of the file: parse again, counting the repairs on its lines only
        report = RepairReport(source, encoding=encoding, only_lines=_lines_of(raw, keep, len(text.splitlines()) + 1))
        raw = [sentence for sentence in parse(report) if keep(sentence[0])]
    repairer = TagRepairer(report, scheme, tagset, keep_unknown, repair_iob)  # type: ignore[arg-type]
    sentences = [
        Sentence(tuple(tokens), tuple(repairer.sentence(tags, lines)), tuple(lines), source, language)
        for tokens, tags, lines in raw
    ]
    unknown = report.unknown_types
    if tagset is not None and unknown and not keep_unknown and all(t == "O" for s in sentences for t in s.tags):
        # Every entity was dropped as unknown-type: the file is in another tagset, not noisy.
        raise DataError(
            source,
            f"none of its entity types ({', '.join(unknown)}) is in tagset {tagset.name}, so every "
            "entity would be dropped; give the file's own tagset with --tagset (a name or a YAML file)",
        )
    if strict:
        problem = report.first_problem()
        if problem:
            rule, line = problem
            raise DataError(
                source,
                f"{RULE_DESCRIPTIONS[rule]} ({rule}; {report.total} repairs in the file; "
                "read without --strict to repair them)",
                line=line,
            )
    return Corpus(sentences, source, tagset, language, split, report)


def _lines_of(raw: list[RawSentence], keep: Callable[[Sequence[str]], bool], last: int) -> frozenset[int]:
    """The lines of the sentences ``keep`` accepts: each sentence owns the lines after the one
    before it up to its own last, the final sentence the rest of the file too (to ``last``, at
    least the file's last line)."""
    owned: set[int] = set()
    start = 1
    for index, (tokens, _, lines) in enumerate(raw):
        end = last if index == len(raw) - 1 else lines[-1]
        if keep(tokens):
            owned.update(range(start, end + 1))
        start = lines[-1] + 1
    return frozenset(owned)


def write_corpus(
    sentences: Iterable[Sentence],
    path: str | Path,
    *,
    file_format: str | None = None,
    scheme: str = "iob2",
    jsonl_kind: str = "spans",
) -> None:
    """Write sentences as CoNLL (IOB2 or BIOES) or JSONL (spans or tokens), atomically."""
    file_format = file_format or guess_format(path)
    if file_format == "jsonl":
        write_jsonl(sentences, path, jsonl_kind)
    elif file_format == "conll":
        write_conll(sentences, path, scheme)
    else:
        raise ValueError(f"unknown format {file_format!r}; use one of {', '.join(FORMATS)}")
