"""``ilner predict``: tag raw text, CoNLL or JSONL with a trained model."""

from __future__ import annotations

import json
import sys
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Optional

import typer

from ilner.cli._app import app, err_console, finite_float
from ilner.cli._render import scores_table
from ilner.data.files import atomic_output, check_writable
from ilner.errors import DataError, IlnerError

INPUT_FORMATS = ("text", "conll", "jsonl")  # --engine ray also reads parquet


@app.command("predict")
def predict(
    model: Annotated[str, typer.Argument(help="Model directory (from `ilner train`) or Hugging Face id.", show_default=False)],
    inputs: Annotated[Optional[list[Path]], typer.Argument(help="Input files; none or '-' reads standard input.", show_default=False)] = None,
    input_format: Annotated[str, typer.Option("--input-format", help="text, conll (pre-tokenised; tags optional) or jsonl ({\"text\"} or {\"tokens\"}).")] = "text",
    output_format: Annotated[Optional[str], typer.Option("--format", help="spans (TSV, one entity per line; text input), jsonl or conll. Default: spans for text, else the input's format.")] = None,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", callback=_output, help="Write here instead of standard output (in full or not at all: a run that fails leaves an earlier file as it was); with --engine ray, a new folder.")] = None,
    lines: Annotated[bool, typer.Option("--lines", help="Text input: each line is a document (offsets within the line).")] = False,
    evaluate: Annotated[bool, typer.Option("--evaluate", help="CoNLL input: score the predictions against its tags.")] = False,
    batch_size: Annotated[int, typer.Option(min=1, help="Windows per forward pass.")] = 32,
    decoding: Annotated[Optional[str], typer.Option(help="viterbi (valid IOB2) or argmax; default: the model's.")] = None,
    o_penalty: Annotated[Optional[float], typer.Option(parser=finite_float, help="Taken off every word's O score before decoding: higher finds more entities (recall), lower fewer (precision); default: the model's (ilner.json).")] = None,
    pooling: Annotated[str, typer.Option(help="Word scores from the first sub-word (as trained) or the mean over sub-words.")] = "first",
    backend: Annotated[str, typer.Option(help="torch, torch-bf16, onnx or onnx-int8 (onnx: run `ilner export` first).")] = "torch",
    device: Annotated[Optional[str], typer.Option(help="torch device, e.g. cuda (default: cpu).")] = None,
    engine: Annotated[str, typer.Option(is_eager=True, help="local (this process) or ray (Ray Data: a pool of actors, here or on a cluster).")] = "local",
    address: Annotated[Optional[str], typer.Option(help="--engine ray: the cluster (auto, ray://host:10001); default: a local Ray on this machine.")] = None,
    actors: Annotated[int, typer.Option(min=1, help="--engine ray: actors, each with its own copy of the model and one CPU.")] = 1,
    column: Annotated[str, typer.Option(help="--engine ray: the text column of JSONL or Parquet input.")] = "text",
) -> None:
    """Tag text with a NER model; entity offsets point into the original text.

    Text is read line by line and tagged in batches; each line is tagged on its own. Memory stays
    flat for spans and conll output and with --lines (jsonl output without --lines holds one
    document at a time). The model's script transform and tagset (ilner.json) are applied.

    Example: echo "प्रधानमंत्री नरेंद्र मोदी ने 15 अगस्त 2024 को दिल्ली में भाषण दिया।" | ilner predict runs/cpu-joint
    """
    if engine == "ray":
        return _predict_on_ray(model, inputs, input_format, output_format, output, lines, batch_size, address, actors, column)
    if engine != "local":
        raise typer.BadParameter(f"{engine!r}; choose local or ray", param_hint="--engine")
    from ilner.inference.decoding import DECODERS
    from ilner.inference.scores import POOLINGS
    from ilner.inference.stream import OUTPUT_FORMATS, Writer, read_units, tag_stream
    from ilner.inference.tagger import Tagger

    if input_format not in INPUT_FORMATS:
        raise typer.BadParameter(f"{input_format!r}; choose one of {', '.join(INPUT_FORMATS)}", param_hint="--input-format")
    output_format = output_format or ("spans" if input_format == "text" else input_format)
    if output_format not in OUTPUT_FORMATS:
        raise typer.BadParameter(f"{output_format!r}; choose one of {', '.join(OUTPUT_FORMATS)}", param_hint="--format")
    if input_format != "text" and (output_format == "spans" or lines):
        raise typer.BadParameter("spans output and --lines are for text input; use --format conll or jsonl")
    if decoding is not None and decoding not in DECODERS:
        raise typer.BadParameter(f"{decoding!r}; choose one of {', '.join(DECODERS)}", param_hint="--decoding")
    if pooling not in POOLINGS:
        raise typer.BadParameter(f"{pooling!r}; choose one of {', '.join(POOLINGS)}", param_hint="--pooling")
    if evaluate and input_format != "conll":
        raise typer.BadParameter("needs --input-format conll (gold tags to compare with)", param_hint="--evaluate")
    sources = [p for p in inputs or [Path("-")]]
    for path in sources:
        if str(path) != "-" and (not path.exists() or path.is_dir()):
            raise typer.BadParameter(f"{path}: no such file", param_hint="INPUTS")
        if output is not None and str(path) != "-" and path.resolve() == output.resolve():
            raise typer.BadParameter(f"{path} is both an input and the output", param_hint="--output")
    if device:
        _check_device(device)
    tagger = Tagger.load(model, backend=backend, device=device, batch_size=batch_size, decoding=decoding, pooling=pooling,
                         o_penalty=o_penalty)

    with ExitStack() as stack:
        out = stack.enter_context(atomic_output(output)) if output else sys.stdout
        if input_format == "text":
            writer = Writer(out, output_format, lines)
            named = [p for p in sources if str(p) != "-"]
            progress = _progress(stack, sum(p.stat().st_size for p in named) if len(named) == len(sources) else None)
            found = 0
            for path in sources:  # opened one at a time, in the order given
                with ExitStack() as opened:
                    name, handle = ("<stdin>", sys.stdin.buffer) if str(path) == "-" else (str(path), opened.enter_context(path.open("rb")))
                    found += tag_stream(tagger, read_units(name, handle, lines), writer, advance=progress)
                    writer.close()
            err_console.print(f"[dim]{found} entities[/dim]")
        else:
            _tag_files(tagger, sources, input_format, output_format, out, evaluate)


def _output(ctx: typer.Context, value: Optional[Path]) -> Optional[Path]:
    """--output: a file to write, or with --engine ray a folder; refused before any work if it cannot be written."""
    if value is not None:
        check_writable(value, folder=ctx.params.get("engine") == "ray")
    return value


def _predict_on_ray(model: str, inputs, input_format: str, output_format: Optional[str], output: Optional[Path],
                    lines: bool, batch_size: int, address: Optional[str], actors: int, column: str) -> None:
    """``--engine ray``: files in, a folder of JSONL or Parquet out, a summary line."""
    from ilner.distributed import OUTPUT_FORMATS, run_files

    if output is None:
        raise typer.BadParameter("--engine ray writes a folder: give -o OUT_DIR", param_hint="--output")
    if input_format not in ("text", "jsonl", "parquet"):
        raise typer.BadParameter(f"{input_format!r}; --engine ray reads text, jsonl or parquet", param_hint="--input-format")
    output_format = output_format or "jsonl"
    if output_format not in OUTPUT_FORMATS:
        raise typer.BadParameter(f"{output_format!r}; --engine ray writes {' or '.join(OUTPUT_FORMATS)}", param_hint="--format")
    sources = list(inputs or [])
    missing = [p for p in sources if not p.exists()]
    if not sources or missing:
        raise typer.BadParameter(f"{missing[0] if missing else 'nothing'}: --engine ray reads files or folders that exist "
                                 "(on a cluster, paths every node can read)", param_hint="INPUTS")
    summary = run_files(model, sources, output, input_format=input_format, lines=lines, column=column,
                        output_format=output_format, actors=actors, batch_size=batch_size, address=address)
    err_console.print(summary.line())


def _check_device(name: str) -> None:
    """Refuse a device torch cannot use here before the model is loaded, in one line."""
    import torch

    try:
        device = torch.device(name)
    except (RuntimeError, ValueError):
        raise IlnerError(f"--device {name}: not a torch device; give cpu, cuda, cuda:N or mps") from None
    available = {"cpu": lambda: True, "cuda": torch.cuda.is_available, "mps": torch.backends.mps.is_available}
    if device.type not in available:
        raise IlnerError(f"--device {name}: ilner tags on cpu, cuda or mps, not {device.type}")
    if not available[device.type]():
        raise IlnerError(f"--device {name}: torch finds no {device.type} device on this machine; leave --device out "
                         "to tag on the CPU")
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise IlnerError(f"--device {name}: this machine has {torch.cuda.device_count()} CUDA device(s), "
                         f"numbered from 0")


def _tag_files(tagger, sources, input_format, output_format, out, evaluate) -> None:
    """CoNLL or JSONL input, read whole (these formats hold sentences, not running text)."""
    from ilner.data.files import read_stream, read_text
    from ilner.data.io import read_corpus
    from ilner.data.jsonl import check_conll_tokens, json_records
    from ilner.evaluation.metrics import evaluate_sentences

    gold_all, predicted_all = [], []
    for path in sources:
        name = "<stdin>" if str(path) == "-" else str(path)
        text, _ = read_stream(sys.stdin.buffer, name) if str(path) == "-" else read_text(path)
        if input_format == "conll":
            corpus = read_corpus(name, text=text, tagset=None, file_format="conll", tags_optional=True)
            if evaluate and corpus.report.untagged_lines:
                raise DataError(name, f"{corpus.report.untagged_lines} lines have no tag to evaluate against")
            if evaluate:
                corpus.sentences = _gold_for_model(name, corpus.sentences, tagger.labels)
            if corpus.report.counts.get("malformed-line"):
                err_console.print(f"[yellow]{name}: skipped {corpus.report.counts['malformed-line']} malformed lines "
                                  f"(first at line {corpus.report.skipped_lines[0][0]})[/yellow]")
            tagged = tagger.tag_tokens([s.tokens for s in corpus])
            predicted = [replace(s, tags=tuple(t.tags)) for s, t in zip(corpus, tagged)]
            gold_all += corpus.sentences
            predicted_all += predicted
            tagged_input = not corpus.report.untagged_lines
            for original, sentence, result in zip(corpus.sentences, predicted, tagged):
                if output_format == "conll":
                    out.write(_conll(sentence.tokens, sentence.tags))
                else:  # predictions under predicted_*, as for JSONL input; the input's own tags kept if it had them
                    gold = {"tags": list(original.tags)} if tagged_input else {}
                    out.write(json.dumps({"tokens": list(sentence.tokens), **gold, "predicted_tags": list(sentence.tags),
                                          "predicted_entities": [e.to_dict() for e in result.entities]},
                                         ensure_ascii=False) + "\n")
            continue
        records = []
        for number, record in json_records(text, name):
            tokens, raw = record.get("tokens"), record.get("text")
            if tokens is not None:
                if not isinstance(tokens, list) or not all(isinstance(t, str) and t.strip() for t in tokens):
                    raise DataError(name, "'tokens' must be a list of non-empty strings", line=number)
                if output_format == "conll":  # CoNLL output must hold them, as the corpus readers require
                    check_conll_tokens(tokens, name, number)
            elif not isinstance(raw, str):
                raise DataError(name, 'each record needs "text" (a string) or "tokens" (a list)', line=number)
            records.append(record)
        for begin in range(0, len(records), _JSONL_BATCH):
            for record, result in _tag_records(tagger, records[begin:begin + _JSONL_BATCH]):
                if output_format == "conll":
                    for a, b in result.sentences:
                        out.write(_conll([t.text for t in result.tokens[a:b]], result.tags[a:b]))
                else:
                    extra = {"predicted_tags": result.tags} if record.get("tokens") is not None else {}
                    out.write(json.dumps({**record, **extra, "predicted_entities": [e.to_dict() for e in result.entities]},
                                         ensure_ascii=False) + "\n")
    if evaluate:
        scores = evaluate_sentences(gold_all, predicted_all)
        err_console.print(scores_table(scores, "Predictions against the input's tags (strict)"))


_JSONL_BATCH = 256  # records tagged together: one forward pass per record would be ~1.7x slower


def _tag_records(tagger, records: list[dict]) -> list[tuple[dict, object]]:
    """(record, Tagged) in input order; token records and text records each tagged in one call."""
    by_tokens = [i for i, r in enumerate(records) if r.get("tokens") is not None]
    by_text = [i for i, r in enumerate(records) if r.get("tokens") is None]
    results: dict[int, object] = dict(zip(by_tokens, tagger.tag_tokens([records[i]["tokens"] for i in by_tokens])))
    results.update(zip(by_text, tagger([records[i]["text"] for i in by_text])))
    return [(record, results[i]) for i, record in enumerate(records)]


def _conll(tokens, tags) -> str:
    """One sentence as CoNLL lines, blank line after."""
    return "".join(f"{token}\t{tag}\n" for token, tag in zip(tokens, tags)) + "\n"


def _gold_for_model(name: str, sentences: list, labels) -> list:
    """Gold types the model lacks read as O, as the repair rules read types outside a tagset (IL-NER
    test sets have stray NEU tags), with a warning; a gold file with none of the model's types is
    an error, not all-zero scores."""
    from collections import Counter

    from ilner.data.schemes import split_tag

    model_types = [split_tag(label)[1] for label in labels if label != "O"]
    foreign: Counter[str] = Counter()
    first = None
    kept = []
    for sentence in sentences:
        tags = list(sentence.tags)
        for i, tag in enumerate(tags):
            if tag != "O" and split_tag(tag)[1] not in model_types:
                foreign[split_tag(tag)[1]] += 1
                first = first or sentence.lines[i]
                tags[i] = "O"
        kept.append(replace(sentence, tags=tuple(tags)))
    if not foreign:
        return kept
    types = ", ".join(foreign)
    if all(tag == "O" for sentence in kept for tag in sentence.tags):
        raise DataError(name, f"none of its gold types ({types}) is the model's ({', '.join(dict.fromkeys(model_types))}); "
                        "map the gold onto the model's tagset first (`ilner data convert GOLD gold.txt --to conll --map "
                        "MAPPING`, e.g. hiner-collapsed_to_il-ner) and evaluate against that",
                        line=first)
    err_console.print(f"[yellow]{name}: read {sum(foreign.values())} gold tags of types the model lacks ({types}) as O "
                      f"(first at line {first})[/yellow]")
    return kept


def _progress(stack: ExitStack, total: int | None):
    """A byte-count progress bar on a terminal; nothing otherwise."""
    if not sys.stderr.isatty() or not total:
        return lambda n: None
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn, TransferSpeedColumn

    bar = stack.enter_context(Progress(BarColumn(), DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn(),
                                       console=err_console))
    task = bar.add_task("tagging", total=total)
    return lambda n: bar.advance(task, n)
