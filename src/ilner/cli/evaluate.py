"""``ilner evaluate``: entity-level P/R/F1 of predictions against gold, per type and language."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from ilner.cli._app import DATA_HELP, DataDirOption, JsonOption, TagsetOption, app, console, progress
from ilner.cli._render import pct, scores_table, write_json
from ilner.data.corpus import Corpus, Sentence
from ilner.data.io import read_corpus
from ilner.data.sources import load_corpora
from ilner.data.tagsets import Tagset, builtin_mappings, load_mapping, load_tagset
from ilner.evaluation.bootstrap import bootstrap_f1
from ilner.evaluation.metrics import align, evaluate_sentences, exclude_seen
from ilner.errors import DataError


@app.command("evaluate")
def evaluate(
    gold: Annotated[str, typer.Argument(help=DATA_HELP, show_default=False)],
    predictions: Annotated[Path, typer.Argument(
        help="Predicted file with the gold's tokens; a folder of files named like the gold files "
             "when GOLD stands for several.", show_default=False)],
    scheme: Annotated[str, typer.Option(help="strict (IOB2, the headline) or conlleval (lenient).")] = "strict",
    exclude_seen_in: Annotated[Optional[str], typer.Option(
        "--exclude-seen", help="Also score only sentences not found word for word in this data (e.g. il-ner:hindi:train).")] = None,
    tagset: TagsetOption = None,
    mapping: Annotated[Optional[str], typer.Option("--map", help="Map the gold onto this mapping's (name or YAML file) target tagset first; the predictions must already use that tagset.")] = None,
    bootstrap: Annotated[int, typer.Option(min=0, help="Resamples for a 95% confidence interval of micro F1 (0: none).")] = 0,
    json_path: JsonOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Score predictions against gold: per-type P/R/F1/support, micro and macro, per language.

    Gold tags are repaired as `ilner data check` reports; predicted tags are cleaned the same
    way except that I-X after O is left as it is, so strict and conlleval can differ. With --map,
    gold is mapped onto the mapping's target tagset, which the predictions must already use.

    Example: ilner evaluate il-ner:telugu:test telugu-pred.txt --exclude-seen il-ner:telugu:train
    """
    if scheme not in ("strict", "conlleval"):
        raise typer.BadParameter(f"{scheme!r}; choose strict or conlleval", param_hint="--scheme")
    gold_loaded = load_corpora([gold], data_dir=data_dir, tagset=tagset, mapping=mapping, progress=progress)
    several = len(gold_loaded) > 1
    names = [source.path.name for source, _ in gold_loaded]
    if several and len(set(names)) < len(names):
        raise DataError(gold, "stands for several files with the same name; evaluate them one at a time")
    if several and not predictions.is_dir():
        raise DataError(str(predictions), f"{gold} stands for {len(gold_loaded)} files; give a folder "
                        "holding a prediction file of the same name for each")
    seen: list[Sentence] = []
    if exclude_seen_in:
        seen = [s for _, c in load_corpora([exclude_seen_in], data_dir=data_dir, progress=progress) for s in c]

    per_language: dict[str, dict] = {}  # keyed by language, or by file where a language repeats
    languages = [s.language for s, _ in gold_loaded]
    all_gold: list[Sentence] = []
    all_pred: list[Sentence] = []
    for source, gold_corpus in gold_loaded:
        pred_path = predictions / source.path.name if several else predictions
        # Unknown types kept, so that _check_predictions names them rather than reading them as O.
        pred_corpus = read_corpus(pred_path, tagset=gold_corpus.tagset, repair_iob=False, keep_unknown=True,
                                  predicted=True)
        _check_predictions(pred_corpus, gold_corpus.tagset, mapping)
        align(gold_corpus.sentences, pred_corpus.sentences)
        all_gold += gold_corpus.sentences
        all_pred += pred_corpus.sentences
        key = source.language if source.language and languages.count(source.language) == 1 else source.name
        per_language[key] = _score_both(gold_corpus.sentences, pred_corpus.sentences, seen, scheme)

    overall = _score_both(all_gold, all_pred, seen, scheme)
    headline = overall["unseen"] if seen else overall["all"]
    console.print(scores_table(headline, f"{gold} ({scheme}" + (", unseen sentences only)" if seen else ")")))
    if seen:
        console.print(
            f"All {overall['all'].sentences} sentences: micro F1 {pct(overall['all'].micro.f1)}; "
            f"the {overall['unseen'].sentences} not seen in {exclude_seen_in}: micro F1 {pct(overall['unseen'].micro.f1)}"
        )
    other = "conlleval" if scheme == "strict" else "strict"
    console.print(f"{other} micro F1 (all sentences): {pct(overall['other'].micro.f1)}")
    interval = bootstrap_f1(all_gold, all_pred, n=bootstrap, scheme=scheme) if bootstrap else None
    if interval:
        console.print(f"{scheme} micro F1 of all {len(all_gold)} sentences with 95% bootstrap interval "
                      f"({bootstrap} resamples of sentences): {interval}")
    if several:
        table = Table(title="Per language", title_justify="left")
        for column in ("language", "sentences", "precision", "recall", f"F1 {scheme}", f"F1 {other}"):
            table.add_column(column, justify="left" if column == "language" else "right")
        if seen:
            table.add_column("F1 unseen", justify="right")
        for language, scores in per_language.items():
            row = [language, str(scores["all"].sentences), pct(scores["all"].micro.precision),
                   pct(scores["all"].micro.recall), pct(scores["all"].micro.f1), pct(scores["other"].micro.f1)]
            if seen:
                row.append(pct(scores["unseen"].micro.f1))
            table.add_row(*row)
        console.print(table)
    if json_path:
        payload = overall["all"].to_dict() | {
            other: overall["other"].to_dict(),
            "per_language": {lang: s["all"].to_dict() for lang, s in per_language.items()},
        }
        if interval:
            payload["micro_interval"] = {"f1": interval.f1, "low": interval.low, "high": interval.high, "resamples": bootstrap}
        if seen:
            payload["unseen"] = overall["unseen"].to_dict() | {
                "excluded": overall["all"].sentences - overall["unseen"].sentences,
                "per_language": {lang: s["unseen"].to_dict() for lang, s in per_language.items()},
            }
        write_json(json_path, payload)


def _check_predictions(predictions: Corpus, tagset: Tagset | None, mapping: str | None) -> None:
    """Refuse predictions that reading would change: a skipped line shifts the tokens, and a type
    the gold's tagset lacks would be read as O, so the scores would be silently wrong."""
    report = predictions.report
    if report.skipped_lines:
        number, text = report.skipped_lines[0]
        raise DataError(report.source, f"line {text!r} is not token + tag; every token of the predictions "
                        "needs a tag", line=number)
    if not report.unknown_types or tagset is None:
        return
    types = sorted(report.unknown_types)
    if mapping:
        hint = f"with --map the gold is mapped onto {tagset.name}, and the predictions must already use its types"
    else:
        fitting = [m for m in map(load_mapping, builtin_mappings())
                   if m.source == tagset.name and set(types) <= set(load_tagset(m.target).types)]
        hint = (f"map the gold onto the predictions' tagset with --map {Path(fitting[0].origin).stem}" if fitting
                else "if the predictions use another tagset, map the gold onto it with --map (a mapping name or YAML file)")
    first = next(line for s in predictions for tag, line in zip(s.tags, s.lines) if tag != "O" and tag[2:] in types)
    raise DataError(report.source, f"predicted types {', '.join(types)} are not in the gold's tagset {tagset.name} "
                    f"({', '.join(tagset.types)}); {hint}", line=first)


def _score_both(gold: list[Sentence], pred: list[Sentence], seen: list[Sentence], scheme: str) -> dict:
    other = "conlleval" if scheme == "strict" else "strict"
    result = {"all": evaluate_sentences(gold, pred, scheme), "other": evaluate_sentences(gold, pred, other)}
    if seen:
        result["unseen"] = evaluate_sentences(*exclude_seen(gold, pred, seen), scheme)
    return result
