"""Scoring a model on a benchmark it was not trained on, comparing only what both annotate.

A benchmark comes in its own tagset. Its gold types are mapped onto the model's view (IL-NER's
types, or the coarse PER/LOC/ORG that every Indic benchmark shares) by the benchmark's mapping;
a gold type that maps to ``O`` (UNER's DESIGNATION) is not scored, nor is one that maps to a set
of view types (the Telugu corpus's MISC, a number or a date): the benchmark does not say which of
them a gold entity is, so the types of such a set are left out too. A type the model predicts
but the benchmark does not annotate at all (NEAR on a set without artefacts) is set to ``O``
before scoring: the benchmark cannot say whether those entities are right. The result says which
types were scored and what was left out on each side, with a bootstrap interval over sentences.

A benchmark the model was trained on (its ``ilner.json`` training sources, followed through the
stages it continued from) is marked ``seen_in_training``: its score is not a generalisation
figure. And the share of gold entities whose words never occur as an entity in the model's
training data, with F1 on those and on the rest, tells whether a model memorised names or
learnt to find them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from ilner.data.corpus import Sentence
from ilner.data.schemes import chunks
from ilner.data.tagsets import Tagset, TagMapping, load_mapping
from ilner.evaluation.bootstrap import Interval, bootstrap_f1
from ilner.evaluation.metrics import PRF, Scores, evaluate_sentences

VIEWS = ("il-ner", "coarse")


@dataclass
class Benchmark:
    """Gold sentences in their own tagset, and how their types map onto each view."""

    name: str
    language: str | None
    sentences: list[Sentence]
    tagset: Tagset
    mappings: dict[str, TagMapping]  # view -> mapping from the benchmark's tagset
    texts: frozenset[str] = frozenset()  # what its text is (see text_keys), to tell if a model saw it


@dataclass
class BenchmarkResult:
    """How a model did on one benchmark (see the module docstring)."""

    name: str
    language: str | None
    view: str
    sentences: int
    gold_entities: int
    scored_types: list[str]
    gold_types_dropped: list[str]  # the benchmark's types that map to O or to a set of types
    predicted_dropped: dict[str, int]  # predicted entities set to O, by type
    strict: Scores
    conlleval: Scores
    interval: Interval | None
    seen_in_training: bool
    unseen_share: float | None = None  # of gold entities, whose words are no training entity
    f1_seen: float | None = None
    f1_unseen: float | None = None
    gold_types_ambiguous: dict[str, list[str]] = field(default_factory=dict)  # dropped: one of these view types

    def to_dict(self) -> dict:
        return {
            "benchmark": self.name, "language": self.language, "view": self.view, "sentences": self.sentences,
            "gold_entities": self.gold_entities, "scored_types": self.scored_types,
            "gold_types_dropped": self.gold_types_dropped, "gold_types_ambiguous": self.gold_types_ambiguous,
            "predicted_dropped": self.predicted_dropped,
            "strict": self.strict.to_dict(), "conlleval": self.conlleval.to_dict(),
            "strict_f1_interval": None if self.interval is None else [self.interval.low, self.interval.high],
            "seen_in_training": self.seen_in_training, "unseen_share": self.unseen_share,
            "f1_seen_entities": self.f1_seen, "f1_unseen_entities": self.f1_unseen,
        }


def score(
    benchmark: Benchmark,
    predicted: Sequence[Sentence],
    model_mapping: TagMapping | None,
    *,
    view: str = "il-ner",
    bootstrap: int = 1000,
    training_entities: set[str] | None = None,
    seen_in_training: bool = False,
) -> BenchmarkResult:
    """Score ``predicted`` (the model's tags on ``benchmark.sentences``, in the model's tagset)
    in ``view``; ``model_mapping`` takes the model's types to the view (None: they are in it).

    >>> from ilner.data.tagsets import load_tagset
    >>> gold = [Sentence(("राम", "दिल्ली", "गया"), ("B-PERSON", "B-LOCATION", "O"))]
    >>> pred = [Sentence(("राम", "दिल्ली", "गया"), ("B-NEP", "B-NEAR", "O"))]
    >>> bench = Benchmark("toy", "hindi", gold, load_tagset("hiner-collapsed"),
    ...                   {"il-ner": load_mapping("hiner-collapsed_to_il-ner")})
    >>> result = score(bench, pred, None, bootstrap=0)
    >>> result.scored_types, result.predicted_dropped, round(result.strict.micro.f1, 2)
    (['NEL', 'NEO', 'NEP'], {'NEAR': 1}, 0.67)
    """
    mapping = benchmark.mappings[view]
    ambiguous = {t: sorted(mapping.sets[t]) for t in benchmark.tagset.types if t in mapping.sets}
    unsure = {t for types in ambiguous.values() for t in types}
    single = [t for t in benchmark.tagset.types if t not in ambiguous]
    scored = sorted({mapping.map_type(t) for t in single} - {"O"} - unsure)
    gold = [replace(s, tags=tuple(mapping.map_tags(list(s.tags), drop_sets=True))) for s in benchmark.sentences]
    if unsure & {mapping.map_type(t) for t in single}:  # DATE -> NETI beside MISC -> {NEN, NETI}: no NETI scored
        gold = keep_types(gold, set(scored))[0]
    kept, dropped = keep_types(predicted, set(scored), model_mapping)
    strict, lenient = (evaluate_sentences(gold, kept, scheme) for scheme in ("strict", "conlleval"))
    interval = bootstrap_f1(gold, kept, n=bootstrap) if bootstrap and gold else None
    result = BenchmarkResult(
        benchmark.name, benchmark.language, view, len(gold), strict.micro.support, scored,
        sorted(t for t in benchmark.tagset.types if t in ambiguous or mapping.map_type(t) == "O"), dropped,
        strict, lenient, interval, seen_in_training, gold_types_ambiguous=ambiguous,
    )
    if training_entities is not None:
        _seen_split(result, gold, kept, training_entities)
    return result


def keep_types(predicted: Sequence[Sentence], scored: Collection[str],
               model_mapping: TagMapping | None = None) -> tuple[list[Sentence], dict[str, int]]:
    """Sentences with only the entities of the ``scored`` types (after ``model_mapping``, which
    takes the model's types to the view's); any other entity is set to O and counted (by its
    own type name)."""
    dropped: Counter[str] = Counter()
    kept = []
    for sentence in predicted:
        tags = ["O"] * len(sentence.tags)
        for chunk in chunks(sentence.tags):
            target = model_mapping.map_type(chunk.label) if model_mapping else chunk.label
            if target not in scored:
                dropped[chunk.label] += 1
                continue
            tags[chunk.start:chunk.end] = [f"B-{target}"] + [f"I-{target}"] * (chunk.end - chunk.start - 1)
        kept.append(replace(sentence, tags=tuple(tags)))
    return kept, dict(sorted(dropped.items()))


def _seen_split(result: BenchmarkResult, gold: Sequence[Sentence], predicted: Sequence[Sentence],
                names: set[str]) -> None:
    """The share of gold entities whose words are no entity of the training data, and strict F1
    on entities whose words are (seen) and are not (unseen), predicted entities split the same way."""
    counts = {True: [0, 0, 0], False: [0, 0, 0]}  # seen -> correct, predicted, gold
    for g, p in zip(gold, predicted):
        gold_set = {(c.label, c.start, c.end) for c in chunks(g.tags)}
        pred_set = {(c.label, c.start, c.end) for c in chunks(p.tags)}
        for entities, slot in ((gold_set, 2), (pred_set, 1)):
            for label, start, end in entities:
                counts[" ".join(g.tokens[start:end]) in names][slot] += 1
        for label, start, end in gold_set & pred_set:
            counts[" ".join(g.tokens[start:end]) in names][0] += 1
    total = counts[True][2] + counts[False][2]
    result.unseen_share = counts[False][2] / total if total else None
    result.f1_seen = PRF.from_counts(*counts[True]).f1 if counts[True][2] else None
    result.f1_unseen = PRF.from_counts(*counts[False]).f1 if counts[False][2] else None


def entity_strings(sentences: Iterable[Sentence]) -> set[str]:
    """The words of every entity (any type) in ``sentences``, joined by single spaces."""
    return {" ".join(s.tokens[c.start:c.end]) for s in sentences for c in chunks(s.tags)}


def training_sources(model_dir: str | Path) -> tuple[list[str], list[str]]:
    """The training sources (dataset addresses or files) of a model directory and of every ilner
    model it continued or started from (``init_from``, or the config's ``model``: the ``cpu``
    preset's HiNER stage), and notes on stages that cannot be found or read."""
    from ilner.models.directory import META_FILE, read_meta

    specs: list[str] = []
    notes: list[str] = []
    seen: set[Path] = set()
    current: Path | None = Path(model_dir)
    while current is not None and current.resolve() not in seen:
        seen.add(current.resolve())
        if not (current / META_FILE).is_file():
            notes.append(f"{current}: no {META_FILE}, so what it was trained on is not known")
            break
        meta = read_meta(current)
        config = meta.config or {}
        specs += [str(s) for s in config.get("train", [])]
        specs += [str(s) for s in (config.get("ner_init") or {}).get("train", [])]
        earlier = _earlier_stage(current, meta.init_from or str(config.get("model") or ""))
        if earlier is None and meta.init_from:
            notes.append(f"{current}: the stage it continued from ({meta.init_from}) is not found, so what it "
                         "was trained on is not fully known")
        current = earlier
    return list(dict.fromkeys(specs)), notes


def _earlier_stage(model_dir: Path, recorded: str) -> Path | None:
    """The directory of the ilner model a model continued from (its ``init_from`` stage) or started
    from (its config's ``model``); None when that is no ilner model (``scratch``, a hub id). Both
    are recorded as training was given them, relative to a working directory not known here
    (``runs/cpu`` for ``runs/cpu/urdu``), so they are looked for from here, then from each folder
    above the model."""
    from ilner.models.directory import META_FILE

    if not recorded:
        return None
    candidates = [Path(recorded), *(base / recorded for base in model_dir.resolve().parents)]
    return next((path for path in candidates if (path / META_FILE).is_file()), None)


def view_mapping(model_tagset: str | None, view: str) -> TagMapping | None:
    """The mapping from a model's tagset to ``view`` (None when the model is in it already)."""
    tagset = model_tagset or "il-ner"
    return None if tagset == view else load_mapping(f"{tagset}_to_{view}")


@dataclass
class BenchmarkRun:
    """``ilner benchmark``'s result: one BenchmarkResult per benchmark, and notes on the run."""

    model: str
    view: str
    results: list[BenchmarkResult]
    training_sources: list[str]
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"model": self.model, "view": self.view, "training_sources": self.training_sources,
                "results": [r.to_dict() for r in self.results], "notes": self.notes}


def load_benchmark_map(path: str | Path) -> tuple[Tagset, TagMapping]:
    """A user's map file for their own benchmark: ``map:`` from each of the file's types to an
    IL-NER type or O (``source:`` may name a tagset file; otherwise the map's keys are the types).
    Its coarse view is its IL-NER view through ``il-ner_to_coarse``."""
    import yaml

    from ilner.data.tagsets import load_tagset
    from ilner.errors import TagsetError

    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise TagsetError(f"cannot read the map file {path}: {error}") from None
    if not isinstance(data, dict) or not isinstance(data.get("map"), dict) or not data["map"]:
        raise TagsetError(f"{path}: a map file needs 'map:', each of the file's types with its IL-NER type or O")
    if data.get("target", "il-ner") != "il-ner":
        raise TagsetError(f"{path}: 'target:' must be il-ner (the coarse view is derived from it)")
    table = {str(k): str(v) for k, v in data["map"].items()}
    ilner = load_tagset("il-ner")
    for source_type, target_type in table.items():
        if source_type != source_type.strip().upper() or "-" in source_type or source_type == "O":
            raise TagsetError(f"{path}: type {source_type!r} must be upper case, without '-', and not O")
        if target_type != "O" and target_type not in ilner:
            raise TagsetError(f"{path}: {source_type} -> {target_type!r}, which is not an IL-NER type "
                              f"({', '.join(ilner.types)}) nor O")
    name = str(data.get("source") or Path(path).stem)
    tagset = Tagset(name, tuple(table))
    return tagset, TagMapping(name, "il-ner", table, origin=str(path))


def compose(first: TagMapping, second: TagMapping) -> TagMapping:
    """``first`` then ``second``: e.g. a benchmark's IL-NER map, then IL-NER's coarse one."""
    table = {t: "O" if u == "O" else second.map_type(u) for t, u in first.table.items()}
    return TagMapping(first.source, second.target, table, origin=f"{first.origin} + {second.origin}")


def benchmark(
    model: str | Path,
    names: Sequence[str] = (),
    *,
    view: str = "il-ner",
    bootstrap: int = 1000,
    tagset_map: str | Path | None = None,
    language: str | None = None,
    zero_shot: bool = False,
    data_dir: str | Path | None = None,
    progress=None,
) -> BenchmarkRun:
    """Tag each benchmark's sentences with ``model`` and score them in ``view`` (``il-ner`` or
    ``coarse``). ``names``: registered benchmarks (``urdu-uner``, ``hiner:original:validation``)
    or files (which need ``tagset_map``); none: every registered benchmark in the model's
    languages, and with ``zero_shot`` in the others too."""
    from ilner.errors import IlnerError
    from ilner.inference.tagger import Tagger

    if view not in VIEWS:
        raise IlnerError(f"unknown view {view!r}; one of {', '.join(VIEWS)}")
    say = progress or (lambda message: None)
    tagger = Tagger.load(model)
    sources, notes = training_sources(model) if Path(model).is_dir() else ([], [f"{model}: not a local model "
                                                                             "directory, so its training data is not known"])
    benchmarks = _load_benchmarks(names, tagger.meta.languages, zero_shot, tagset_map, language, data_dir, notes)
    seen_texts, names_seen = _training_data(sources, data_dir, notes)
    model_mapping = view_mapping(tagger.meta.tagset, view)
    results = []
    for bench in benchmarks:
        say(f"tagging {bench.name}: {len(bench.sentences)} sentences")
        predicted = tagger.tag_sentences(bench.sentences)
        seen = bool(bench.texts & seen_texts)
        results.append(score(bench, predicted, model_mapping, view=view, bootstrap=bootstrap,
                             training_entities=names_seen, seen_in_training=seen))
    return BenchmarkRun(str(model), view, results, sources, notes)


def _load_benchmarks(names, model_languages, zero_shot, tagset_map, language, data_dir, notes) -> list[Benchmark]:
    """The named benchmarks; without names, the registered ones in the model's languages (all with
    ``zero_shot``), leaving out with a note those that cannot be had here (not mirrored, offline)."""
    from ilner.data import registry
    from ilner.errors import DatasetUnavailableError

    if names:
        return [b for name in names for b in (_registered(name, data_dir) if registry.is_registered(name)
                                              else [_local(name, tagset_map, language)])]
    files = [f for f in registry.REGISTRY if f.benchmark and (zero_shot or f.language in model_languages)]
    if not files:
        raise _no_benchmarks(model_languages)
    found = []
    for data_file in files:
        try:
            found += _registered(data_file.address, data_dir)
        except DatasetUnavailableError as error:
            notes.append(f"left out {data_file.address}: {error}")
    return found


def _no_benchmarks(languages: Sequence[str]):
    from ilner.data import registry
    from ilner.errors import IlnerError

    known = sorted({f"{f.dataset} ({f.language})" for f in registry.REGISTRY if f.benchmark})
    return IlnerError(f"no registered benchmark is in the model's languages ({', '.join(languages) or 'none recorded'}); "
                     f"name one ({', '.join(known)}) or add --zero-shot")


def _registered(address: str, data_dir) -> list[Benchmark]:
    """A registered benchmark's files, each in its own tagset, with its shipped mappings: those
    of the matching files that are benchmarks (``mahaner`` is its test split), else all of them
    (``mahaner:marathi:validation``, named on purpose)."""
    from ilner.data import registry
    from ilner.data.sources import load_corpora
    from ilner.data.tagsets import load_tagset

    matching = registry.match(address)
    addresses = [f.address for f in matching if f.benchmark] or [f.address for f in matching]
    found = []
    for source, corpus in load_corpora(addresses, data_dir=data_dir):
        tagset = load_tagset(source.tagset)
        mappings = {view: _mapping(source.data_file.mapping_to(view), tagset, view) for view in VIEWS}
        found.append(Benchmark(source.name, source.language, list(corpus.sentences), tagset, mappings,
                               frozenset(text_keys(source.name))))
    return found


def _mapping(name: str | None, tagset: Tagset, view: str) -> TagMapping:
    """A registered mapping by name; None (the file is in the view's tagset already): each type to itself."""
    if name is not None:
        return load_mapping(name)
    return TagMapping(tagset.name, view, {t: t for t in tagset.types}, origin=f"{tagset.name} (as it is)")


def _local(path: str, tagset_map, language: str | None) -> Benchmark:
    """A user's own annotated file: its types mapped by ``tagset_map`` (required)."""
    from ilner.data.io import read_corpus
    from ilner.data.sources import KNOWN_LANGUAGES
    from ilner.errors import IlnerError, TagsetError

    if tagset_map is None:
        raise IlnerError(f"{path}: a file of your own needs --tagset-map (each of its types with its IL-NER type "
                         "or O), and --language")
    if not Path(path).is_file():
        raise IlnerError(f"{path}: no such file, and not a registered benchmark")
    if language is not None and language not in KNOWN_LANGUAGES:
        raise IlnerError(f"unknown language {language!r}; one of {', '.join(KNOWN_LANGUAGES)}")
    tagset, to_ilner = load_benchmark_map(tagset_map)
    corpus = read_corpus(path, tagset=None, language=language)  # every type, to check the map covers them
    missing = sorted({c.label for s in corpus.sentences for c in chunks(s.tags)} - set(tagset.types))
    if missing:
        raise TagsetError(f"{path} has type {', '.join(missing)}, which {tagset_map} does not map; add "
                          "each (to O to leave it out)")
    mappings = {"il-ner": to_ilner, "coarse": compose(to_ilner, load_mapping("il-ner_to_coarse"))}
    return Benchmark(str(path), language, list(corpus.sentences), tagset, mappings, frozenset(text_keys(path)))


def text_keys(spec: str | Path) -> set[str]:
    """What text a data spec stands for: ``dataset:split`` per registered file (HiNER's original
    and collapsed files hold the same sentences in two tagsets), the resolved path of a file."""
    from ilner.data import registry
    from ilner.errors import IlnerError

    if registry.is_registered(str(spec)):
        try:
            return {f"{f.dataset}:{f.split}" for f in registry.match(str(spec))}
        except IlnerError:
            return set()
    return {str(Path(spec).resolve())}


def _training_data(sources: list[str], data_dir, notes: list[str]) -> tuple[frozenset[str], set[str] | None]:
    """The text keys of what the model was trained on, and its training entities' words; None
    for the latter when its training data cannot be read here."""
    from ilner.data.sources import load_corpora
    from ilner.errors import IlnerError

    keys = frozenset(key for spec in sources for key in text_keys(spec))
    if not sources:
        return keys, None
    try:
        names = entity_strings(s for _, corpus in load_corpora(sources, data_dir=data_dir) for s in corpus.sentences)
    except IlnerError as error:
        notes.append(f"the model's training data cannot be read here ({error}); seen and unseen entities not told apart")
        return keys, None
    return keys, names


def update_card(model_dir: str | Path, run: BenchmarkRun) -> None:
    """Record ``run``'s results in the model's ``ilner.json`` (``benchmarks``, by view and name,
    replacing earlier rows of the same benchmark) and write its model card again."""
    from ilner.data.files import atomic_write_text
    from ilner.errors import IlnerError
    from ilner.models.directory import META_FILE, read_meta
    from ilner.training.modelcard import model_card

    directory = Path(model_dir)
    if not (directory / META_FILE).is_file():
        raise IlnerError(f"{model_dir}: --update-card needs a model directory written by ilner train (with {META_FILE})")
    meta = read_meta(directory)
    if not meta.config:
        raise IlnerError(f"{directory / META_FILE} records no training run, so there is no model card to update")
    rows = meta.benchmarks.setdefault(run.view, {})
    for r in run.results:
        rows[r.name] = {"language": r.language, "sentences": r.sentences, "gold_entities": r.gold_entities,
                        "scored_types": r.scored_types, "strict_f1": r.strict.micro.f1,
                        "interval": None if r.interval is None else [r.interval.low, r.interval.high],
                        "seen_in_training": r.seen_in_training, "unseen_share": r.unseen_share}
    meta.write(directory)
    atomic_write_text(directory / "README.md", model_card(meta.to_dict()))
