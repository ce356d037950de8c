"""Bulk tagging on Ray Data: archives of documents, on one machine or a cluster.

    ds = ray.data.read_parquet("s3://archive/")            # or read_text, read_json, ...
    tagged = tag_dataset(ds, "runs/cpu/hindi", column="text", actors=4)
    tagged.write_parquet("s3://archive-entities/")

A pool of actors each loads the model once and tags batches with ilner's Tagger (the same
entities as ``ilner predict``). Every input record yields one output record: its ``id``, its
``entities`` (start, end, label, score, text; offsets into the record's text), an ``error``
(null, or why the record could not be tagged: not text, not UTF-8, over the size limit) and the
model's ``model`` name and ``model_version`` (its weights' sha256). A bad record never stops the run.

``ilner predict MODEL INPUT... -o OUT_DIR --engine ray`` reads text files (a document a file, or a
line with ``--lines``), JSONL or Parquet, and writes Parquet or JSONL (``run_files``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

ENTITY = pa.struct([("start", pa.int64()), ("end", pa.int64()), ("label", pa.string()), ("score", pa.float64()),
                    ("text", pa.string())])
OUTPUT_SCHEMA = pa.schema([("id", pa.string()), ("entities", pa.list_(ENTITY)), ("error", pa.string()),
                           ("model", pa.string()), ("model_version", pa.string())])
DEFAULT_MAX_CHARS = 1_000_000
INPUT_ERROR = "input_error"  # set by read_inputs where a record could not be read as text
# The CPU the tagging actors leave free for Ray Data's own tasks (reading, splitting into batches,
# writing): tasks that had to wait for CPUs the actors hold would never run (see actor_cpus).
DATA_TASK_CPUS = 1.0


class TagBatch:
    """A Ray Data actor: loads the model once, then tags each batch (a pyarrow Table with ``id``
    and the text column) into rows of OUTPUT_SCHEMA."""

    def __init__(self, model: str, column: str, max_chars: int, batch_size: int, threads: int):
        import torch

        from ilner.inference.tagger import Tagger
        from ilner.serving.models import default_name

        torch.set_num_threads(threads)
        self.tagger = Tagger.load(model, batch_size=batch_size)
        self.column = column
        self.max_chars = max_chars
        self.name = default_name(self.tagger.meta.languages, str(model))
        self.version = _weights_version(model, self.tagger.meta.weights_sha256)

    def __call__(self, batch: pa.Table) -> pa.Table:
        ids = [str(i) for i in batch.column("id").to_pylist()]
        values = batch.column(self.column).to_pylist()
        read_errors = batch.column(INPUT_ERROR).to_pylist() if INPUT_ERROR in batch.column_names else [None] * len(values)
        errors = [found or self._problem(v) for found, v in zip(read_errors, values)]
        good = [i for i, e in enumerate(errors) if e is None]
        entities: list[list[dict]] = [[] for _ in values]
        for index, tagged in zip(good, self.tagger([values[i] for i in good])):
            entities[index] = [e.to_dict() for e in tagged.entities]
        n = len(values)
        return pa.Table.from_pydict({"id": ids, "entities": entities, "error": errors, "model": [self.name] * n,
                                     "model_version": [self.version] * n}, schema=OUTPUT_SCHEMA)

    def _problem(self, value) -> str | None:
        if not isinstance(value, str):
            return "no text" if value is None else f"not text but {type(value).__name__}"
        if len(value) > self.max_chars:
            return f"{len(value)} characters, over the limit of {self.max_chars}"
        return None


def _weights_version(model: str, recorded: str | None) -> str | None:
    """The first 16 hex digits of the weights' sha256: as ilner.json records it, else computed."""
    from ilner.data.files import sha256_of

    weights = Path(model) / "model.safetensors"
    digest = recorded or (sha256_of(weights) if weights.is_file() else None)
    return digest[:16] if digest else None


def tag_dataset(ds, model: str | Path, *, column: str = "text", actors: int = 1, batch_size: int = 64,
                max_chars: int = DEFAULT_MAX_CHARS, threads_per_actor: int = 1):
    """``ds`` (a ray.data.Dataset with an ``id`` and a text ``column``) tagged by ``model`` on a
    pool of ``actors`` (each running ``threads_per_actor`` torch threads); returns a Dataset of
    OUTPUT_SCHEMA."""
    import ray

    cpus = actor_cpus(actors, threads_per_actor, ray.cluster_resources().get("CPU", 0.0))
    # A block goes to one actor whole: blocks of one batch each keep every actor busy, however
    # the records arrived (a file of a million lines is one block when read).
    return ds.repartition(target_num_rows_per_block=batch_size).map_batches(
        TagBatch, fn_constructor_kwargs={"model": str(model), "column": column, "max_chars": max_chars,
                                         "batch_size": batch_size, "threads": threads_per_actor},
        batch_format="pyarrow", batch_size=batch_size, compute=ray.data.ActorPoolStrategy(size=actors),
        num_cpus=cpus)


def actor_cpus(actors: int, threads: int, cluster_cpus: float) -> float:
    """The CPUs each tagging actor asks Ray for: its threads, or a share of what is left after one
    CPU for Ray Data's own tasks. A pool that holds every CPU starves the tasks that read and
    batch its input, and the run waits forever (ray-project/ray#44687); so on a small machine the
    actors ask for less (a request to Ray's scheduler; each actor still runs ``threads`` threads).

    >>> actor_cpus(2, 1, 16.0)
    1
    >>> actor_cpus(2, 1, 2.0)
    0.5
    """
    room = cluster_cpus - DATA_TASK_CPUS
    if room <= 0:
        from ilner.errors import IlnerError

        raise IlnerError(f"the Ray cluster has {cluster_cpus:g} CPU(s); bulk tagging needs at least 2 (one for the "
                         "actors, one for reading and writing): start it with `ray start --num-cpus 2` or more")
    if actors * threads <= room:
        return threads
    return round(room / actors, 3)


@dataclass
class BulkSummary:
    """What a bulk run did: records read, written and failed (with an error field)."""

    records_in: int
    records_out: int
    failed: int
    output_dir: Path

    def line(self) -> str:
        return (f"{self.records_in} records in, {self.records_out} out, {self.failed} failed (see their 'error' "
                f"field); written to {self.output_dir}")


def read_inputs(paths: Sequence[Path], input_format: str, *, lines: bool = False, column: str = "text"):
    """A Dataset with ``id`` and ``column`` from text files (a document each, or a line each with
    ``lines``), JSONL (``column`` of each record; ``id`` if it has one, else file:line) or Parquet."""
    import ray

    names = [str(p) for p in paths]
    if input_format == "parquet":
        ds = ray.data.read_parquet(names)
        if column not in ds.schema().names:
            from ilner.errors import IlnerError

            raise IlnerError(f"{names[0]}: no column {column!r} (columns: {', '.join(ds.schema().names)}); "
                             "name the text column with --column")
        return ds if "id" in ds.schema().names else _numbered(ds)
    files = ray.data.read_binary_files(names, include_paths=True)
    if input_format == "jsonl":
        return files.flat_map(lambda row: _jsonl_records(row, column))
    if lines:
        return files.flat_map(lambda row: [_record(f"{row['path']}:{number}", line, column)
                                           for number, line in enumerate(row["bytes"].split(b"\n"), start=1)
                                           if line.strip()])
    return files.map(lambda row: _record(row["path"], row["bytes"], column))


def _record(record_id: str, data: bytes, column: str) -> dict:
    """One text record; bytes that are not UTF-8 give a record with the error instead."""
    try:
        return {"id": record_id, column: data.decode("utf-8"), INPUT_ERROR: None}
    except UnicodeDecodeError as error:
        return {"id": record_id, column: None, INPUT_ERROR: f"not UTF-8 (byte {error.start})"}


def _numbered(ds):
    """Ids for a Parquet dataset without an ``id`` column: its row number (in read order)."""
    counter = {"next": 0}

    def add_ids(batch: pa.Table) -> pa.Table:
        first = counter["next"]
        counter["next"] += batch.num_rows
        return batch.append_column("id", pa.array([str(i) for i in range(first, first + batch.num_rows)]))

    return ds.repartition(1).map_batches(add_ids, batch_format="pyarrow", batch_size=None)


def _jsonl_records(row: dict, column: str) -> list[dict]:
    """Each line of a JSONL file as a record; a line that is not a JSON object with a text keeps
    its id and says what is wrong, so it is reported, not lost."""
    out = []
    for number, line in enumerate(row["bytes"].split(b"\n"), start=1):
        if not line.strip():
            continue
        record = _record(f"{row['path']}:{number}", line, column)
        if record[INPUT_ERROR]:
            out.append(record)
            continue
        try:
            value = json.loads(record[column])
        except ValueError as error:
            out.append({**record, column: None, INPUT_ERROR: f"not JSON ({error})"})
            continue
        if not isinstance(value, dict):
            out.append({**record, column: None, INPUT_ERROR: "not a JSON object"})
            continue
        text = value.get(column)
        problem = None if isinstance(text, str) else f"no text in {column!r}"
        out.append({"id": str(value.get("id", record["id"])), column: text if isinstance(text, str) else None,
                    INPUT_ERROR: problem})
    return out


OUTPUT_FORMATS = ("jsonl", "parquet")


def run_files(model: str | Path, inputs: Sequence[Path], output_dir: Path, *, input_format: str = "text",
              lines: bool = False, column: str = "text", output_format: str = "jsonl", actors: int = 1,
              batch_size: int = 64, address: str | None = None, max_chars: int = DEFAULT_MAX_CHARS) -> BulkSummary:
    """``ilner predict --engine ray``: read ``inputs``, tag them on Ray (a local Ray on this machine
    without ``address``), write ``output_dir`` whole or not at all, and count what happened."""
    import shutil

    import ray

    from ilner.errors import IlnerError

    if output_format not in OUTPUT_FORMATS:
        raise IlnerError(f"--engine ray writes {' or '.join(OUTPUT_FORMATS)}, not {output_format!r}")
    output_dir = Path(output_dir)
    if output_dir.exists() and (not output_dir.is_dir() or any(output_dir.iterdir())):
        raise IlnerError(f"{output_dir} already holds output; give a new folder (two runs' records are never mixed)")
    partial = output_dir.with_name(output_dir.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    started_here = not ray.is_initialized()
    if started_here:
        # A local Ray counts at least 2 CPUs, so that one machine core still leaves one for data tasks.
        local = {} if address else {"num_cpus": max(2, os.cpu_count() or 1)}
        ray.init(address=address, include_dashboard=False, log_to_driver=False, configure_logging=False, **local)
    try:
        ds = read_inputs(inputs, input_format, lines=lines, column=column)
        records_in = ds.count()
        tagged = tag_dataset(ds, model, column=column, actors=actors, batch_size=batch_size, max_chars=max_chars)
        if output_format == "jsonl":  # UTF-8 as it is: Indic text stays readable, not \\u-escaped
            tagged.write_json(str(partial), force_ascii=False)
        else:
            tagged.write_parquet(str(partial))
        written = (ray.data.read_json(str(partial)) if output_format == "jsonl"
                   else ray.data.read_parquet(str(partial)))
        errors = written.select_columns(["error"]).take_all()
        records_out = len(errors)
        failed = sum(row["error"] is not None for row in errors)
    finally:
        if started_here:
            ray.shutdown()
    if records_out != records_in:
        raise IlnerError(f"{records_in} records read but {records_out} written (in {partial}); nothing was "
                         f"moved to {output_dir}")
    if output_dir.exists():
        output_dir.rmdir()
    partial.rename(output_dir)
    return BulkSummary(records_in, records_out, failed, output_dir)
