"""Tagsets (entity types and their IOB2 labels) and declarative mappings between them.

Built-in tagsets and mappings are YAML files under ``ilner/resources``; users pass their own
files by path wherever a name is accepted. A mapping must say where every source type goes:
an unmapped type is an error, unless the mapping has a ``default`` (usually ``O``).

A source type may also go to a *set* of target types (``MISC: [NEN, NETI]``) when the corpus
lumps together what the target tells apart. Such a type has no single hard tag: ``map_tags``
refuses it, and the mapping's ``Annotation`` says instead, per target type, whether the corpus
annotates it fully, partly (only as one of a set) or not at all, and which labels each of its
tokens may have, for training that counts every labelling consistent with the corpus. A mapping
file may state that table in ``annotates:``; it is checked against ``map:``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml

from ilner.data.schemes import iob2_to_bioes, split_tag
from ilner.errors import TagsetError

_RESOURCES = resources.files("ilner") / "resources"
MAPPINGS_DIR = Path(str(_RESOURCES / "mappings"))  # the built-in mappings


@dataclass(frozen=True)
class Tagset:
    """A named set of entity types; ``labels`` is the model's label list (O, then B-/I- per type)."""

    name: str
    types: tuple[str, ...]
    descriptions: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def labels(self) -> tuple[str, ...]:
        return self.labels_for("iob2")

    def labels_for(self, scheme: str) -> tuple[str, ...]:
        """The label list of a model that learns ``scheme`` (``iob2``, or ``bioes``: entity ends
        and one-word entities get labels of their own)."""
        prefixes = {"iob2": ("B", "I"), "bioes": ("B", "I", "E", "S")}[scheme]
        return ("O",) + tuple(f"{prefix}-{t}" for t in self.types for prefix in prefixes)

    def __contains__(self, entity_type: object) -> bool:
        return entity_type in self.types


Coverage = Literal["full", "partial", "none"]
COVERAGES: tuple[Coverage, ...] = ("full", "partial", "none")


@dataclass(frozen=True)
class Annotation:
    """What a corpus annotates of a target tagset (e.g. il-ner), derived from its mapping.

    A target type is annotated ``full`` when source types map to it alone, ``partial`` when a
    source type maps to a set holding it (the corpus marks such entities but does not say which
    of the set they are), and ``none`` when no source type maps to it (the corpus never marks
    it, so any of its ``O`` tokens may be one). Training on several corpora needs this to tell
    "not annotated here" from "not an entity".

    >>> telugu = load_mapping("telugu-reddy2018_to_il-ner").annotation
    >>> telugu.types("full"), telugu.types("partial"), telugu.types("none")
    (('NEP', 'NEL', 'NEO'), ('NETI', 'NEN'), ('NEAR',))
    >>> telugu.coverage("NEN"), telugu.sources("NEN")
    ('partial', ('MISC',))
    >>> sorted(telugu.allowed_labels("B-MISC"))
    ['B-NEN', 'B-NETI']
    >>> sorted(telugu.allowed_labels("O"))
    ['B-NEAR', 'I-NEAR', 'O']
    >>> sorted(telugu.allowed_labels("B-PERSON"))
    ['B-NEP']
    """

    source: str  # the corpus's tagset
    target: Tagset
    targets: dict[str, frozenset[str]]  # each source type -> the target types (or {"O"}) it may stand for

    @classmethod
    def complete(cls, tagset: Tagset) -> Annotation:
        """A corpus in ``tagset`` itself: every type annotated fully."""
        return cls(tagset.name, tagset, {t: frozenset({t}) for t in tagset.types})

    def sources(self, entity_type: str) -> tuple[str, ...]:
        """The source types that may stand for target type ``entity_type``."""
        return tuple(s for s, targets in self.targets.items() if entity_type in targets)

    def coverage(self, entity_type: str) -> Coverage:
        """How the corpus annotates target type ``entity_type``: full, partial or none."""
        if entity_type not in self.target:
            raise TagsetError(f"{entity_type!r} is not a type of {self.target.name} ({', '.join(self.target.types)})")
        found = [self.targets[s] for s in self.sources(entity_type)]
        if any(len(targets) > 1 for targets in found):
            return "partial"
        return "full" if found else "none"

    def types(self, coverage: Coverage) -> tuple[str, ...]:
        """The target types annotated so, in the target tagset's order."""
        return tuple(t for t in self.target.types if self.coverage(t) == coverage)

    def allowed_labels(self, tag: str, scheme: str = "iob2") -> frozenset[str]:
        """The target labels a token tagged ``tag`` (a source tag in ``scheme``) may truly have.

        A source entity tag keeps its prefix on each of its target types (``B-MISC``: ``B-NEN``
        or ``B-NETI``; a type mapped to O: ``O``); an ``O`` token may be ``O`` or any label of a
        type the corpus does not annotate. Whether a whole sequence is well formed (``B-NEN``
        then ``I-NETI``) is left to the decoder's transitions.
        """
        if tag == "O":
            hidden = self.types("none")
            return frozenset(label for label in self.target.labels_for(scheme) if label == "O" or label[2:] in hidden)
        prefix, source_type = split_tag(tag)
        if source_type not in self.targets:
            raise TagsetError(f"{source_type!r} is not a type of {self.source} ({', '.join(self.targets)})")
        targets = self.targets[source_type]
        return frozenset({"O"}) if targets == {"O"} else frozenset(f"{prefix}-{t}" for t in targets)

    def allowed(self, tags: Sequence[str], scheme: str = "iob2") -> list[frozenset[str]]:
        """``allowed_labels`` of each token of a sentence with IOB2 source ``tags``, for a model
        that learns ``scheme`` (``iob2`` or ``bioes``).

        >>> mahaner = load_mapping("mahaner_to_il-ner").annotation
        >>> [sorted(a) for a in mahaner.allowed(["B-NEM", "I-NEM", "B-ED"], scheme="bioes")]
        [['B-NEN'], ['E-NEN'], ['O']]
        """
        in_scheme = iob2_to_bioes(tags) if scheme == "bioes" else list(tags)
        return [self.allowed_labels(tag, scheme) for tag in in_scheme]


@dataclass(frozen=True)
class TagMapping:
    """Maps the types of ``source`` onto the types of ``target`` (or ``O``); a type in ``sets``
    stands for one of several target types. ``annotation`` is set for mappings read from a file."""

    source: str
    target: str
    table: dict[str, str]
    default: str | None = None
    origin: str = ""
    sets: dict[str, frozenset[str]] = field(default_factory=dict)
    annotation: Annotation | None = field(default=None, compare=False, repr=False)

    @property
    def name(self) -> str:
        return self.origin or f"{self.source}->{self.target}"

    def map_type(self, entity_type: str) -> str:
        """The target type (``"O"`` to drop the entity); an unmapped type is an error, and so
        is a type mapped to a set, which no single tag can stand for."""
        if entity_type in self.table:
            return self.table[entity_type]
        if entity_type in self.sets:
            raise TagsetError(
                f"mapping {self.name} sends {entity_type} to one of {', '.join(sorted(self.sets[entity_type]))}, "
                "which no single tag can say (its annotation gives the labels each token may have); for "
                f"hard tags, use a mapping of your own that sends {entity_type} to one type or O"
            )
        if self.default is not None:
            return self.default
        raise TagsetError(
            f"mapping {self.name} does not say where type "
            f"{entity_type!r} goes; add it to 'map:' or give a 'default:' (e.g. O)"
        )

    def map_tags(self, tags: list[str], drop_sets: bool = False) -> list[str]:
        """Map IOB2 tags; entities whose type maps to ``O`` disappear whole, and so do those of
        a type mapped to a set with ``drop_sets`` (scoring leaves them out), else they are an error."""
        out = []
        for tag in tags:
            if tag == "O" or (drop_sets and tag[2:] in self.sets):
                out.append("O")
                continue
            target = self.map_type(tag[2:])
            out.append("O" if target == "O" else f"{tag[:2]}{target}")
        return out


def _load_yaml(path: Path | Any, what: str) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise TagsetError(f"cannot read {what} file {path}: {error}") from None
    if not isinstance(data, dict):
        raise TagsetError(f"{what} file {path} must hold a mapping (YAML or JSON object)")
    return data


def builtin_tagsets() -> list[str]:
    return sorted(p.name.removesuffix(".yaml") for p in (_RESOURCES / "tagsets").iterdir())


def builtin_mappings() -> list[str]:
    return sorted(p.name.removesuffix(".yaml") for p in (_RESOURCES / "mappings").iterdir())


@cache
def load_tagset(name_or_path: str) -> Tagset:
    """A built-in tagset by name (``il-ner``, ``hiner-original``, ...) or a YAML/JSON file."""
    builtin = _RESOURCES / "tagsets" / f"{name_or_path}.yaml"
    if builtin.is_file():
        path = builtin
    elif Path(name_or_path).is_file():
        path = Path(name_or_path)
    else:
        raise TagsetError(
            f"unknown tagset {name_or_path!r}: built-in ones are {', '.join(builtin_tagsets())}, "
            "or give the path of a YAML file with 'name:' and 'types:'"
        )
    data = _load_yaml(path, "tagset")
    types = data.get("types")
    if isinstance(types, list):
        types = {str(t): "" for t in types}
    if not isinstance(types, dict) or not types:
        raise TagsetError(f"tagset file {path} needs a non-empty 'types:' list or mapping")
    for entity_type in types:
        if not isinstance(entity_type, str) or not isinstance(types[entity_type], str):
            raise TagsetError(f"tagset file {path}: 'types:' must map type names to descriptions (text), "
                              f"got {entity_type!r}: {types[entity_type]!r}")
        if entity_type != entity_type.strip().upper() or "-" in entity_type or entity_type == "O":
            raise TagsetError(
                f"tagset file {path}: type {entity_type!r} must be upper case, without '-', and not O"
            )
    return Tagset(str(data.get("name", path.stem)), tuple(types), dict(types))


@cache
def load_mapping(name_or_path: str) -> TagMapping:
    """A built-in mapping (``hiner-original_to_il-ner``) or a YAML/JSON file; validated on load.

    ``map:`` sends each source type to a target type, to ``O``, or to a list of two or more
    target types (the corpus does not tell them apart). ``annotates:`` (optional) lists the
    target types under ``full``, ``partial`` and ``none``; it must agree with ``map:``.
    """
    builtin = _RESOURCES / "mappings" / f"{name_or_path}.yaml"
    if builtin.is_file():
        path = builtin
    elif Path(name_or_path).is_file():
        path = Path(name_or_path)
    else:
        raise TagsetError(
            f"unknown mapping {name_or_path!r}: built-in ones are {', '.join(builtin_mappings())}, "
            "or give the path of a YAML file with 'source:', 'target:' and 'map:'"
        )
    data = _load_yaml(path, "mapping")
    missing = [key for key in ("source", "target", "map") if key not in data]
    if missing or not isinstance(data["map"], dict):
        raise TagsetError(f"mapping file {path} needs 'source:', 'target:' and a 'map:' table")
    source, target = load_tagset(str(data["source"])), load_tagset(str(data["target"]))
    table: dict[str, str] = {}
    sets: dict[str, frozenset[str]] = {}
    for key, value in data["map"].items():
        source_type = str(key)
        if source_type not in source:
            raise TagsetError(f"mapping file {path}: {source_type!r} is not a type of {source.name}")
        if isinstance(value, list):
            sets[source_type] = _target_set(path, source_type, value, target)
            continue
        if str(value) != "O" and str(value) not in target:
            raise TagsetError(
                f"mapping file {path}: {source_type} -> {value!r}, which is not a type of "
                f"{target.name} (nor O, nor a list of its types)"
            )
        table[source_type] = str(value)
    default = data.get("default")
    if default is not None and default != "O" and default not in target:
        raise TagsetError(f"mapping file {path}: default {default!r} is not a type of {target.name}")
    unmapped = [t for t in source.types if t not in table and t not in sets]
    if unmapped and default is None:
        raise TagsetError(
            f"mapping file {path} does not say where {', '.join(unmapped)} of {source.name} go; "
            "add them to 'map:' or give a 'default:' (e.g. O)"
        )
    targets = {t: sets.get(t) or frozenset({table[t] if t in table else str(default)}) for t in source.types}
    annotation = Annotation(source.name, target, targets)
    if "annotates" in data:
        _check_declared(path, data["annotates"], annotation)
    return TagMapping(source.name, target.name, table, default, str(path), sets, annotation)


def _target_set(path: Path, source_type: str, value: list, target: Tagset) -> frozenset[str]:
    """A list of target types in ``map:``: two or more distinct types of ``target``, without O."""
    types = [str(v) for v in value]
    written = f"{source_type} -> [{', '.join(types)}]"
    wrong = [t for t in types if t not in target]
    if wrong:
        raise TagsetError(f"mapping file {path}: {written}, but {wrong[0]!r} is not a type of "
                          f"{target.name} (a list holds its types, O not among them)")
    if len(set(types)) < 2 or len(set(types)) != len(types):
        raise TagsetError(f"mapping file {path}: {written} must list two or more different "
                          f"types (for one, write {source_type}: TYPE)")
    return frozenset(types)


def _check_declared(path: Path, declared: Any, annotation: Annotation) -> None:
    """``annotates:`` must name each target type once, under what ``map:`` makes of it."""
    target = annotation.target
    if not isinstance(declared, dict) or set(declared) - set(COVERAGES):
        raise TagsetError(f"mapping file {path}: 'annotates:' must hold lists under {', '.join(COVERAGES)} only")
    listed: dict[str, str] = {}
    for coverage, types in declared.items():
        if not isinstance(types, list):
            raise TagsetError(f"mapping file {path}: 'annotates: {coverage}:' must be a list of {target.name} types")
        for entity_type in map(str, types):
            if entity_type not in target:
                raise TagsetError(f"mapping file {path}: annotates {entity_type!r}, which is not a type of {target.name}")
            if entity_type in listed:
                raise TagsetError(f"mapping file {path}: annotates lists {entity_type} twice "
                                  f"(under {listed[entity_type]} and {coverage})")
            listed[entity_type] = coverage
    for entity_type in target.types:
        actual = annotation.coverage(entity_type)
        if entity_type not in listed:
            raise TagsetError(f"mapping file {path}: annotates does not list {entity_type} "
                              f"(by its 'map:', it is {actual})")
        if listed[entity_type] != actual:
            sources = ", ".join(annotation.sources(entity_type)) or "no type"
            raise TagsetError(f"mapping file {path}: annotates lists {entity_type} as {listed[entity_type]}, "
                              f"but by its 'map:' ({sources} -> it) it is {actual}")
