"""Turn what users type (``il-ner:*:test`` or file paths) into read, repaired corpora."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ilner.data import registry
from ilner.data.corpus import Corpus
from ilner.data.io import read_corpus
from ilner.data.tagsets import Tagset, load_mapping, load_tagset
from ilner.errors import IlnerError, TagsetError

KNOWN_LANGUAGES = (
    "hindi", "urdu", "odia", "telugu", "bengali", "marathi", "tamil", "gujarati", "kannada",
    "malayalam", "punjabi", "assamese", "nepali", "sanskrit",
)
_SPLIT_WORDS = {"train": "train", "dev": "dev", "valid": "dev", "validation": "dev", "val": "dev", "test": "test"}
# The role of a registered split that is not named train, dev or test.
_REGISTERED_SPLITS = {"validation": "dev", "validation-dev": "dev", "validation-train": "train"}


@dataclass(frozen=True)
class Source:
    """A file to read, with what is known about it."""

    path: Path
    name: str  # the address for registered files, the path otherwise
    language: str | None
    split: str | None
    tagset: str
    group: str  # files of one group (a dataset subset, or a folder and language) share train/dev/test
    tagset_known: bool = False  # registered files know their tagset; plain files get a default
    data_file: registry.DataFile | None = None  # what the registry says of a registered file

    def read(self, *, tagset: Tagset | str | None, scheme: str = "auto", **options: bool) -> Corpus:
        """Read the file as what it is: a registered file in its declared layout (format, archive
        member, scheme unless ``scheme`` is given, hyphenless tags, the part a carve-off keeps),
        a plain file by its name."""
        layout: dict = {}
        if self.data_file is not None:
            found = self.data_file
            layout = {"file_format": found.file_format, "member": found.member, "hyphenless": found.hyphenless,
                      "keep": found.carve.keeps if found.carve else None}
            scheme = found.scheme if scheme == "auto" else scheme
        return read_corpus(
            self.path, tagset=tagset, scheme=scheme, language=self.language, split=self.split, **layout, **options,
        )


def _guess(path: Path) -> tuple[str | None, str | None]:
    words = re.split(r"[^a-z]+", path.name.lower())
    language = next((w for w in words if w in KNOWN_LANGUAGES), None)
    if language is None:
        language = next((p.lower() for p in reversed(path.parts[:-1]) if p.lower() in KNOWN_LANGUAGES), None)
    split = next((_SPLIT_WORDS[w] for w in reversed(words) if w in _SPLIT_WORDS), None)
    return language, split


def resolve(
    spec: str, data_dir: str | Path | None = None, progress: Callable[[str], None] | None = None,
    plain_tagset: str = "il-ner",
) -> list[Source]:
    """The files a data argument stands for (registered files are located, or downloaded).

    Registered files know their tagset; plain files are taken to be in ``plain_tagset``.
    """
    # A bare dataset name ("hiner") stands for all its files, as in `ilner data fetch hiner`,
    # unless a file of that name is there.
    if registry.is_registered(spec):
        return [
            Source(
                registry.locate(f, data_dir, progress=progress), f.address, f.language,
                _REGISTERED_SPLITS.get(f.split, f.split), f.tagset, f"{f.dataset}:{f.subset}",
                tagset_known=True, data_file=f,
            )
            for f in registry.match(spec)
        ]
    path = Path(spec)
    if re.fullmatch(r"[\w-]+", spec) and not path.exists():  # a name, not a path: a misspelt dataset?
        raise IlnerError(f"{spec!r} is neither a file nor a registered dataset; datasets: {', '.join(registry.DATASETS)}")
    language, split = _guess(path)
    # hindi-train.txt and odia-test.txt in one folder are not splits of one dataset.
    group = f"{path.parent}:{language}" if language else str(path.parent)
    return [Source(path, spec, language, split, plain_tagset, group)]


def load_corpora(
    specs: Sequence[str],
    *,
    data_dir: str | Path | None = None,
    tagset: str | Tagset | None = None,
    mapping: str | None = None,
    scheme: str = "auto",
    keep_unknown: bool = False,
    strict: bool = False,
    repair_iob: bool = True,
    plain_tagset: str = "il-ner",
    progress: Callable[[str], None] | None = None,
) -> list[tuple[Source, Corpus]]:
    """Read every file the specs stand for.

    ``tagset`` overrides each file's own (registered files know theirs; plain files default to
    il-ner). ``mapping`` (a name or file) maps every corpus onto its target tagset after reading:
    plain files are taken to be in its source tagset, files already in its target pass through,
    and a registered file in any other tagset is a TagsetError.
    """
    mapper = load_mapping(mapping) if mapping else None
    loaded = []
    for spec in specs:
        for source in resolve(spec, data_dir, progress, plain_tagset):
            own_tagset = tagset or (mapper.source if mapper and not source.tagset_known else source.tagset)
            if isinstance(own_tagset, str):
                own_tagset = load_tagset(own_tagset)
            if mapper and own_tagset.name not in (mapper.source, mapper.target):
                raise TagsetError(
                    f"{source.name} is in tagset {own_tagset.name}, but mapping "
                    f"{mapper.origin} maps from {mapper.source} to {mapper.target}"
                )
            corpus = source.read(
                tagset=own_tagset, scheme=scheme, keep_unknown=keep_unknown, strict=strict, repair_iob=repair_iob,
            )
            if mapper and own_tagset.name == mapper.source:
                corpus.sentences = [
                    replace(s, tags=tuple(mapper.map_tags(list(s.tags)))) for s in corpus.sentences
                ]
                corpus.tagset = load_tagset(mapper.target)
            loaded.append((source, corpus))
    return loaded
