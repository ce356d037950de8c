"""A spaCy pipeline component: ``nlp.add_pipe("ilner", config={"model": "runs/cpu/hindi"})``.

Registered through the ``spacy_factories`` entry point, so spaCy finds it after
``pip install 'ilner[spacy]'`` without an import of ilner. The component tags each Doc's text
with ilner's Tagger (its own tokens, script transform and decoding) and sets ``doc.ents`` by
aligning ilner's character offsets to the Doc's tokens (``Doc.char_span``). An entity that
cannot be aligned (the Doc's tokens cut through it, under the ``strict`` mode; or it would
overlap another after ``expand``) is counted in ``doc._.ilner_unaligned`` and reported in a
warning with the count, never dropped without a word. Each entity's score is ``span._.ilner_score``.

Saving the pipeline copies the model directory into it, so a saved pipeline loads anywhere.
"""

from __future__ import annotations

import json
import shutil
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans, minibatch

ALIGNMENT_MODES = ("strict", "contract", "expand")

if not Span.has_extension("ilner_score"):
    Span.set_extension("ilner_score", default=None)
if not Doc.has_extension("ilner_unaligned"):
    Doc.set_extension("ilner_unaligned", default=0)


class UnalignedEntitiesWarning(UserWarning):
    """Some of ilner's entities could not be set on a Doc: the count is in the message."""


@Language.factory(
    "ilner",
    default_config={"model": None, "batch_size": 32, "alignment_mode": "expand", "backend": "torch", "o_penalty": None},
)
def make_ilner(nlp: Language, name: str, model: str | None, batch_size: int, alignment_mode: str, backend: str,
               o_penalty: float | None) -> IlnerEntityRecognizer:
    return IlnerEntityRecognizer(name, model, batch_size=batch_size, alignment_mode=alignment_mode,
                                 backend=backend, o_penalty=o_penalty)


class IlnerEntityRecognizer:
    """Sets ``doc.ents`` from an ilner model; the model is loaded on first use (or from a saved
    pipeline's copy), so that a pipeline loads even where the original model path is gone."""

    def __init__(self, name: str, model: str | None, *, batch_size: int = 32, alignment_mode: str = "expand",
                 backend: str = "torch", o_penalty: float | None = None):
        if alignment_mode not in ALIGNMENT_MODES:
            raise ValueError(f"alignment_mode must be one of {', '.join(ALIGNMENT_MODES)}, not {alignment_mode!r}")
        self.name = name
        self.model = model
        self.batch_size = batch_size
        self.alignment_mode = alignment_mode
        self.backend = backend
        self.o_penalty = o_penalty
        self._tagger = None

    @property
    def tagger(self):
        if self._tagger is None:
            if not self.model:
                raise ValueError('the ilner component needs a model: nlp.add_pipe("ilner", config={"model": "DIR"})')
            from ilner.inference.tagger import Tagger

            self._tagger = Tagger.load(self.model, backend=self.backend, batch_size=self.batch_size)
        return self._tagger

    def __call__(self, doc: Doc) -> Doc:
        return next(iter(self.pipe([doc])))

    def pipe(self, docs: Iterable[Doc], batch_size: int | None = None) -> Iterator[Doc]:
        """Tag the Docs' texts in batches of ``batch_size`` (one forward pass a batch)."""
        for batch in minibatch(docs, size=batch_size or self.batch_size):
            for doc, tagged in zip(batch, self.tagger([doc.text for doc in batch], o_penalty=self.o_penalty)):
                self._set_entities(doc, tagged.entities)
                yield doc

    def _set_entities(self, doc: Doc, entities) -> None:
        spans = []
        for entity in entities:
            span = doc.char_span(entity.start, entity.end, label=entity.label, alignment_mode=self.alignment_mode)
            if span is not None:
                span._.ilner_score = entity.score
                spans.append(span)
        kept = filter_spans(spans)
        doc.ents = kept
        doc._.ilner_unaligned = len(entities) - len(kept)
        if doc._.ilner_unaligned:
            warnings.warn(f"ilner: {doc._.ilner_unaligned} of {len(entities)} entities could not be aligned to the "
                          f"Doc's tokens (alignment_mode={self.alignment_mode!r}) and were not set; "
                          "doc._.ilner_unaligned has the count", UnalignedEntitiesWarning, stacklevel=3)

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        """Save the settings and a copy of the model directory (weights, tokenizer, ilner.json)."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        source = Path(self.model) if self.model else None
        if source is None or not source.is_dir():
            raise ValueError(f"cannot save the ilner component: its model {self.model!r} is not a local directory")
        if (path / "model").resolve() != source.resolve():
            shutil.rmtree(path / "model", ignore_errors=True)
            shutil.copytree(source, path / "model", ignore=shutil.ignore_patterns("checkpoints", ".staging"))
        (path / "settings.json").write_text(json.dumps({"batch_size": self.batch_size, "alignment_mode": self.alignment_mode,
                                                         "backend": self.backend, "o_penalty": self.o_penalty}),
                                            encoding="utf-8")

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> IlnerEntityRecognizer:
        """Use the model directory saved with the pipeline (JSON and safetensors only)."""
        path = Path(path)
        settings = json.loads((path / "settings.json").read_text(encoding="utf-8"))
        self.batch_size, self.alignment_mode = settings["batch_size"], settings["alignment_mode"]
        self.backend, self.o_penalty = settings["backend"], settings["o_penalty"]
        self.model = str(path / "model")
        self._tagger = None
        return self
