"""Tiny models built in tests: a head that always says one label, so the expected tags are known."""

from __future__ import annotations

from pathlib import Path

import torch

from ilner.data import load_tagset
from ilner.models.directory import ModelMeta
from ilner.models.scratch import ScratchSpec, build_scratch_model

SENTENCES = {
    "hindi": "प्रधानमंत्री नरेंद्र मोदी ने 15 अगस्त 2024 को दिल्ली में भाषण दिया।",
    "urdu": "وزیراعظم شہباز شریف نے ۱۴ اگست کو اسلام آباد میں خطاب کیا۔",
    "odia": "ମୁଖ୍ୟମନ୍ତ୍ରୀ ନବୀନ ପଟ୍ଟନାୟକ ଭୁବନେଶ୍ୱରରେ ୨୦୨୪ ମସିହାରେ କହିଲେ।",
    "telugu": "ముఖ్యమంత్రి రేవంత్ రెడ్డి హైదరాబాద్‌లో 2024 లో మాట్లాడారు.",
}


def forced_model(directory: Path, label: str = "B-NEL", languages: list[str] | None = None) -> str:
    """A tiny model whose head always says ``label``, in every script (recorded as a model of
    ``languages`` when given)."""
    from transformers import AutoModelForTokenClassification

    labels = list(load_tagset("il-ner").labels)
    spec = ScratchSpec(vocab_size=200, hidden_size=32, num_layers=1, num_heads=2, intermediate_size=64, max_positions=64)
    path = build_scratch_model(directory, list(SENTENCES.values()) * 20, labels=labels, spec=spec)
    model = AutoModelForTokenClassification.from_pretrained(path)
    with torch.no_grad():
        model.classifier.bias.zero_()
        model.classifier.bias[labels.index(label)] = 20.0
    model.save_pretrained(path)
    if languages is not None:
        ModelMeta(tagset="il-ner", labels=labels, languages=languages).write(path)
    return str(path)
