"""The torch runtime: the TRM's own halting loop (`TRM.infer`), on CPU or GPU, with numpy in and out."""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np
import torch

from trm_hub.model import TRM
from trm_hub.runtime import SMALL_CPU_BATCH, Result, Settle


def _numpy_settle(settle: Settle, step: int, rows: torch.Tensor, outputs: torch.Tensor) -> torch.Tensor:
    """A numpy `settle` asked from the model's torch loop."""
    stop = settle(step, rows.cpu().numpy(), outputs.cpu().numpy())
    return torch.as_tensor(stop, dtype=torch.bool, device=rows.device)


class TorchEngine:
    """A loaded TRM answering numpy token arrays."""

    runtime = "torch"

    def __init__(self, model: TRM):
        self.model = model
        self.config = model.config
        self.device = next(model.parameters()).device.type

    def accepts_length(self, length: int) -> bool:
        return self.model.accepts_length(length)

    def infer(self, inputs: Any, puzzle_ids: Any = None, *, features: Any = None, halt_threshold: float = 0.0,
              max_steps: int | None = None, adaptive: bool = True, rows: int | None = None,
              settle: Settle | None = None) -> Result:
        device = next(self.model.parameters()).device
        x = torch.as_tensor(np.asarray(inputs) if not torch.is_tensor(inputs) else inputs, device=device)
        ids = None if puzzle_ids is None else torch.as_tensor(puzzle_ids, device=device)
        feats = None if features is None else torch.as_tensor(np.asarray(features, np.float32), device=device)
        single = device.type == "cpu" and x.shape[0] < SMALL_CPU_BATCH
        before = torch.get_num_threads()
        if single:
            torch.set_num_threads(1)
        try:
            out = self.model.infer(x, ids, features=feats, halt_threshold=halt_threshold, max_steps=max_steps,
                                   adaptive=adaptive, rows=rows, settle=None if settle is None else partial(_numpy_settle, settle))
        finally:
            if single:
                torch.set_num_threads(before)
        return Result(out.outputs.cpu().numpy(), out.steps.cpu().numpy(), out.q_halt.float().cpu().numpy())
