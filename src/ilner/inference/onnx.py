"""ONNX export (fp32, and dynamically quantised int8) and an ONNX Runtime runner.

``export_onnx`` writes ``onnx/model.onnx`` (+ its weights file), a CRF model's transition
scores (``onnx/crf.npz``) and, with ``int8``, ``onnx/model_int8.onnx`` into a model directory,
so ``Tagger.load(dir, backend="onnx")`` finds them next to the tokenizer and ``ilner.json``
(``model.safetensors`` is not needed then). Needs the ``onnx`` extra.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import shutil
import warnings
from pathlib import Path

import numpy as np

from ilner.data.files import sha256_of
from ilner.errors import IlnerError
from ilner.models.directory import WEIGHTS_FILE, ModelDir

ONNX_FILES = {"onnx": "onnx/model.onnx", "onnx-int8": "onnx/model_int8.onnx"}
CRF_FILE = "onnx/crf.npz"  # a CRF model's transition scores: the graphs output only emission scores
CRF_ARRAYS = ("start", "transitions", "end")
EXPORT_FILE = "onnx/export.json"  # the sha256 of the weights the export was made from


def _require(module: str):
    try:
        return __import__(module)
    except ImportError:
        raise IlnerError(f"ONNX support needs the {module} package: pip install 'ilner[onnx]'") from None


def export_onnx(model_dir: str | Path, int8: bool = False) -> list[Path]:
    """Export a token classifier directory to ONNX (and int8); returns the files written."""
    import torch  # noqa: F401 - export needs the train extra as well as the onnx one: this one named first

    from ilner.models.loading import load_classifier_weights, quiet_transformers

    _require("onnxscript")
    _require("onnxruntime")
    quiet_transformers()
    model_dir = Path(model_dir)
    if not ModelDir.open(model_dir).labels:
        raise IlnerError(f"{model_dir} is not a token-classification (NER) model")
    model = load_classifier_weights(str(model_dir))
    staging = model_dir / "onnx.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        _export_into(model, staging, int8)
        scores = getattr(model, "transition_scores", None)
        if scores:
            np.savez(staging / Path(CRF_FILE).name, **dict(zip(CRF_ARRAYS, scores())))
        (staging / Path(EXPORT_FILE).name).write_text(
            json.dumps({"weights_sha256": sha256_of(model_dir / WEIGHTS_FILE)}) + "\n", encoding="utf-8")
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    target = model_dir / "onnx"
    shutil.rmtree(target, ignore_errors=True)
    os.replace(staging, target)
    return sorted(target.iterdir())


def check_export(model_dir: Path) -> None:
    """Refuse an export of other weights than the directory's own: a model retrained after its
    export (or an export copied from elsewhere) would tag with the old model without a word."""
    weights = model_dir / WEIGHTS_FILE
    if not weights.is_file() or not (model_dir / "onnx").is_dir():
        return  # an ONNX-only directory, or no export (OnnxRunner says to make one)
    try:
        exported = json.loads((model_dir / EXPORT_FILE).read_text(encoding="utf-8")).get("weights_sha256")
    except (OSError, ValueError, AttributeError):
        exported = None
    if exported != sha256_of(weights):
        raise IlnerError(f"{model_dir / 'onnx'} was not exported from this directory's {WEIGHTS_FILE} (the model was "
                         f"trained again after the export, or the export is damaged or older); export it again: "
                         f"ilner export {model_dir} --onnx")


def _export_into(model, staging: Path, int8: bool) -> None:
    import torch

    example = torch.full((2, 8), 5, dtype=torch.long)
    batch, length = torch.export.Dim("batch"), torch.export.Dim("length", max=model.config.max_position_embeddings - 2)
    # The exporter narrates every step on stdout and warns about optional packages: keep it quiet.
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logging.getLogger("torch.onnx").setLevel(logging.ERROR)
        torch.onnx.export(
            model, (example, torch.ones_like(example)), str(staging / "model.onnx"), dynamo=True,
            input_names=["input_ids", "attention_mask"], output_names=["logits"],
            dynamic_shapes={"input_ids": {0: batch, 1: length}, "attention_mask": {0: batch, 1: length}},
            verbose=False,
        )
    if int8:
        from onnxruntime.quantization import QuantType, quantize_dynamic
        from onnxruntime.quantization.shape_inference import quant_pre_process

        source = staging / "prepared.onnx"
        try:
            quant_pre_process(str(staging / "model.onnx"), str(source))
        except TypeError:  # ORT's shape inference cannot follow a BiLSTM-CRF's graph; the step is optional
            source = staging / "model.onnx"
        quantize_dynamic(str(source), str(staging / "model_int8.onnx"), weight_type=QuantType.QInt8,
                         use_external_data_format=model.num_parameters() * 4 > 1.8e9)
        for leftover in staging.glob("prepared.onnx*"):
            leftover.unlink()


class OnnxRunner:
    """Runs an exported model with ONNX Runtime on the CPU."""

    def __init__(self, path: str | Path, num_labels: int, threads: int | None = None, transitions=None):
        ort = _require("onnxruntime")
        if not Path(path).is_file():
            raise IlnerError(f"{path} does not exist: export the model first (ilner export MODEL --onnx)")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or len(os.sched_getaffinity(0))
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        try:
            self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as error:  # noqa: BLE001 - ORT raises its own exception types
            raise IlnerError(f"cannot load {path} (export it again with `ilner export MODEL --onnx`): {error}") from None
        self.num_labels = num_labels
        self.transitions = transitions

    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        return self.session.run(["logits"], {"input_ids": input_ids, "attention_mask": attention_mask})[0]
