"""Training configuration: a YAML file plus ``--set key=value`` overrides, validated up front.

Defaults follow the paper (xlm-roberta-base, AdamW lr 5e-5, linear schedule with warmup, 10
epochs, first-sub-word labels, model selection on dev strict F1). Unknown keys and values of the
wrong type are errors that name the key, before any data is read.
"""

from __future__ import annotations

import dataclasses
import datetime
import difflib
import math
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ilner.data.files import read_text
from ilner.errors import DataError, IlnerError
from ilner.models.scratch import ScratchSpec

STRATEGIES = ("single", "cross-lingual", "progressive")


@dataclass
class Stage:
    """One stage of progressive transfer; unset fields fall back to the top-level values."""

    name: str = ""
    train: list[str] = field(default_factory=list)
    dev: list[str] = field(default_factory=list)
    epochs: int | None = None
    learning_rate: float | None = None

    def validate(self, number: int) -> None:
        """Check this stage, the ``number``-th of ``stages`` (1-based, as errors name it)."""
        if not self.train:
            raise IlnerError(f"stage {number} ({self.name or 'unnamed'}) has no 'train' data")
        if self.epochs is not None and self.epochs <= 0:
            raise IlnerError(f"stage {number} ({self.name or 'unnamed'}): 'epochs' must be positive "
                             "(leave it out for the top-level epochs)")
        if self.learning_rate is not None and not self.learning_rate > 0:
            raise IlnerError(f"stage {number} ({self.name or 'unnamed'}): 'learning_rate' must be positive")


@dataclass
class NerInit:
    """First train the model for NER on another corpus (and tagset), then start the run from it
    (the paper's NER-model init: HiNER before IL-NER), with ``mapping`` carrying label rows over."""

    train: list[str] = field(default_factory=list)  # empty: no NER init
    tagset: str = "il-ner"
    mapping: str | None = None  # from ``tagset`` to the run's tagset (needed when they differ)
    epochs: int = 4

    def validate(self) -> None:
        """Check the fields of an NER init that is asked for (``train`` set); an unused one may hold anything."""
        if self.train and self.epochs <= 0:
            raise IlnerError("config key 'ner_init.epochs' must be positive")


@dataclass
class LanguageStages:
    """After training on several languages, continue from the best model on each language alone
    (progressive transfer): one more model per language, in ``output_dir/<language>``."""

    epochs: int = 0  # 0: no language stages
    learning_rate: float | None = None  # default: the run's
    # The languages that get a stage (each must be one the run trains on); empty: every one. The
    # others are served by the model for all languages.
    languages: list[str] = field(default_factory=list)

    def validate(self) -> None:
        if self.epochs < 0:
            raise IlnerError("config key 'language_stages.epochs' must not be negative")
        if len(set(self.languages)) != len(self.languages):
            raise IlnerError("config key 'language_stages.languages' names a language twice")
        if self.learning_rate is not None and not self.learning_rate > 0:
            raise IlnerError("config key 'language_stages.learning_rate' must be positive")


@dataclass
class TrainConfig:
    description: str = ""
    # Model: a Hugging Face id, a local directory, or "scratch".
    model: str = "xlm-roberta-base"
    scratch: ScratchSpec = field(default_factory=ScratchSpec)  # the encoder built when model: scratch
    # Data whose text (never its tags) also trains the scratch tokenizer, so that later stages or
    # other languages are not all <unk>; progressive and cross-lingual runs default to all their data.
    scratch_text: list[str] = field(default_factory=list)
    tagset: str = "il-ner"
    # Labels the model learns: iob2, or bioes (entity ends and one-word entities get labels of
    # their own, so a CRF learns where entities stop). Tags come out in IOB2 either way.
    tag_scheme: str = "iob2"
    init_mapping: str | None = None  # tagset mapping from the checkpoint's labels (NER-model init)
    data_mapping: str | None = None  # tagset mapping applied to all data when read
    # Per data entry (as written in train/dev/test), the tagset mapping that takes its files onto
    # the run's tagset: a corpus of your own beside IL-NER. Registered corpora need none (theirs is built in).
    data_mappings: dict[str, str] = field(default_factory=dict)
    # Data: dataset addresses or files. "{language}" is filled in per language (cross-lingual).
    train: list[str] = field(default_factory=lambda: ["il-ner:hindi:train"])
    dev: list[str] = field(default_factory=lambda: ["il-ner:hindi:dev"])
    test: list[str] = field(default_factory=lambda: ["il-ner:hindi:test"])
    data_dir: str | None = None
    max_train_sentences: int | None = None  # per training file; None = all
    # Strategy.
    strategy: str = "single"
    languages: list[str] = field(default_factory=list)  # cross-lingual: source languages
    stages: list[Stage] = field(default_factory=list)  # progressive
    ner_init: NerInit = field(default_factory=NerInit)  # single: first NER on another corpus
    language_stages: LanguageStages = field(default_factory=LanguageStages)  # single: then each language alone
    only_language: str | None = None  # keep only this language's sentences of train, dev and test
    sampling_temperature: float | None = None  # several languages or corpora: sample each by n^(1/T) per epoch
    sampling_unit: str = "language"  # what sampling_temperature balances: language | corpus
    # Share of the training windows without any entity that each epoch draws (anew each epoch):
    # below 1, epochs spend their time on the sentences that teach entities (IL-NER: 57% of words
    # are in sentences without one), so more of them fit in the same time.
    entity_free_share: float = 1.0
    script: str = "native"  # native | devanagari | roman
    vocab_augmentation: int = 0  # add the K most frequent much-split training words as tokens
    # Optimisation.
    epochs: int = 10
    learning_rate: float = 5e-5
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    batch_size: int = 16
    gradient_accumulation_steps: int = 1
    max_grad_norm: float = 1.0
    max_length: int = 512  # sub-word window, special tokens included
    window_overlap: int = 128
    mixed_precision: str = "auto"  # auto (bf16/fp16 on GPU, none on CPU) | no | bf16 | fp16
    seed: int = 42
    # Evaluation and output.
    decoding: str = "viterbi"
    o_penalty: float = 0.0  # taken off every word's O score before decoding: > 0 finds more entities
    tune_o_penalty: bool = False  # after training, choose o_penalty (0 to 2) by dev strict F1
    eval_batch_size: int = 64
    output_dir: str = "runs/model"
    save_every_steps: int = 0  # also checkpoint every N optimizer steps (0: at epoch ends only)
    keep_unknown: bool = False

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def _coerce(value: Any, annotation: Any, key: str) -> Any:
    """Check (and gently convert) a value to a field's annotated type."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(annotation)
        if value is None and type(None) in options:
            return None
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return _coerce(value, option, key)
            except IlnerError as error:
                errors.append(str(error))
        raise IlnerError(errors[0])
    if origin is dict:
        key_type, value_type = typing.get_args(annotation)
        if not isinstance(value, dict):
            raise IlnerError(f"config key {key!r} must be a mapping, got {value!r}")
        return {_coerce(k, key_type, key): _coerce(v, value_type, f"{key}.{k}") for k, v in value.items()}
    if origin is list:
        (item_type,) = typing.get_args(annotation)
        if isinstance(value, (str, dict)) or not isinstance(value, list):
            value = [value]
        return [_coerce(v, item_type, f"{key}[{i}]") for i, v in enumerate(value)]
    if dataclasses.is_dataclass(annotation):
        if isinstance(value, annotation):
            return value
        if not isinstance(value, dict):
            raise IlnerError(f"config key {key!r} must be a mapping, got {value!r}")
        return _build(annotation, value, prefix=f"{key}.")
    if annotation is float and isinstance(value, (int, float, str)) and not isinstance(value, bool):
        try:
            number = float(value)
        except (ValueError, OverflowError):
            number = None  # not a number: the error at the end
        if number is not None:
            if not math.isfinite(number):  # .nan, .inf, "nan", 1e999: no setting means them
                raise IlnerError(f"config key {key!r} must be a finite number, got {value!r}")
            return number
    if annotation is int and isinstance(value, float) and value.is_integer():
        return int(value)
    if annotation is str and isinstance(value, (int, float, datetime.date)) and not isinstance(value, bool):
        return str(value)  # YAML read "2024-01-01" or "2" as a date or a number
    if isinstance(annotation, type) and isinstance(value, annotation) and not (annotation is int and isinstance(value, bool)):
        return value
    raise IlnerError(f"config key {key!r} must be {getattr(annotation, '__name__', annotation)}, got {value!r}")


def _build(cls: type, values: dict, prefix: str = ""):
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    unknown = [k for k in values if k not in names]
    if unknown:
        close = difflib.get_close_matches(unknown[0], names, n=1)
        hint = f"; did you mean {prefix}{close[0]}?" if close else f"; valid keys: {', '.join(names)}"
        raise IlnerError(f"unknown config key '{prefix}{unknown[0]}'{hint}")
    return cls(**{k: _coerce(v, hints[k], prefix + k) for k, v in values.items()})


def _annotation(keys: list[str]) -> Any:
    """The annotated type of a dotted config key (None for no such key)."""
    annotation: Any = TrainConfig
    for key in keys:
        hints = typing.get_type_hints(annotation) if dataclasses.is_dataclass(annotation) else {}
        if key not in hints:
            return None
        annotation = hints[key]
    return annotation


def parse_override(text: str) -> tuple[list[str], Any]:
    """``a.b=value`` -> (["a", "b"], value parsed as YAML: numbers, lists, null...). Values of
    string keys (paths, names, descriptions) are taken as typed, where YAML would cut them at
    `` #`` or read ``yes`` as a boolean; ``null`` still unsets an optional one."""
    if "=" not in text:
        raise IlnerError(f"--set expects key=value, got {text!r}")
    key, raw = text.split("=", 1)
    keys = key.strip().split(".")
    annotation = _annotation(keys)
    if annotation is str or typing.get_args(annotation) == (str, type(None)):
        text = raw.strip()
        if annotation is not str and text in ("null", "~"):
            return keys, None
        if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":  # quoted as in YAML: unquote
            try:
                return keys, str(yaml.safe_load(text))
            except yaml.YAMLError:
                pass
        return keys, text
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError as error:
        if raw.lstrip().startswith(("[", "{")):
            raise IlnerError(
                f"--set {text}: the value is not valid YAML ({error.problem}); quote items that hold "
                "{ } : or , e.g. train='[\"data/{language}-train.txt\"]'"
            ) from None
        value = raw  # a plain string such as a description with a colon
    return keys, value


PRESETS_DIR = Path(__file__).resolve().parent.parent / "resources" / "presets"


def presets() -> list[str]:
    """Names of the configs shipped with ilner (``ilner train --preset NAME``)."""
    return sorted(p.stem for p in PRESETS_DIR.glob("*.yaml"))


def preset_path(name: str) -> Path:
    """The shipped config file of a preset."""
    path = PRESETS_DIR / f"{name}.yaml"
    if not path.is_file():
        raise IlnerError(f"no preset {name!r}; the presets are: {', '.join(presets())}")
    return path


def load_config(path: str | Path | None = None, overrides: list[str] = ()) -> TrainConfig:
    """Defaults, then the YAML file, then each ``key=value`` override (dots for nested keys)."""
    values = _read_config_file(path) if path is not None else {}
    for override in overrides:
        keys, value = parse_override(override)
        target = values
        for key in keys[:-1]:
            target = target.setdefault(key, {})
            if not isinstance(target, dict):
                raise IlnerError(f"--set {override}: {key} is not a mapping")
        target[keys[-1]] = value
    config = _build(TrainConfig, values)
    _validate(config)
    return config


def _read_config_file(path: str | Path) -> dict:
    """The mapping a YAML config file holds; anything else (not a file, not UTF-8 text, not YAML,
    YAML that is not a mapping) is a DataError naming the file (and line)."""
    text, _ = read_text(path)
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or "cannot be parsed"
        raise DataError(str(path), f"is not valid YAML ({problem}); a config is a YAML mapping of keys to values "
                        "(see configs/)", line=mark.line + 1 if mark else None) from None
    except RecursionError:
        raise DataError(str(path), "is nested too deeply to be a config") from None
    if loaded is not None and not isinstance(loaded, dict):
        raise DataError(str(path), f"holds a YAML {type(loaded).__name__}, not a mapping of config keys to values "
                        "(see configs/)")
    return loaded or {}


# The shortest window: an encoder's special tokens (at most 2 in the usual ones) and 8 word pieces.
MIN_MAX_LENGTH = 10


def _validate(config: TrainConfig) -> None:
    """Refuse values that have the right type but that no run can use. Each section checks its own
    fields (``validate``); the checks here are of top-level keys and of keys that must fit each other."""
    from ilner.data.tagsets import load_mapping
    from ilner.inference.decoding import DECODERS
    from ilner.text.transliterate import SCRIPT_TRANSFORMS

    choices = {
        "strategy": STRATEGIES, "script": SCRIPT_TRANSFORMS, "decoding": DECODERS,
        "tag_scheme": ("iob2", "bioes"), "mixed_precision": ("auto", "no", "bf16", "fp16"),
        "sampling_unit": ("language", "corpus"),
    }
    for key, allowed in choices.items():
        if getattr(config, key) not in allowed:
            raise IlnerError(f"config key {key!r} must be one of {', '.join(allowed)}, got {getattr(config, key)!r}")
    positive = ("epochs", "batch_size", "gradient_accumulation_steps", "max_length", "eval_batch_size")
    for key in positive:
        if getattr(config, key) <= 0:
            raise IlnerError(f"config key {key!r} must be positive")
    if not config.learning_rate > 0:
        raise IlnerError("config key 'learning_rate' must be positive")
    if not 0.0 <= config.warmup_ratio <= 1.0:
        raise IlnerError("config key 'warmup_ratio' must be between 0 and 1")
    for key in ("window_overlap", "save_every_steps", "seed", "vocab_augmentation", "weight_decay", "max_grad_norm"):
        if getattr(config, key) < 0:
            raise IlnerError(f"config key {key!r} must not be negative")
    if config.max_train_sentences is not None and config.max_train_sentences <= 0:
        raise IlnerError("config key 'max_train_sentences' must be positive (or null for all)")
    if config.max_length < MIN_MAX_LENGTH:
        raise IlnerError(f"config key 'max_length' must be at least {MIN_MAX_LENGTH} (special tokens and 8 pieces "
                         f"of words), got {config.max_length}")
    config.scratch.validate()
    if config.model == "scratch" and config.scratch.architecture == "bilstm-crf" and config.vocab_augmentation:
        raise IlnerError("vocab_augmentation does not apply to scratch.architecture bilstm-crf: its vocabulary already "
                         "holds the training words (see scratch.word_min_count)")
    if config.model == "scratch" and config.scratch.max_positions < config.max_length:
        raise IlnerError(
            f"scratch.max_positions ({config.scratch.max_positions}) must be at least max_length ({config.max_length})"
        )
    if config.stages and config.strategy != "progressive":
        raise IlnerError(f"'stages' are trained by strategy 'progressive' only, not {config.strategy!r}: "
                         "set strategy: progressive, or drop stages")
    if config.languages and config.strategy != "cross-lingual":
        raise IlnerError(f"'languages' are used by strategy 'cross-lingual' only, not {config.strategy!r}: "
                         "set strategy: cross-lingual, or drop languages")
    for number, stage in enumerate(config.stages, start=1):
        stage.validate(number)
    ner_init = config.ner_init
    if ner_init.train and config.strategy != "single":
        raise IlnerError(f"ner_init comes before a single run; strategy {config.strategy!r} has its own stages "
                         "(--set 'ner_init.train=[]' turns it off)")
    if ner_init.train and ner_init.tagset != config.tagset and not ner_init.mapping:
        raise IlnerError(f"ner_init trains for tagset {ner_init.tagset!r}: give ner_init.mapping "
                         f"(e.g. {ner_init.tagset}_to_{config.tagset}) to carry its labels over")
    ner_init.validate()
    if ner_init.train and ner_init.mapping:
        mapping = load_mapping(ner_init.mapping)
        if (mapping.source, mapping.target) != (ner_init.tagset, config.tagset):
            raise IlnerError(f"ner_init.mapping {ner_init.mapping!r} maps {mapping.source} to {mapping.target}, "
                             f"not {ner_init.tagset} to {config.tagset}")
    listed = {*config.train, *config.dev, *config.test, *(s for stage in config.stages for s in stage.train + stage.dev)}
    for entry, name in config.data_mappings.items():
        if entry not in listed:
            raise IlnerError(f"data_mappings names {entry!r}, which is in none of train, dev and test (nor a stage's)")
        target = load_mapping(name).target
        if target != config.tagset:
            raise IlnerError(f"data_mappings: {name} maps onto {target}, not the run's tagset {config.tagset}")
    if config.tune_o_penalty and not config.dev:
        raise IlnerError("tune_o_penalty chooses the O penalty on dev data: give 'dev' data, or set o_penalty instead")
    config.language_stages.validate()
    if config.language_stages.epochs and config.strategy != "single":
        raise IlnerError(f"language_stages follow a single run; strategy {config.strategy!r} has its own stages "
                         "(--set language_stages.epochs=0 turns them off)")
    if config.strategy == "progressive" and not config.stages:
        raise IlnerError("strategy 'progressive' needs 'stages': a list of {train: [...], dev: [...]}")
    if config.strategy == "cross-lingual" and not config.languages:
        raise IlnerError("strategy 'cross-lingual' needs 'languages' (train/dev use '{language}')")
    if not 0 < config.entity_free_share <= 1:
        raise IlnerError("config key 'entity_free_share' must be above 0 and at most 1 (1: every sentence each epoch)")
    if config.sampling_temperature is not None and config.sampling_temperature <= 0:
        raise IlnerError("config key 'sampling_temperature' must be positive")
