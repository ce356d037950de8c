"""The optimiser every ilner training loop uses."""

from __future__ import annotations


def adamw(params, lr: float, device, weight_decay: float = 0.0):
    """AdamW, fused into one kernel where PyTorch has one for ``device`` (CPU and CUDA).

    Scratch models carry large embedding and feature tables: for the cpu preset's 16.6M
    parameters the unfused update takes 39 ms a step on 2 cores, 40% of a training step; fused, 6 ms.
    """
    import torch

    fused = True if torch.device(device).type in ("cpu", "cuda") else None
    return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay, fused=fused)
