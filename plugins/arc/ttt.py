"""Test-time training: fit a copy of the model to a new task's demonstration pairs, under augmented views."""

from __future__ import annotations

import copy
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np
import torch

from trm_hub.model import TRM
from trm_hub.train.losses import supervision_loss, total_loss
from trm_hub.train.optim import build_optimizer, optimizer_step, set_learning_rate
from trm_hub_plugins.arc.augment import Augmentation, sample_augmentations, translate_batch
from trm_hub_plugins.arc.tokens import encode_grid, encode_label, fits
from trm_hub_plugins.arc.recipe import ArcRecipe

BATCH = 16
WARMUP = 10
REPORT_EVERY_S = 5.0


@dataclass
class Tuned:
    """A test-time trained copy of the model with the views it learnt (puzzle id k + 1 is views[k])."""

    model: TRM
    views: list[Augmentation]
    stats: dict[str, float] = field(default_factory=dict)

    @property
    def ids(self) -> list[int]:
        return list(range(1, len(self.views) + 1)) if self.model.puzzle_emb is not None else [0] * len(self.views)


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def demonstration_tokens(
    demos: Sequence[dict[str, Any]], views: Sequence[Augmentation], canvas: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Inputs, labels and puzzle ids (view k -> k + 1) of every demonstration under every view."""
    inputs, labels, ids = [], [], []
    for k, aug in enumerate(views):
        for pair in demos:
            inputs.append(encode_grid(aug.apply(pair["input"]), canvas))
            labels.append(encode_label(aug.apply(pair["output"]), canvas))
            ids.append(k + 1)
    return np.stack(inputs), np.stack(labels), np.asarray(ids, dtype=np.int64)


def _fresh_identifiers(model: TRM, count: int) -> TRM:
    """A copy of the model whose puzzle embedding has the blank id 0 and `count` new rows, each
    starting at the mean of the trained rows (a typical task; zero when there are none)."""
    tuned = copy.deepcopy(model)
    if tuned.puzzle_emb is not None:
        old = tuned.puzzle_emb.weight.detach()
        tuned.puzzle_emb = torch.nn.Embedding(count + 1, old.shape[1], device=old.device, dtype=old.dtype)
        with torch.no_grad():
            tuned.puzzle_emb.weight.zero_()
            if old.shape[0] > 1:
                tuned.puzzle_emb.weight[1:] = old[1:].mean(0)
        tuned.config = tuned.config.model_copy(update={"num_puzzle_identifiers": count + 1})
    return tuned


def fit_to_task(
    model: TRM,
    demos: Sequence[dict[str, Any]],
    canvas: int,
    *,
    seconds: float,
    views: int,
    cfg: ArcRecipe,
    rng: np.random.Generator,
    lr_scale: float = 1.0,
    label: str = "task",
    max_steps: int | None = None,
    log: Callable[[str], None] | None = _stderr,
) -> Tuned:
    """Train a copy of `model` on the demonstrations (each view with its own new puzzle id) for
    `seconds` (or `max_steps` optimiser steps), with deep supervision, the trainer's loss and its
    optimiser, as the checkpoint's recipe `cfg` sets them; learning rates are scaled by `lr_scale`.
    """
    augs = sample_augmentations(views, rng)
    usable = [p for p in demos if fits([p["input"], p["output"]], canvas)]
    tuned = _fresh_identifiers(model, len(augs))
    if not usable or (seconds <= 0 and not max_steps):
        tuned.eval()
        return Tuned(tuned, augs, {"seconds": 0.0, "steps": 0, "demonstrations": len(usable)})
    inputs, labels, ids = demonstration_tokens(usable, augs, canvas)
    device = next(model.parameters()).device
    cfg = cfg.model_copy(update={"model": tuned.config})
    opt = build_optimizer(tuned, cfg)
    with_ids = tuned.puzzle_emb is not None
    supervision = int(tuned.config.halt_max_steps)
    batch = min(BATCH, len(inputs))
    tuned.train()
    began = last_report = time.perf_counter()
    steps, recent = 0, []
    deadline = began + seconds if seconds > 0 else float("inf")
    limit = max_steps if max_steps is not None else sys.maxsize
    while steps < limit and time.perf_counter() < deadline:
        pick = rng.choice(len(inputs), size=batch, replace=False)
        x, y = inputs[pick], labels[pick]
        if cfg.data.translate:
            x, y = translate_batch(x, y, rng)
        x_t, y_t = torch.as_tensor(x, device=device), torch.as_tensor(y, device=device)
        p_t = torch.as_tensor(ids[pick], device=device) if with_ids else None
        state = tuned.initial_state(batch, device)
        for _ in range(supervision):
            set_learning_rate(opt, lr_scale * cfg.lr * min(1.0, (steps + 1) / WARMUP))
            state, logits, q_halt = tuned.step(state, x_t, p_t)
            parts = supervision_loss(cfg, logits, y_t, q_halt)
            optimizer_step(opt, tuned, total_loss(cfg, parts).mean(), cfg)
            steps += 1
            recent = (recent + [(float(parts.correct.float().mean()), float(parts.accuracy.mean()))])[-supervision:]
            now = time.perf_counter()
            if steps >= limit or now >= deadline:
                break
            if log is not None and now - last_report >= REPORT_EVERY_S:
                last_report = now
                log(f"arc: test-time training {label}: {now - began:.0f}/{seconds:.0f} s, {steps} steps, "
                    f"demonstration cells right {np.mean([c for _, c in recent]):.0%}")
    tuned.eval()
    stats = {
        "seconds": round(time.perf_counter() - began, 3),
        "steps": steps,
        "demonstrations": len(usable),
        "demo_exact": round(float(np.mean([e for e, _ in recent])), 4) if recent else 0.0,
        "demo_cells": round(float(np.mean([c for _, c in recent])), 4) if recent else 0.0,
    }
    if log is not None:
        log(f"arc: test-time training {label}: done, {steps} steps in {stats['seconds']:.1f} s, "
            f"demonstration cells right {stats['demo_cells']:.0%}")
    return Tuned(tuned, augs, stats)
