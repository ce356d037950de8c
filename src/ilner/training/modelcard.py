"""A model card (README.md) from a run's ``ilner.json``: what was trained, on what, and how well."""

from __future__ import annotations

from ilner.text.languages import language_code

# The usage example is written in the model's own language (the first, for a multilingual model).
EXAMPLES = {
    "hindi": "प्रधानमंत्री नरेंद्र मोदी ने दिल्ली में भाषण दिया।",
    "urdu": "وزیر اعظم نریندر مودی نے دہلی میں تقریر کی۔",
    "odia": "ପ୍ରଧାନମନ୍ତ୍ରୀ ନରେନ୍ଦ୍ର ମୋଦୀ ଦିଲ୍ଲୀରେ ଭାଷଣ ଦେଲେ ।",
    "telugu": "ప్రధానమంత్రి నరేంద్ర మోదీ ఢిల్లీలో ప్రసంగించారు.",
}


def _pct(value: float) -> str:
    return f"{100 * value:.2f}"


def results_table(scores: dict) -> str:
    """Markdown: one row per language (and all), strict micro F1, conlleval F1, and per-type strict F1."""
    types = sorted({t for group in scores.values() for t in group["strict"]["per_type"]})
    header = "| | strict F1 | conlleval F1 | " + " | ".join(types) + " |"
    lines = [header, "|---" * (3 + len(types)) + "|"]
    for group, by_scheme in scores.items():
        per_type = by_scheme["strict"]["per_type"]
        cells = [_pct(per_type[t]["f1"]) if t in per_type else "–" for t in types]
        lines.append(f"| {group} | {_pct(by_scheme['strict']['micro']['f1'])} | "
                     f"{_pct(by_scheme['conlleval']['micro']['f1'])} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def benchmarks_table(rows: dict) -> str:
    """Markdown: one row per outside benchmark (``ilner benchmark --update-card``), strict F1 with
    its 95% interval on the types both annotate."""
    lines = ["| benchmark | language | sentences | gold entities | types scored | strict F1 [95%] | unseen entities |",
             "|---|---|---|---|---|---|---|"]
    for name, row in rows.items():
        low_high = f" [{_pct(row['interval'][0])}, {_pct(row['interval'][1])}]" if row.get("interval") else ""
        unseen = "–" if row.get("unseen_share") is None else f"{100 * row['unseen_share']:.0f}%"
        note = " (seen in training)" if row.get("seen_in_training") else ""
        lines.append(f"| {name}{note} | {row.get('language') or ''} | {row['sentences']} | {row['gold_entities']} | "
                     f"{', '.join(row['scored_types'])} | {_pct(row['strict_f1'])}{low_high} | {unseen} |")
    return "\n".join(lines)


def model_card(meta: dict) -> str:
    config = meta["config"]
    languages = meta["languages"]
    # What the weights are (ilner.json's "architecture"); a model continued from an earlier stage
    # names that stage in config["model"], so the architecture cannot be read from the config.
    built = meta.get("architecture", {})
    bilstm = "taggers" in built  # ilner's BiLSTM-CRF family
    architecture = "bilstm-crf" if bilstm else config.get("scratch", {}).get("architecture") if config["model"] == "scratch" else None
    source = f"`{config['model']}`"
    if architecture:
        note = ""
        if bilstm:
            members = built.get("taggers", 1)
            taggers = f"{members} tagger{'s' if members != 1 else ''}"
            if built.get("feature_crf"):
                note = f", {taggers} and a feature CRF averaged" if members else ", a feature CRF alone"
            elif members > 1:
                note = f", {taggers} averaged"
            if built.get("gazetteer_names"):
                note += f", a gazetteer of {built['gazetteer_names']} names ({', '.join(built['gazetteer_types'])})"
        source += f" ({architecture}{note}, no pretrained weights)"
    if meta.get("init_from"):
        source += f", continued from `{meta['init_from']}`"
    codes = [language_code(lang) for lang in languages]
    example = next((EXAMPLES[lang] for lang in languages if lang in EXAMPLES), EXAMPLES["hindi"])
    front = ["---", "library_name: transformers", "pipeline_tag: token-classification", "tags: [ner, ilner]"]
    if codes:
        front.append(f"language: [{', '.join(codes)}]")
    front.append("---")
    parts = [
        "\n".join(front),
        f"# ilner NER model ({', '.join(languages) or 'unknown languages'})",
        config.get("description") or "",
        f"Trained with ilner {meta['ilner_version']} from {source} on "
        f"{', '.join(f'`{t}`' for t in config['train'])}"
        + (f" (only its {config['only_language']} sentences)" if config.get("only_language") else "")
        + f"; tagset `{meta['tagset']}` ({len(meta['labels'])} "
        + ("BIOES labels, which ilner turns into IOB2 tags), " if config.get("tag_scheme") == "bioes" else "labels), ")
        + f"script `{meta['script']}`, {config['epochs']} epochs at lr {config['learning_rate']}"
        + (f", best dev epoch {meta['best_epoch']}" if meta.get("best_epoch")
           else ", no epoch trained (the starting weights kept)" if config["epochs"] <= 0
           else ", last epoch kept (no dev data)")
        + f", {meta['train_seconds']} s of training."
        + (f" Decoding takes {meta['o_penalty']:g} off every word's O score"
           + (" (chosen on dev)" if config.get("tune_o_penalty") else "")
           + (" to find more entities" if meta["o_penalty"] > 0 else ", finding fewer entities")
           + " (ilner applies it; plain transformers code does not)." if meta.get("o_penalty") else ""),
    ]
    for split in ("test", "dev"):
        if split in meta["scores"]:
            parts.append(f"## {split.capitalize()} results (entity-level F1, %)\n\n{results_table(meta['scores'][split])}")
    for view, rows in meta.get("benchmarks", {}).items():
        parts.append(f"## Outside benchmarks ({view} types; `ilner benchmark`)\n\n{benchmarks_table(rows)}")
    parts.append(
        "## Use\n\nWith ilner, which tokenizes raw text, applies the script transform recorded in "
        "`ilner.json` and decodes valid IOB2 (entity offsets point into your text):\n\n"
        f"```bash\necho \"{example}\" | ilner predict PATH\n```\n\n"
        "```python\nfrom ilner.inference.tagger import Tagger\nTagger.load(PATH)([\"...\"])\n```\n\n"
        "Or as a plain transformers token classifier (one label per word, on its first sub-word):\n\n"
        "```python\nfrom transformers import AutoModelForTokenClassification\n"
        + ("from ilner.models.bilstm_crf import register\nregister()  # ilner's own architecture\n"
           if architecture == "bilstm-crf" else "")
        + "model = AutoModelForTokenClassification.from_pretrained(PATH)\n```"
    )
    return "\n\n".join(p for p in parts if p) + "\n"

