"""ONNX export: the same entities as PyTorch on the IL-NER test sets (fp32 exactly, int8 closely)."""

from dataclasses import replace
from pathlib import Path

import pytest
from training_helpers import slice_file, tiny_config

from ilner.data import load_corpora
from ilner.evaluation import evaluate_sentences
from ilner.inference.tagger import Tagger
from ilner.training import run_training

pytest.importorskip("onnxruntime")


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    from conftest import MIRROR

    from ilner.inference.onnx import export_onnx

    if MIRROR is None:
        pytest.skip("dataset mirror not found")
    root = tmp_path_factory.mktemp("onnx")
    train = slice_file(MIRROR, "il-ner/Hindi/Hindi-train.txt", root / "Hindi-train.txt", 400)
    config = tiny_config(root, f"train=[{train}]", "dev=[]", "test=[]", "epochs=6")
    run_training(config, log=lambda m: None)
    files = export_onnx(config.output_dir, int8=True)
    assert {f.name for f in files} >= {"model.onnx", "model_int8.onnx"}
    return Path(config.output_dir)


def _predict(model_dir, backend, gold):
    tagged = Tagger.load(model_dir, backend=backend).tag_tokens([s.tokens for s in gold])
    return [replace(s, tags=tuple(t.tags)) for s, t in zip(gold, tagged)]


def test_onnx_gives_the_same_entities_as_pytorch(exported):
    gold = [s for _, corpus in load_corpora(["il-ner:*:test"]) for s in corpus]
    torch_pred = _predict(exported, "torch", gold)
    onnx_pred = _predict(exported, "onnx", gold)
    assert [s.tags for s in onnx_pred] == [s.tags for s in torch_pred]
    f1 = evaluate_sentences(gold, torch_pred).micro.f1
    assert f1 > 0.05  # the model finds entities, so the comparison means something
    int8_f1 = evaluate_sentences(gold, _predict(exported, "onnx-int8", gold)).micro.f1
    assert abs(int8_f1 - f1) < 0.005, (f1, int8_f1)


def test_predict_cli_with_onnx_backend(exported, cli, tmp_path):
    path = tmp_path / "in.txt"
    path.write_text("प्रधानमंत्री नरेंद्र मोदी ने 15 अगस्त 2024 को दिल्ली में भाषण दिया।\n", encoding="utf-8")
    outputs = {}
    for backend in ("torch", "onnx"):
        code, out, err = cli("predict", exported, path, "--backend", backend)
        assert code == 0, err
        outputs[backend] = out
    assert outputs["onnx"] == outputs["torch"]


def test_onnx_backend_without_export_is_a_clear_error(tmp_path, exported):
    import shutil

    from ilner.errors import IlnerError

    copy = tmp_path / "m"
    shutil.copytree(exported, copy, ignore=shutil.ignore_patterns("onnx", "checkpoints"))
    with pytest.raises(IlnerError, match="export the model first"):
        Tagger.load(copy, backend="onnx")
