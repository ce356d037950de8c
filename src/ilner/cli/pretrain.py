"""``ilner pretrain``: masked-language-model pre-training of a from-scratch encoder on raw text."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ilner.cli._app import app, finite_float, progress


@app.command("pretrain")
def pretrain(
    output_dir: Annotated[str, typer.Option("--output-dir", "-o", help="Where to write the pre-trained model.")],
    corpora: Annotated[Optional[list[str]], typer.Option("--corpus", help="A dataset address or NER file whose words are used (tags ignored). Repeatable.")] = None,
    raw: Annotated[Optional[list[Path]], typer.Option("--raw", help="A raw text file, one document per line. Repeatable.")] = None,
    config: Annotated[Optional[Path], typer.Option("--config", "-c", help="YAML config whose scratch model, epochs, learning_rate, batch_size are used.")] = None,
    preset: Annotated[Optional[str], typer.Option("--preset", help="A shipped config instead of --config (e.g. cpu).")] = None,
    overrides: Annotated[Optional[list[str]], typer.Option("--set", help="Override a config key: key=value. Repeatable.")] = None,
    mask_probability: Annotated[float, typer.Option(parser=finite_float, help="Share of pieces to mask.")] = 0.15,
) -> None:
    """Pre-train the config's scratch encoder (scratch.architecture) as a masked language model.

    The result is a model directory to fine-tune for NER: the paper's pretrain-then-fine-tune
    path, offline.

    Example: ilner pretrain --preset cpu --corpus 'il-ner:*:train' --raw my-news.txt --set epochs=3 -o runs/pretrained
             ilner train --preset cpu --model runs/pretrained
    """
    from ilner.data.files import check_writable
    from ilner.errors import IlnerError
    from ilner.training import load_config
    from ilner.training.config import preset_path
    from ilner.training.pretrain import run_pretraining

    if preset and config:
        raise IlnerError("give either --preset or --config, not both")
    resolved = load_config(preset_path(preset) if preset else config, [*(overrides or []), f"output_dir={output_dir}"])
    if not corpora and not raw:
        raise IlnerError("give the text to pre-train on: --corpus ADDRESS_OR_FILE and/or --raw FILE")
    check_writable(resolved.output_dir, folder=True)
    run_pretraining(resolved, corpora or [], [str(p) for p in raw or []], mask_probability=mask_probability,
                    log=progress)
