"""A run's checkpoints, in formats that cannot run code: safetensors for tensors, JSON for the rest.

``checkpoints/last`` holds the whole training state, so that a killed run resumes and ends with
the same weights as an uninterrupted one::

    model.safetensors       the weights
    optimizer.safetensors   the optimizer's per-parameter tensors (AdamW's moments and steps)
    optimizer.json          its parameter groups (learning rates, betas, ...)
    scheduler.json          the learning-rate schedule's state
    scaler.json             the fp16 loss scaler's state (mixed precision fp16 only)
    random-<process>.json   Python's and NumPy's random states, with the torch generators'
    random-<process>.safetensors
    trainer_state.json      where training stands (TrainerState)

``checkpoints/best.safetensors`` holds the best weights so far, and ``checkpoints/init`` the
starting model. A checkpoint is people's to copy between machines and share, so loading one
never unpickles: Accelerate's own ``save_state`` writes ``.pkl`` files that ``load_state`` reads
with ``weights_only=False``, which would run whatever code a replaced file holds.
"""

from __future__ import annotations

import json
import os
import random
import shutil
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from ilner.data.files import new_file_mode
from ilner.errors import IlnerError

STATE_FILE = "trainer_state.json"


@dataclass
class TrainerState:
    """Where training stands; saved with every checkpoint."""

    epoch: int = 0  # completed epochs
    batch: int = 0  # batches of the current epoch already trained (this process's share)
    step: int = 0  # optimizer steps
    best_f1: float = -1.0
    best_epoch: int | None = None
    history: list[dict] = field(default_factory=list)
    fingerprint: dict = field(default_factory=dict)  # what the batch order and schedule depend on
    epoch_loss: list = field(default_factory=lambda: [0.0, 0])  # loss sum and batches of the epoch so far

    @classmethod
    def read(cls, path: Path) -> TrainerState:
        """Read and check ``trainer_state.json``; a damaged file is an IlnerError naming it."""
        values = _read_json(path, dict)
        expected = {f.name for f in fields(cls)}
        unknown, missing = sorted(values.keys() - expected), sorted(expected - values.keys())
        if unknown or missing:
            raise damaged_checkpoint(path, f"unexpected keys {unknown}" if unknown else f"missing keys {missing}")
        state = cls(**values)
        numbers = (state.epoch, state.batch, state.step)
        if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in numbers) or not (
                isinstance(state.history, list) and isinstance(state.fingerprint, dict)
                and isinstance(state.epoch_loss, list) and len(state.epoch_loss) == 2):
            raise damaged_checkpoint(path, "epoch, batch, step, history, fingerprint or epoch_loss has the wrong type")
        return state


class Checkpoints:
    """``checkpoints/last`` (full training state) and ``checkpoints/best.safetensors`` (weights), both atomic."""

    def __init__(self, output_dir: Path):
        self.root = Path(output_dir) / "checkpoints"
        self.init = self.root / "init"
        self.last = self.root / "last"
        self.best = self.root / "best.safetensors"

    def save(self, accelerator, model, optimizer, scheduler, state: TrainerState) -> None:
        """Write the whole training state to ``last`` (via ``last.tmp`` and renames)."""
        tmp = self.root / "last.tmp"
        if accelerator.is_main_process:
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
        accelerator.wait_for_everyone()
        _save_random_states(tmp, accelerator.process_index, accelerator.device)
        if accelerator.is_main_process:
            _save_weights(accelerator.unwrap_model(model), tmp / "model.safetensors")
            _save_optimizer(optimizer.state_dict(), tmp)
            _write_json(tmp / "scheduler.json", scheduler.state_dict())
            if accelerator.scaler is not None:
                _write_json(tmp / "scaler.json", accelerator.scaler.state_dict())
            _write_json(tmp / STATE_FILE, asdict(state))
        accelerator.wait_for_everyone()
        if accelerator.is_main_process:
            old = self.root / "last.old"
            shutil.rmtree(old, ignore_errors=True)
            if self.last.exists():
                os.replace(self.last, old)
            os.replace(tmp, self.last)
            shutil.rmtree(old, ignore_errors=True)
        accelerator.wait_for_everyone()

    def recover(self) -> None:
        """After a crash between the two renames of ``save``, put ``last.old`` back as ``last``."""
        old = self.root / "last.old"
        if not (self.last / STATE_FILE).exists() and (old / STATE_FILE).exists():
            shutil.rmtree(self.last, ignore_errors=True)
            os.replace(old, self.last)

    def available(self) -> bool:
        return (self.last / STATE_FILE).exists()

    def state(self) -> TrainerState:
        """Where the last checkpoint stands. A checkpoint in another format (Accelerate's
        pickles) is refused before anything of it is read."""
        pickles = sorted(p.name for p in self.last.iterdir() if p.suffix in (".pkl", ".bin", ".pt", ".pth"))
        if pickles:
            raise IlnerError(
                f"{self.last} holds {', '.join(pickles)}: a checkpoint format that can run code when loaded (pickle), "
                "written by an older ilner; it is not read. Start afresh without --resume")
        return TrainerState.read(self.last / STATE_FILE)

    def restore(self, accelerator, model, optimizer, scheduler) -> None:
        """Load the state ``save`` wrote into the prepared model, optimizer and scheduler; a
        damaged checkpoint is an IlnerError naming the file."""
        _load_weights(accelerator.unwrap_model(model), self.last / "model.safetensors")
        for path, load in ((self.last / "optimizer.json", lambda: optimizer.load_state_dict(_load_optimizer(self.last))),
                           (self.last / "scheduler.json",
                            lambda: scheduler.load_state_dict(_read_json(self.last / "scheduler.json", dict))),
                           (self.last / "scaler.json", lambda: accelerator.scaler is not None and
                            accelerator.scaler.load_state_dict(_read_json(self.last / "scaler.json", dict)))):
            try:
                load()
            except (KeyError, TypeError, ValueError, RuntimeError) as error:
                raise damaged_checkpoint(path, f"does not fit this run's training state: {error!r}") from None
        _load_random_states(self.last, accelerator.process_index, accelerator.device)

    def save_best(self, model) -> None:
        tmp = self.best.with_suffix(".tmp")
        _save_weights(model, tmp)
        os.replace(tmp, self.best)

    def load_best(self, model) -> bool:
        if not self.best.exists():
            return False
        _load_weights(model, self.best)
        return True


def damaged_checkpoint(path: Path, what: str) -> IlnerError:
    return IlnerError(f"{path}: damaged checkpoint ({what}); start afresh without --resume, "
                      "or put back an intact copy of the checkpoint folder")


def _write_json(path: Path, values) -> None:
    path.write_text(json.dumps(values), encoding="utf-8")


def _read_json(path: Path, kind: type):
    try:
        values = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise damaged_checkpoint(path, "the file is missing") from None
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise damaged_checkpoint(path, f"not valid JSON: {error}") from None
    if not isinstance(values, kind):
        raise damaged_checkpoint(path, f"expected a JSON {'object' if kind is dict else kind.__name__}")
    return values


def _save_weights(model, path: Path) -> None:
    from safetensors.torch import save_file

    save_file({k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}, str(path))
    path.chmod(new_file_mode())  # safetensors writes 0600, unlike every other file


def _read_tensors(path: Path) -> dict:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    if not path.is_file():
        raise damaged_checkpoint(path, "the file is missing")
    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError) as error:
        raise damaged_checkpoint(path, f"not a readable safetensors file: {error}") from None


def _load_weights(model, path: Path) -> None:
    import torch

    tensors = _read_tensors(path)
    expected = model.state_dict()
    if tensors.keys() != expected.keys() or any(tensors[k].shape != v.shape for k, v in expected.items()):
        raise damaged_checkpoint(path, "its weights do not fit this run's model")
    broken = next((k for k, v in tensors.items() if v.is_floating_point() and not torch.isfinite(v).all()), None)
    if broken:
        raise damaged_checkpoint(path, f"weight {broken} holds NaN or infinite values")
    model.load_state_dict(tensors)


def _save_optimizer(state_dict: dict, directory: Path) -> None:
    """Per-parameter tensors to safetensors (``state.<param>.<name>``), everything else to JSON."""
    from safetensors.torch import save_file

    tensors, values = {}, {}
    for param, entries in state_dict["state"].items():
        for name, value in entries.items():
            if hasattr(value, "detach"):
                tensors[f"state.{param}.{name}"] = value.detach().cpu().contiguous()
            else:
                values.setdefault(str(param), {})[name] = value
    save_file(tensors, str(directory / "optimizer.safetensors"))
    _write_json(directory / "optimizer.json", {"param_groups": state_dict["param_groups"], "values": values})


def _load_optimizer(directory: Path) -> dict:
    saved = _read_json(directory / "optimizer.json", dict)
    if not isinstance(saved.get("param_groups"), list) or not isinstance(saved.get("values"), dict):
        raise damaged_checkpoint(directory / "optimizer.json", "expected 'param_groups' and 'values'")
    state: dict[int, dict] = {}
    for key, tensor in _read_tensors(directory / "optimizer.safetensors").items():
        try:
            _, param, name = key.split(".", 2)
            state.setdefault(int(param), {})[name] = tensor
        except ValueError:
            raise damaged_checkpoint(directory / "optimizer.safetensors", f"unexpected tensor {key!r}") from None
    for param, entries in saved["values"].items():
        state.setdefault(int(param), {}).update(entries)
    # JSON has no tuples; the optimizer's betas were one.
    groups = [{k: tuple(v) if isinstance(v, list) and k != "params" else v for k, v in group.items()}
              for group in saved["param_groups"]]
    return {"state": state, "param_groups": groups}


def _save_random_states(directory: Path, process: int, device) -> None:
    """This process's random states: Python's, NumPy's, torch's, and its own GPU's (the device
    type is in the run's fingerprint, so a resume restores the same kinds)."""
    import numpy as np
    import torch
    from safetensors.torch import save_file

    version, python_state, gauss = random.getstate()
    kind, keys, position, has_gauss, cached = np.random.get_state()
    _write_json(directory / f"random-{process}.json", {
        "python": [version, list(python_state), gauss],
        "numpy": [kind, keys.tolist(), position, has_gauss, cached],
    })
    tensors = {"torch": torch.get_rng_state()}
    if device.type == "cuda":
        tensors["cuda"] = torch.cuda.get_rng_state(device)
    save_file(tensors, str(directory / f"random-{process}.safetensors"))


def _load_random_states(directory: Path, process: int, device) -> None:
    import numpy as np
    import torch

    path = directory / f"random-{process}.json"
    saved = _read_json(path, dict)
    try:
        version, python_state, gauss = saved["python"]
        kind, keys, position, has_gauss, cached = saved["numpy"]
        random.setstate((version, tuple(python_state), gauss))
        np.random.set_state((kind, np.array(keys, dtype=np.uint32), position, has_gauss, cached))
    except (KeyError, TypeError, ValueError) as error:
        raise damaged_checkpoint(path, f"not a random state: {error}") from None
    tensors_path = directory / f"random-{process}.safetensors"
    tensors = _read_tensors(tensors_path)
    wanted = ["torch", "cuda"] if device.type == "cuda" else ["torch"]
    missing = [name for name in wanted if name not in tensors]
    if missing:
        raise damaged_checkpoint(tensors_path, f"no {' or '.join(missing)} random state")
    try:
        torch.set_rng_state(tensors["torch"])
        if device.type == "cuda":
            torch.cuda.set_rng_state(tensors["cuda"], device)
    except (RuntimeError, TypeError) as error:
        raise damaged_checkpoint(tensors_path, f"not a random state: {error}") from None
