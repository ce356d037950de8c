"""Leave one corpus out: how the multi-corpus model does on text like nothing it trained on.

Usage: ILNER_DATA_DIR=../shared/datasets python benchmarks/leave_one_corpus_out.py
       [--corpora urdu-uner telugu-reddy2018] [--preset indic] [--baseline-preset fast]
       [--baseline RUN_DIR] [--out runs/loco] [--resamples 1000] [--reuse]

For each outside corpus X that has a same-language partner in the preset's training data (UNER
beside IL-NER Urdu, the Telugu corpus beside IL-NER Telugu), the preset is trained on all its
data but X, and X is scored with ``ilner benchmark`` (strict F1 on the IL-NER types X annotates
fully, with a bootstrap interval). The same X is scored with the IL-NER-only preset
(``--baseline-preset``, trained in the same run into OUT/il-ner-only, or the finished run
``--baseline``), so the table reads as: what the other corpora add on text from elsewhere. The
Telugu corpus's test split is not mirrored, so its train split (never trained on here) is scored.
``--reuse`` scores runs already finished in OUT instead of training them again.

About 20 minutes a model on 2 cores (the `indic` preset without its language stages: the model for all
languages is scored); run nothing else meanwhile.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

# Each corpus: the data entries that hold it (left out of training) and what ``ilner benchmark`` scores.
CORPORA = {
    "urdu-uner": (("urdu-uner:urdu:all",), "urdu-uner:urdu:all"),
    "telugu-reddy2018": (("telugu-reddy2018:fold0:train", "telugu-reddy2018:fold0:dev"), "telugu-reddy2018:fold0:train"),
}
# The model for all languages is the one scored (on both sides), so no language stages are trained.
NO_STAGES = ["language_stages.epochs=0"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpora", nargs="+", default=list(CORPORA), choices=list(CORPORA))
    parser.add_argument("--preset", default="indic")
    parser.add_argument("--baseline-preset", default="fast")
    parser.add_argument("--baseline", help="a finished IL-NER-only run to compare with, instead of training one")
    parser.add_argument("--out", default="runs/loco")
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--reuse", action="store_true", help="score the runs already finished in --out")
    args = parser.parse_args()
    from ilner.training import load_config
    from ilner.training.config import preset_path

    out = Path(args.out)
    runs = {}
    for corpus in args.corpora:
        left_out, _ = CORPORA[corpus]
        config = load_config(preset_path(args.preset), [f"output_dir={out / f'without-{corpus}'}"])
        kept = [spec for spec in config.train if spec not in left_out]
        if len(kept) == len(config.train):
            parser.error(f"the {args.preset} preset does not train on {corpus}")
        config = load_config(preset_path(args.preset), [
            f"output_dir={out / f'without-{corpus}'}", "train=[" + ",".join(kept) + "]",
            "dev=[" + ",".join(spec for spec in config.dev if spec not in left_out) + "]", *NO_STAGES])
        runs[corpus] = trained_run(config, args.reuse)
    baseline = Path(args.baseline) if args.baseline else trained_run(
        load_config(preset_path(args.baseline_preset), [f"output_dir={out / 'il-ner-only'}", *NO_STAGES]), args.reuse)

    from ilner.evaluation.benchmarking import benchmark

    print(f"| corpus left out | scored | entities | {args.preset} without it: strict F1 [95%] | unseen entities | "
          f"IL-NER only ({baseline}) | difference |")
    print("|---|---|---|---|---|---|---|")
    for corpus, run_dir in runs.items():
        scored = CORPORA[corpus][1]
        [without] = benchmark(run_dir, [scored], bootstrap=args.resamples).results
        [only] = benchmark(baseline, [scored], bootstrap=args.resamples).results
        assert not without.seen_in_training, f"{run_dir} saw {scored} in training"
        print(f"| {corpus} | {scored} | {without.gold_entities} | {_f1(without)} | {100 * (without.unseen_share or 0):.0f}% | "
              f"{_f1(only)} | {100 * (without.strict.micro.f1 - only.strict.micro.f1):+.2f} |", flush=True)


def trained_run(config, reuse: bool) -> Path:
    """The finished run of ``config``: trained now, or (``reuse``) the one already there.
    (benchmarks/learning_curve.py trains its runs so too.)"""
    from ilner.training import run_experiment

    output_dir = Path(config.output_dir)
    if reuse and (output_dir / "ilner.json").is_file():
        return output_dir
    started = time.time()
    run_experiment(config, log=lambda m: None)
    print(f"trained {output_dir} in {time.time() - started:.0f} s", flush=True)
    return output_dir


def _f1(result) -> str:
    interval = f" [{100 * result.interval.low:.2f}, {100 * result.interval.high:.2f}]" if result.interval else ""
    return f"{100 * result.strict.micro.f1:.2f}{interval}"


if __name__ == "__main__":
    main()
