"""A run's data: sentences in the run's tagset, each with the corpus it comes from and what that
corpus annotates.

A corpus in another tagset is mapped onto the run's: by ``data_mapping`` where it maps from the
corpus's tagset, else by a registered file's built-in mapping (``urdu-uner_to_il-ner``). Where
a corpus annotates the run's types only in part (UNER marks no artefacts, the Telugu corpus lumps
numbers and dates into one MISC), forcing its tags onto the run's would turn "not annotated
here" into "not an entity". Its sentences keep their own tags and the mapping's ``Annotation``
instead (``Origin``): training counts every labelling consistent with them (``Origin.allowed``),
and scoring counts only the types the corpus annotates fully (``Split.comparable``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ilner.data.corpus import Sentence
from ilner.data.sources import Source, load_corpora
from ilner.data.tagsets import MAPPINGS_DIR, Annotation, TagMapping, load_mapping, load_tagset
from ilner.errors import IlnerError
from ilner.evaluation.benchmarking import keep_types

Log = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a sentence comes from: its ``corpus`` (a registered dataset's subset, or a file), and,
    for a corpus that annotates the run's tagset in part, its tags in the corpus's own tagset
    with the ``annotation`` that says what they may stand for."""

    corpus: str
    annotation: Annotation | None = None  # None: the corpus annotates every type of the run's tagset
    source_tags: tuple[str, ...] = ()

    def allowed(self, scheme: str) -> list[frozenset[str]] | None:
        """The labels (in ``scheme``) each token may have; None where the tags say exactly."""
        return None if self.annotation is None else self.annotation.allowed(self.source_tags, scheme)

    @property
    def scored_types(self) -> frozenset[str] | None:
        """The run's types this sentence can be scored on (None: all)."""
        return None if self.annotation is None else frozenset(self.annotation.types("full"))


@dataclass
class Split:
    """One split of a run (train, dev or test): sentences in the run's tagset and their origins.

    A sentence of a partly annotating corpus holds the tags its corpus says for sure: entities
    of a type mapped to a set of the run's types are ``O`` there (``Origin`` keeps them).
    """

    sentences: list[Sentence]
    origins: list[Origin]

    def __len__(self) -> int:
        return len(self.sentences)

    @property
    def partial(self) -> bool:
        """Whether some sentence comes from a corpus that annotates the run's types in part."""
        return any(origin.annotation is not None for origin in self.origins)

    def only(self, language: str) -> Split:
        """The sentences of ``language``."""
        kept = [i for i, s in enumerate(self.sentences) if s.language == language]
        return Split([self.sentences[i] for i in kept], [self.origins[i] for i in kept])

    def comparable(self, predicted: Sequence[Sentence]) -> tuple[list[Sentence], list[Sentence]]:
        """Gold and ``predicted`` tags as they can be compared: in a sentence of a partly annotating
        corpus, entities (gold or predicted) of a type the corpus does not annotate fully are O.

        >>> uner = load_mapping("urdu-uner_to_il-ner").annotation
        >>> gold = Sentence(("a", "b"), ("B-NEP", "O"))
        >>> split = Split([gold], [Origin("urdu-uner:urdu", uner, ("B-PERSON", "O"))])
        >>> split.comparable([Sentence(("a", "b"), ("B-NEP", "B-NEAR"))])[1][0].tags
        ('B-NEP', 'O')
        """
        if not self.partial:
            return self.sentences, list(predicted)
        gold, kept = [], []
        for sentence, guess, origin in zip(self.sentences, predicted, self.origins, strict=True):
            scored = origin.scored_types
            gold.append(sentence if scored is None else keep_types([sentence], scored)[0][0])
            kept.append(guess if scored is None else keep_types([guess], scored)[0][0])
        return gold, kept


def read_split(
    specs: Sequence[str], log: Log, *, tagset: str, data_dir: str | None, data_mapping: str | None,
    keep_unknown: bool, limit: int | None = None, data_mappings: dict[str, str] | None = None,
) -> Split:
    """Sentences of all files of one split (at most ``limit`` of each) in ``tagset``, each corpus
    mapped onto it (by its entry's ``data_mappings``, else ``data_mapping``, else a registered
    file's own mapping) and annotated as above."""
    target = load_tagset(tagset)
    sentences: list[Sentence] = []
    origins: list[Origin] = []
    for spec in specs:
        name = (data_mappings or {}).get(spec) or data_mapping
        mapper = load_mapping(name) if name else None
        # Plain files are taken to be in the mapping's source tagset where one is given.
        for source, corpus in load_corpora([spec], data_dir=data_dir, keep_unknown=keep_unknown, progress=log,
                                           plain_tagset=mapper.source if mapper else tagset):
            own = corpus.tagset.name if corpus.tagset is not None else tagset
            mapping = None if own == target.name else _mapping_for(source, own, target.name, mapper)
            annotation = mapping.annotation if mapping is not None and _partial(mapping.annotation) else None
            corpus_name = source.group if source.data_file is not None else source.name
            kept = corpus.sentences[:limit] if limit else corpus.sentences
            for sentence in kept:
                if mapping is not None:
                    origins.append(Origin(corpus_name, annotation, sentence.tags if annotation else ()))
                    sentence = replace(sentence, tags=tuple(mapping.map_tags(list(sentence.tags), drop_sets=True)))
                else:
                    origins.append(Origin(corpus_name))
                sentences.append(sentence)
            log(_describe(source, len(kept), corpus.report, mapping, annotation))
    return Split(sentences, origins)


def _mapping_for(source: Source, own: str, target: str, mapper: TagMapping | None) -> TagMapping:
    """The mapping that takes ``source`` (in tagset ``own``) onto ``target``."""
    if mapper is not None and mapper.source == own and mapper.target == target:
        return mapper
    if source.data_file is not None and f"{own}_to_{target}" in source.data_file.mappings:
        return load_mapping(f"{own}_to_{target}")
    raise IlnerError(
        f"{source.name} is in tagset {own}, but the model is trained for {target}; "
        f"set data_mapping (e.g. {own}_to_{target}) or tagset: {own}"
    )


def _partial(annotation: Annotation | None) -> bool:
    return annotation is not None and bool(annotation.types("partial") or annotation.types("none"))


def _describe(source: Source, count: int, report, mapping: TagMapping | None, annotation: Annotation | None) -> str:
    """The log line of one file: its sentences, repairs, mapping, and what it leaves unannotated."""
    line = f"{source.name}: {count} sentences"
    if report.total:
        line += "; repaired: " + ", ".join(f"{rule} {n}" for rule, n in report.counts.items())
    if mapping is not None:
        builtin = Path(mapping.origin).parent == MAPPINGS_DIR
        line += f"; mapped by {Path(mapping.origin).stem if builtin else mapping.name}"
    if annotation is not None:
        parts = []
        if annotation.types("partial"):
            sets = sorted({s for t in annotation.types("partial") for s in annotation.sources(t)})
            parts.append(", ".join(f"{s} as one of {'/'.join(sorted(annotation.targets[s]))}" for s in sets))
        if annotation.types("none"):
            parts.append(f"no {', '.join(annotation.types('none'))} (its O words may be one)")
        line += "; annotates in part: " + "; ".join(parts)
    return line
