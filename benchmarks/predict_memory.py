"""Peak memory of `ilner predict` on growing inputs: streaming keeps it flat.

Usage: ILNER_DATA_DIR=../shared/datasets python benchmarks/predict_memory.py MODEL [--sizes 2 20] [--backend onnx]

Writes text files of the given sizes (MB) from IL-NER sentences, tags each with
`ilner predict MODEL FILE --format spans` in a fresh process, and prints the peak resident memory
of that process and its ratio to the smallest input's.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ilner.data import load_corpora


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model")
    parser.add_argument("--sizes", type=float, nargs="+", default=[2, 20])
    parser.add_argument("--backend", default="onnx")
    args = parser.parse_args()
    lines = [" ".join(s.tokens) + "\n" for _, corpus in load_corpora(["il-ner:*:test"]) for s in corpus]
    block = "".join(lines).encode("utf-8")
    workdir = Path(tempfile.mkdtemp(prefix="ilner-mem-"))
    baseline = None
    print("| input MB | entities lines | seconds | peak RSS MB | x smallest |\n|---|---|---|---|---|")
    for size in sorted(args.sizes):
        path = workdir / f"input-{size}MB.txt"
        with path.open("wb") as handle:
            written = 0
            while written < size * 1e6:
                handle.write(block)
                written += len(block)
        started = time.time()
        done = subprocess.run(
            [sys.executable, "-m", "ilner", "predict", args.model, str(path), "--format", "spans",
             "--backend", args.backend, "-o", str(workdir / "out.tsv")],
            capture_output=True, text=True,
        )
        if done.returncode:
            sys.exit(done.stderr)
        # The largest peak of any child so far: sizes ascend, so growth would show.
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB -> MiB
        baseline = baseline or peak
        rows = sum(1 for _ in (workdir / "out.tsv").open(encoding="utf-8")) - 1
        print(f"| {written / 1e6:.0f} | {rows} | {time.time() - started:.0f} | {peak:.0f} | {peak / baseline:.2f} |")


if __name__ == "__main__":
    main()
