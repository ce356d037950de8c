"""Damaged or mismatched model directories: one clear error naming the file, never garbage tags."""

import json
import pickle
import shutil
from pathlib import Path

import pytest
from training_helpers import tiny_trained_model

from ilner.errors import IlnerError
from ilner.inference.tagger import Tagger
from ilner.models.directory import ModelDir, read_meta
from ilner.training import run_training

SENTENCE = "प्रधानमंत्री नरेंद्र मोदी ने दिल्ली में भाषण दिया।\n"


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    config = tiny_trained_model(tmp_path_factory.mktemp("model-dir"), 60)
    return Path(config.output_dir), config


@pytest.fixture
def model(trained, tmp_path):
    copy = tmp_path / "model"
    shutil.copytree(trained[0], copy, ignore=shutil.ignore_patterns("checkpoints"))
    return copy


class _Marker:
    def __init__(self, path: Path):
        self.path = path

    def __reduce__(self):
        return (Path.touch, (self.path,))


def _rewrite_weights(model: Path, change) -> None:
    from safetensors.torch import load_file, save_file

    tensors = load_file(str(model / "model.safetensors"))
    change(tensors)
    save_file(tensors, str(model / "model.safetensors"))


def _forget_weights_hash(model: Path) -> None:
    """As in an ilner.json of an older ilner: the checks after loading must catch what follows."""
    meta = json.loads((model / "ilner.json").read_text())
    meta["weights_sha256"] = None
    (model / "ilner.json").write_text(json.dumps(meta))


def _flip_a_byte(model: Path) -> None:
    data = bytearray((model / "model.safetensors").read_bytes())
    data[-7] ^= 0x40
    (model / "model.safetensors").write_bytes(bytes(data))


def _damage(model: Path, how: str, tmp_path: Path) -> str:
    """Damage ``model`` as ``how`` says; returns what the error must name."""
    weights = model / "model.safetensors"
    if how == "truncated-weights":
        weights.write_bytes(weights.read_bytes()[:5000])
        return "model.safetensors"
    if how == "missing-weights":
        weights.unlink()
        return "model.safetensors is missing"
    if how == "flipped-byte":
        _flip_a_byte(model)
        return "sha256"
    if how == "nan-weights":
        _forget_weights_hash(model)
        _rewrite_weights(model, lambda t: t[next(k for k in t if k.endswith("classifier.weight"))].fill_(float("nan")))
        return "NaN"
    if how == "dropped-weight":
        _forget_weights_hash(model)
        _rewrite_weights(model, lambda t: t.pop(next(k for k in t if k.endswith("classifier.bias"))))
        return "missing keys"
    if how == "label-count":
        config = json.loads((model / "config.json").read_text())
        config["id2label"] = {str(i): f"L{i}" for i in range(5)}
        config["label2id"] = {f"L{i}": i for i in range(5)}
        (model / "config.json").write_text(json.dumps(config))
        return "labels"
    if how == "bad-ilner-json":
        (model / "ilner.json").write_text('{"labels": [', encoding="utf-8")
        return "ilner.json"
    if how == "ilner-json-wrong-type":
        meta = json.loads((model / "ilner.json").read_text())
        meta["max_length"] = "long"
        (model / "ilner.json").write_text(json.dumps(meta))
        return "ilner.json"
    if how == "bad-config-json":
        (model / "config.json").write_text("\x00\x01binary", encoding="utf-8")
        return "config.json"
    if how == "bad-tokenizer-json":
        (model / "tokenizer.json").write_text('{"model": ', encoding="utf-8")
        return "tokenizer"
    if how == "missing-tokenizer-json":
        (model / "tokenizer.json").unlink()
        return "tokenizer.json"
    if how in ("remote-code", "remote-code-tokenizer"):
        return _remote_code(model, tmp_path, "config.json" if how == "remote-code" else "tokenizer_config.json")
    if how == "pickle-only":
        weights.unlink()
        (model / "pytorch_model.bin").write_bytes(pickle.dumps(_Marker(tmp_path / "code-ran")))
        return "pytorch_model.bin"
    raise AssertionError(how)


def _remote_code(model: Path, tmp_path: Path, config_file: str) -> str:
    """A config that asks transformers to import the folder's own code, which would leave a marker."""
    (model / "evil.py").write_text(f"from pathlib import Path\nPath({str(tmp_path / 'code-ran')!r}).touch()\n")
    values = json.loads((model / config_file).read_text())
    values["auto_map"] = {"AutoConfig": "evil.EvilConfig", "AutoTokenizer": ["evil.EvilTokenizer", None]}
    (model / config_file).write_text(json.dumps(values))
    return "auto_map"


DAMAGES = ["truncated-weights", "missing-weights", "flipped-byte", "nan-weights", "dropped-weight", "label-count",
           "bad-ilner-json", "ilner-json-wrong-type", "bad-config-json", "bad-tokenizer-json",
           "missing-tokenizer-json", "pickle-only", "remote-code", "remote-code-tokenizer"]


@pytest.mark.parametrize("how", DAMAGES)
def test_damaged_model_directory_is_one_clear_error(model, tmp_path, how, cli):
    named = _damage(model, how, tmp_path)
    with pytest.raises(IlnerError, match=named):
        Tagger.load(model)
    text = tmp_path / "in.txt"
    text.write_text(SENTENCE, encoding="utf-8")
    code, out, err = cli("predict", str(model), str(text))  # standard input holds no "y" for transformers' question
    assert code == 2 and "Traceback" not in err and named in err and not out
    assert not (tmp_path / "code-ran").exists()


def test_intact_model_directory_opens_and_records_its_weights(model):
    from ilner.data.files import sha256_of

    directory = ModelDir.open(model)
    assert directory.meta.weights_sha256 == sha256_of(model / "model.safetensors")
    assert directory.labels == read_meta(model).labels and len(directory.labels) == 13


def test_model_files_get_the_mode_other_files_get(trained):
    root, _ = trained
    modes = {path.name: path.stat().st_mode & 0o777 for path in root.iterdir() if path.is_file()}
    assert modes["model.safetensors"] == modes["config.json"] == modes["ilner.json"], modes
    assert (root / "checkpoints/best.safetensors").exists() is False or \
        (root / "checkpoints/best.safetensors").stat().st_mode & 0o777 == modes["config.json"]
    assert (root / "checkpoints/last/model.safetensors").stat().st_mode & 0o777 == modes["config.json"]


def test_stale_onnx_export_is_refused_and_a_new_training_removes_it(trained, model, tmp_path):
    pytest.importorskip("onnxruntime")
    from ilner.inference.onnx import export_onnx

    export_onnx(model)
    Tagger.load(model, backend="onnx")  # fresh: loads
    other = tmp_path / "other"  # the same run with another seed: other weights, same files
    _, config = trained
    from dataclasses import replace

    run_training(replace(config, seed=8, output_dir=str(other)), log=lambda m: None)
    for name in ("model.safetensors", "ilner.json"):
        shutil.copy(other / name, model / name)
    with pytest.raises(IlnerError, match="not exported from this directory's model.safetensors.*ilner export"):
        Tagger.load(model, backend="onnx")
    # Training into a folder that holds an export removes the export with the old weights.
    (other / "onnx").mkdir()
    (other / "onnx/model.onnx").write_bytes(b"old")
    run_training(replace(config, seed=9, output_dir=str(other)), log=lambda m: None)
    assert not (other / "onnx").exists()


def test_hub_model_whose_ilner_json_cannot_be_fetched_is_an_error(monkeypatch):
    """Offline with the config cached but not ilner.json: defaults would tag with the wrong settings."""
    import huggingface_hub
    from huggingface_hub.errors import LocalEntryNotFoundError

    from ilner.inference.tagger import _hub_meta

    def offline(*args, **kwargs):
        raise LocalEntryNotFoundError("not cached and offline")

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", offline)
    with pytest.raises(IlnerError, match="someone/ner: cannot fetch its ilner.json"):
        _hub_meta("someone/ner", ["O", "B-NEP", "I-NEP"])


def test_damaged_crf_transitions_of_an_export_are_one_error(model):
    from ilner.inference.tagger import _crf_transitions

    (model / "onnx").mkdir()
    (model / "onnx/crf.npz").write_bytes(b"PK\x03\x04 not a zip")
    with pytest.raises(IlnerError, match="crf.npz: damaged.*ilner export"):
        _crf_transitions(model, "ilner-bilstm-crf")
