"""Fine-tune a token classifier on NER corpora. ``run_training`` reads as the steps it takes:

1. ``load_splits``: read and check the data (repairs as ``ilner data check`` reports them);
2. ``prepare_run_folder``: recover the last checkpoint, or forget the earlier run when not resuming;
3. ``starting_model``: load the model for the tagset (safely: see ilner.models.loading) or build
   one from scratch, optionally add vocabulary; ``encode_training_data``: encode words into
   overlapping windows (nothing truncated);
4. ``build_optimisation``: AdamW and a linear schedule, through Accelerate (CPU, GPU, several
   processes); ``restore_state`` puts a checkpoint's training state back when resuming;
5. ``train_while_improving``: a generator of optimizer steps and epoch ends, which scores dev after
   each epoch (strict F1 selects the model), with batching (``batch_maker``) and dev scoring
   (``dev_evaluator``) passed in; ``run_training`` saves what it yields: checkpoints, atomically,
   every ``save_every_steps`` and at each epoch's end, dev records, the best weights;
6. ``finish``: score test with the best weights and write a Hugging Face model directory with
   ``ilner.json`` and a model card.

A run killed at any point continues with ``resume=True`` from its last checkpoint and ends with
the same weights as an uninterrupted run: batch order depends only on (seed, epoch), and the
checkpoint holds the model, optimizer, scheduler and random states.
"""

from __future__ import annotations

import json
import math
import os
import platform
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path

import numpy as np

from ilner import __version__
from ilner.data.corpus import Sentence
from ilner.data.schemes import iob2_to_bioes
from ilner.data.sources import load_corpora
from ilner.data.tagsets import Tagset, load_mapping, load_tagset
from ilner.errors import IlnerError
from ilner.evaluation.metrics import Scores, evaluate_by_language, evaluate_sentences
from ilner.inference.decoding import O_PENALTIES
from ilner.inference.tagger import Tagger
from ilner.inference.scores import TorchRunner
from ilner.models.encoding import Window, WordEncoder, model_input, window_labels
from ilner.models.directory import META_FILE, ModelMeta, read_config, read_meta
from ilner.models.loading import HeadInit, load_token_classifier, quiet_transformers
from ilner.text.transliterate import get_transform
from ilner.training.checkpoints import Checkpoints, TrainerState, damaged_checkpoint
from ilner.training.config import TrainConfig
from ilner.training.data import Split, read_split
from ilner.training.optim import adamw
from ilner.training.output import write_model_dir
from ilner.training.progress import Progress

Log = Callable[[str], None]


# Config keys that may change between a run and its resumption.
# Settings that do not change how a run trains (what comes after it, how it is tuned and scored).
_RESUMABLE_CHANGES = ("output_dir", "description", "save_every_steps", "eval_batch_size", "data_dir",
                      "language_stages", "tune_o_penalty")


def _settings(values: dict, init_from: str | None) -> dict:
    """What a run trains with: its config (as a dict) less the resumable keys, and the model it
    continues (a local one by its resolved path: runs/x and /abs/runs/x are one model)."""
    kept = {k: v for k, v in values.items() if k not in _RESUMABLE_CHANGES}
    if init_from and Path(init_from).exists():
        init_from = str(Path(init_from).resolve())
    return json.loads(json.dumps({**kept, "init_from": init_from}))


def _fingerprint(config: TrainConfig, accelerator, init_from: str | None) -> dict:
    """What a resumed run must share with the checkpoint to end with the same weights: the
    settings, the number of processes, and the precision and device that mixed_precision=auto
    resolved to (an fp16 checkpoint continued in bf16, or on the CPU, would train otherwise)."""
    return {**_settings(config.to_dict(), init_from), "processes": accelerator.num_processes,
            "precision": accelerator.mixed_precision, "device": accelerator.device.type}


def _changed(a: dict, b: dict) -> list[str]:
    return sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))


def settings_changed(config: TrainConfig, output_dir: Path, init_from: str | None = None) -> list[str]:
    """The settings in which the finished model in ``output_dir`` was trained otherwise than ``config``
    (continuing ``init_from``) says: such a model is no finished stage of this run."""
    meta = read_meta(output_dir)
    return _changed(_settings(config.to_dict(), init_from), _settings(meta.config, meta.init_from))


@dataclass
class RunResult:
    output_dir: Path
    dev: dict[str, dict[str, Scores]] | None
    test: dict[str, dict[str, Scores]] | None
    seconds: float
    head: dict
    only_language: str | None = None  # the one language a language stage learnt and was scored on


# ---------------------------------------------------------------------------------------------
# The run


def run_training(
    config: TrainConfig, *, resume: bool = False, init_from: str | None = None, log: Log = print,
) -> RunResult:
    """Train one model as ``config`` says and write it to ``config.output_dir``."""
    from accelerate.utils import set_seed

    started = time.time()
    quiet_transformers()
    output_dir = Path(config.output_dir)
    source = Path(init_from or config.model)
    if source.exists() and source.resolve() == output_dir.resolve():
        raise IlnerError(f"output_dir {output_dir} is the model training starts from; choose another output_dir")
    accelerator = _accelerator(config.mixed_precision)
    if not accelerator.is_main_process:
        log = lambda message: None  # noqa: E731 - one voice in multi-process runs
    set_seed(config.seed, device_specific=True)
    # 1. Data, read (like the starting model checked) before an earlier run's files are removed:
    # a config mistake must not cost the previous model.
    check_starting_model(source, script=config.script, max_length=config.max_length)
    tagset = load_tagset(config.tagset)
    labels = list(tagset.labels_for(config.tag_scheme))
    splits = load_splits(config, tagset, log)

    # 2. The run folder.
    checkpoints, resuming = prepare_run_folder(output_dir, accelerator, resume=resume, log=log)

    # 3. Model, vocabulary, encoding.
    start = starting_model(config, labels, splits.train.sentences, checkpoints.init, accelerator, resuming=resuming,
                           init_from=init_from, log=log)
    encoder = WordEncoder(start.tokenizer, config.max_length, config.window_overlap, get_transform(config.script))
    data = encode_training_data(splits.train, encoder, labels, config.tag_scheme, log)

    # 4. Optimiser, schedule, and where training stands.
    optimizer, scheduler, steps_per_epoch, total_steps = build_optimisation(
        start.model, accelerator, data.epoch_size(config.entity_free_share), epochs=config.epochs, batch_size=config.batch_size,
        accumulation=config.gradient_accumulation_steps, learning_rate=config.learning_rate,
        weight_decay=config.weight_decay, warmup_ratio=config.warmup_ratio)
    model, optimizer = accelerator.prepare(start.model, optimizer)
    metrics_path = output_dir / "metrics.jsonl"
    state = restore_state(checkpoints, accelerator, model, optimizer, scheduler, _fingerprint(config, accelerator, init_from),
                          resuming=resuming, metrics_path=metrics_path, log=log)
    unwrapped = accelerator.unwrap_model(model)
    tagger = _tagger(unwrapped, encoder, labels, accelerator, decoding=config.decoding,
                     batch_size=config.eval_batch_size, o_penalty=config.o_penalty)

    # 5. Train. The loop yields each optimizer step and each epoch's end; what is saved and
    # reported of them is decided here.
    steps = train_while_improving(
        model, optimizer, scheduler, accelerator, state, epochs=config.epochs,
        accumulation=config.gradient_accumulation_steps, max_grad_norm=config.max_grad_norm,
        make_batches=batch_maker(data, seed=config.seed, batch_size=config.batch_size,
                                 sampling_temperature=config.sampling_temperature, sampling_unit=config.sampling_unit,
                                 entity_free_share=config.entity_free_share, process=accelerator.process_index, processes=accelerator.num_processes),
        collate=partial(_collate, data, encoder, accelerator.device),
        evaluate=dev_evaluator(tagger, splits.dev) if splits.dev and accelerator.is_main_process else None,
    )
    progress = Progress(total_steps, log, enabled=accelerator.is_main_process)
    progress.advance_to(state.step)
    if state.epoch < config.epochs:  # the bar names each epoch as it starts: this one, then after each end
        progress.epoch(state.epoch + 1, config.epochs)
    for _, info, is_best in steps:
        if not info.epoch_end:
            progress.step(info.loss, info.words, info.learning_rate)
            if config.save_every_steps and info.step % config.save_every_steps == 0:
                checkpoints.save(accelerator, model, optimizer, scheduler, state)
            continue
        if is_best is not None:
            with metrics_path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(info.record) + "\n")
            if is_best:
                checkpoints.save_best(unwrapped)
            log(f"epoch {info.epoch}: loss {info.loss:.4f}, dev strict F1 {100 * info.dev_f1:.2f}"
                + (" (best)" if is_best else f" (best {100 * state.best_f1:.2f} at epoch {state.best_epoch})"))
        checkpoints.save(accelerator, model, optimizer, scheduler, state)
        if info.epoch < config.epochs:
            progress.epoch(info.epoch + 1, config.epochs)
    progress.close()

    # 6. Best weights, final scores, model directory.
    if accelerator.is_main_process:
        result = finish(config, unwrapped, tagger, splits, start, checkpoints=checkpoints, tagset=tagset.name,
                        train_windows=len(data.windows), steps_per_epoch=steps_per_epoch,
                        best_epoch=state.best_epoch, init_from=init_from, started=started, log=log)
    else:
        result = RunResult(output_dir, None, None, 0.0, start.head.to_dict())
    accelerator.wait_for_everyone()
    return result


def _accelerator(mixed_precision: str):
    import torch
    from accelerate import Accelerator

    from datetime import timedelta

    from accelerate.utils import InitProcessGroupKwargs

    gpu = torch.cuda.is_available()
    precision = mixed_precision
    if precision == "auto":
        precision = ("bf16" if torch.cuda.is_bf16_supported() else "fp16") if gpu else "no"
    if precision == "fp16" and not gpu:
        raise IlnerError("mixed_precision fp16 needs a GPU; on the CPU use bf16 or no")
    # cpu=True also makes a multi-process launch on a machine without GPUs use gloo. Other
    # processes wait while the main one evaluates, which can take long on a CPU.
    accelerator = Accelerator(
        mixed_precision=precision, cpu=not gpu,
        kwargs_handlers=[InitProcessGroupKwargs(timeout=timedelta(hours=4))],
    )
    if accelerator.num_processes != int(os.environ.get("WORLD_SIZE", "1")):
        raise IlnerError(
            "the launcher started several processes that do not form one group; on CPU use "
            "`accelerate launch --multi_gpu --num_processes N -m ilner train ...` with ACCELERATE_USE_CPU=true"
        )
    return accelerator


# ---------------------------------------------------------------------------------------------
# 1. Data


@dataclass
class Splits:
    """A run's data; ``train`` is never empty and holds only labels of the run's tagset."""

    train: Split
    dev: Split
    test: Split


def load_splits(config: TrainConfig, tagset: Tagset, log: Log) -> Splits:
    """Read train, dev and test (only ``only_language``'s sentences where set), refusing training
    data that is empty or has labels outside ``tagset``."""
    read = partial(read_split, log=log, tagset=config.tagset, data_dir=config.data_dir,
                   data_mapping=config.data_mapping, data_mappings=config.data_mappings,
                   keep_unknown=config.keep_unknown)
    train = read(config.train, limit=config.max_train_sentences)
    dev = read(config.dev) if config.dev else Split([], [])
    test = read(config.test) if config.test else Split([], [])
    if config.only_language:
        found = sorted({s.language or "unknown" for s in train.sentences})
        train, dev, test = (split.only(config.only_language) for split in (train, dev, test))
        if not train:
            raise no_sentences_of(config.only_language, found)
        log(f"only {config.only_language}: {len(train)} train, {len(dev)} dev, {len(test)} test sentences")
    if not train:
        raise IlnerError("no training sentences: check the 'train' entries of the config")
    partly = sum(origin.annotation is not None for origin in train.origins)
    if partly:
        log(f"{partly} of {len(train)} training sentences come from corpora that annotate {tagset.name}'s types in "
            "part: the loss counts every tagging consistent with what they mark; dev and test sentences of such "
            "corpora are scored on the types they annotate fully")
    known = set(tagset.labels)  # the data's IOB2 tags, whichever scheme the model learns
    unknown = {t for s in train.sentences for t in s.tags if t not in known}
    if unknown:
        raise IlnerError(
            f"the training data has labels outside tagset {tagset.name}: {', '.join(sorted(unknown))} "
            "(kept by keep_unknown); drop keep_unknown, or train with a tagset that has these types"
        )
    return Splits(train, dev, test)


def no_sentences_of(language: str, found) -> IlnerError:
    """The error for an only_language that the training data lacks, naming what it has."""
    return IlnerError(f"only_language: no training sentences of {language!r} "
                      f"(the training data has {', '.join(sorted(found)) or 'no files'})")


# ---------------------------------------------------------------------------------------------
# 2. The run folder


def prepare_run_folder(output_dir: Path, accelerator, *, resume: bool, log: Log) -> tuple[Checkpoints, bool]:
    """The run's checkpoints, and whether training resumes from the last one: with ``resume`` and
    a checkpoint to continue (one left between the renames of a save is put back first). A run
    that does not resume removes the earlier run's checkpoints and model, so nothing stale remains."""
    checkpoints = Checkpoints(output_dir)
    if accelerator.is_main_process:
        checkpoints.recover()
    accelerator.wait_for_everyone()
    resuming = resume and checkpoints.available()
    if resume and not resuming:
        log(f"no checkpoint in {checkpoints.root}: starting from the beginning")
    if not resuming and accelerator.is_main_process:
        if checkpoints.root.exists() or (output_dir / "config.json").exists():
            log(f"starting afresh in {output_dir} (its earlier model and checkpoints are removed; "
                "--resume continues a run)")
        forget_run(output_dir)
    checkpoints.root.mkdir(parents=True, exist_ok=True)
    accelerator.wait_for_everyone()
    return checkpoints, resuming


def forget_run(output_dir: Path) -> None:
    """Remove a run's checkpoints and model marks, so that nothing stale resumes or looks finished."""
    shutil.rmtree(Checkpoints(output_dir).root, ignore_errors=True)
    for stale in ("config.json", "ilner.json", "metrics.jsonl"):
        (output_dir / stale).unlink(missing_ok=True)


# ---------------------------------------------------------------------------------------------
# 3. Model and encoding


@dataclass
class StartingModel:
    """The model a run starts from, its tokenizer, how its head was set up, and the words added to
    its vocabulary."""

    model: object
    tokenizer: object
    head: HeadInit
    added: list[str]


def check_starting_model(source: Path, *, script: str, max_length: int) -> None:
    """Refuse to continue a local model that cannot read this run's input: one trained on text in
    another script than ``script`` (its tokenizer would see unknown pieces), or one with fewer
    positions than ``max_length`` (its position table would overflow)."""
    config_path = source / "config.json"
    if (source / META_FILE).is_file():
        trained = read_meta(source).script
        if trained != script:
            raise IlnerError(f"{source} was trained on text in script {trained!r}, but this run uses script "
                             f"{script!r}; set the model's script: --set script={trained}")
    if config_path.is_file():
        model_config = read_config(source)
        positions = model_config.get("max_position_embeddings")
        if positions and "roberta" in model_config.get("model_type", ""):
            positions -= model_config.get("pad_token_id", 1) + 1  # RoBERTa counts positions after the padding id
        if positions and max_length > positions:
            raise IlnerError(f"max_length {max_length} is more than the {positions} positions {source} "
                             f"takes; --set max_length={positions}")


def starting_model(
    config: TrainConfig, labels: list[str], train: list[Sentence], init_dir: Path, accelerator, *,
    resuming: bool, init_from: str | None, log: Log,
) -> StartingModel:
    """The model this run trains. A fresh run's main process builds or loads it (and saves it to
    ``init_dir``) and trains that very object; a resumed run, and the other processes, read the copy."""
    if resuming:
        return load_prepared(init_dir, labels)
    start = prepare_model(config, labels, train, init_dir, log, init_from) if accelerator.is_main_process else None
    accelerator.wait_for_everyone()
    return start if start is not None else load_prepared(init_dir, labels)


def prepare_model(
    config: TrainConfig, labels: list[str], train: list[Sentence], init_dir: Path, log: Log, init_from: str | None
) -> StartingModel:
    """Build or load the model and tokenizer for ``labels``; save them to ``init_dir`` as the run's
    starting point (which --resume and the other processes of a multi-process run read)."""
    from ilner.models.scratch import build_scratch_model
    from ilner.models.vocabulary import augment_vocabulary

    source = init_from or config.model
    mapping = load_mapping(config.init_mapping) if config.init_mapping and not init_from else None
    if source == "scratch":
        spec = config.scratch
        scratch_dir = init_dir.with_name("scratch")
        shutil.rmtree(scratch_dir, ignore_errors=True)
        transform = get_transform(config.script)
        # Only the words of scratch_text are used, so its tagset does not matter.
        extra = [s for _, corpus in load_corpora(config.scratch_text, data_dir=config.data_dir,
                                                  keep_unknown=True, progress=log) for s in corpus.sentences]
        texts = (" ".join(model_input(w, transform) for w in s.tokens) for s in [*train, *extra])
        if spec.architecture == "bilstm-crf":
            from ilner.data.gazetteers import load_gazetteers
            from ilner.models.bilstm_crf import MAX_GAZETTEER_WORDS, build_bilstm_crf_model

            members = [f"{spec.ensemble_size} BiLSTM-CRF{'s' if spec.ensemble_size != 1 else ''} ({spec.num_layers} "
                       f"layer{'s' if spec.num_layers != 1 else ''}, {spec.hidden_size} per direction)"] if spec.ensemble_size else []
            members += ["a feature CRF"] if spec.linear_member else []  # the crf preset: this alone
            log(f"building {' and '.join(members)} over training words seen {spec.word_min_count}+ times and "
                f"{spec.vocab_size} sub-word pieces")
            names = load_gazetteers(spec.gazetteers, {s.language for s in [*train, *extra] if s.language})
            gazetteer = [name for name in names if len(name[0]) <= MAX_GAZETTEER_WORDS]
            build_bilstm_crf_model(scratch_dir, texts, labels, spec=spec, seed=config.seed, gazetteer=gazetteer,
                                   transform=transform)
            if spec.gazetteers:
                kept = json.loads((scratch_dir / "config.json").read_text(encoding="utf-8"))["gazetteer_size"]
                types = Counter(t for _, t in names)
                log(f"gazetteer ({', '.join(spec.gazetteers)}): {len(names)} names ("
                    + ", ".join(f"{n} {t}" for t, n in sorted(types.items())) + f"), {kept} kept; left out: "
                    + f"{len(names) - len(gazetteer)} of more than {MAX_GAZETTEER_WORDS} words, "
                    + f"{len(gazetteer) - kept} with characters the training text never shows")
        else:
            log(f"building a {spec.num_layers}-layer, {spec.hidden_size}-wide encoder and a "
                f"{spec.vocab_size}-piece tokenizer from the training text")
            build_scratch_model(scratch_dir, texts, spec=spec, seed=config.seed)
        source = str(scratch_dir)
    model, tokenizer, head = load_token_classifier(source, labels, mapping)
    if head.how == "mapped":
        log(f"classifier rows carried over from {source}: "
            + ", ".join(f"{new}<-{'+'.join(old)}" for new, old in head.carried.items())
            + f"; fresh: {', '.join(head.fresh) or 'none'}")
    added: list[str] = []
    if config.vocab_augmentation:
        transform = get_transform(config.script)
        added = augment_vocabulary(tokenizer, model, (w for s in train for w in s.tokens),
                                   config.vocab_augmentation, transform=transform)
        log(f"vocabulary augmentation: added {len(added)} words, e.g. {', '.join(added[:8])}")
    tmp = init_dir.with_name(init_dir.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    (tmp / "head.json").write_text(json.dumps({"head": head.to_dict(), "added_tokens": added}), encoding="utf-8")
    shutil.rmtree(init_dir, ignore_errors=True)
    os.replace(tmp, init_dir)
    return StartingModel(model, tokenizer, head, added)


def load_prepared(init_dir: Path, labels: list[str]) -> StartingModel:
    """The starting model saved by ``prepare_model``."""
    model, tokenizer, _ = load_token_classifier(str(init_dir), labels)
    try:
        saved = json.loads((init_dir / "head.json").read_text(encoding="utf-8"))
        head = HeadInit(None, saved["head"]["carried"], saved["head"]["fresh"], saved["head"]["how"])
        return StartingModel(model, tokenizer, head, saved["added_tokens"])
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as error:
        raise damaged_checkpoint(init_dir / "head.json", f"cannot be read: {error!r}") from None


@dataclass
class TrainingData:
    """The training sentences as the model learns them: windows of word pieces, each with its
    label ids, the labels each word may have where its corpus annotates in part (None where its
    labels are exact), its sentence's language and corpus (the units of sampling), and whether
    its words hold no entity."""

    windows: list[Window]
    targets: list[list[int]]
    allowed: list[np.ndarray | None]  # [pieces, labels] bool, set at the words' first pieces
    languages: list[str]
    corpora: list[str]
    entity_free: np.ndarray  # [windows] bool

    def units(self, sampling_unit: str) -> list[str]:
        """Each window's unit of sampling: its ``language`` or its ``corpus``."""
        return self.languages if sampling_unit == "language" else self.corpora

    def epoch_size(self, entity_free_share: float) -> int:
        """Windows an epoch draws when it keeps ``entity_free_share`` of the entity-free ones."""
        free = int(self.entity_free.sum())
        return len(self.windows) - free + _kept(free, entity_free_share)


def encode_training_data(
    train: Split, encoder: WordEncoder, labels: list[str], tag_scheme: str, log: Log
) -> TrainingData:
    """Encode ``train`` into overlapping windows labelled with ids of ``labels`` (in ``tag_scheme``)."""
    sentences = train.sentences
    windows = encoder.windows([s.tokens for s in sentences])
    label_ids = {label: i for i, label in enumerate(labels)}
    learnt = iob2_to_bioes if tag_scheme == "bioes" else list
    targets = [window_labels(w, [label_ids[t] for t in learnt(sentences[w.sentence].tags)]) for w in windows]
    allowed_words = {i: origin.allowed(tag_scheme) for i, origin in enumerate(train.origins) if origin.annotation}
    allowed = [_window_allowed(w, allowed_words[w.sentence], label_ids) if w.sentence in allowed_words else None
               for w in windows]
    languages = [sentences[w.sentence].language or "unknown" for w in windows]
    corpora = [train.origins[w.sentence].corpus for w in windows]
    # A partly annotated sentence's own tags say whether it marks an entity (its run tags may not).
    tags = [train.origins[i].source_tags or s.tags for i, s in enumerate(sentences)]
    entity_free = np.array([all(t == "O" for t in tags[w.sentence][w.first_word:w.end_word]) for w in windows])
    long_sentences = len(windows) - len(sentences)
    log(f"{len(sentences)} training sentences -> {len(windows)} windows"
        + (f" ({long_sentences} extra windows for sentences longer than {encoder.max_length} pieces)" if long_sentences else ""))
    return TrainingData(windows, targets, allowed, languages, corpora, entity_free)


def _window_allowed(window: Window, per_word: list[frozenset[str]], label_ids: dict[str, int]) -> np.ndarray:
    """The labels each word of ``window`` may have, at its first piece (other rows: all labels)."""
    allowed = np.ones((len(window), len(label_ids)), dtype=bool)
    for position, labels in zip(window.word_starts, per_word[window.first_word:window.end_word]):
        allowed[position] = False
        allowed[position, [label_ids[label] for label in labels]] = True
    return allowed


# ---------------------------------------------------------------------------------------------
# 4. Optimisation


def build_optimisation(
    model, accelerator, windows: int, *, epochs: int, batch_size: int, accumulation: int, learning_rate: float,
    weight_decay: float, warmup_ratio: float,
) -> tuple[object, object, int, int]:
    """AdamW (biases and layer norms without weight decay) and a linear schedule with warmup over
    the run's optimizer steps; returns (optimizer, scheduler, steps per epoch, steps in all)."""
    from transformers import get_linear_schedule_with_warmup

    no_decay = ("bias", "LayerNorm.weight", "layer_norm.weight")
    groups = [
        {"params": [p for n, p in model.named_parameters() if not n.endswith(no_decay)], "weight_decay": weight_decay},
        {"params": [p for n, p in model.named_parameters() if n.endswith(no_decay)], "weight_decay": 0.0},
    ]
    optimizer = adamw(groups, learning_rate, accelerator.device)
    batches_per_epoch = math.ceil(math.ceil(windows / batch_size) / accelerator.num_processes)
    steps_per_epoch = math.ceil(batches_per_epoch / accumulation)
    total_steps = steps_per_epoch * epochs
    scheduler = get_linear_schedule_with_warmup(optimizer, int(warmup_ratio * total_steps), total_steps)
    return optimizer, scheduler, steps_per_epoch, total_steps


def restore_state(
    checkpoints: Checkpoints, accelerator, model, optimizer, scheduler, fingerprint: dict, *, resuming: bool,
    metrics_path: Path, log: Log,
) -> TrainerState:
    """Where training stands: at the beginning, or where the last checkpoint left it, with the
    (prepared) model, optimizer, scheduler and random states put back and ``metrics_path`` cut
    back to the checkpoint's history. A checkpoint of a run with other settings is refused."""
    if not resuming:
        return TrainerState(fingerprint=fingerprint)
    state = checkpoints.state()
    changed = _changed(fingerprint, state.fingerprint) if state.fingerprint else []
    if changed:
        raise IlnerError(
            f"cannot resume {checkpoints.last}: the run was started with other settings ({', '.join(changed)}); "
            "resume with the same config, number of processes and device, or start afresh without --resume"
        )
    checkpoints.restore(accelerator, model, optimizer, scheduler)
    log(f"resuming from {checkpoints.last} (epoch {state.epoch + 1}, batch {state.batch}, step {state.step})")
    if accelerator.is_main_process:  # drop evaluations logged after the checkpoint
        metrics_path.write_text("".join(json.dumps(r) + "\n" for r in state.history), encoding="utf-8")
    return state


def _tagger(model, encoder: WordEncoder, labels: list[str], accelerator, *, decoding: str, batch_size: int,
            o_penalty: float) -> Tagger:
    """A tagger over the weights being trained, run in the precision they train in."""
    import torch

    autocast = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(accelerator.mixed_precision) if accelerator.native_amp else None
    return Tagger(TorchRunner(model, autocast_dtype=autocast), encoder, labels, decoding=decoding, batch_size=batch_size,
                  o_penalty=o_penalty)


# ---------------------------------------------------------------------------------------------
# 5. The training loop


@dataclass
class StepInfo:
    """What ``train_while_improving`` reports with an optimizer step or the end of an epoch."""

    epoch: int  # the epoch being trained, from 1
    step: int  # optimizer steps so far
    loss: float  # mean loss of the epoch's batches so far
    words: int  # words in the step's batches (0 at an epoch's end)
    learning_rate: float
    epoch_end: bool = False
    dev_f1: float | None = None  # at an epoch's end where dev was scored: its strict F1
    record: dict | None = None  # and that evaluation, as metrics.jsonl holds it


Batches = list[list[int]]  # batches of indices into TrainingData.windows


def train_while_improving(
    model, optimizer, scheduler, accelerator, state: TrainerState, *, epochs: int, accumulation: int,
    max_grad_norm: float, make_batches: Callable[[int], Batches], collate: Callable[[list[int]], tuple[dict, int]],
    evaluate: Callable[[StepInfo], tuple[float, dict]] | None,
) -> Iterator[tuple[Batches | None, StepInfo, bool | None]]:
    """Train from where ``state`` stands to the end of epoch ``epochs``, keeping ``state`` current.

    Yields ``(batch, info, is_best)`` after each optimizer step (``batch``: the micro-batches the
    step accumulated; ``is_best`` None), and once more at the end of each epoch (``batch`` None,
    ``info.epoch_end``; ``is_best``: whether ``evaluate`` found the best dev F1 so far, None
    without it). At each yield, ``state`` is what a checkpoint saved then must hold to resume there.
    """
    loss_sum, loss_count = state.epoch_loss  # an epoch's mean loss survives a resume
    model.train()
    for epoch in range(state.epoch, epochs):
        batches = make_batches(epoch)
        accumulated: Batches = []
        words = 0
        for b in range(state.batch, len(batches)):
            sync = (b + 1) % accumulation == 0 or b + 1 == len(batches)
            group = min(accumulation, len(batches) - (b // accumulation) * accumulation)  # short at epoch end
            inputs, batch_words = collate(batches[b])
            with nullcontext() if sync else accelerator.no_sync(model):
                loss = training_loss(model, inputs)
                accelerator.backward(loss / group)
            loss_sum, loss_count = loss_sum + loss.item(), loss_count + 1
            accumulated.append(batches[b])
            words += batch_words
            if not sync:
                continue
            if max_grad_norm:
                accelerator.clip_grad_norm_(model.parameters(), max_grad_norm)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            state.step, state.batch, state.epoch_loss = state.step + 1, b + 1, [loss_sum, loss_count]
            yield accumulated, StepInfo(epoch + 1, state.step, loss_sum / loss_count, words, scheduler.get_last_lr()[0]), None
            accumulated, words = [], 0
        state.epoch, state.batch = epoch + 1, 0
        info = StepInfo(epoch + 1, state.step, loss_sum / loss_count if loss_count else float("nan"), 0,
                        scheduler.get_last_lr()[0], epoch_end=True)
        is_best = None
        if evaluate is not None:  # dev scoring selects the model
            info.dev_f1, info.record = evaluate(info)
            model.train()
            state.history.append(info.record)
            is_best = info.dev_f1 > state.best_f1
            if is_best:
                state.best_f1, state.best_epoch = info.dev_f1, epoch + 1
        loss_sum, loss_count = 0.0, 0
        state.epoch_loss = [0.0, 0]
        yield None, info, is_best


def training_loss(model, inputs: dict):
    """The batch's loss. With ``allowed_labels`` in ``inputs`` (partly annotated sentences), a CRF
    model counts every allowed sequence itself; another token classifier is scored here on the
    total probability of each word's allowed labels."""
    allowed = inputs.get("allowed_labels")
    if allowed is None or _takes_allowed_labels(model):
        return model(**inputs).loss
    labels = inputs["labels"]
    logits = model(**{k: v for k, v in inputs.items() if k not in ("labels", "allowed_labels")}).logits
    return partial_token_loss(logits, allowed, labels)


def _takes_allowed_labels(model) -> bool:
    inner = getattr(model, "module", model)  # under DistributedDataParallel
    return _forward_takes_allowed_labels(type(inner))


@cache
def _forward_takes_allowed_labels(model_class: type) -> bool:
    """Whether the class's ``forward`` takes ``allowed_labels`` (asked once per class, not per batch)."""
    import inspect

    return "allowed_labels" in inspect.signature(model_class.forward).parameters


def partial_token_loss(logits, allowed, labels):
    """Mean over labelled pieces (``labels`` != -100) of -log of the probability the model gives
    the piece's ``allowed`` labels together; with one allowed label, the cross-entropy."""
    import torch

    labelled = labels != -100
    log_probs = torch.log_softmax(logits.float(), dim=-1)[labelled]
    return -torch.logsumexp(log_probs.masked_fill(~allowed[labelled], float("-inf")), dim=-1).mean()


def batch_maker(
    data: TrainingData, *, seed: int, batch_size: int, sampling_temperature: float | None,
    sampling_unit: str = "language", entity_free_share: float = 1.0, process: int, processes: int,
) -> Callable[[int], Batches]:
    """``make_batches(epoch)``: this process's share of the epoch's batches (``epoch_batches``)."""
    units = data.units(sampling_unit)

    def make_batches(epoch: int) -> Batches:
        batches = epoch_batches(data.windows, units, epoch, seed=seed, batch_size=batch_size,
                                sampling_temperature=sampling_temperature, entity_free=data.entity_free,
                                entity_free_share=entity_free_share)
        # Every process needs the same number of batches (DDP syncs each step): wrap around.
        batches += [batches[i % len(batches)] for i in range(-len(batches) % processes)]
        return batches[process::processes]

    return make_batches


def epoch_batches(
    windows: Sequence[Window], units: Sequence[str], epoch: int, *, seed: int, batch_size: int,
    sampling_temperature: float | None, entity_free: np.ndarray | None = None, entity_free_share: float = 1.0,
) -> list[list[int]]:
    """This epoch's batches of window indices: length-grouped, shuffled, from (seed, epoch) only.

    With ``entity_free_share`` below 1, the epoch keeps every window with an entity and draws
    that share of the ``entity_free`` ones (other ones each epoch). With ``sampling_temperature``
    T, the epoch's windows are then resampled so that unit i (a language, or a corpus: ``units``
    names each window's) is drawn with probability proportional to n_i^(1/T) (T=1: as is,
    proportional; larger T: closer to uniform, so small units are not drowned by large ones).
    """
    rng = np.random.default_rng([seed, epoch])
    indices = np.arange(len(windows))
    if entity_free is not None and entity_free_share < 1:
        free = np.flatnonzero(entity_free)
        drawn = rng.choice(free, size=_kept(len(free), entity_free_share), replace=False)
        indices = np.sort(np.concatenate([np.flatnonzero(~entity_free), drawn]))
    if sampling_temperature and len(set(units)) > 1:
        by_unit: dict[str, np.ndarray] = {}
        for unit in dict.fromkeys(units[i] for i in indices):
            by_unit[unit] = np.array([i for i in indices if units[i] == unit])
        sizes = np.array([len(v) for v in by_unit.values()], dtype=float)
        weights = sizes ** (1.0 / sampling_temperature)
        counts = _largest_remainder(len(indices) * weights / weights.sum())
        indices = np.concatenate([
            rng.choice(members, size=count, replace=count > len(members))
            for members, count in zip(by_unit.values(), counts)
        ])
    indices = rng.permutation(indices)
    # Sort chunks of 50 batches by length, so that padding is small but batches stay random.
    chunk = batch_size * 50
    batches = []
    for begin in range(0, len(indices), chunk):
        part = sorted(indices[begin:begin + chunk].tolist(), key=lambda i: len(windows[i]))
        batches += [part[i:i + batch_size] for i in range(0, len(part), batch_size)]
    order = rng.permutation(len(batches))
    return [batches[i] for i in order]


def _kept(entity_free: int, share: float) -> int:
    """How many of ``entity_free`` windows an epoch draws at ``share``."""
    return entity_free if share >= 1 else round(share * entity_free)


def _largest_remainder(shares: np.ndarray) -> np.ndarray:
    """Round shares to integers that add up exactly to their (integer) sum."""
    counts = np.floor(shares).astype(int)
    missing = int(round(shares.sum())) - counts.sum()
    counts[np.argsort(counts - shares)[:missing]] += 1
    return counts


def _collate(data: TrainingData, encoder: WordEncoder, device, indices: list[int]) -> tuple[dict, int]:
    """The model's inputs (with labels) for the windows ``indices``, on ``device``, and their number of words."""
    windows = [data.windows[i] for i in indices]
    allowed = [data.allowed[i] for i in indices]
    batch = _batch(windows, [data.targets[i] for i in indices], encoder, device,
                   allowed if any(a is not None for a in allowed) else None)
    return batch, sum(len(w.word_starts) for w in windows)


def _batch(windows: Sequence[Window], targets: Sequence[list[int]], encoder: WordEncoder, device,
           allowed: Sequence[np.ndarray | None] | None = None) -> dict:
    """Padded inputs and labels; with ``allowed`` (some window partly annotated), also the labels
    each piece may have (a window with exact labels allows its own label alone)."""
    import torch

    from ilner.inference.scores import pad_batch

    batch = pad_batch(windows, encoder.tokenizer.pad_token_id, targets)
    if allowed is not None:
        labels = batch["labels"]
        exact = np.zeros((*labels.shape, next(a for a in allowed if a is not None).shape[1]), dtype=bool)
        rows, positions = np.nonzero(labels != -100)
        exact[rows, positions, labels[rows, positions]] = True
        for row, window_allowed in enumerate(allowed):
            if window_allowed is not None:
                exact[row, :len(window_allowed)] = window_allowed
        batch["allowed_labels"] = exact
    return {k: torch.from_numpy(v).to(device) for k, v in batch.items()}


def dev_evaluator(tagger: Tagger, dev: Split) -> Callable[[StepInfo], tuple[float, dict]]:
    """``evaluate(info)``: score ``dev`` with the weights being trained; returns its strict F1 (which
    selects the model) and the metrics.jsonl record of the evaluation. The dev text is encoded once
    here, not at every evaluation (on IL-NER's dev a third of the time of scoring it)."""
    tokens = [s.tokens for s in dev.sentences]
    windows = tagger.encoder.windows(tokens)

    def evaluate(info: StepInfo) -> tuple[float, dict]:
        predicted = tagger.tag_sentences(dev.sentences, tagger.scores(tokens, windows))
        scores = evaluate_by_language(*dev.comparable(predicted))
        f1 = scores["all"]["strict"].micro.f1
        return f1, {"epoch": info.epoch, "step": info.step, "split": "dev", "loss": info.loss, "strict_f1": f1,
                    "conlleval_f1": scores["all"]["conlleval"].micro.f1,
                    "per_language": {k: v["strict"].micro.f1 for k, v in scores.items() if k != "all"}}

    return evaluate


# ---------------------------------------------------------------------------------------------
# 6. Finish


def finish(
    config: TrainConfig, model, tagger: Tagger, splits: Splits, start: StartingModel, *,
    checkpoints: Checkpoints, tagset: str, train_windows: int, steps_per_epoch: int, best_epoch: int | None,
    init_from: str | None, started: float, log: Log,
) -> RunResult:
    """Put the best weights back into ``model`` (which ``tagger`` runs), choose the O penalty if
    asked, score dev and test, and write the model directory with its ``ilner.json``."""
    output_dir = Path(config.output_dir)
    dev, test = splits.dev, splits.test
    if not checkpoints.load_best(model):
        log("no epoch trained: keeping the starting weights" if config.epochs <= 0
            else "no dev data: keeping the weights of the last epoch")
    dev_scores = tagger.scores([s.tokens for s in dev.sentences]) if dev else []  # scored once: for the O penalty and the results
    if config.tune_o_penalty and dev:
        tagger.o_penalty = tune_o_penalty(tagger, dev, dev_scores, log)
    elif config.tune_o_penalty:
        log(f"no dev sentences of {config.only_language}: O penalty kept at {tagger.o_penalty:g}")
    dev_results = evaluate_by_language(*dev.comparable(tagger.tag_sentences(dev.sentences, dev_scores))) if dev else None
    test_results = evaluate_by_language(*test.comparable(tagger.tag_sentences(test.sentences))) if test else None
    seconds = time.time() - started
    meta = ModelMeta(
        ilner_version=__version__,
        tagset=tagset,
        labels=tagger.labels,
        languages=sorted({s.language for s in splits.train.sentences if s.language}),
        script=config.script,
        max_length=config.max_length,
        window_overlap=config.window_overlap,
        decoding=config.decoding,
        o_penalty=tagger.o_penalty,
        init_from=init_from,  # the earlier stage this run continued from, if any
        architecture=_architecture(model.config),
        head_init=start.head.to_dict(),
        added_tokens=len(start.added),
        train_sentences=len(splits.train),
        train_windows=train_windows,
        steps_per_epoch=steps_per_epoch,
        best_epoch=best_epoch,
        train_seconds=round(seconds, 1),
        scores={split: _scores_json(s) for split, s in (("dev", dev_results), ("test", test_results)) if s},
        config=config.to_dict(),
        versions=_versions(),
    )
    write_model_dir(output_dir, model, start.tokenizer, meta)
    log(f"model written to {output_dir} ({seconds:.0f} s)")
    return RunResult(output_dir, dev_results, test_results, seconds, start.head.to_dict(), config.only_language)


def tune_o_penalty(tagger: Tagger, dev: Split, scores: Sequence[np.ndarray], log: Log) -> float:
    """The ``O`` penalty (of ``O_PENALTIES``, the smallest on ties) under which ``tagger`` scores
    best on ``dev`` (strict micro F1), given the word ``scores`` of ``dev``."""
    f1 = {p: evaluate_sentences(*dev.comparable(tagger.tag_sentences(dev.sentences, scores, p))).micro.f1
          for p in O_PENALTIES}
    best = max(O_PENALTIES, key=lambda p: (f1[p], -p))
    log(f"O penalty {best:g} chosen on dev: strict F1 {100 * f1[best]:.2f} (without it {100 * f1[0.0]:.2f})")
    return best


def _architecture(model_config) -> dict:
    """What the model card says about the weights: the model type and, for ilner's BiLSTM-CRF, its members."""
    found = {"model_type": model_config.model_type}
    if hasattr(model_config, "linear_member"):
        found.update(taggers=model_config.ensemble_size, feature_crf=model_config.linear_member)
        if getattr(model_config, "gazetteer_size", 0):
            found.update(gazetteer_names=model_config.gazetteer_size, gazetteer_types=model_config.gazetteer_types)
    return found


def _scores_json(scores: dict[str, dict[str, Scores]]) -> dict:
    return {group: {scheme: s.to_dict() for scheme, s in by_scheme.items()} for group, by_scheme in scores.items()}


def _versions() -> dict:
    import tokenizers
    import torch
    import transformers

    return {"python": platform.python_version(), "torch": torch.__version__,
            "transformers": transformers.__version__, "tokenizers": tokenizers.__version__}
