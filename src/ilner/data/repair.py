"""Repair of noisy tags, with a report of every change.

The rules run in this order, each counted per file (IL-NER needs all of them; see the README):

1. ``tag-format``: whitespace and Unicode format characters (ZWNJ, ZWJ, BOM...) removed from
   the tag, and the tag upper-cased (a prefix no scheme uses, ``Z-NEL``, is an error instead);
2. ``dash-type``: ``-X`` (a type without prefix, IL-NER's one-token entities) becomes ``B-X``;
3. ``bare-dash``: a bare ``-`` or an empty tag becomes ``O``;
4. ``bare-type``: a type without prefix in a file that is not IO becomes ``I-X`` (rule 6 then
   makes it ``B-X`` where it does not continue an ``X`` entity);
5. ``unknown-type``: a type outside the target tagset becomes ``O`` (``keep_unknown`` keeps it);
6. ``i-after-o``: ``I-X`` after ``O`` or after another type becomes ``B-X``;
7. ``malformed-line``: a line that is not token + tag is skipped.

Inline markup (``<TYPE>words</TYPE>``, see ``ilner.data.inline``) has typos of its own, counted
by four more rules: ``inner-bom``, ``glued-tag``, ``markup-typo`` and ``unclosed-tag``.

Rule 6 is the definition of the IOB1 and IO schemes rather than noise: for files in those
schemes it is counted as a conversion, not as a repair.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from ilner.data.schemes import Scheme, fix_iob2, split_tag, to_iob2_prefix
from ilner.data.tagsets import Tagset
from ilner.errors import DataError

TAG_FORMAT = "tag-format"
DASH_TYPE = "dash-type"
BARE_DASH = "bare-dash"
BARE_TYPE = "bare-type"
UNKNOWN_TYPE = "unknown-type"
I_AFTER_O = "i-after-o"
MALFORMED_LINE = "malformed-line"
INNER_BOM = "inner-bom"
GLUED_TAG = "glued-tag"
MARKUP_TYPO = "markup-typo"
UNCLOSED_TAG = "unclosed-tag"
MARKUP_RULES: tuple[str, ...] = (INNER_BOM, GLUED_TAG, MARKUP_TYPO, UNCLOSED_TAG)
RULES: tuple[str, ...] = (
    TAG_FORMAT, DASH_TYPE, BARE_DASH, BARE_TYPE, UNKNOWN_TYPE, I_AFTER_O, MALFORMED_LINE, *MARKUP_RULES,
)
RULE_DESCRIPTIONS = {
    TAG_FORMAT: "format characters or whitespace removed from the tag, or tag upper-cased",
    DASH_TYPE: "-X written for a one-token entity, read as B-X",
    BARE_DASH: "bare '-' or empty tag, read as O",
    BARE_TYPE: "type without B-/I- prefix in a file that has them, read as I-X",
    UNKNOWN_TYPE: "type outside the tagset, read as O",
    I_AFTER_O: "I-X not continuing an X entity, read as B-X",
    MALFORMED_LINE: "line that is not token + tag, skipped",
    INNER_BOM: "byte-order mark inside a line (files joined with cat), read as a space",
    GLUED_TAG: "markup tag glued to a word, the word split at the tag",
    MARKUP_TYPO: "misspelt markup ('/<X>' for '</X>', a closing tag of another type or of no open entity, "
                 "an entity without words), read as meant or dropped",
    UNCLOSED_TAG: "entity left open at the line end or at the next opening tag, closed there",
}
_EXAMPLES_KEPT = 5
_PREFIXES = ("", "B", "I", "E", "S", "L", "U")  # split_tag's of an entity tag: a bare type, and every scheme's


@dataclass
class RepairReport:
    """What reading one file changed or skipped, with the first lines where each rule fired."""

    source: str
    encoding: str = "utf-8"
    scheme: str = "iob2"
    counts: Counter[str] = field(default_factory=Counter)
    unknown_types: Counter[str] = field(default_factory=Counter)
    kept_unknown: bool = False
    conversions: int = 0
    untagged_lines: int = 0
    example_lines: dict[str, list[int]] = field(default_factory=dict)
    skipped_lines: list[tuple[int, str]] = field(default_factory=list)
    only_lines: frozenset[int] | None = field(default=None, repr=False)  # a part of a file: count these lines only

    def add(self, rule: str, line: int) -> None:
        if self.only_lines is not None and line not in self.only_lines:
            return
        self.counts[rule] += 1
        examples = self.example_lines.setdefault(rule, [])
        if len(examples) < _EXAMPLES_KEPT and line not in examples[-1:]:  # a line with two repairs is one example
            examples.append(line)

    def skip(self, line: int, text: str) -> None:
        """Rule 7: ``text``, on ``line``, is not token + tag; it is skipped and listed."""
        if self.only_lines is None or line in self.only_lines:
            self.add(MALFORMED_LINE, line)
            self.skipped_lines.append((line, text))

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def first_problem(self) -> tuple[str, int] | None:
        """The rule and line of the earliest repair, for ``--strict`` errors."""
        found = [(lines[0], rule) for rule, lines in self.example_lines.items() if lines]
        if not found:
            return None
        line, rule = min(found)
        return rule, line

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "encoding": self.encoding,
            "scheme": self.scheme,
            "repairs": {rule: self.counts.get(rule, 0) for rule in RULES},
            "unknown_types": dict(self.unknown_types.most_common()),
            "unknown_types_kept": self.kept_unknown,
            "scheme_conversions": self.conversions,
            "example_lines": self.example_lines,
            "skipped_lines": [{"line": n, "text": text} for n, text in self.skipped_lines],
        }


def strip_invisible(tag: str) -> str:
    """A tag without whitespace and Unicode format characters (ZWNJ, ZWJ, BOM...): rule 1's
    cleaning, without its count (the CoNLL reader asks whether a field can be a tag)."""
    if tag.isascii() and " " not in tag and "\t" not in tag:
        return tag
    return "".join(c for c in tag if not c.isspace() and unicodedata.category(c) != "Cf")


def clean_tag(raw: str, line: int, report: RepairReport) -> str:
    """Rules 1-3 on one tag string."""
    tag = strip_invisible(raw).upper()
    if tag != raw:
        report.add(TAG_FORMAT, line)
    if tag in ("", "-"):
        report.add(BARE_DASH, line)
        return "O"
    if tag.startswith("-"):
        report.add(DASH_TYPE, line)
        return "B" + tag
    prefix = split_tag(tag)[0]
    if tag != "O" and prefix not in _PREFIXES:  # Z-NEL, O-NETI: which entity, if any, is meant cannot be told
        raise DataError(report.source, f"tag {raw!r} has the prefix {prefix}-, which no tagging scheme uses "
                        "(B-, I-, E-, S-, L-, U-); fix the tag", line=line)
    return tag


class TagRepairer:
    """Applies rules 4-6 (and the scheme conversion) to cleaned tags, sentence by sentence."""

    def __init__(
        self, report: RepairReport, scheme: Scheme, tagset: Tagset | None, keep_unknown: bool,
        repair_iob: bool = True,
    ):
        self.report = report
        self.repair_iob = repair_iob
        self.scheme = scheme
        self.tagset = tagset
        self.keep_unknown = keep_unknown
        report.scheme = scheme
        report.kept_unknown = keep_unknown

    def sentence(self, tags: list[str], lines: list[int]) -> list[str]:
        out = []
        for tag, line in zip(tags, lines):
            if self.scheme != "io" and split_tag(tag)[0] == "":
                self.report.add(BARE_TYPE, line)
            tag = to_iob2_prefix(tag)
            if tag != "O" and self.tagset is not None:
                entity_type = split_tag(tag)[1]
                if entity_type not in self.tagset:
                    self.report.unknown_types[entity_type] += 1
                    if not self.keep_unknown:
                        self.report.add(UNKNOWN_TYPE, line)
                        tag = "O"
            out.append(tag)
        if self.scheme in ("io", "iob1"):
            self.report.conversions += len(fix_iob2(out))
        elif self.repair_iob:
            for i in fix_iob2(out):
                self.report.add(I_AFTER_O, lines[i])
        return out
