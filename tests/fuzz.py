"""Bad and odd inputs for every command, written afresh into a folder (no data is committed).

Each case is a command line (``ilner data check``, ``data stats``, ``data repair``, ``data
convert``, ``evaluate``, ``predict``, ``train``) over a file the case writes: the causes of
issue 23 one by one, plus seeded random damage (bytes flipped, cut, doubled; columns added;
lines shuffled) of small valid CoNLL and JSONL files. The property every case must keep:

- the exit code is a documented one (0, 1 for unusable data, 2 for bad input) and standard
  error holds no traceback and no internal error;
- when a command that writes a corpus (repair, convert) exits 0, the corpus it wrote reads back
  as the corpus it read, token for token and tag for tag (repairs included); and where a case
  knows how many entities its input holds, that many come out, or standard error reports repairs.

``tests/test_fuzz.py`` runs every case in the suite. For a bigger run, with counts:

    python tests/fuzz.py --random 2000 [--model MODEL_DIR]
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
import tempfile
import traceback
from collections import Counter
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

from ilner.data.schemes import chunks

DOCUMENTED_EXIT_CODES = (0, 1, 2)

CONLL = ("प्रधानमंत्री\tO\nनरेंद्र\tB-NEP\nमोदी\tI-NEP\nने\tO\nदिल्ली\tB-NEL\nमें\tO\nभाषण\tO\nदिया\tO\n।\tO\n\n"
         "وزیر\tO\nاعظم\tO\nنے\tO\nلاہور\tB-NEL\nمیں\tO\n۲۰۲۴\tB-NETI\nکو\tO\nتقریر\tO\nکی\tO\n\n")
CONLL_ENTITIES = 4
JSONL = ('{"text": "नरेंद्र मोदी ने दिल्ली में भाषण दिया", "entities": [{"start": 0, "end": 12, "label": "NEP"}, '
         '{"start": 16, "end": 22, "label": "NEL"}]}\n'
         '{"tokens": ["ଭୁବନେଶ୍ୱର", "ରେ", "ବୈଠକ"], "tags": ["B-NEL", "O", "O"]}\n')
JSONL_ENTITIES = 3


@dataclass
class Case:
    name: str
    args: list[str]
    output: str | None = None  # a corpus the command writes
    entities_in: int | None = None  # entities in its input, when known
    source: str | None = None  # the corpus it reads, when it writes one


def _file(root: Path, name: str, data: bytes | str) -> str:
    path = root / name
    path.write_bytes(data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data)
    return str(path)


def _data_commands(root: Path, name: str, path: str, entities: int | None) -> list[Case]:
    """Every data command over one input file."""
    stem = Path(path).name.replace(".", "_")
    jsonl_out, conll_out = str(root / f"{stem}.out.jsonl"), str(root / f"{stem}.out.conll")
    return [
        Case(f"{name}/check", ["data", "check", path]),
        Case(f"{name}/stats", ["data", "stats", path]),
        Case(f"{name}/repair", ["data", "repair", path, conll_out], conll_out, entities, path),
        Case(f"{name}/convert", ["data", "convert", path, jsonl_out, "--to", "jsonl"], jsonl_out, entities, path),
        Case(f"{name}/evaluate", ["evaluate", path, path]),
    ]


def named_cases(root: Path) -> list[Case]:
    """The causes of issue 23, one file each, through every data command."""
    big = "9" * 5000
    inputs: dict[str, tuple[str, bytes | str, int | None]] = {
        "valid-conll": ("valid.conll", CONLL, CONLL_ENTITIES),
        "valid-jsonl": ("valid.jsonl", JSONL, JSONL_ENTITIES),
        "jsonl-huge-int": ("huge-int.jsonl", f'{{"tokens": ["a"], "tags": ["O"], "n": {big}}}\n', None),
        "jsonl-huge-offset": ("huge-offset.jsonl", f'{{"text": "a b", "entities": [{{"start": 0, "end": {big}, "label": "NEP"}}]}}\n', None),
        "jsonl-deep": ("deep.jsonl", "[" * 100_000 + "]" * 100_000 + "\n", None),
        "jsonl-surrogate": ("surrogate.jsonl", '{"tokens": ["a\\ud800b"], "tags": ["B-NEP"]}\n', None),
        "jsonl-duplicate-key": ("duplicate.jsonl", '{"tokens": ["दिल्ली"], "tags": ["B-NEL"], "tags": ["O"]}\n', None),
        "jsonl-bool-offsets": ("bool.jsonl", '{"text": "ab cd", "entities": [{"start": false, "end": true, "label": "NEP"}]}\n', None),
        "jsonl-tab-in-token": ("tab.jsonl", '{"tokens": ["नई\\tदिल्ली", "में"], "tags": ["B-NEL", "O"]}\n', 1),
        "jsonl-newline-in-token": ("newline.jsonl", '{"tokens": ["नई\\nदिल्ली", "में"], "tags": ["B-NEL", "O"]}\n', 1),
        "jsonl-zero-width-entity": ("zwsp.jsonl", '{"text": "\\u200bदिल्ली में", "entities": [{"start": 0, "end": 7, "label": "NEL"}]}\n', 1),
        "jsonl-not-object": ("list.jsonl", '[1, 2]\n', None),
        "jsonl-null-fields": ("null.jsonl", '{"tokens": null, "tags": null}\n', None),
        "jsonl-nan": ("nan.jsonl", '{"text": "ab", "entities": [{"start": NaN, "end": 1, "label": "NEP"}]}\n', None),
        "conll-extra-column": ("extra.conll", "नरेंद्र\tB-NEP\tO\nमोदी\tI-NEP\tO\nने\tO\tO\n", 1),
        "conll-ragged": ("ragged.conll", "नरेंद्र\tB-NEP\nमोदी\tI-NEP\tO\nने\tO\n", 1),
        "conll-io": ("io.conll", "नरेंद्र\tI-NEP\nमोदी\tI-NEP\nने\tO\nदिल्ली\tI-NEL\n", 2),
        "conll-bioes": ("bioes.conll", "नरेंद्र\tB-NEP\nमोदी\tE-NEP\nने\tO\nदिल्ली\tS-NEL\n", 2),
        "utf16-no-bom": ("utf16.conll", CONLL.encode("utf-16-le"), None),
        "utf16-bom": ("utf16-bom.conll", CONLL.encode("utf-16"), CONLL_ENTITIES),
        "utf8-one-nul": ("nul.conll", CONLL.replace("ने\tO", "ने\x00\tO", 1), None),
        "binary": ("binary.conll", bytes(range(256)) * 8, None),
        "empty": ("empty.conll", b"", None),
        "blank-lines": ("blank.conll", "\n\n \n", None),
        "cr-line-ends": ("cr.conll", CONLL.replace("\n", "\r"), CONLL_ENTITIES),
        "long-line": ("long.conll", "क" * 2_000_000 + "\tO\n", None),
    }
    cases = []
    for name, (file_name, data, entities) in inputs.items():
        cases += _data_commands(root, name, _file(root, file_name, data), entities)
    valid = str(root / "valid.conll")
    folder = root / "a-folder"
    folder.mkdir(exist_ok=True)
    not_a_folder = _file(root, "plain-file", "x")
    cases += [
        Case("json-to-folder", ["data", "check", valid, "--json", str(folder)]),
        Case("json-under-file", ["data", "stats", valid, "--json", f"{not_a_folder}/stats.json"]),
        Case("json-missing-parent", ["evaluate", valid, valid, "--json", str(root / "new/deeper/scores.json")]),
        Case("repair-to-folder", ["data", "repair", valid, str(folder)]),
        Case("convert-under-file", ["data", "convert", valid, f"{not_a_folder}/out.jsonl", "--to", "jsonl"]),
        Case("config-binary", ["train", "--config", _file(root, "binary.yaml", bytes(range(256)))]),
        Case("config-not-mapping", ["train", "--config", _file(root, "list.yaml", "- a\n- b\n")]),
        Case("set-nan-rate", ["train", "--preset", "crf", "--set", "learning_rate=nan", "-o", str(root / "never")]),
        Case("no-such-file", ["data", "check", str(root / "missing.conll")]),
        Case("unknown-dataset", ["data", "check", "no-such-dataset:*:*"]),
    ]
    return cases


def model_cases(root: Path, model: str) -> list[Case]:
    """``ilner predict`` over bad input and options (needs a model directory)."""
    text = _file(root, "text.txt", "नरेंद्र मोदी ने दिल्ली में भाषण दिया।\nوزیر اعظم نے لاہور میں تقریر کی۔\n")
    return [
        Case("predict/text", ["predict", model, text]),
        Case("predict/utf16-no-bom", ["predict", model, _file(root, "text16.txt", "दिल्ली में\n".encode("utf-16-le"))]),
        Case("predict/surrogate-jsonl", ["predict", model, "--input-format", "jsonl", "--format", "jsonl",
                                         _file(root, "sur.jsonl", '{"text": "a\\udc00b"}\n')]),
        Case("predict/tab-in-token", ["predict", model, "--input-format", "jsonl", "--format", "conll",
                                      _file(root, "tab.jsonl", '{"tokens": ["नई\\tदिल्ली", "में"]}\n')]),
        Case("predict/o-penalty-nan", ["predict", model, text, "--o-penalty", "nan"]),
        Case("predict/device-cuda", ["predict", model, text, "--device", "cuda"]),
        Case("predict/device-nonsense", ["predict", model, text, "--device", "nonsense"]),
        Case("predict/output-missing-parent", ["predict", model, text, "-o", str(root / "made/for/me.tsv")]),
        Case("predict/output-under-file", ["predict", model, text, "-o", f"{root / 'plain-file'}/x.tsv"]),
        Case("predict/binary-input", ["predict", model, str(root / "binary.conll")]),
        Case("predict/not-a-model", ["predict", str(root), text]),
    ]


def random_cases(root: Path, count: int, seed: int = 0) -> list[Case]:
    """Seeded random damage of the valid files, each through one data command."""
    rng = random.Random(seed)
    commands = ("check", "stats", "repair", "convert")
    cases = []
    for i in range(count):
        suffix, base = rng.choice(((".conll", CONLL), (".jsonl", JSONL)))
        data = bytearray(base.encode("utf-8"))
        for _ in range(rng.randint(1, 4)):
            if not data:
                break
            how = rng.randrange(6)
            at = rng.randrange(len(data))
            if how == 0:
                data[at] = rng.randrange(256)
            elif how == 1:
                del data[at:at + rng.randint(1, 40)]
            elif how == 2:
                data[at:at] = data[at:at + rng.randint(1, 40)]
            elif how == 3:
                data[at:at] = rng.choice((b"\t", b"\n", b"\tO", b"\tB-NEP", b"\"", b"{", b"\x00", b"\r", "\u200b".encode()))
            elif how == 4:
                lines = bytes(data).split(b"\n")
                rng.shuffle(lines)
                data = bytearray(b"\n".join(lines))
            else:
                data = data[:at]
        path = _file(root, f"random-{i}{suffix}", bytes(data))
        command = rng.choice(commands)
        out = str(root / f"random-{i}.out{'.jsonl' if command == 'convert' else '.conll'}")
        args = {"check": ["data", "check", path], "stats": ["data", "stats", path],
                "repair": ["data", "repair", path, out], "convert": ["data", "convert", path, out, "--to", "jsonl"]}[command]
        writes = command in ("repair", "convert")
        cases.append(Case(f"random-{i}/{command}", args, out if writes else None, None, path if writes else None))
    return cases


@dataclass
class Outcome:
    case: Case
    code: int
    stderr: str
    problem: str | None  # "traceback", "exit code N", "lost entities: ..."; None when fine


def run_case(case: Case) -> Outcome:
    """Run one case in-process through the real entry point and judge it."""
    from ilner.cli import main

    out, err = io.StringIO(), io.StringIO()
    argv, sys.argv = sys.argv, ["ilner", *case.args]
    code = 0
    try:
        with redirect_stdout(out), redirect_stderr(err):
            main()
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    except BaseException:  # noqa: BLE001 - an exception that escaped the entry point is what we look for
        err.write(traceback.format_exc())
        code = -1
    finally:
        sys.argv = argv
    stderr = err.getvalue()
    return Outcome(case, code, stderr, _problem(case, code, stderr))


def _problem(case: Case, code: int, stderr: str) -> str | None:
    if "Traceback (most recent call last)" in stderr or code == -1:
        return "traceback"
    if code not in DOCUMENTED_EXIT_CODES:
        return f"exit code {code}: {stderr.strip()[-300:]}"
    if code != 0 or not case.output:
        return None
    read, written = _sentences(case.source), _sentences(case.output)
    if read != written:
        changed = next(i for i, (a, b) in enumerate(zip(read + [None], written + [None])) if a != b)
        return f"changed on the way: sentence {changed + 1} reads {read[changed:changed + 1]} but was written as " \
               f"{written[changed:changed + 1]}"
    entities = sum(len(chunks(tags)) for _, tags in written)
    if case.entities_in is not None and entities != case.entities_in and "repair" not in stderr.lower():
        return f"lost entities: {case.entities_in} in, {entities} out, no repair reported"
    return None


def _sentences(path: str) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    from ilner.data.io import read_corpus

    return [(s.tokens, s.tags) for s in read_corpus(path)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--random", type=int, default=300, help="how many randomly damaged files")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model", help="a model directory, for the predict cases")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        cases = named_cases(root) + random_cases(root, args.random, args.seed)
        if args.model:
            cases += model_cases(root, args.model)
        outcomes = [run_case(case) for case in cases]
    kinds = Counter((o.problem or "ok").split(":")[0] for o in outcomes)
    for outcome in outcomes:
        if outcome.problem:
            print(f"{outcome.case.name}: {outcome.problem[:300]}")
    print(json.dumps({"cases": len(outcomes), "exit_codes": dict(Counter(o.code for o in outcomes)),
                      "tracebacks": kinds["traceback"], "silent_losses": kinds["lost entities"] + kinds["changed on the way"],
                      "undocumented_exit_codes": sum(v for k, v in kinds.items() if k.startswith("exit code"))}))


if __name__ == "__main__":
    main()
