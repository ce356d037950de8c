"""Checkpoints: resuming reads only safetensors and JSON, and a damaged checkpoint is one clear error."""

import json
import pickle
from pathlib import Path

import pytest
import torch
from training_helpers import tiny_trained_model

from ilner.errors import IlnerError
from ilner.training import run_training
from ilner.training.checkpoints import Checkpoints


@pytest.fixture(scope="module")
def checkpointed(tmp_path_factory):
    """A tiny one-epoch run whose checkpoint folder the tests damage (each on a copy)."""
    root = tmp_path_factory.mktemp("checkpointed")
    return root, tiny_trained_model(root, 60)


def _copy(checkpointed, tmp_path):
    import shutil

    root, config = checkpointed
    shutil.copytree(Path(config.output_dir), tmp_path / "run")
    from dataclasses import replace

    return replace(config, output_dir=str(tmp_path / "run"))


class _Marker:
    """Unpickling this creates a file: the proof that loading ran code."""

    def __init__(self, path: Path):
        self.path = path

    def __reduce__(self):
        return (Path.touch, (self.path,))


def test_checkpoint_holds_no_pickle(checkpointed):
    _, config = checkpointed
    last = Checkpoints(Path(config.output_dir)).last
    names = sorted(p.name for p in last.iterdir())
    assert names == ["model.safetensors", "optimizer.json", "optimizer.safetensors", "random-0.json",
                     "random-0.safetensors", "scheduler.json", "trainer_state.json"]
    for path in Checkpoints(Path(config.output_dir)).root.rglob("*"):
        assert path.suffix not in (".pkl", ".bin", ".pt", ".pth"), path


@pytest.mark.parametrize("name", ["custom_checkpoint_0.pkl", "random_states_0.pkl", "optimizer.bin"])
def test_resume_never_unpickles_a_planted_file(checkpointed, tmp_path, name):
    config = _copy(checkpointed, tmp_path)
    marker = tmp_path / "code-ran"
    last = Checkpoints(Path(config.output_dir)).last
    (last / name).write_bytes(pickle.dumps(_Marker(marker)))
    with pytest.raises(IlnerError, match=f"{name}.*can run code.*not read"):
        run_training(config, resume=True, log=lambda m: None)
    assert not marker.exists()


@pytest.mark.parametrize("damage", ["truncated-optimizer", "bad-state-json", "state-wrong-keys", "missing-scheduler",
                                    "truncated-model", "bad-random", "optimizer-groups", "optimizer-extra-tensor",
                                    "scheduler-keys", "nan-model", "bad-head-json"])
def test_damaged_checkpoint_is_one_clear_error(checkpointed, tmp_path, damage, cli):
    config = _copy(checkpointed, tmp_path)
    last = Checkpoints(Path(config.output_dir)).last
    if damage == "truncated-optimizer":
        data = (last / "optimizer.safetensors").read_bytes()
        (last / "optimizer.safetensors").write_bytes(data[: len(data) // 2])
        culprit = "optimizer.safetensors"
    elif damage == "truncated-model":
        data = (last / "model.safetensors").read_bytes()
        (last / "model.safetensors").write_bytes(data[:100])
        culprit = "model.safetensors"
    elif damage == "bad-state-json":
        (last / "trainer_state.json").write_text('{"epoch": 1,', encoding="utf-8")
        culprit = "trainer_state.json"
    elif damage == "state-wrong-keys":
        (last / "trainer_state.json").write_text(json.dumps({"epoch": "one"}), encoding="utf-8")
        culprit = "trainer_state.json"
    elif damage == "missing-scheduler":
        (last / "scheduler.json").unlink()
        culprit = "scheduler.json"
    elif damage == "optimizer-groups":
        saved = json.loads((last / "optimizer.json").read_text())
        saved["param_groups"] = saved["param_groups"][:1]
        (last / "optimizer.json").write_text(json.dumps(saved), encoding="utf-8")
        culprit = "optimizer.json"
    elif damage == "optimizer-extra-tensor":
        from safetensors.torch import load_file, save_file

        tensors = load_file(str(last / "optimizer.safetensors"))
        save_file({**tensors, "bogus": torch.zeros(1)}, str(last / "optimizer.safetensors"))
        culprit = "optimizer.safetensors"
    elif damage == "scheduler-keys":
        (last / "scheduler.json").write_text(json.dumps({"foo": 1}), encoding="utf-8")
        culprit = "scheduler.json"
    elif damage == "nan-model":
        from safetensors.torch import load_file, save_file

        tensors = load_file(str(last / "model.safetensors"))
        next(v for v in tensors.values() if v.is_floating_point()).fill_(float("nan"))
        save_file(tensors, str(last / "model.safetensors"))
        culprit = "model.safetensors"
    elif damage == "bad-head-json":
        (Checkpoints(Path(config.output_dir)).init / "head.json").write_text("{", encoding="utf-8")
        culprit = "head.json"
    else:
        (last / "random-0.json").write_text(json.dumps({"python": 3}), encoding="utf-8")
        culprit = "random-0.json"
    with pytest.raises(IlnerError, match=f"{culprit}: damaged checkpoint .*start afresh without --resume"):
        run_training(config, resume=True, log=lambda m: None)
    # The same through the command line: one line, exit 2, no traceback.
    from training_helpers import TINY

    args = ["train", "--resume"]
    for item in [*TINY, *(f"{k}={v}" for k, v in (("train", f"[{config.train[0]}]"), ("dev", "[]"), ("test", "[]"),
                                                   ("epochs", 1), ("output_dir", config.output_dir)))]:
        args += ["--set", item]
    code, _, err = cli(*args)
    assert code == 2 and "Traceback" not in err and culprit in err and "damaged checkpoint" in err
