"""The optional extras of pyproject.toml, so that a missing package is reported as the install to run.

Commands import torch, transformers or onnxruntime only when they need them, so the core install
(data, evaluate) works without them; a command that does need one names the extra instead of
ending in a ``ModuleNotFoundError`` traceback.
"""

from __future__ import annotations

from ilner.errors import IlnerError

# Top-level modules of the extras whose imports are left to the commands that use them.
EXTRA_OF_MODULE = {
    **dict.fromkeys(["torch", "transformers", "tokenizers", "accelerate", "safetensors", "huggingface_hub"], "train"),
    **dict.fromkeys(["onnx", "onnxscript", "onnxruntime"], "onnx"),
    **dict.fromkeys(["fastapi", "uvicorn", "starlette", "pydantic"], "serve"),
    **dict.fromkeys(["ray", "pyarrow"], "ray"),
    **dict.fromkeys(["spacy", "thinc"], "spacy"),
}


class MissingExtraError(IlnerError):
    """A command needs a package of an extra that is not installed."""


def missing_extra(error: ModuleNotFoundError) -> MissingExtraError | None:
    """The error naming the extra that provides the missing module; None if no extra does."""
    extra = EXTRA_OF_MODULE.get((error.name or "").partition(".")[0])
    if extra is None:
        return None
    first = " (torch first: see README)" if extra == "train" else ""
    return MissingExtraError(f"no module named '{error.name}'; this command needs the {extra} extra: "
                             f"pip install 'ilner[{extra}]'{first}")
