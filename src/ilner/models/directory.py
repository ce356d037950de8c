"""A model directory and its ``ilner.json``: one writer, one reader, and the checks a load needs.

A directory ``ilner train`` writes holds the Hugging Face files (``config.json``,
``model.safetensors``, ``tokenizer.json``), ``ilner.json`` (``ModelMeta``: what tagging needs
beyond the weights, and what the run recorded) and a model card. ``ModelDir.open`` checks it
before anything is loaded, so that a damaged or mismatched folder is one clear error instead
of a traceback or, worse, a model that tags garbage:

- the files a load needs are there (weights in safetensors: a pickle-only ``pytorch_model.bin``
  is refused, since loading it could run code), and no config names code of its own
  (``auto_map``: every load also passes ``trust_remote_code=False``);
- ``config.json`` and ``ilner.json`` parse and agree on the labels;
- the weights file is intact (its header reads, and its sha256 is the one ``ilner.json``
  recorded at training).

``check_loaded`` then checks what was loaded: every weight found, none reinitialised, all finite.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from ilner.data.files import sha256_of
from ilner.errors import IlnerError

META_FILE = "ilner.json"
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
TOKENIZER_FILE = "tokenizer.json"
PICKLE_WEIGHTS = ("pytorch_model.bin", "pytorch_model.bin.index.json", "tf_model.h5", "flax_model.msgpack")


@dataclass
class ModelMeta:
    """``ilner.json``. The first fields are what tagging needs (their defaults are those of a
    token classifier trained elsewhere); the rest record the run for the model card."""

    tagset: str | None = None
    labels: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    script: str = "native"
    max_length: int = 512
    window_overlap: int = 128
    decoding: str = "viterbi"
    o_penalty: float = 0.0
    weights_sha256: str | None = None  # of model.safetensors, checked on load
    init_from: str | None = None  # the earlier stage a run continued from
    ilner_version: str | None = None
    architecture: dict = field(default_factory=dict)
    head_init: dict = field(default_factory=dict)
    added_tokens: int = 0
    train_sentences: int = 0
    train_windows: int = 0
    steps_per_epoch: int = 0
    best_epoch: int | None = None
    train_seconds: float = 0.0
    scores: dict = field(default_factory=dict)
    config: dict = field(default_factory=dict)
    versions: dict = field(default_factory=dict)
    pretraining: dict = field(default_factory=dict)  # a masked-LM pre-trained encoder's record
    benchmarks: dict = field(default_factory=dict)  # view -> benchmark -> row (ilner benchmark --update-card)

    def to_dict(self) -> dict:
        return asdict(self)

    def write(self, directory: Path) -> None:
        from ilner.data.files import atomic_write_text

        atomic_write_text(Path(directory) / META_FILE, json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n")

    @classmethod
    def from_text(cls, text: str, source: str) -> ModelMeta:
        """Parse and check ``ilner.json``'s contents; any problem is an IlnerError naming ``source``."""
        try:
            values = json.loads(text)
        except (ValueError, RecursionError) as error:
            raise _broken(source, f"not valid JSON ({error})") from None
        if not isinstance(values, dict):
            raise _broken(source, "not a JSON object")
        known = {f.name: f for f in fields(cls)}
        meta = cls(**{k: v for k, v in values.items() if k in known})  # keys of later versions are ignored
        for name, kinds in _TYPES.items():
            value = getattr(meta, name)
            if not isinstance(value, kinds) or isinstance(value, bool) and bool not in kinds:
                raise _broken(source, f"{name!r} is {value!r}, not {' or '.join(k.__name__ for k in kinds)}")
        if not all(isinstance(label, str) for label in meta.labels):
            raise _broken(source, "'labels' must be a list of strings")
        if not (meta.max_length > 0 and 0 <= meta.window_overlap < meta.max_length and math.isfinite(meta.o_penalty)):
            raise _broken(source, "max_length, window_overlap or o_penalty out of range")
        from ilner.inference.decoding import DECODERS

        if meta.decoding not in DECODERS:
            raise _broken(source, f"unknown decoding {meta.decoding!r}; one of {', '.join(DECODERS)}")
        return meta


def read_meta(directory: str | Path) -> ModelMeta:
    """``ilner.json`` of a model directory ilner wrote (see ModelMeta.from_text)."""
    path = Path(directory) / META_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise _broken(str(path), "missing") from None
    except UnicodeDecodeError:
        raise _broken(str(path), "not UTF-8 text") from None
    return ModelMeta.from_text(text, str(path))


_TYPES: dict[str, tuple[type, ...]] = {
    "tagset": (str, type(None)), "labels": (list,), "languages": (list,), "script": (str,),
    "max_length": (int,), "window_overlap": (int,), "decoding": (str,), "o_penalty": (int, float),
    "weights_sha256": (str, type(None)), "init_from": (str, type(None)), "scores": (dict,), "config": (dict,),
    "benchmarks": (dict,),
}


def _broken(source: str, what: str) -> IlnerError:
    return IlnerError(f"{source}: {what}; the model directory is damaged: train it again or restore the file")


@dataclass
class ModelDir:
    """A checked local model directory: its path, labels (from ``config.json``; none for a plain
    encoder) and ``ilner.json``."""

    path: Path
    labels: list[str]
    meta: ModelMeta
    model_type: str

    @classmethod
    def open(cls, path: str | Path, weights: bool = True) -> ModelDir:
        """Check a model directory before loading it (see the module docstring). ``weights=False``
        for ONNX backends, which do not read ``model.safetensors``."""
        path = Path(path)
        if not path.is_dir():
            raise IlnerError(f"{path}: no such model directory")
        config = read_config(path)
        _refuse_remote_code(path, config)
        classifier = any(str(a).endswith("ForTokenClassification") for a in config.get("architectures") or [])
        labels = config_labels(config, str(path / CONFIG_FILE)) if classifier else []
        meta_file = path / META_FILE
        if meta_file.is_file():
            meta = read_meta(path)
            if meta.labels and meta.labels != labels:
                raise _broken(str(meta_file), f"its labels ({', '.join(meta.labels)}) differ from {CONFIG_FILE}'s "
                                              f"({', '.join(labels)})")
            if not (path / TOKENIZER_FILE).is_file():
                raise _broken(str(path / TOKENIZER_FILE), "missing (ilner writes it with every model)")
        else:
            meta = ModelMeta(labels=labels)
        if weights:
            _check_weights_file(path, meta)
        return cls(path, labels, meta, str(config.get("model_type", "")))


def _refuse_remote_code(path: Path, config: dict) -> None:
    """A folder whose config names its own Python classes (``auto_map``) asks transformers to
    import code from the folder; ilner never does (every load passes ``trust_remote_code=False``),
    and says so here rather than with transformers' question on standard input."""
    tokenizer_config = path / "tokenizer_config.json"
    sources = [(path / CONFIG_FILE, config)]
    if tokenizer_config.is_file():
        try:
            sources.append((tokenizer_config, json.loads(tokenizer_config.read_text(encoding="utf-8"))))
        except (UnicodeDecodeError, ValueError, RecursionError) as error:
            raise _broken(str(tokenizer_config), f"not valid JSON ({error})") from None
    for source, values in sources:
        if isinstance(values, dict) and values.get("auto_map"):
            raise IlnerError(f"{source}: names Python code of its own (auto_map), which ilner never runs: a file "
                             "ilner reads must not run code. Use a model whose architecture transformers or ilner has")


def read_config(path: Path) -> dict:
    config_file = path / CONFIG_FILE
    if not config_file.is_file():
        raise IlnerError(f"{path} is not a model directory: it has no {CONFIG_FILE}")
    try:
        config = json.loads(config_file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise _broken(str(config_file), f"not valid JSON ({error})") from None
    if not isinstance(config, dict):
        raise _broken(str(config_file), "not a JSON object")
    return config


def config_labels(config: dict, source: str) -> list[str]:
    """The labels of a token classifier's config (``id2label``, ids 0..n-1); [] for a plain encoder."""
    id2label = config.get("id2label")
    if id2label is None:
        return []
    try:
        labels = {int(i): label for i, label in id2label.items()}
    except (AttributeError, ValueError):
        raise _broken(source, "'id2label' must map label ids to labels") from None
    if sorted(labels) != list(range(len(labels))) or not all(isinstance(v, str) for v in labels.values()):
        raise _broken(source, "'id2label' must number its labels 0..n-1")
    if config.get("num_labels", len(labels)) != len(labels):
        raise _broken(source, f"'num_labels' is {config['num_labels']} but 'id2label' has {len(labels)} labels")
    return [labels[i] for i in range(len(labels))]


def _check_weights_file(path: Path, meta: ModelMeta) -> None:
    weights = path / WEIGHTS_FILE
    if not weights.is_file():
        if (path / f"{WEIGHTS_FILE}.index.json").is_file():
            return  # sharded: each shard is checked as it loads
        pickled = [name for name in PICKLE_WEIGHTS if (path / name).is_file()]
        if pickled:
            raise IlnerError(f"{path} holds its weights only as {pickled[0]}, a format whose loading can run code; "
                             f"ilner reads {WEIGHTS_FILE} only. Convert it where you trust the file: "
                             "model.save_pretrained(PATH, safe_serialization=True)")
        raise IlnerError(f"{path}: {WEIGHTS_FILE} is missing: train the model again or restore the file")
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(weights), framework="numpy"):
            pass
    except (SafetensorError, OSError, ValueError) as error:
        raise _broken(str(weights), f"not a readable safetensors file ({error})") from None
    if meta.weights_sha256 and sha256_of(weights) != meta.weights_sha256:
        raise _broken(str(weights), f"its sha256 is not the one {META_FILE} recorded when the model was trained "
                                    "(the file was changed or damaged)")


def check_loaded(model, loading_info: dict, source: str) -> None:
    """Refuse a model that transformers loaded only in part (weights missing or of another shape:
    it fills them with random values) or whose weights are not finite. Weights the file has and
    the model does not use (a pretraining head, a pooler) are left aside, as transformers does."""
    import torch

    for kind in ("missing_keys", "mismatched_keys"):
        found = [k if isinstance(k, str) else k[0] for k in loading_info.get(kind, [])]
        if found:
            raise _broken(source, f"its weights do not fit {CONFIG_FILE}: {kind.replace('_', ' ')} "
                                  f"{', '.join(map(str, found[:3]))}{' ...' if len(found) > 3 else ''}")
    for name, parameter in model.named_parameters():
        if not torch.isfinite(parameter).all():
            raise _broken(source, f"weight {name} holds NaN or infinite values")
