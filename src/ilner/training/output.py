"""The model directory a run leaves: Hugging Face files, ``ilner.json`` and a model card.

Written atomically for loaders: every file is staged first, the old ``config.json`` (what
``from_pretrained`` needs) is removed before any file is replaced, and the new one is moved in
last. A crash at any moment leaves the old model, no loadable model, or the new one; never a mix.
An ONNX export of the old weights is removed first: it would tag with the old model. Every file
gets the mode ``open()`` gives.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ilner.data.files import new_file_mode, sha256_of
from ilner.models.directory import CONFIG_FILE, WEIGHTS_FILE, ModelMeta
from ilner.training.modelcard import model_card


def write_model_dir(output_dir: Path, model, tokenizer, meta: ModelMeta, card: bool = True) -> None:
    staging = output_dir / ".staging"
    shutil.rmtree(staging, ignore_errors=True)
    model.save_pretrained(staging)
    tokenizer.save_pretrained(staging)
    meta.weights_sha256 = sha256_of(staging / WEIGHTS_FILE)
    meta.write(staging)
    if card:
        (staging / "README.md").write_text(model_card(meta.to_dict()), encoding="utf-8")
    for path in staging.iterdir():  # safetensors writes its files private (0600), unlike every other file
        path.chmod(new_file_mode())
    (output_dir / CONFIG_FILE).unlink(missing_ok=True)
    shutil.rmtree(output_dir / "onnx", ignore_errors=True)
    for path in sorted(staging.iterdir()):
        if path.name != CONFIG_FILE:
            os.replace(path, output_dir / path.name)
    os.replace(staging / CONFIG_FILE, output_dir / CONFIG_FILE)
    staging.rmdir()
