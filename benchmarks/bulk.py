"""Bulk tagging: ``ilner predict`` in one process against ``--engine ray`` with 1 and 2 actors.

Usage: ILNER_DATA_DIR=../shared/datasets .venv/bin/python benchmarks/bulk.py MODEL_DIR
       [--megabytes 3] [--sentences-per-document 20] [--actors 1 2] [--json FILE]

The documents are IL-NER training sentences of the model's languages, in turn (Hindi, Urdu, ...),
twenty to a document, until the text reaches ``--megabytes`` MB of UTF-8; one document a line of
``docs.txt``. Each engine tags the same file as a fresh ``ilner predict`` process, the way a user
runs it:

    ilner predict MODEL docs.txt --lines --format jsonl -o local.jsonl
    ilner predict MODEL docs.txt --lines -o OUT_DIR --engine ray --actors N

The wall time includes start-up (Python, the model, and for Ray its local cluster and actors);
peak memory is the largest sum of resident memory over the process and all its descendants (Ray's
raylet, object store and workers), sampled every 0.2 s. The script checks that every engine wrote
one record per document and the same entities, then prints documents/s, words/s, peak memory and
the ratio of each Ray run's words/s to the one process's, measured in the same run.

On this machine (2 cores) the one process already uses both cores for its tensor threads, so the
ratios say what Ray's start-up and hand-offs cost here; on a cluster, each node adds actors.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path


def tree_rss_mb(root: int) -> float:
    """Resident memory of a process and all its descendants, in MB (from /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = dict(line.split(":", 1) for line in (entry / "status").read_text().splitlines() if ":" in line)
        except OSError:
            continue
        pid = int(entry.name)
        children.setdefault(int(fields["PPid"]), []).append(pid)
        rss[pid] = int(fields.get("VmRSS", "0 kB").split()[0])
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total / 1024


def timed(command: list[str]) -> tuple[float, float]:
    """Run ``command``; its wall seconds and the peak resident memory of its process tree."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = [0.0]

    def sample() -> None:
        while process.poll() is None:
            peak[0] = max(peak[0], tree_rss_mb(process.pid))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = process.communicate()
    seconds = time.perf_counter() - started
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}): {err.strip()[-2000:]}")
    return seconds, peak[0]


def documents(languages: list[str], megabytes: float, per_document: int) -> list[str]:
    """IL-NER training sentences of ``languages``, in turn, ``per_document`` to a document."""
    from ilner.data.io import read_corpus
    from ilner.data.registry import locate, match

    pools = []
    for language in languages:
        [train] = match(f"il-ner:{language}:train")
        pools.append([" ".join(s.tokens) for s in read_corpus(locate(train)).sentences])
    out, size, index = [], 0, 0
    while size < megabytes * 1_000_000:
        pool = pools[index % len(pools)]
        start = (index // len(pools)) * per_document % len(pool)
        text = " ".join(pool[start:start + per_document])
        out.append(text)
        size += len(text.encode("utf-8")) + 1
        index += 1
    return out


def entities_by_line(records: list[dict], key: str) -> dict[int, list]:
    """Each record's entities by its line number (its ``key`` field is ``path:line``)."""
    return {int(r[key].rpartition(":")[2]): [(e["start"], e["end"], e["label"]) for e in r["entities"]] for r in records}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model")
    parser.add_argument("--megabytes", type=float, default=3.0)
    parser.add_argument("--sentences-per-document", type=int, default=20)
    parser.add_argument("--actors", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    from ilner.models.directory import read_meta

    languages = read_meta(args.model).languages
    docs = documents(languages, args.megabytes, args.sentences_per_document)
    words = sum(len(d.split()) for d in docs)
    ilner = [sys.executable, "-m", "ilner", "predict", args.model]
    runs = []
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        source = work / "docs.txt"
        source.write_text("\n".join(docs) + "\n", encoding="utf-8")
        print(f"{len(docs)} documents, {words} words, {source.stat().st_size / 1e6:.1f} MB "
              f"({', '.join(languages)}); {os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f}", flush=True)

        seconds, peak = timed([*ilner, str(source), "--lines", "--format", "jsonl", "-o", str(work / "local.jsonl")])
        local = [json.loads(line) for line in (work / "local.jsonl").read_text(encoding="utf-8").splitlines()]
        expected = entities_by_line(local, "source")
        runs.append({"engine": "ilner predict (one process)", "seconds": seconds, "peak_mb": peak})
        for actors in args.actors:
            out = work / f"ray-{actors}"
            seconds, peak = timed([*ilner, str(source), "--lines", "-o", str(out), "--engine", "ray",
                                   "--actors", str(actors)])
            records = [json.loads(line) for path in sorted(out.iterdir())
                       for line in path.read_text(encoding="utf-8").splitlines()]
            found = entities_by_line(records, "id")
            if len(records) != len(docs) or found != expected:
                raise SystemExit(f"--engine ray with {actors} actors: {len(records)} records for {len(docs)} documents, "
                                 f"entities {'equal' if found == expected else 'differ from ilner predict'}")
            runs.append({"engine": f"--engine ray, {actors} actor{'s' if actors > 1 else ''}", "seconds": seconds,
                         "peak_mb": peak})
    base = runs[0]["seconds"]
    print("\n| engine | seconds | documents/s | words/s | ratio (words/s) | peak memory (MB) |")
    print("|---|---|---|---|---|---|")
    for run in runs:
        run.update(documents_per_s=len(docs) / run["seconds"], words_per_s=words / run["seconds"],
                   ratio=base / run["seconds"])
        print(f"| {run['engine']} | {run['seconds']:.1f} | {run['documents_per_s']:.1f} | {run['words_per_s']:,.0f} | "
              f"{run['ratio']:.2f} | {run['peak_mb']:,.0f} |")
    print("all engines wrote one record per document and the same entities")
    if args.json:
        args.json.write_text(json.dumps({"documents": len(docs), "words": words, "runs": runs}, indent=2) + "\n",
                             encoding="utf-8")


if __name__ == "__main__":
    main()
