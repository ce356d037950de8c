"""Where a training step and an epoch of the ``cpu`` preset spend their time.

Usage: ILNER_DATA_DIR=../shared/datasets python benchmarks/profile_step.py [--batches 40]
       [--set key=value ...] [--threads N] [--ops]

Builds the preset's model for the four-language run (IL-NER train), draws the first epoch's
batches as training does, and times, per batch: making the tensors, each member's forward pass
and its CRF loss, the backward pass, clipping and the optimiser. Then one epoch's data handling
(batching alone) and one dev evaluation. ``--ops`` adds torch.profiler's ten costliest operators.
Numbers are milliseconds per batch (mean over ``--batches`` after 5 warm-up batches).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--preset", default="cpu")
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    parser.add_argument("--threads", type=int)
    parser.add_argument("--ops", action="store_true")
    parser.add_argument("--cpu-time", action="store_true",
                        help="time by the process's CPU time (for comparing settings on a busy machine; use --threads 1)")
    parser.add_argument("--bf16", action="store_true", help="bf16 autocast, as mixed_precision=bf16 trains")
    args = parser.parse_args()

    import torch

    from ilner.inference.tagger import Tagger
    from ilner.inference.scores import TorchRunner
    from ilner.models.encoding import WordEncoder, window_labels
    from ilner.text.transliterate import get_transform
    from ilner.training.config import load_config, preset_path
    from ilner.training.optim import adamw
    from ilner.training.data import read_split
    from ilner.training.trainer import _batch, epoch_batches, prepare_model
    from ilner.data.tagsets import load_tagset

    if args.threads:
        torch.set_num_threads(args.threads)
    config = load_config(preset_path(args.preset), args.overrides)
    log = lambda message: None  # noqa: E731
    data = {"tagset": config.tagset, "data_dir": config.data_dir, "data_mapping": config.data_mapping,
            "keep_unknown": config.keep_unknown}
    train = read_split(config.train, log, **data).sentences
    dev = read_split(config.dev, log, **data).sentences
    labels = list(load_tagset(config.tagset).labels_for(config.tag_scheme))
    with tempfile.TemporaryDirectory() as tmp:
        start = prepare_model(config, labels, train, Path(tmp) / "init", log, None)
    model, tokenizer = start.model, start.tokenizer
    encoder = WordEncoder(tokenizer, config.max_length, config.window_overlap, get_transform(config.script))
    started = time.perf_counter()
    windows = encoder.windows([s.tokens for s in train])
    encode_seconds = time.perf_counter() - started
    label_ids = {label: i for i, label in enumerate(labels)}
    targets = [window_labels(w, [label_ids[t] for t in train[w.sentence].tags]) for w in windows]
    languages = [s.language or "unknown" for s in train]
    optimizer = adamw([{"params": list(model.parameters()), "weight_decay": 0.0}], config.learning_rate, torch.device("cpu"))
    words_total = sum(len(w.word_starts) for w in windows)
    print(f"{len(train)} sentences, {len(windows)} windows, {words_total} words; torch threads {torch.get_num_threads()}; "
          f"encoding the training text once: {encode_seconds:.1f} s")

    started = time.perf_counter()
    batches = epoch_batches(windows, [languages[w.sentence] for w in windows], 0, seed=config.seed,
                            batch_size=config.batch_size, sampling_temperature=config.sampling_temperature)
    tensors = [_batch([windows[i] for i in chunk], [targets[i] for i in chunk], encoder, "cpu") for chunk in batches]
    batching_seconds = time.perf_counter() - started
    padded = sum(b["input_ids"].numel() for b in tensors)
    real = sum(int(b["attention_mask"].sum()) for b in tensors)
    print(f"one epoch's batching: {batching_seconds:.2f} s for {len(batches)} batches; pieces padded {padded} "
          f"for {real} real ({100 * (padded - real) / padded:.1f}% padding)")

    times: dict[str, list[float]] = {}
    clock = time.process_time if args.cpu_time else time.perf_counter

    def timed(name: str, start: float) -> float:
        now = clock()
        times.setdefault(name, []).append(1000 * (now - start))
        return now

    parameters = sum(p.numel() for p in model.parameters())
    print(f"{parameters / 1e6:.1f}M parameters")
    model.train()
    for number, batch in enumerate(tensors[: args.batches + 5]):
        if number == 5:
            times.clear()
        t = clock()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.bf16):
            member_inputs = list(model.member_inputs(batch["input_ids"], batch["attention_mask"]))
            t = timed("assemble words, features", t)
            loss = 0
            for index, (member, inputs) in enumerate(zip(model.members, member_inputs)):
                emissions = member(*inputs)
                t = timed(f"forward: member {index} ({type(member).__name__})", t)
                loss = loss + model._loss(member.crf, emissions, batch["labels"])
                t = timed(f"CRF loss: member {index}", t)
        loss.backward()
        t = timed("backward (all)", t)
        torch.nn.utils.clip_grad_norm_(model.parameters(), config.max_grad_norm)
        t = timed("clip", t)
        optimizer.step()
        optimizer.zero_grad()
        timed("optimiser", t)
    total = sum(statistics.mean(v) for v in times.values())
    words = statistics.mean(sum(len(windows[i].word_starts) for i in chunk) for chunk in batches[5: args.batches + 5])
    print(f"\n| part | ms a batch of {config.batch_size} | share |\n|---|---|---|")
    for name, values in times.items():
        print(f"| {name} | {statistics.mean(values):.1f} | {100 * statistics.mean(values) / total:.0f}% |")
    print(f"| **step** | **{total:.1f}** | {words:.0f} words: {1000 * words / total:.0f} words/s |")

    if args.ops:
        from torch.profiler import ProfilerActivity, profile

        with profile(activities=[ProfilerActivity.CPU]) as prof:
            for batch in tensors[5:15]:
                model(**batch).loss.backward()
                optimizer.step()
                optimizer.zero_grad()
        print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=12))

    model.eval()
    tagger = Tagger(TorchRunner(model), encoder, labels, decoding=config.decoding, batch_size=config.eval_batch_size,
                    o_penalty=config.o_penalty)
    started = time.perf_counter()
    tagger.tag_sentences(dev)
    print(f"\none dev evaluation ({len(dev)} sentences): {time.perf_counter() - started:.1f} s; "
          f"an epoch's steps at this rate: {total * len(batches) / 1000:.0f} s")


if __name__ == "__main__":
    main()
