"""Entry points the CLI calls: train a task's model, evaluate a checkpoint."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from trm_hub.config import TrainConfig
from trm_hub.task import Task, halt_threshold
from trm_hub.train.loop import Trainer


def train(task: Task, cfg: TrainConfig, model_name: str | None = None) -> Path:
    """Train `task` with `cfg`; returns the path of the written checkpoint (.safetensors)."""
    return Trainer(task, cfg, model_name).run()


def evaluate(task: Task, cfg: TrainConfig, checkpoint: str | Path | None = None) -> dict[str, Any]:
    """Report of a checkpoint (default: the registered one) on the task's test split.

    A task with an `evaluate(model, meta, cfg)` method supplies its own report; otherwise
    the report has exact/token accuracy (or RMSE), mean steps and time per example.
    """
    from trm_hub.model import load_checkpoint
    from trm_hub.train.evaluate import evaluate_split

    name = task.checkpoint_name(cfg)
    if checkpoint is None:
        from trm_hub.registry import Registry

        checkpoint = Registry.load().weights_for(task.name, name)
    model, meta = load_checkpoint(checkpoint, cfg.device)
    if meta.get("task") not in (None, task.name):
        raise ValueError(f"checkpoint {checkpoint} was trained for task {meta.get('task')!r}, not {task.name!r}")
    report: dict[str, Any] = {"task": task.name, "model_name": meta.get("model_name", name), "checkpoint": str(checkpoint)}
    own = getattr(task, "evaluate", None)
    if callable(own):
        report.update(own(model, meta, cfg))
    else:
        data = task.build_dataset(cfg)
        report["test"] = evaluate_split(model, data.test, halt_threshold=halt_threshold(cfg, meta))
        report["test_fixed_steps"] = evaluate_split(model, data.test, adaptive=False)
    return json.loads(json.dumps(report))
