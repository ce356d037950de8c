"""The Tagger: raw Indian-language text in, entities with exact character offsets out.

    tagger = Tagger.load("runs/cpu-joint")
    [result] = tagger(["प्रधानमंत्री नरेंद्र मोदी ने 15 अगस्त 2024 को दिल्ली में भाषण दिया।"])
    for entity in result.entities:
        assert result.text[entity.start:entity.end] == entity.text

Text is tokenized and split into sentences by ilner.text.tokenize (offsets into the original
string), words are normalised and script-transformed for the model only (as recorded in the
model's ilner.json), and all sentences of a call are scored together in length-sorted batches.
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from ilner.data.corpus import Sentence
from ilner.data.schemes import chunks, split_tag
from ilner.errors import IlnerError
from ilner.inference.decoding import decode_ids, iob2_tags
from ilner.inference.scores import Runner, TorchRunner, word_log_probs
from ilner.models.directory import META_FILE, ModelDir, ModelMeta
from ilner.models.encoding import Window, WordEncoder
from ilner.text.tokenize import Token, split_sentences, tokenize
from ilner.text.transliterate import get_transform


@dataclass(frozen=True)
class Entity:
    """An entity: ``start``/``end`` are character offsets (text) or token indices (tag_tokens)."""

    start: int
    end: int
    text: str
    label: str
    score: float

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Tagged:
    """One input's tokens, their tags, and the entities they form."""

    text: str
    tokens: list[Token]
    tags: list[str]
    entities: list[Entity] = field(default_factory=list)
    sentences: list[tuple[int, int]] = field(default_factory=list)  # token index ranges

    def to_dict(self) -> dict:
        return {"text": self.text, "entities": [e.to_dict() for e in self.entities]}


def _hub_meta(model: str, labels: list[str]) -> ModelMeta:
    """A hub model's ilner.json, if it has one (one trained elsewhere has none: the defaults).
    One that cannot be fetched now (offline and not cached) is an error: tagging an ilner model
    without its script transform and decoding settings would give wrong entities without a word."""
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import RemoteEntryNotFoundError

    try:
        path = Path(hf_hub_download(model, META_FILE))
    except RemoteEntryNotFoundError:
        return ModelMeta(labels=labels)
    except Exception as error:  # noqa: BLE001 - offline, network, permissions: whatever hf_hub raises
        raise IlnerError(f"{model}: cannot fetch its {META_FILE} ({type(error).__name__}), which says how to tag "
                         "with it; go online once, or download the model into a local folder") from None
    return ModelMeta.from_text(path.read_text(encoding="utf-8"), f"{model}/{META_FILE}")


def _load_tokenizer(model: str):
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(model, trust_remote_code=False)
    except Exception as error:  # noqa: BLE001 - tokenizers raises its own exception types
        raise IlnerError(f"{model}: cannot load its tokenizer ({str(error).splitlines()[0] if str(error) else type(error).__name__}); "
                         "the model directory is damaged: train it again or restore tokenizer.json") from None


BACKENDS = ("torch", "torch-bf16", "onnx", "onnx-int8")


def _crf_transitions(model_dir: Path, model_type: str):
    """A CRF model's transition scores for the ONNX backend, whose graphs output only the emission
    scores: from the export's crf.npz, else averaged over the ensemble members in the weights
    (exports made before crf.npz). Decoding a CRF model without them loses accuracy silently."""
    from ilner.inference.onnx import CRF_ARRAYS, CRF_FILE
    from ilner.models.bilstm_crf import MODEL_TYPE

    if (model_dir / CRF_FILE).is_file():
        try:  # np.load reads no pickle unless asked (allow_pickle=False)
            with np.load(model_dir / CRF_FILE) as saved:
                return tuple(saved[name] for name in CRF_ARRAYS)
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as error:
            raise IlnerError(f"{model_dir / CRF_FILE}: damaged ({error}); export the model again: "
                             f"ilner export {model_dir} --onnx") from None
    weights = model_dir / "model.safetensors"
    if weights.is_file():
        from safetensors import safe_open

        with safe_open(str(weights), framework="numpy") as handle:
            keys = list(handle.keys())
            scores = [[handle.get_tensor(k) for k in keys if k.endswith(f"crf.{name}")] for name in CRF_ARRAYS]
        if all(scores):
            return tuple(np.mean(found, axis=0) for found in scores)
    if model_type == MODEL_TYPE:
        raise IlnerError(f"{model_dir} is a CRF model, but its transition scores are in neither {CRF_FILE} nor "
                         f"model.safetensors: export it again (ilner export {model_dir} --onnx)")
    return None


_LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")  # where str.splitlines splits


def _sentences(text: str, tokens: Sequence[Token]) -> list[tuple[int, int]]:
    """split_sentences, also cut at every line break: a heading or byline has no end mark, and
    `ilner predict` tags each line on its own, so the API must not join entities across lines."""
    spans = []
    for begin, end in split_sentences(tokens):
        for i in range(begin + 1, end):
            if not _LINE_BREAKS.isdisjoint(text[tokens[i - 1].end:tokens[i].start]):
                spans.append((begin, i))
                begin = i
        spans.append((begin, end))
    return spans


class Tagger:
    """A token-classification model with everything needed to tag with it: its runner (torch or
    ONNX), word encoder (tokenizer, windows, script transform), labels and decoding settings.

    The one tagging core of ilner: ``ilner predict``, ``ilner serve``, evaluation during training
    and the Python API all tag through it. Raw text goes in through ``__call__``, pre-tokenised
    sentences through ``tag_tokens`` and corpus sentences through ``tag_sentences``."""

    def __init__(self, runner: Runner, encoder: WordEncoder, labels: Sequence[str], meta: ModelMeta | None = None, *,
                 batch_size: int = 32, decoding: str | None = None, pooling: str = "first",
                 o_penalty: float | None = None):
        meta = meta or ModelMeta(labels=list(labels))
        self.runner = runner
        self.encoder = encoder
        self.labels = list(labels)
        bad = [label for label in self.labels if split_tag(label)[0] not in ("O", "B", "I", "E", "S")]
        if bad:
            raise IlnerError(f"the model's labels are neither IOB2 nor BIOES (e.g. {bad[0]!r}); ilner needs "
                             "O, B-X and I-X labels (and E-X, S-X for BIOES)")
        self.meta = meta
        self.script = meta.script
        self.decoding = decoding or meta.decoding
        self.o_penalty = meta.o_penalty if o_penalty is None else o_penalty
        self.batch_size = batch_size
        self.pooling = pooling

    @classmethod
    def load(cls, model: str | Path, backend: str = "torch", device: str | None = None, **kwargs) -> Tagger:
        """Load a model written by ``ilner train`` (or any IOB2 token classifier, local or hub).

        ``backend``: ``torch`` (fp32), ``torch-bf16`` (bfloat16 autocast: fast on CPUs with
        AVX-512 BF16 or AMX, and on GPUs), ``onnx`` or ``onnx-int8`` (after ``ilner export``).
        """
        from transformers import AutoConfig

        from ilner.models.loading import (
            checkpoint_labels, load_classifier_weights, quiet_transformers, register_architectures,
        )

        if backend not in BACKENDS:
            raise IlnerError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
        quiet_transformers()
        register_architectures()  # ilner's own model types, before transformers reads a config
        onnx = backend.startswith("onnx")
        model = str(model)
        if Path(model).exists():
            directory = ModelDir.open(model, weights=not onnx)
            labels, meta = directory.labels, directory.meta
        else:
            labels = checkpoint_labels(model) or []
            meta = _hub_meta(model, labels) if labels else ModelMeta()
        if not labels:
            raise IlnerError(f"{model} is not a token-classification (NER) model")
        config = AutoConfig.from_pretrained(model, trust_remote_code=False)
        if onnx:
            from ilner.inference.onnx import ONNX_FILES, OnnxRunner, check_export

            check_export(Path(model))
            runner: Runner = OnnxRunner(Path(model) / ONNX_FILES[backend], len(labels),
                                        transitions=_crf_transitions(Path(model), config.model_type))
        else:
            import torch

            network = load_classifier_weights(model)
            if device:
                network.to(device)
            runner = TorchRunner(network, autocast_dtype=torch.bfloat16 if backend == "torch-bf16" else None)
        max_length = min(meta.max_length, getattr(config, "max_position_embeddings", 514) - 2)
        encoder = WordEncoder(_load_tokenizer(model), max_length, meta.window_overlap, get_transform(meta.script))
        return cls(runner, encoder, labels, meta, **kwargs)

    def __call__(self, texts: str | Sequence[str], o_penalty: float | None = None) -> list[Tagged]:
        """Tag raw texts; each result's entities carry offsets into that text. ``o_penalty``
        replaces the tagger's own for this call."""
        if isinstance(texts, str):
            texts = [texts]
        results = []
        for text in texts:
            tokens = tokenize(text)
            results.append(Tagged(text, tokens, [], sentences=_sentences(text, tokens)))
        words = [[t.text for t in r.tokens[a:b]] for r in results for a, b in r.sentences]
        scored = iter(self._decoded(self.scores(words), o_penalty))
        for result in results:
            for a, _ in result.sentences:
                tags, probabilities = next(scored)
                result.tags.extend(tags)
                for chunk in chunks(tags):
                    first, last = result.tokens[a + chunk.start], result.tokens[a + chunk.end - 1]
                    result.entities.append(Entity(
                        first.start, last.end, result.text[first.start:last.end], chunk.label,
                        round(float(np.mean(probabilities[chunk.start:chunk.end])), 4),
                    ))
        return results

    def tag_tokens(self, token_lists: Sequence[Sequence[str]], o_penalty: float | None = None) -> list[Tagged]:
        """Tag pre-tokenised sentences; entity ``start``/``end`` are token indices (end exclusive)."""
        results = []
        for words, (tags, probabilities) in zip(token_lists, self._decoded(self.scores(token_lists), o_penalty)):
            tokens, offset = [], 0
            for word in words:  # offsets into the words joined by single spaces
                tokens.append(Token(word, offset, offset + len(word)))
                offset += len(word) + 1
            entities = [
                Entity(c.start, c.end, " ".join(words[c.start:c.end]), c.label,
                       round(float(np.mean(probabilities[c.start:c.end])), 4))
                for c in chunks(tags)
            ]
            results.append(Tagged(" ".join(words), tokens, tags, entities, [(0, len(words))]))
        return results

    def tag_sentences(self, sentences: Sequence[Sentence], scores: Sequence[np.ndarray] | None = None,
                      o_penalty: float | None = None) -> list[Sentence]:
        """Copies of corpus ``sentences`` with predicted tags (every word tagged, any length).
        Pass their ``scores`` (from ``scores``) to decode them again without a forward pass."""
        if scores is None:
            scores = self.scores([s.tokens for s in sentences])
        return [replace(s, tags=tuple(tags)) for s, (tags, _) in zip(sentences, self._decoded(scores, o_penalty))]

    def scores(self, token_lists: Sequence[Sequence[str]], windows: Sequence[Window] | None = None) -> list[np.ndarray]:
        """Per sentence, its (words x labels) log-probabilities; ``windows``: the sentences as
        ``self.encoder.windows`` encoded them earlier, if they are scored again and again."""
        return word_log_probs(self.runner, self.encoder, [list(w) for w in token_lists], self.batch_size, self.pooling,
                              windows)

    def _decoded(self, scores: Sequence[np.ndarray], o_penalty: float | None) -> list[tuple[list[str], np.ndarray]]:
        """Per sentence, its IOB2 tags and the probability of each chosen tag."""
        penalty = self.o_penalty if o_penalty is None else o_penalty
        transitions = getattr(self.runner, "transitions", None)
        out = []
        for log_probs in scores:
            ids = decode_ids(log_probs, self.labels, self.decoding, transitions, penalty)
            chosen = np.exp(log_probs[np.arange(len(ids)), ids]) if ids else np.zeros(0)
            out.append((iob2_tags(ids, self.labels), chosen))
        return out
