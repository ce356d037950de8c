"""Entity-level precision/recall/F1: micro, macro and per type, in two chunking schemes.

``strict`` counts only well-formed IOB2 entities (seqeval ``mode="strict", scheme=IOB2``) and is
the headline number; ``conlleval`` also opens an entity at a stray ``I-X`` (seqeval's default
mode, the protocol of conlleval.pl and of the paper's script). Both equal seqeval to rounding;
this module is a plain-Python reimplementation because seqeval's strict mode is slow and
imports numpy.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from ilner.data.corpus import Sentence
from ilner.data.schemes import CHUNK_MODES, chunks
from ilner.errors import DataError


@dataclass(frozen=True)
class PRF:
    """Precision, recall and F1; ``support`` is the gold count, ``predicted`` the predicted one."""

    precision: float
    recall: float
    f1: float
    support: int
    predicted: int = 0
    correct: int = 0

    @classmethod
    def from_counts(cls, correct: int, predicted: int, support: int) -> PRF:
        precision = correct / predicted if predicted else 0.0
        recall = correct / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return cls(precision, recall, f1, support, predicted, correct)

    def to_dict(self) -> dict:
        return {"precision": self.precision, "recall": self.recall, "f1": self.f1, "support": self.support}


@dataclass(frozen=True)
class Scores:
    """Micro and macro averages and per-type scores of one evaluation."""

    micro: PRF
    macro: PRF
    per_type: dict[str, PRF]
    scheme: str
    sentences: int = 0
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "micro": self.micro.to_dict(),
            "macro": self.macro.to_dict(),
            "per_type": {t: s.to_dict() for t, s in self.per_type.items()},
            "scheme": self.scheme,
            "sentences": self.sentences,
            **self.extra,
        }


def entity_scores(
    gold: Iterable[Sequence[str]], predicted: Iterable[Sequence[str]], scheme: str = "strict"
) -> Scores:
    """Score tag sequences (IOB2) pairwise; the macro average runs over types in gold or predictions."""
    if scheme not in CHUNK_MODES:
        raise ValueError(f"scheme must be one of {', '.join(CHUNK_MODES)}, not {scheme!r}")
    support: Counter[str] = Counter()
    found: Counter[str] = Counter()
    correct: Counter[str] = Counter()
    n = 0
    for gold_tags, pred_tags in zip(gold, predicted, strict=True):
        n += 1
        gold_chunks = set(chunks(gold_tags, scheme))  # type: ignore[arg-type]
        pred_chunks = set(chunks(pred_tags, scheme))  # type: ignore[arg-type]
        support.update(c.label for c in gold_chunks)
        found.update(c.label for c in pred_chunks)
        correct.update(c.label for c in gold_chunks & pred_chunks)
    per_type = {
        t: PRF.from_counts(correct[t], found[t], support[t]) for t in sorted(support.keys() | found.keys())
    }
    micro = PRF.from_counts(sum(correct.values()), sum(found.values()), sum(support.values()))
    k = len(per_type)
    macro = PRF(
        sum(s.precision for s in per_type.values()) / k if k else 0.0,
        sum(s.recall for s in per_type.values()) / k if k else 0.0,
        sum(s.f1 for s in per_type.values()) / k if k else 0.0,
        micro.support, micro.predicted, micro.correct,
    )
    return Scores(micro, macro, per_type, scheme, n)


def align(gold: Sequence[Sentence], predicted: Sequence[Sentence]) -> None:
    """Require the same sentences and tokens; the error names the first line that differs."""
    for g, p in zip(gold, predicted):
        if g.tokens != p.tokens:
            i = next((i for i, (a, b) in enumerate(zip(g.tokens, p.tokens)) if a != b), min(len(g), len(p)))
            where_p = p.lines[min(i, len(p) - 1)] if p.lines else None
            where_g = g.lines[min(i, len(g) - 1)] if g.lines else None
            if i < min(len(g), len(p)):
                what = f"token {p.tokens[i]!r} where the gold file {g.source}:{where_g} has {g.tokens[i]!r}"
            else:
                what = (f"a sentence of {len(p)} tokens where the gold file {g.source}:{g.line} has "
                        f"{len(g)}")
            raise DataError(p.source, f"predictions do not match the gold tokens: {what}", line=where_p)
    if len(gold) != len(predicted):
        shorter, longer = (predicted, gold) if len(predicted) < len(gold) else (gold, predicted)
        extra = longer[len(shorter)]
        raise DataError(
            extra.source,
            f"has {len(longer)} sentences but {shorter[0].source if shorter else 'the other file'} "
            f"has {len(shorter)}; this is the first sentence without a counterpart",
            line=extra.line,
        )


def exclude_seen(
    gold: Sequence[Sentence], predicted: Sequence[Sentence], seen: Iterable[Sentence]
) -> tuple[list[Sentence], list[Sentence]]:
    """Drop the sentence pairs whose tokens occur word for word in ``seen`` (e.g. train)."""
    seen_tokens = {s.tokens for s in seen}
    kept = [(g, p) for g, p in zip(gold, predicted) if g.tokens not in seen_tokens]
    return [g for g, _ in kept], [p for _, p in kept]


def evaluate_sentences(
    gold: Sequence[Sentence], predicted: Sequence[Sentence], scheme: str = "strict"
) -> Scores:
    """Score aligned sentence lists (checked with ``align``)."""
    align(gold, predicted)
    scores = entity_scores((s.tags for s in gold), (s.tags for s in predicted), scheme)
    return replace(scores, sentences=len(gold))


def evaluate_by_language(gold: Sequence[Sentence], predicted: Sequence[Sentence]) -> dict[str, dict[str, Scores]]:
    """Strict and conlleval scores overall (key ``"all"``) and, with several languages, per language."""
    align(gold, predicted)

    def both(g: Sequence[Sentence], p: Sequence[Sentence]) -> dict[str, Scores]:
        return {scheme: evaluate_sentences(g, p, scheme) for scheme in CHUNK_MODES}

    result = {"all": both(gold, predicted)}
    languages = list(dict.fromkeys(s.language or "unknown" for s in gold))
    if len(languages) > 1:
        for language in languages:
            pairs = [(g, p) for g, p in zip(gold, predicted) if (g.language or "unknown") == language]
            result[language] = both([g for g, _ in pairs], [p for _, p in pairs])
    return result
