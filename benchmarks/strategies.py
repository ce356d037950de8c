"""Run every training strategy of the paper with a CPU-sized model built from scratch, on IL-NER.

Usage: ILNER_DATA_DIR=../shared/datasets python benchmarks/strategies.py [--epochs 3] [--out runs/strategies]

No pretrained weights are needed (model: scratch), so the numbers show that each strategy works
end to end and how the strategies compare for a small from-scratch encoder; they are not the
paper's XLM-R numbers (configs/paper/ reproduce those on a GPU). Prints a table of test strict
F1 per language and the training time of each strategy, and writes it to OUT/strategies.json.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from ilner.training import load_config, run_experiment

SCRATCH = ["model=scratch", "scratch.vocab_size=8000", "scratch.hidden_size=256", "scratch.num_layers=2",
           "scratch.num_heads=4", "scratch.intermediate_size=512", "learning_rate=1e-3", "batch_size=32",
           "max_length=256", "window_overlap=64"]
TESTS = 'test=["il-ner:*:test"]'

STRATEGIES: dict[str, list[str]] = {
    "joint": ['train=["il-ner:*:train"]', 'dev=["il-ner:*:dev"]', TESTS],
    "joint, sampling T=5": ['train=["il-ner:*:train"]', 'dev=["il-ner:*:dev"]', TESTS, "sampling_temperature=5"],
    "joint, script devanagari": ['train=["il-ner:*:train"]', 'dev=["il-ner:*:dev"]', TESTS, "script=devanagari"],
    "joint, script roman": ['train=["il-ner:*:train"]', 'dev=["il-ner:*:dev"]', TESTS, "script=roman"],
    "cross-lingual (monolingual = diagonal)": [
        "strategy=cross-lingual", "languages=[hindi, urdu, odia, telugu]",
        'train=["il-ner:{language}:train"]', 'dev=["il-ner:{language}:dev"]', TESTS],
    "progressive hindi > hindi+urdu > urdu": [
        "strategy=progressive",
        'stages=[{name: hindi, train: ["il-ner:hindi:train"], dev: ["il-ner:hindi:dev"]}, '
        '{name: hindi-urdu, train: ["il-ner:hindi:train", "il-ner:urdu:train"], dev: ["il-ner:urdu:dev"]}, '
        '{name: urdu, train: ["il-ner:urdu:train"], dev: ["il-ner:urdu:dev"]}]',
        'test=["il-ner:hindi:test", "il-ner:urdu:test"]'],
    "vocabulary augmentation (odia, 500 words)": [
        'train=["il-ner:odia:train"]', 'dev=["il-ner:odia:dev"]', 'test=["il-ner:odia:test"]', "vocab_augmentation=500"],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--out", default="runs/strategies")
    parser.add_argument("--only", nargs="*", help="run only the strategies whose name starts with these")
    args = parser.parse_args()
    root = Path(args.out)
    rows = []
    chosen = {k: v for k, v in STRATEGIES.items() if not args.only or any(k.startswith(o) for o in args.only)}
    if not args.only or any("hiner".startswith(o) or o.startswith("hiner") for o in args.only):
        chosen["hiner init (hindi)"] = []
    for name, overrides in chosen.items():
        started = time.time()
        slug = name.split(" (")[0].replace(" ", "-").replace(",", "").replace(">", "").replace("=", "")
        if name.startswith("hiner init"):
            results = _hiner_init(root / slug, args.epochs)
        else:
            config = load_config(None, [*SCRATCH, f"epochs={args.epochs}", *overrides, f"output_dir={root / slug}"])
            results = run_experiment(config, log=lambda m: None)
        seconds = time.time() - started
        for result in results:
            if result.test:
                row = {"strategy": name, "run": result.output_dir.name, "seconds": round(seconds),
                       **{g: round(100 * s["strict"].micro.f1, 2) for g, s in result.test.items()}}
                rows.append(row)
                print(json.dumps(row, ensure_ascii=False), flush=True)
    root.mkdir(parents=True, exist_ok=True)
    (root / "strategies.json").write_text(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
    columns = ["hindi", "urdu", "odia", "telugu", "all"]
    print("\n| strategy | run | " + " | ".join(columns) + " | time (s) |")
    print("|---" * (len(columns) + 3) + "|")
    for row in rows:
        cells = [f"{row[c]:.2f}" if c in row else "" for c in columns]
        print(f"| {row['strategy']} | {row['run']} | " + " | ".join(cells) + f" | {row['seconds']} |")


def _hiner_init(root: Path, epochs: int):
    """A from-scratch model trained on HiNER, then fine-tuned on IL-NER Hindi through the mapping,
    against the same recipe from a plain from-scratch encoder."""
    hiner = load_config(None, [*SCRATCH, f"epochs={epochs}", "tagset=hiner-original",
                               'train=["hiner:original:validation"]', "dev=[]", "test=[]",
                               f"output_dir={root / 'hiner'}"])
    run_experiment(hiner, log=lambda m: None)
    hindi = ['train=["il-ner:hindi:train"]', 'dev=["il-ner:hindi:dev"]', 'test=["il-ner:hindi:test"]']
    from_hiner = load_config(None, [*SCRATCH, f"epochs={epochs}", *hindi, f"model={root / 'hiner'}",
                                    "init_mapping=hiner-original_to_il-ner", f"output_dir={root / 'from-hiner'}"])
    plain = load_config(None, [*SCRATCH, f"epochs={epochs}", *hindi, f"output_dir={root / 'from-scratch'}"])
    return run_experiment(from_hiner, log=lambda m: None) + run_experiment(plain, log=lambda m: None)


if __name__ == "__main__":
    main()
