"""Evaluation of a TRM on a token or regression split, with adaptive halting."""

from __future__ import annotations

import time
from typing import Any, Callable

import numpy as np
import torch

from trm_hub.model import TRM, Inference
from trm_hub.runtime import Result, as_array
from trm_hub.task import Split
from trm_hub.train.losses import IGNORE


def predict(
    model: TRM,
    inputs: np.ndarray,
    puzzle_ids: np.ndarray | None = None,
    *,
    features: np.ndarray | None = None,
    batch_size: int = 256,
    adaptive: bool = True,
    halt_threshold: float = 0.0,
    infer: Callable[[torch.Tensor], Inference | Result] | None = None,
) -> tuple[np.ndarray, np.ndarray, float]:
    """Run inference in batches: (outputs, steps used per example, seconds).

    `infer(batch)`, when given, answers each batch instead of `model.infer` (a task's views).
    """
    device = next(model.parameters()).device
    outs, steps = [], []
    start = time.perf_counter()
    for i in range(0, len(inputs), batch_size):
        x = torch.as_tensor(inputs[i : i + batch_size], device=device)
        ids = None if puzzle_ids is None else torch.as_tensor(puzzle_ids[i : i + batch_size], device=device)
        feats = None if features is None else torch.as_tensor(features[i : i + batch_size], device=device)
        if infer is not None:
            res = infer(x)
        else:
            res = model.infer(x, ids, features=feats, adaptive=adaptive, halt_threshold=halt_threshold)
        outs.append(as_array(res.outputs))
        steps.append(as_array(res.steps))
    if device.type == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    if not outs:
        return np.zeros((0,)), np.zeros((0,), dtype=np.int64), seconds
    return np.concatenate(outs), np.concatenate(steps), seconds


def split_metrics(outputs: np.ndarray, steps: np.ndarray, split: Split) -> dict[str, float]:
    """Exact/token accuracy for token labels, RMSE/MAE for values; mean steps used."""
    metrics: dict[str, float] = {"examples": len(split), "mean_steps": float(steps.mean()) if len(steps) else 0.0}
    if split.labels.dtype.kind == "f":
        err = outputs.reshape(split.labels.shape) - split.labels
        metrics["rmse"] = float(np.sqrt((err**2).mean()))
        metrics["mae"] = float(np.abs(err).mean())
        return metrics
    mask = split.labels != IGNORE
    right = (outputs == split.labels) & mask
    metrics["exact_accuracy"] = float((right.sum(-1) == mask.sum(-1)).mean())
    metrics["token_accuracy"] = float(right.sum() / max(mask.sum(), 1))
    return metrics


def evaluate_split(model: TRM, split: Split, *, limit: int | None = None, **kw: Any) -> dict[str, float]:
    """Metrics of a model on (the first `limit` examples of) a split, plus time per example."""
    n = len(split) if limit is None else min(limit, len(split))
    part = split.head(n)
    outputs, steps, seconds = predict(model, part.inputs, part.puzzle_ids, features=part.features, **kw)
    metrics = split_metrics(outputs, steps, part)
    metrics["seconds_per_example"] = seconds / max(n, 1)
    return metrics
