"""Strategies built from single runs: one model (optionally then one per language), a cross-lingual
matrix, progressive transfer."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from ilner.data.files import atomic_write_text
from ilner.training.config import LanguageStages, NerInit, TrainConfig
from ilner.training.trainer import Checkpoints, Log, RunResult, forget_run, run_training


def _fill(specs: list[str], language: str) -> list[str]:
    return [spec.replace("{language}", language) for spec in specs]


def _finished(output_dir: Path) -> bool:
    return (output_dir / "ilner.json").exists() and (output_dir / "config.json").exists()


def _is_main_process() -> bool:
    """Summaries are written by one process only in multi-process runs."""
    from accelerate import PartialState

    return PartialState().is_main_process


def run_experiment(config: TrainConfig, *, resume: bool = False, log: Log = print) -> list[RunResult]:
    """Run the config's strategy; returns the runs in order (their models are in their output dirs)."""
    if config.strategy == "single":
        root = Path(config.output_dir)
        if (config.ner_init.train or config.language_stages.epochs) and _is_main_process() \
                and not (resume and Checkpoints(root).available()):
            # The main run starts afresh: what it left before must neither resume nor look finished.
            if (root / "config.json").exists():
                log(f"starting afresh in {root} (its earlier models are removed; --resume continues a run)")
            forget_run(root)
            _forget_language_stages(root)
        results = []
        if config.ner_init.train:
            results.append(ner_init(config, resume=resume, log=log))
            config = replace(config, model=str(results[0].output_dir), init_mapping=config.ner_init.mapping,
                             ner_init=NerInit())
        results.append(run_training(config, resume=resume, log=log))
        if config.language_stages.epochs:
            results += language_stages(config, resume=resume, log=log)
        return results
    if config.strategy == "cross-lingual":
        return cross_lingual(config, resume=resume, log=log)
    return progressive(config, resume=resume, log=log)


def ner_init(config: TrainConfig, *, resume: bool = False, log: Log = print) -> RunResult:
    """Train ``config.model`` for NER on ``config.ner_init``'s corpus and tagset, into
    ``output_dir/ner-init``; the run then starts from it. A scratch tokenizer also learns the
    run's own training text, so that its words are not split into pieces later."""
    init = config.ner_init
    run = replace(
        config, train=init.train, dev=[], test=[], tagset=init.tagset, epochs=init.epochs, data_mapping=None,
        init_mapping=None, only_language=None, tune_o_penalty=False, ner_init=NerInit(),
        language_stages=LanguageStages(), scratch_text=[*config.scratch_text, *config.train],
        output_dir=str(Path(config.output_dir) / "ner-init"),
    )
    if resume and _finished(Path(run.output_dir)):
        log(f"== NER init already finished in {run.output_dir}")
        return RunResult(Path(run.output_dir), None, None, 0.0, {})
    log(f"== NER init: {', '.join(init.train)} ({init.tagset}), {init.epochs} epochs")
    return run_training(run, resume=resume, log=log)


def language_stages(config: TrainConfig, *, resume: bool = False, log: Log = print) -> list[RunResult]:
    """Continue from the finished model in ``config.output_dir`` on each of its training languages
    alone (``config.language_stages``): one model per language in ``output_dir/<language>``."""
    root = Path(config.output_dir)
    languages = json.loads((root / "ilner.json").read_text(encoding="utf-8"))["languages"]
    if len(languages) < 2:
        log(f"language_stages: the model was trained on {', '.join(languages) or 'one language'} only; no stages")
        return []
    stages = config.language_stages
    results = []
    for language in languages:
        run = replace(config, language_stages=LanguageStages(), only_language=language, epochs=stages.epochs,
                      learning_rate=stages.learning_rate or config.learning_rate, output_dir=str(root / language))
        if resume and _finished(Path(run.output_dir)):
            log(f"== language stage {language} already finished")
            continue
        log(f"== language stage: {language} alone, {stages.epochs} epochs from {root}")
        results.append(run_training(run, resume=resume, init_from=str(root), log=log))
    return results


def _forget_language_stages(root: Path) -> None:
    """A run starting afresh makes its earlier language stages stale: unmark them as finished."""
    for meta_path in root.glob("*/ilner.json"):
        started_from = json.loads(meta_path.read_text(encoding="utf-8")).get("init_from")
        if started_from and Path(started_from).resolve() == root.resolve():
            meta_path.unlink()


def cross_lingual(config: TrainConfig, *, resume: bool = False, log: Log = print) -> list[RunResult]:
    """Train on each language A (its own dev selects the model) and test on every test set.

    Writes ``matrix.md`` and ``matrix.json``: rows are training languages, columns test languages,
    cells strict micro F1.
    """
    root = Path(config.output_dir)
    results = []
    # A scratch tokenizer learns every language's text (not its tags), or zero-shot runs would
    # see nothing but <unk> in the other scripts.
    scratch_text = config.scratch_text or [s for lang in config.languages for s in _fill(config.train, lang)]
    for language in config.languages:
        run = replace(
            config, strategy="single", train=_fill(config.train, language), dev=_fill(config.dev, language),
            output_dir=str(root / language), scratch_text=scratch_text,
        )
        log(f"== cross-lingual: training on {language}")
        results.append(run_training(run, resume=resume, log=log))
    if not _is_main_process():
        return results
    matrix = {
        language: {group: scores["strict"].micro.f1 for group, scores in (result.test or {}).items()}
        for language, result in zip(config.languages, results)
    }
    columns = list(dict.fromkeys(k for row in matrix.values() for k in row if k != "all")) or ["all"]
    lines = ["| train \\ test | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for language, row in matrix.items():
        lines.append(f"| {language} | " + " | ".join(f"{100 * row.get(c, float('nan')):.2f}" for c in columns) + " |")
    atomic_write_text(root / "matrix.md", "Strict micro F1 (%) on each test set\n\n" + "\n".join(lines) + "\n")
    atomic_write_text(root / "matrix.json", json.dumps(matrix, indent=2) + "\n")
    log("\n".join(lines))
    return results


def progressive(config: TrainConfig, *, resume: bool = False, log: Log = print) -> list[RunResult]:
    """Train stage after stage, each starting from the previous stage's best model."""
    root = Path(config.output_dir)
    results: list[RunResult] = []
    previous: str | None = None
    summary = []
    # The first stage's scratch tokenizer learns the text of all stages (see cross_lingual).
    scratch_text = config.scratch_text or [spec for stage in config.stages for spec in stage.train]
    for number, stage in enumerate(config.stages, start=1):
        name = stage.name or "+".join(s.split(":")[1] if s.count(":") == 2 else Path(s).stem for s in stage.train)
        run = replace(
            config, strategy="single", stages=[], train=stage.train, dev=stage.dev or config.dev,
            epochs=stage.epochs or config.epochs, learning_rate=stage.learning_rate or config.learning_rate,
            output_dir=str(root / f"stage-{number}-{name}"), scratch_text=scratch_text,
        )
        if resume and _finished(Path(run.output_dir)):
            log(f"== stage {number} ({name}) already finished; continuing from it")
            scores = json.loads((Path(run.output_dir) / "ilner.json").read_text(encoding="utf-8"))["scores"].get("test", {})
            test_f1 = {group: by_scheme["strict"]["micro"]["f1"] for group, by_scheme in scores.items()}
        else:
            log(f"== stage {number}: {name}" + (f", starting from {previous}" if previous else ""))
            results.append(run_training(run, resume=resume, init_from=previous, log=log))
            test_f1 = {g: s["strict"].micro.f1 for g, s in (results[-1].test or {}).items()}
        summary.append({"stage": number, "name": name, "output_dir": run.output_dir, **test_f1})
        previous = run.output_dir
    if _is_main_process():
        atomic_write_text(root / "stages.json", json.dumps(summary, indent=2) + "\n")
    return results
