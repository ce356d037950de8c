"""Corpus objects: what every later stage (training, tagging, evaluation) reads."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ilner.data.repair import RepairReport
from ilner.data.schemes import chunks
from ilner.data.tagsets import Tagset


@dataclass(frozen=True, slots=True)
class Sentence:
    """Tokens with IOB2 tags. ``lines`` holds each token's 1-based line in ``source``."""

    tokens: tuple[str, ...]
    tags: tuple[str, ...]
    lines: tuple[int, ...] = ()
    source: str = ""
    language: str | None = None

    @property
    def line(self) -> int | None:
        return self.lines[0] if self.lines else None

    def __len__(self) -> int:
        return len(self.tokens)


@dataclass
class Corpus:
    """The sentences of one file, with where they came from and what reading them repaired."""

    sentences: list[Sentence]
    source: str
    tagset: Tagset | None = None
    language: str | None = None
    split: str | None = None
    report: RepairReport = field(default_factory=lambda: RepairReport(""))

    def __len__(self) -> int:
        return len(self.sentences)

    def __iter__(self):
        return iter(self.sentences)

    def entity_counts(self) -> Counter[str]:
        """Entities per type (strict IOB2 chunks)."""
        counts: Counter[str] = Counter()
        for sentence in self.sentences:
            counts.update(chunk.label for chunk in chunks(sentence.tags))
        return counts
