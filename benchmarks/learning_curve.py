"""The paper's open question, size and diversity: dev F1 per language against the amount of
IL-NER a model learns from, and against the corpora added to it.

Usage: ILNER_DATA_DIR=../shared/datasets python benchmarks/learning_curve.py [--out runs/curve]
       [--sizes 10 25 50 100] [--preset fast] [--corpora-preset indic] [--reuse] [--png PATH]

Two series of models, all of the `fast` preset's kind and schedule (one BiLSTM and a feature CRF),
without language stages (each model for all its languages is the one scored):
1. size: trained on 10, 25, 50 and 100% of each IL-NER language's train split (a sample fixed by
   the seed, the same sentences in every larger share);
2. diversity: IL-NER (100%), then IL-NER with UNER and the Telugu corpus (more of two of its
   languages), then all the `indic` preset's corpora (three more languages).
Each model is scored on the dev split of every language: IL-NER's four, and the dev splits of
the Marathi, Bengali and Assamese corpora (scored on the IL-NER types each annotates fully; a
model that never saw the language is scored too: what it does with a language it does not know).
Prints a table and draws both curves into one PNG (matplotlib). ``--reuse`` keeps runs already
finished in OUT (the 100% and "all corpora" points may be links to runs/fast and runs/indic).
About an hour on 2 cores from nothing; run nothing else meanwhile.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

from leave_one_corpus_out import NO_STAGES, trained_run  # benchmarks/ is on the path of a script run from it

IL_NER = ("hindi", "urdu", "odia", "telugu")
OUTSIDE_DEV = {"marathi": "mahaner:marathi:validation-dev", "bengali": "bengali-rifat:bengali:dev",
               "assamese": "assamese-astourne:assamese:dev"}
PARTNERS = ["urdu-uner:urdu:all", "telugu-reddy2018:fold0:train"]  # more Urdu and Telugu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="runs/curve")
    parser.add_argument("--sizes", nargs="+", type=int, default=[10, 25, 50, 100])
    parser.add_argument("--preset", default="fast")
    parser.add_argument("--corpora-preset", default="indic")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--png", default="docs/learning_curve.png")
    args = parser.parse_args()
    from ilner.training import load_config
    from ilner.training.config import preset_path

    out = Path(args.out)
    il_ner_dev = [f"il-ner:{language}:dev" for language in IL_NER]
    size_runs = {}
    for size in args.sizes:
        train = ["il-ner:*:train"] if size == 100 else _sample(out / "data" / f"{size}", size, args.seed)
        config = load_config(preset_path(args.preset), [
            f"output_dir={out / f'il-ner-{size}'}", "train=[" + ",".join(train) + "]",
            "dev=[" + ",".join(il_ner_dev) + "]", "test=[]", *NO_STAGES])
        size_runs[size] = trained_run(config, args.reuse)
    corpora_config = load_config(preset_path(args.corpora_preset),
                                 [f"output_dir={out / 'all-corpora'}", "test=[]", *NO_STAGES])
    partners = load_config(preset_path(args.corpora_preset), [
        f"output_dir={out / 'il-ner-partners'}", "train=[il-ner:*:train," + ",".join(PARTNERS) + "]",
        "dev=[" + ",".join([*il_ner_dev, "telugu-reddy2018:fold0:dev"]) + "]", "test=[]", *NO_STAGES])
    diversity_runs = {"IL-NER": size_runs.get(100) or trained_run(load_config(preset_path(args.preset), [
                          f"output_dir={out / 'il-ner-100'}", "test=[]", *NO_STAGES]), args.reuse),
                      "+ Urdu, Telugu corpora": trained_run(partners, args.reuse),
                      "+ Marathi, Bengali, Assamese": trained_run(corpora_config, args.reuse)}

    dev = _dev_splits()
    languages = list(dev)
    print("| model | " + " | ".join(languages) + " |")
    print("|---|" + "---|" * len(languages))
    size_f1 = {}
    for size, run_dir in size_runs.items():
        size_f1[size] = _scores(run_dir, dev)
        print(f"| IL-NER {size}% | " + " | ".join(f"{100 * size_f1[size][lang]:.2f}" for lang in languages) + " |", flush=True)
    diversity_f1 = {}
    for label, run_dir in diversity_runs.items():
        diversity_f1[label] = _scores(run_dir, dev)
        print(f"| {label} | " + " | ".join(f"{100 * diversity_f1[label][lang]:.2f}" for lang in languages) + " |", flush=True)
    _plot(size_f1, diversity_f1, languages, Path(args.png))
    print(f"figure written to {args.png}")


def _sample(folder: Path, size: int, seed: int) -> list[str]:
    """``size``% of each IL-NER train split, written as files named after the language; the
    same seed draws the same order, so a larger share holds every sentence of a smaller one."""
    from ilner.data import load_corpora, write_corpus

    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for language in IL_NER:
        [(_, corpus)] = load_corpora([f"il-ner:{language}:train"])
        order = list(range(len(corpus)))
        random.Random(f"{seed}-{language}").shuffle(order)
        kept = sorted(order[:max(1, len(order) * size // 100)])
        path = folder / f"{language}-train.txt"
        write_corpus([corpus.sentences[i] for i in kept], path)
        files.append(str(path))
    return files


def _dev_splits() -> dict:
    from ilner.training.data import read_split

    read = dict(log=lambda m: None, tagset="il-ner", data_dir=None, data_mapping=None, keep_unknown=False)
    specs = {language: f"il-ner:{language}:dev" for language in IL_NER} | OUTSIDE_DEV
    return {language: read_split([spec], **read) for language, spec in specs.items()}


def _scores(run_dir: Path, dev: dict) -> dict[str, float]:
    """Strict micro F1 of the model in ``run_dir`` on each language's dev split."""
    from ilner.evaluation.metrics import evaluate_sentences
    from ilner.inference.tagger import Tagger

    tagger = Tagger.load(run_dir)
    return {language: evaluate_sentences(*split.comparable(tagger.tag_sentences(split.sentences))).micro.f1
            for language, split in dev.items()}


def _plot(size_f1: dict, diversity_f1: dict, languages: list[str], png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (by_size, by_corpora) = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    for language in languages:
        style = "-" if language in IL_NER else "--"
        by_size.plot(list(size_f1), [100 * size_f1[s][language] for s in size_f1], style, marker="o", label=language)
        by_corpora.plot(range(len(diversity_f1)), [100 * diversity_f1[k][language] for k in diversity_f1], style,
                        marker="o", label=language)
    by_size.set(xlabel="share of IL-NER train (%)", ylabel="dev strict F1", xscale="log",
                title="size: IL-NER only")
    by_size.set_xticks(list(size_f1), [str(s) for s in size_f1])
    by_corpora.set(xlabel="corpora", title="diversity: 100% of IL-NER, then more corpora")
    by_corpora.set_xticks(range(len(diversity_f1)), list(diversity_f1))
    by_corpora.legend(loc="lower right", fontsize="small")
    for axes in (by_size, by_corpora):
        axes.grid(alpha=0.3)
    figure.tight_layout()
    png.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(png, dpi=110)


if __name__ == "__main__":
    main()
