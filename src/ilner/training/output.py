"""The model directory a run leaves: Hugging Face files, ``ilner.json`` and a model card.

Written atomically for loaders: every file is staged first, the old ``config.json`` (what
``from_pretrained`` needs) is removed before any file is replaced, and the new one is moved in
last. A crash at any moment leaves the old model, no loadable model, or the new one; never a mix.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from ilner.training.modelcard import model_card


def write_model_dir(output_dir: Path, model, tokenizer, meta: dict, card: bool = True) -> None:
    staging = output_dir / ".staging"
    shutil.rmtree(staging, ignore_errors=True)
    model.save_pretrained(staging)
    tokenizer.save_pretrained(staging)
    (staging / "ilner.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    if card:
        (staging / "README.md").write_text(model_card(meta), encoding="utf-8")
    (output_dir / "config.json").unlink(missing_ok=True)
    for path in sorted(staging.iterdir()):
        if path.name != "config.json":
            os.replace(path, output_dir / path.name)
    os.replace(staging / "config.json", output_dir / "config.json")
    staging.rmdir()
