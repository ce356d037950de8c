"""Tagsets (entity types and their IOB2 labels) and declarative mappings between them.

Built-in tagsets and mappings are YAML files under ``ilner/resources``; users pass their own
files by path wherever a name is accepted. A mapping must say where every source type goes:
an unmapped type is an error, unless the mapping has a ``default`` (usually ``O``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ilner.errors import TagsetError

_RESOURCES = resources.files("ilner") / "resources"


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


@dataclass(frozen=True)
class TagMapping:
    """Maps the types of ``source`` onto the types of ``target`` (or ``O``)."""

    source: str
    target: str
    table: dict[str, str]
    default: str | None = None
    origin: str = ""

    def map_type(self, entity_type: str) -> str:
        """The target type (``"O"`` to drop the entity); an unmapped type is an error."""
        if entity_type in self.table:
            return self.table[entity_type]
        if self.default is not None:
            return self.default
        raise TagsetError(
            f"mapping {self.origin or self.source + '->' + self.target} does not say where type "
            f"{entity_type!r} goes; add it to 'map:' or give a 'default:' (e.g. O)"
        )

    def map_tags(self, tags: list[str]) -> list[str]:
        """Map IOB2 tags; entities whose type maps to ``O`` disappear whole."""
        out = []
        for tag in tags:
            if tag == "O":
                out.append(tag)
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
    """A built-in mapping (``hiner-original_to_il-ner``) or a YAML/JSON file; validated on load."""
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
    table = {str(k): str(v) for k, v in data["map"].items()}
    default = data.get("default")
    for source_type, target_type in table.items():
        if source_type not in source:
            raise TagsetError(f"mapping file {path}: {source_type!r} is not a type of {source.name}")
        if target_type != "O" and target_type not in target:
            raise TagsetError(
                f"mapping file {path}: {source_type} -> {target_type!r}, which is not a type of "
                f"{target.name} (nor O)"
            )
    if default is not None and default != "O" and default not in target:
        raise TagsetError(f"mapping file {path}: default {default!r} is not a type of {target.name}")
    unmapped = [t for t in source.types if t not in table]
    if unmapped and default is None:
        raise TagsetError(
            f"mapping file {path} does not say where {', '.join(unmapped)} of {source.name} go; "
            "add them to 'map:' or give a 'default:' (e.g. O)"
        )
    return TagMapping(source.name, target.name, table, default, origin=str(path))
