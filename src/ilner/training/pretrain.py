"""Masked-language-model pre-training of a from-scratch encoder on raw text, offline.

The paper fine-tunes an encoder that was pre-trained on raw text. ``run_pretraining`` does the
same with no downloads: it builds the config's scratch model (tokenizer and encoder, either
architecture) from the text, trains it to restore masked pieces (BERT's 15%: 80% ``<mask>``,
10% a random piece, 10% unchanged), and saves a Hugging Face directory that
``ilner train --model DIR`` fine-tunes for NER.

Text comes from NER corpora (dataset addresses or CoNLL/JSONL files; their tags are ignored) and
from raw text files (one document per line, tokenized by ilner.text.tokenize). There is no
``--resume``: pre-training runs are short, and a killed one is simply run again.
"""

from __future__ import annotations

import math
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ilner import __version__
from ilner.data.sources import load_corpora
from ilner.errors import IlnerError
from ilner.inference.scores import pad_batch
from ilner.models.encoding import WordEncoder, model_input
from ilner.text.tokenize import split_sentences, tokenize
from ilner.text.transliterate import get_transform
from ilner.training.config import TrainConfig
from ilner.training.optim import adamw
from ilner.models.directory import ModelMeta
from ilner.training.output import write_model_dir
from ilner.training.progress import Progress

Log = Callable[[str], None]


@dataclass
class PretrainResult:
    output_dir: Path
    sentences: int
    steps: int
    final_loss: float
    seconds: float


def read_texts(corpora: Sequence[str] = (), raw: Sequence[str] = (), data_dir: str | None = None,
               log: Log = print) -> list[list[str]]:
    """Word lists from NER corpora (addresses or files; tags ignored) and raw text files (one
    document per line, tokenized and split into sentences)."""
    from ilner.data.files import read_text

    sentences: list[list[str]] = []
    if corpora:
        for _, corpus in load_corpora(corpora, data_dir=data_dir, keep_unknown=True, progress=log):
            sentences += [list(s.tokens) for s in corpus.sentences]
    for path in raw:
        text, _ = read_text(path)
        for line in text.splitlines():
            tokens = tokenize(line)
            sentences += [[t.text for t in tokens[a:b]] for a, b in split_sentences(tokens)]
    return [s for s in sentences if s]


def mask_pieces(input_ids: np.ndarray, attention: np.ndarray, special: set[int], mask_id: int, vocab_size: int,
                rng: np.random.Generator, probability: float = 0.15) -> tuple[np.ndarray, np.ndarray]:
    """(masked input ids, labels): BERT's masking of ordinary pieces; labels -100 where not masked."""
    ordinary = (attention == 1) & ~np.isin(input_ids, list(special))
    chosen = ordinary & (rng.random(input_ids.shape) < probability)
    labels = np.where(chosen, input_ids, -100)
    draw = rng.random(input_ids.shape)
    masked = input_ids.copy()
    masked[chosen & (draw < 0.8)] = mask_id
    swap = chosen & (draw >= 0.8) & (draw < 0.9)
    masked[swap] = rng.integers(len(special), vocab_size, size=int(swap.sum()))
    return masked, labels


def run_pretraining(
    config: TrainConfig, corpora: Sequence[str] = (), raw: Sequence[str] = (), *, mask_probability: float = 0.15,
    log: Log = print,
) -> PretrainResult:
    """Build ``config.scratch``'s model from the text of ``corpora`` and ``raw`` files and
    pre-train it; saved to ``config.output_dir``."""
    import torch
    from transformers import AutoModelForMaskedLM, AutoTokenizer, get_linear_schedule_with_warmup

    from ilner.models.loading import quiet_transformers, register_architectures
    from ilner.models.scratch import build_scratch_model

    started = time.time()
    quiet_transformers()
    register_architectures()
    if config.model != "scratch":
        raise IlnerError(f"pre-training builds a model from scratch (model: scratch), not from {config.model}")
    if config.scratch.architecture == "bilstm-crf" and not config.scratch.ensemble_size:
        raise IlnerError("scratch.ensemble_size 0 is a feature CRF alone (as in --preset crf): it has no encoder to "
                         "pre-train; pre-train a config with taggers, e.g. --preset cpu")
    if not 0.0 < mask_probability < 1.0:
        raise IlnerError("mask_probability must be between 0 and 1")
    sentences = read_texts(corpora, raw, config.data_dir, log)
    if not sentences:
        raise IlnerError(f"no text to pre-train on in {', '.join([*corpora, *raw])}")
    transform = get_transform(config.script)
    output_dir = Path(config.output_dir)
    spec = config.scratch
    build_dir = output_dir.with_name(output_dir.name + ".init")
    lines = (" ".join(model_input(w, transform) for w in s) for s in sentences)
    log(f"{len(sentences)} sentences; building a {spec.architecture} from their text")
    torch.manual_seed(config.seed)
    if spec.architecture == "bilstm-crf":
        from ilner.models.bilstm_crf import build_bilstm_crf_model

        build_bilstm_crf_model(build_dir, lines, spec=spec, seed=config.seed, masked_lm=True)
    else:
        build_scratch_model(build_dir, lines, spec=spec, seed=config.seed, masked_lm=True)
    model = AutoModelForMaskedLM.from_pretrained(build_dir, use_safetensors=True, trust_remote_code=False)
    tokenizer = AutoTokenizer.from_pretrained(build_dir, trust_remote_code=False)
    encoder = WordEncoder(tokenizer, config.max_length, config.window_overlap, transform)
    windows = encoder.windows(sentences)
    special = set(tokenizer.all_special_ids)

    optimizer = adamw(model.parameters(), config.learning_rate, "cpu", config.weight_decay)
    steps_per_epoch = math.ceil(len(windows) / config.batch_size)
    total = steps_per_epoch * config.epochs
    scheduler = get_linear_schedule_with_warmup(optimizer, int(config.warmup_ratio * total), total)
    rng = np.random.default_rng(config.seed)
    progress = Progress(total, log)
    model.train()
    for epoch in range(config.epochs):
        progress.epoch(epoch + 1, config.epochs)
        loss_sum, loss_count = 0.0, 0
        order = rng.permutation(len(windows))
        for begin in range(0, len(order), config.batch_size):
            chunk = [windows[i] for i in order[begin:begin + config.batch_size]]
            batch = pad_batch(chunk, tokenizer.pad_token_id)
            masked, labels = mask_pieces(batch["input_ids"], batch["attention_mask"], special,
                                         tokenizer.mask_token_id, len(tokenizer), rng, mask_probability)
            if (labels == -100).all():
                continue
            loss = model(input_ids=torch.from_numpy(masked), attention_mask=torch.from_numpy(batch["attention_mask"]),
                         labels=torch.from_numpy(labels)).loss
            loss.backward()
            if config.max_grad_norm:
                torch.nn.utils.clip_grad_norm_(model.parameters(), config.max_grad_norm)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            loss_sum, loss_count = loss_sum + loss.item(), loss_count + 1
            progress.step(loss_sum / loss_count, sum(len(w.word_starts) for w in chunk), scheduler.get_last_lr()[0])
        final_loss = loss_sum / loss_count if loss_count else float("nan")
        log(f"epoch {epoch + 1}: masked-piece loss {final_loss:.4f}")
    progress.close()
    seconds = time.time() - started
    meta = ModelMeta(ilner_version=__version__, pretraining={
        "corpora": list(corpora), "raw": list(raw), "sentences": len(sentences), "windows": len(windows), "steps": progress.done,
        "mask_probability": mask_probability, "final_loss": final_loss, "seconds": round(seconds, 1)},
        script=config.script, max_length=config.max_length, window_overlap=config.window_overlap,
        config=config.to_dict())
    output_dir.mkdir(parents=True, exist_ok=True)
    write_model_dir(output_dir, model, tokenizer, meta, card=False)
    shutil.rmtree(build_dir, ignore_errors=True)
    log(f"pre-trained model written to {output_dir} ({seconds:.0f} s); fine-tune it with "
        f"ilner train --model {output_dir}")
    return PretrainResult(output_dir, len(sentences), progress.done, final_loss, seconds)
