"""Strategies built from single runs: one model (optionally then one per language), a cross-lingual
matrix, progressive transfer."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from ilner.data.files import atomic_write_text
from ilner.data.sources import resolve
from ilner.data.tagsets import load_tagset
from ilner.errors import DataError, IlnerError
from ilner.training.config import LanguageStages, NerInit, Stage, TrainConfig
from ilner.models.directory import META_FILE, read_meta
from ilner.training.checkpoints import STATE_FILE, Checkpoints, TrainerState
from ilner.training.trainer import Log, RunResult, forget_run, no_sentences_of, run_training, settings_changed


def _fill(specs: list[str], language: str) -> list[str]:
    return [spec.replace("{language}", language) for spec in specs]


def _finished(run: TrainConfig, init_from: str | None = None) -> bool:
    """Whether ``run``'s model is in its output_dir. One trained with other settings is refused: it
    is no stage of this run, and skipping or continuing from it would mix two runs."""
    output_dir = Path(run.output_dir)
    if not ((output_dir / META_FILE).exists() and (output_dir / "config.json").exists()):
        return False
    changed = settings_changed(run, output_dir, init_from)
    if changed:
        raise IlnerError(f"cannot resume: {output_dir} holds a model trained with other settings "
                         f"({', '.join(changed)}); resume with the same config, or start afresh without --resume")
    return True


def _check_data(config: TrainConfig, train: list[str], others: list[str]) -> None:
    """Fail on an unknown tagset, missing data, or an only_language or language stage the ``train``
    data lacks before an earlier run's models are removed."""
    load_tagset(config.tagset)
    languages = set()
    for spec in [*train, *others]:
        for source in resolve(spec, config.data_dir, plain_tagset=config.tagset):
            if not source.path.is_file():
                raise DataError(source.name, "no such file")
            if spec in train:
                languages.add(source.language or "unknown")
    if config.only_language and config.only_language not in languages:
        raise no_sentences_of(config.only_language, languages)
    unknown = [language for language in config.language_stages.languages if language not in languages]
    if config.language_stages.epochs and unknown and "unknown" not in languages:
        raise _not_trained_on(unknown, "the training data", sorted(languages))


def _not_trained_on(unknown: list[str], what: str, languages: list[str]) -> IlnerError:
    return IlnerError(f"language_stages.languages: {', '.join(unknown)} not among the languages of {what} "
                      f"({', '.join(languages)}); name some of those, or none for all")


def _started_from(run_dir: Path) -> str | None:
    """The model a run continued from, as its ilner.json or (unfinished) last checkpoint records it."""
    checkpoints = Checkpoints(run_dir)
    if (run_dir / META_FILE).exists():
        return read_meta(run_dir).init_from
    if checkpoints.available():
        return TrainerState.read(checkpoints.last / STATE_FILE).fingerprint.get("init_from")
    return None


def _forget(run_dirs: list[Path], log: Log) -> None:
    """A fresh run forgets every model it owns, so that none resumes or looks finished later."""
    if not _is_main_process():
        return
    earlier = [d for d in run_dirs if (d / "config.json").exists() or Checkpoints(d).root.exists()]
    if earlier:
        log(f"starting afresh: the earlier models in {', '.join(map(str, earlier))} are removed "
            "(--resume continues a run)")
    for run_dir in run_dirs:
        forget_run(run_dir)


def _is_main_process() -> bool:
    """Summaries are written by one process only in multi-process runs."""
    from accelerate import PartialState

    return PartialState().is_main_process


def run_experiment(config: TrainConfig, *, resume: bool = False, log: Log = print) -> list[RunResult]:
    """Run the config's strategy; returns the runs in order (their models are in their output dirs)."""
    root = Path(config.output_dir)
    if config.strategy == "single":
        if (config.ner_init.train or config.language_stages.epochs) and not (resume and Checkpoints(root).available()):
            # The main run starts afresh: what it and its stages left must neither resume nor look
            # finished (a finished NER init is kept for --resume, which continues after it).
            _check_data(config, config.train, [*config.dev, *config.test, *config.ner_init.train])
            stages = [d for d in root.glob("*")
                      if d.is_dir() and (s := _started_from(d)) and Path(s).resolve() == root.resolve()]
            _forget([root, *stages, *([] if resume else [root / "ner-init"])], log)
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
        if not resume:
            _check_data(config, [s for lang in config.languages for s in _fill(config.train, lang)],
                        [s for lang in config.languages for s in _fill(config.dev, lang)] + config.test)
            _forget([root / language for language in config.languages], log)
        return cross_lingual(config, resume=resume, log=log)
    if not resume:
        _check_data(config, [s for stage in config.stages for s in stage.train],
                    [s for stage in config.stages for s in stage.dev] + config.dev + config.test)
        _forget([root / f"stage-{number}-{_stage_name(stage)}" for number, stage in enumerate(config.stages, start=1)], log)
    return progressive(config, resume=resume, log=log)


def ner_init(config: TrainConfig, *, resume: bool = False, log: Log = print) -> RunResult:
    """Train ``config.model`` for NER on ``config.ner_init``'s corpus and tagset, into
    ``output_dir/ner-init``; the run then starts from it. A scratch tokenizer also learns the
    run's own training text, so that its words are not split into pieces later."""
    init = config.ner_init
    run = replace(
        config, train=init.train, dev=[], test=[], tagset=init.tagset, epochs=init.epochs, data_mapping=None,
        data_mappings={}, init_mapping=None, only_language=None, tune_o_penalty=False, ner_init=NerInit(),
        language_stages=LanguageStages(), scratch_text=[*config.scratch_text, *config.train],
        output_dir=str(Path(config.output_dir) / "ner-init"),
    )
    if resume and _finished(run):
        log(f"== NER init already finished in {run.output_dir}")
        return RunResult(Path(run.output_dir), None, None, 0.0, {})
    log(f"== NER init: {', '.join(init.train)} ({init.tagset}), {init.epochs} epochs")
    return run_training(run, resume=resume, log=log)


def language_stages(config: TrainConfig, *, resume: bool = False, log: Log = print) -> list[RunResult]:
    """Continue from the finished model in ``config.output_dir`` on each of its training languages
    alone (``config.language_stages``): one model per language in ``output_dir/<language>``."""
    root = Path(config.output_dir)
    languages = read_meta(root).languages
    if len(languages) < 2:
        log(f"language_stages: the model was trained on {', '.join(languages) or 'one language'} only; no stages")
        return []
    stages = config.language_stages
    unknown = [language for language in stages.languages if language not in languages]
    if unknown:
        raise _not_trained_on(unknown, str(root), languages)
    results = []
    for language in stages.languages or languages:
        run = replace(config, language_stages=LanguageStages(), only_language=language, epochs=stages.epochs,
                      learning_rate=stages.learning_rate or config.learning_rate, output_dir=str(root / language))
        if resume and _finished(run, str(root)):
            log(f"== language stage {language} already finished")
            continue
        log(f"== language stage: {language} alone, {stages.epochs} epochs from {root}")
        results.append(run_training(run, resume=resume, init_from=str(root), log=log))
    return results


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
            data_mappings={entry.replace("{language}", language): name for entry, name in config.data_mappings.items()},
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


def _stage_name(stage: Stage) -> str:
    return stage.name or "+".join(s.split(":")[1] if s.count(":") == 2 else Path(s).stem for s in stage.train)


def progressive(config: TrainConfig, *, resume: bool = False, log: Log = print) -> list[RunResult]:
    """Train stage after stage, each starting from the previous stage's best model."""
    root = Path(config.output_dir)
    results: list[RunResult] = []
    previous: str | None = None
    summary = []
    # The first stage's scratch tokenizer learns the text of all stages (see cross_lingual).
    scratch_text = config.scratch_text or [spec for stage in config.stages for spec in stage.train]
    for number, stage in enumerate(config.stages, start=1):
        name = _stage_name(stage)
        run = replace(
            config, strategy="single", stages=[], train=stage.train, dev=stage.dev or config.dev,
            epochs=stage.epochs or config.epochs, learning_rate=stage.learning_rate or config.learning_rate,
            output_dir=str(root / f"stage-{number}-{name}"), scratch_text=scratch_text,
        )
        if resume and _finished(run, previous):
            log(f"== stage {number} ({name}) already finished; continuing from it")
            scores = read_meta(run.output_dir).scores.get("test", {})
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
