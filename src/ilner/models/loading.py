"""Load a token classifier for a tagset from any checkpoint, never silently reusing a wrong head.

transformers reuses a checkpoint's classifier whenever the label *count* matches, even if the
labels differ (O/B-PERSON/... read as O/B-NEP/...). ilner compares label names instead:

- a checkpoint trained for exactly these labels is loaded as it is;
- one trained for the same labels in another order gets its classifier rows reordered;
- one trained for other labels needs a tagset mapping (e.g. ``hiner-original_to_il-ner``): rows
  of labels the mapping matches are carried over, the others start fresh, and the report says
  which; without a mapping it is an error;
- a plain encoder (no token-classification head) gets a fresh head.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from dataclasses import dataclass, field

from ilner.data.schemes import detect_scheme, split_tag
from ilner.data.tagsets import TagMapping
from ilner.errors import IlnerError
from ilner.models.directory import ModelDir, check_loaded


@dataclass
class HeadInit:
    """How the classification head was initialised: label -> source labels whose rows it took."""

    checkpoint_labels: list[str] | None
    carried: dict[str, list[str]] = field(default_factory=dict)
    fresh: list[str] = field(default_factory=list)
    how: str = "fresh"  # fresh | same | reordered | mapped

    def to_dict(self) -> dict:
        return {"how": self.how, "carried": self.carried, "fresh": self.fresh}


def quiet_transformers() -> None:
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()


def register_architectures() -> None:
    """Let transformers' Auto classes load ilner's own architectures (the BiLSTM-CRF)."""
    from ilner.models.bilstm_crf import register

    register()


def checkpoint_labels(name_or_path: str) -> list[str] | None:
    """The labels of a token-classification checkpoint, or None for a plain encoder."""
    from transformers import AutoConfig

    register_architectures()
    looks_local = name_or_path.startswith((".", "/", "~")) or name_or_path.count("/") > 1
    local = Path(name_or_path).expanduser()
    if looks_local and not local.is_dir():
        raise IlnerError(f"no model directory {name_or_path}")
    if local.is_dir():
        return ModelDir.open(local).labels or None
    hub_unavailable = _hub_unavailable()
    try:
        config = AutoConfig.from_pretrained(name_or_path, trust_remote_code=False)
    except (OSError, ValueError) as error:  # ValueError: a config.json without a known model_type
        if hub_unavailable:
            raise IlnerError(f"{name_or_path}: no such model directory, and no Hugging Face model of that name is "
                             f"cached while {hub_unavailable}. Give a local model directory (e.g. from `ilner train`), "
                             "or a Hugging Face model id while online") from None
        raise IlnerError(
            f"cannot load model {name_or_path!r}: {error}. Give a local model directory, or a Hugging Face "
            "model id while online (xlm-roberta-base, google/muril-base-cased, ai4bharat/IndicBERTv2-MLM-only)"
        ) from None
    architectures = config.architectures or []
    if not any(a.endswith("ForTokenClassification") for a in architectures):
        return None
    return [config.id2label[i] for i in sorted(config.id2label)]


def load_classifier_weights(name_or_path: str):
    """A trained token classifier, for tagging or export: from safetensors only, whole (no weight
    missing or of another shape, which transformers would fill with random values) and finite."""
    from transformers import AutoModelForTokenClassification

    register_architectures()
    try:
        model, info = AutoModelForTokenClassification.from_pretrained(
            name_or_path, use_safetensors=True, output_loading_info=True, trust_remote_code=False)
    except (OSError, ValueError, RuntimeError) as error:
        raise IlnerError(f"cannot load model {name_or_path}: {str(error).splitlines()[0]}") from None
    check_loaded(model, info, name_or_path)
    return model.eval()


def _hub_unavailable() -> str | None:
    """Why the Hugging Face Hub cannot be used now (None when it can), found in one request of at
    most 2 s rather than after half a minute of retries. When it cannot, the hub client is put
    offline for the rest of the run, so that a cached model loads without those retries too."""
    import urllib.error
    import urllib.request

    from huggingface_hub import constants

    from ilner.data.registry import offline

    if offline() or constants.HF_HUB_OFFLINE:
        reason = "ILNER_OFFLINE (or HF_HUB_OFFLINE) is set"
    else:
        try:
            urllib.request.urlopen(urllib.request.Request(constants.ENDPOINT, method="HEAD"), timeout=2).close()
            return None
        except urllib.error.HTTPError:  # it answered
            return None
        except (OSError, ValueError):
            reason = f"{constants.ENDPOINT} cannot be reached"
    constants.HF_HUB_OFFLINE = True
    return reason


def _row_sources(labels: Sequence[str], old: Sequence[str], mapping: TagMapping | None) -> dict[str, list[str]]:
    """For each new label, the checkpoint labels whose classifier rows it should take."""
    sources: dict[str, list[str]] = {}
    for new in labels:
        if new in old and mapping is None:
            sources[new] = [new]
            continue
        if mapping is None:
            continue
        prefix, new_type = split_tag(new)
        matches = []
        for label in old:
            old_prefix, old_type = split_tag(label)
            if label == "O" and new == "O":
                matches.append(label)
            elif old_prefix == prefix and old_type and mapping.map_type(old_type) == new_type:
                matches.append(label)
        if matches:
            sources[new] = matches
    return sources


def load_token_classifier(
    name_or_path: str, labels: Sequence[str], mapping: TagMapping | None = None
) -> tuple[object, object, HeadInit]:
    """(model, tokenizer, HeadInit) for ``labels``; see the module docstring for the rules."""
    import torch
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    quiet_transformers()
    labels = list(labels)
    old = checkpoint_labels(name_or_path)
    id2label = dict(enumerate(labels))
    label2id = {label: i for i, label in enumerate(labels)}
    tokenizer = AutoTokenizer.from_pretrained(name_or_path, trust_remote_code=False)
    if old == labels:
        model = AutoModelForTokenClassification.from_pretrained(name_or_path, use_safetensors=True, trust_remote_code=False)
        return model, tokenizer, HeadInit(old, {label: [label] for label in labels}, [], "same")
    if old is not None and mapping is None and sorted(old) != sorted(labels):
        scheme = detect_scheme(old)
        other_scheme_only = scheme in ("iob2", "bioes") and (
            {split_tag(label)[1] for label in old} == {split_tag(label)[1] for label in labels})
        raise IlnerError(
            f"{name_or_path} was trained for the labels {', '.join(old)}, but this run learns "
            f"{', '.join(labels)}. "
            + (f"It learnt {scheme.upper()} labels: set tag_scheme={scheme} to continue it." if other_scheme_only else
               "Set init_mapping to a tagset mapping (e.g. hiner-original_to_il-ner) to carry matching "
               "classifier rows over, or train from a plain encoder.")
        )
    logging.getLogger("transformers.modeling_utils").setLevel(logging.ERROR)
    model = AutoModelForTokenClassification.from_pretrained(
        name_or_path, id2label=id2label, label2id=label2id, ignore_mismatched_sizes=True, use_safetensors=True,
        trust_remote_code=False,
    )
    if old is None:
        return model, tokenizer, HeadInit(None, {}, labels, "fresh")
    source = AutoModelForTokenClassification.from_pretrained(name_or_path, use_safetensors=True, trust_remote_code=False)
    old_heads, new_heads = _classifiers(source, name_or_path), _classifiers(model, name_or_path)
    sources = _row_sources(labels, old, mapping)
    fresh = [label for label in labels if label not in sources]
    with torch.no_grad():
        for old_head, new_head in zip(old_heads, new_heads):
            for new, olds in sources.items():
                rows = [old.index(label) for label in olds]
                new_head.weight[label2id[new]] = old_head.weight[rows].mean(dim=0)
                new_head.bias[label2id[new]] = old_head.bias[rows].mean(dim=0)
            # With equal label counts transformers kept the old rows: re-draw them.
            for label in fresh:
                new_head.weight[label2id[label]].normal_(0.0, getattr(model.config, "initializer_range", 0.02))
                new_head.bias[label2id[label]] = 0.0
        for old_table, new_table in zip(_label_tables(source), _label_tables(model)):
            for new, olds in sources.items():  # one column per label (a BiLSTM-CRF's wide features)
                new_table.weight[:, label2id[new]] = old_table.weight[:, [old.index(label) for label in olds]].mean(dim=1)
            for label in fresh:
                new_table.weight[:, label2id[label]] = 0.0
        for name, module in model.named_modules():
            if name.split(".")[-1] == "crf":  # transitions between the old labels mean nothing for the new ones
                for parameter in module.parameters():
                    parameter.zero_()
    if mapping is not None and not sources:
        raise IlnerError(f"mapping {mapping.origin} matches none of the labels of {name_or_path} ({', '.join(old)})")
    return model, tokenizer, HeadInit(old, sources, fresh, "reordered" if mapping is None else "mapped")


def _label_tables(model) -> list:
    """Other weights with one column per label: a BiLSTM-CRF's sparse feature scores (``wide``)."""
    return [module for path, module in model.named_modules() if path.split(".")[-1] == "wide"]


def _classifiers(model, name: str) -> list:
    """The token-classification heads (``classifier``; one per member of an ensemble)."""
    heads = [module for path, module in model.named_modules() if path.split(".")[-1] == "classifier"]
    if not heads or any(getattr(h, "weight", None) is None or getattr(h, "bias", None) is None for h in heads):
        raise IlnerError(f"{name}: cannot find the token-classification head (model.classifier)")
    return heads
