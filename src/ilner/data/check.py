"""Checks across the files of a dataset: train/dev/test leakage, duplicates, conflicting tags."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from ilner.data.corpus import Corpus


@dataclass(frozen=True)
class SplitOverlap:
    """How one file relates to the train file of its group and to itself."""

    source: str
    group: str
    split: str | None
    sentences: int
    seen_in_train: int  # sentences whose tokens occur word for word in train
    seen_tagged_differently: int  # of those, tagged otherwise in every train copy
    duplicates: int  # sentences that repeat an earlier sentence of the same file
    conflicting: int  # distinct token sequences of this file tagged in more than one way in the group

    @property
    def seen_share(self) -> float:
        return self.seen_in_train / self.sentences if self.sentences else 0.0

    def to_dict(self) -> dict:
        return {
            "source": self.source, "group": self.group, "split": self.split, "sentences": self.sentences,
            "seen_in_train": self.seen_in_train, "seen_share": round(self.seen_share, 4),
            "seen_tagged_differently": self.seen_tagged_differently,
            "duplicates_within_file": self.duplicates, "conflicting_tag_sequences": self.conflicting,
        }


def overlaps(corpora: Sequence[tuple[str, Corpus]]) -> list[SplitOverlap]:
    """One SplitOverlap per corpus; ``corpora`` pairs each corpus with its group name.

    Within a group, dev/test/other files are compared with the group's train file (if any).
    """
    by_group: dict[str, list[Corpus]] = defaultdict(list)
    for group, corpus in corpora:
        by_group[group].append(corpus)
    results = []
    for group, members in by_group.items():
        taggings: dict[tuple[str, ...], set[tuple[str, ...]]] = defaultdict(set)
        for corpus in members:
            for sentence in corpus:
                taggings[sentence.tokens].add(sentence.tags)
        train = next((c for c in members if c.split == "train"), None)
        train_tags: dict[tuple[str, ...], set[tuple[str, ...]]] = defaultdict(set)
        for sentence in train or ():
            train_tags[sentence.tokens].add(sentence.tags)
        for corpus in members:
            seen = differently = duplicates = 0
            first_seen: set[tuple[str, ...]] = set()
            for sentence in corpus:
                if sentence.tokens in first_seen:
                    duplicates += 1
                first_seen.add(sentence.tokens)
                if corpus is not train and sentence.tokens in train_tags:
                    seen += 1
                    if sentence.tags not in train_tags[sentence.tokens]:
                        differently += 1
            conflicting = sum(1 for tokens in first_seen if len(taggings[tokens]) > 1)
            results.append(SplitOverlap(
                corpus.source, group, corpus.split, len(corpus), seen, differently, duplicates, conflicting,
            ))
    return results
