"""Descriptive statistics of a corpus: sizes, entities per type, sentence lengths, scripts."""

from __future__ import annotations

from dataclasses import dataclass

from ilner.data.corpus import Corpus
from ilner.text.scripts import count_scripts


@dataclass(frozen=True)
class CorpusStats:
    source: str
    language: str | None
    sentences: int
    tokens: int
    entities: dict[str, int]
    length_max: int
    length_p99: int
    length_mean: float
    scripts: dict[str, float]  # share of tokens per script, largest first

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def percentile(sorted_values: list[int], q: float) -> int:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return 0
    rank = max(1, min(len(sorted_values), -(-len(sorted_values) * q // 100)))
    return sorted_values[int(rank) - 1]


def corpus_stats(corpus: Corpus) -> CorpusStats:
    lengths = sorted(len(s) for s in corpus)
    tokens = sum(lengths)
    scripts = count_scripts(t for s in corpus for t in s.tokens)
    entities = corpus.entity_counts()
    types = list(corpus.tagset.types) if corpus.tagset else []
    ordered = {t: entities.get(t, 0) for t in types} | dict(entities.most_common())
    return CorpusStats(
        source=corpus.source,
        language=corpus.language,
        sentences=len(lengths),
        tokens=tokens,
        entities=ordered,
        length_max=lengths[-1] if lengths else 0,
        length_p99=percentile(lengths, 99),
        length_mean=tokens / len(lengths) if lengths else 0.0,
        scripts={k: round(v / tokens, 4) for k, v in scripts.most_common()} if tokens else {},
    )
