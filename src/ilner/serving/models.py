"""The models a service holds: each loaded once at start, named, and found by name or by script.

A model is named ``NAME=DIR`` on the command line, or after its languages (``ilner.json``): the
Hindi model is ``hi``, a model of Hindi and Urdu ``hi+ur``. A request names a model, or the
service picks the most specific model whose languages cover the scripts of the request's text
(Devanagari -> Hindi, Perso-Arabic -> Urdu, Odia, Telugu, ...). Only the directories named at
start are ever loaded: a request holds a name, never a path.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ilner.errors import IlnerError
from ilner.text.languages import NATIVE_SCRIPTS, language_code
from ilner.text.scripts import script_of_char


@dataclass
class ServedModel:
    """One model of the service: its name, where it came from, and its tagger."""

    name: str
    source: str
    tagger: object  # ilner.inference.tagger.Tagger (imported lazily: torch)

    @property
    def languages(self) -> list[str]:
        return list(self.tagger.meta.languages)

    def describe(self) -> dict:
        """What ``GET /v1/models`` says of this model (no filesystem path)."""
        meta = self.tagger.meta
        test = meta.scores.get("test", {})
        return {
            "name": self.name,
            "languages": self.languages,
            "codes": [language_code(lang) for lang in self.languages],
            "tagset": meta.tagset,
            "labels": sorted({label[2:] for label in self.tagger.labels if label != "O"}),
            "script": meta.script,
            "o_penalty": self.tagger.o_penalty,
            "ilner_version": meta.ilner_version,
            "test_strict_f1": {group: round(by_scheme["strict"]["micro"]["f1"], 4)
                               for group, by_scheme in test.items() if "strict" in by_scheme},
        }


class NoModel(IlnerError):
    """A request that no model of the service can answer (HTTP 422)."""


def parse_model_spec(spec: str) -> tuple[str | None, str]:
    """``NAME=DIR`` -> (NAME, DIR); ``DIR`` -> (None, DIR)."""
    name, sep, path = spec.partition("=")
    if sep and name and "/" not in name and not Path(spec).exists():
        return name, path
    return None, spec


def default_name(languages: Sequence[str], source: str) -> str:
    """A model's name from its languages (``hi``, ``hi+ur``), else its directory's name."""
    return "+".join(sorted(language_code(lang) for lang in languages)) or Path(source.rstrip("/")).name


class ModelSet:
    """The service's models by name, and the choice of one for a request."""

    def __init__(self, models: Iterable[ServedModel]):
        self.by_name: dict[str, ServedModel] = {}
        for model in models:
            if model.name in self.by_name:
                raise IlnerError(f"two models are named {model.name!r} ({self.by_name[model.name].source} and "
                                 f"{model.source}); name them: ilner serve NAME=DIR ...")
            self.by_name[model.name] = model
        if not self.by_name:
            raise IlnerError("no model to serve: name at least one model directory")

    @classmethod
    def load(cls, specs: Sequence[str], load_tagger) -> ModelSet:
        """Load every ``NAME=DIR`` or ``DIR`` of ``specs`` with ``load_tagger(dir)``."""
        models = []
        for spec in specs:
            name, source = parse_model_spec(spec)
            tagger = load_tagger(source)
            models.append(ServedModel(name or default_name(tagger.meta.languages, source), source, tagger))
        return cls(models)

    @property
    def names(self) -> list[str]:
        return list(self.by_name)

    def choose(self, name: str | None, texts: Sequence[str]) -> ServedModel:
        """The model named ``name``, or the one for the scripts of ``texts`` (see module doc)."""
        if name is not None:
            if name not in self.by_name:
                raise NoModel(f"no model named {name!r}; this service has {self._listing()}")
            return self.by_name[name]
        if len(self.by_name) == 1:
            return next(iter(self.by_name.values()))
        scripts = _indic_scripts(texts)
        if not scripts:
            raise NoModel(f"cannot tell the language of the text (no letters of a script the models know); "
                          f"name a model: {self._listing()}")
        candidates = [m for m in self.by_name.values()
                      if scripts <= {NATIVE_SCRIPTS.get(lang) for lang in m.languages}]
        if not candidates:
            raise NoModel(f"no model of this service reads {' and '.join(sorted(scripts))} text together; "
                          f"name a model: {self._listing()}")
        return min(candidates, key=lambda m: len(m.languages))  # the most specific

    def _listing(self) -> str:
        return ", ".join(f"{m.name} ({', '.join(m.languages) or 'languages not recorded'})" for m in self.by_name.values())


def _indic_scripts(texts: Sequence[str]) -> set[str]:
    """The scripts of the languages ilner knows that the texts' letters are written in (Latin
    words and digits, common in Indian news text, say nothing about the language)."""
    known = set(NATIVE_SCRIPTS.values())
    counts = Counter(script for text in texts for script in map(script_of_char, text) if script in known)
    return set(counts)
