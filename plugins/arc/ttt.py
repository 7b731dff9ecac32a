"""Test-time training: fit a copy of the model to a new task's demonstration pairs, under augmented views."""

from __future__ import annotations

import copy
import math
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
from trm_hub_plugins.arc.inference import Settings
from trm_hub_plugins.arc.recipe import ArcRecipe

BATCH = 16
WARMUP = 10
REPORT_EVERY_S = 5.0
FIT_PASSES = 2
"""`until_fit` stops once the last supervision step of consecutive batches covering the
demonstration views this many times over was exactly right on every row."""


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


def _fresh_identifiers(model: TRM, count: int, start: Sequence[int] = ()) -> TRM:
    """A copy of the model whose puzzle embedding has the blank id 0 and `count` new rows: row
    k + 1 starts at trained row `start[k]` where given, the rest at the mean of the `start` rows (the
    task as trained), else at the mean of all trained rows (a typical task; zero when there are none)."""
    tuned = copy.deepcopy(model)
    if tuned.puzzle_emb is not None:
        old = tuned.puzzle_emb.weight.detach()
        tuned.puzzle_emb = torch.nn.Embedding(count + 1, old.shape[1], device=old.device, dtype=old.dtype)
        known = old[torch.as_tensor(list(start), dtype=torch.long, device=old.device)][:count]
        with torch.no_grad():
            tuned.puzzle_emb.weight.zero_()
            if len(known):
                tuned.puzzle_emb.weight[1:] = known.mean(0)
                tuned.puzzle_emb.weight[1 : 1 + len(known)] = known
            elif old.shape[0] > 1:
                tuned.puzzle_emb.weight[1:] = old[1:].mean(0)
        tuned.config = tuned.config.model_copy(update={"num_puzzle_identifiers": count + 1})
    return tuned


def compiled_step(tuned: TRM, log: Callable[[str], None] | None) -> Callable[..., Any]:
    """`tuned.step` with its network under torch.compile; on a first call that cannot compile (no C++
    compiler, say) the network goes back to eager and the step runs as it is. `step.restore()` puts
    the eager network back."""
    eager = tuned.net
    tuned.net = torch.compile(eager)
    first = True

    def restore() -> None:
        tuned.__dict__.pop("net", None)
        if tuned.net != eager:
            tuned.net = eager

    def step(*args: Any) -> Any:
        nonlocal first
        if not first:
            return tuned.step(*args)
        first = False
        try:
            return tuned.step(*args)
        except Exception as error:
            restore()
            if log is not None:
                reason = (str(error).splitlines() or [type(error).__name__])[0][:200]
                log(f"arc: test-time training runs eager, torch.compile failed: {reason}")
            return tuned.step(*args)

    step.restore = restore
    return step


def learning_rate_factor(steps: int, progress: float, schedule: str) -> float:
    """Warm-up over WARMUP steps, then constant, or cosine down to zero at the end of the budget."""
    warm = min(1.0, (steps + 1) / WARMUP)
    if schedule == "cosine":
        return warm * 0.5 * (1.0 + math.cos(math.pi * min(max(progress, 0.0), 1.0)))
    return warm


def fit_to_task(
    model: TRM,
    demos: Sequence[dict[str, Any]],
    canvas: int,
    settings: Settings,
    cfg: ArcRecipe,
    rng: np.random.Generator,
    *,
    label: str = "task",
    log: Callable[[str], None] | None = _stderr,
    on_step: Callable[[TRM, int, float], None] | None = None,
    trained: Sequence[tuple[Augmentation, int]] = (),
) -> Tuned:
    """Train a copy of `model` on the demonstrations (each view with its own new puzzle id) for
    `settings.ttt_seconds` (or `settings.ttt_steps` optimiser steps) over `settings.views` views, with
    deep supervision, the trainer's loss and its optimiser, as the checkpoint's recipe `cfg` sets them;
    learning rates are scaled by `settings.ttt_lr_scale` and follow `settings.ttt_schedule` ("constant",
    or "cosine" down to zero at the end of the budget); with `settings.ttt_until_fit` training stops
    early once every demonstration view has come out exactly right (`FIT_PASSES`); with
    `settings.ttt_compile` the network trains under torch.compile (answers come from it eager).
    A task the model was trained on passes its `trained` (augmentation, puzzle id) views: they come
    first among the views fitted, each new id starting from its trained row (`_fresh_identifiers`).
    `on_step(model, steps, seconds)` is called after every optimiser step; its own time is not
    counted against the budget.
    """
    seconds, max_steps, lr_scale = settings.ttt_seconds, settings.ttt_steps, settings.ttt_lr_scale
    augs = sample_augmentations(settings.views, rng, [aug for aug, _ in trained])
    usable = [p for p in demos if fits([p["input"], p["output"]], canvas)]
    tuned = _fresh_identifiers(model, len(augs), [i for _, i in trained])
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
    step = compiled_step(tuned, log) if settings.ttt_compile else tuned.step
    steps, recent, exact_rows = 0, [], 0
    deadline = began + seconds if seconds > 0 else float("inf")
    limit = max_steps if max_steps is not None else sys.maxsize
    fit_rows = FIT_PASSES * len(inputs) if settings.ttt_until_fit else sys.maxsize
    while steps < limit and time.perf_counter() < deadline and exact_rows < fit_rows:
        pick = rng.choice(len(inputs), size=batch, replace=False)
        x, y = inputs[pick], labels[pick]
        if cfg.data.translate:
            x, y = translate_batch(x, y, rng)
        x_t, y_t = torch.as_tensor(x, device=device), torch.as_tensor(y, device=device)
        p_t = torch.as_tensor(ids[pick], device=device) if with_ids else None
        state = tuned.initial_state(batch, device)
        for _ in range(supervision):
            progress = steps / limit if max_steps else (time.perf_counter() - began) / max(seconds, 1e-9)
            set_learning_rate(opt, lr_scale * cfg.lr * learning_rate_factor(steps, progress, settings.ttt_schedule))
            state, logits, q_halt = step(state, x_t, p_t)
            parts = supervision_loss(cfg, logits, y_t, q_halt)
            optimizer_step(opt, tuned, total_loss(cfg, parts).mean(), cfg)
            steps += 1
            recent = (recent + [(float(parts.correct.float().mean()), float(parts.accuracy.mean()))])[-supervision:]
            if on_step is not None:
                paused = time.perf_counter()
                on_step(tuned, steps, paused - began)
                spent = time.perf_counter() - paused
                began, deadline, last_report = began + spent, deadline + spent, last_report + spent
            now = time.perf_counter()
            if steps >= limit or now >= deadline:
                break
            if log is not None and now - last_report >= REPORT_EVERY_S:
                last_report = now
                log(f"arc: test-time training {label}: {now - began:.0f}/{seconds:.0f} s, {steps} steps, "
                    f"demonstration cells right {np.mean([c for _, c in recent]):.0%}")
        exact_rows = exact_rows + batch if bool(parts.correct.all()) else 0
    if settings.ttt_compile:
        step.restore()
    tuned.eval()
    stats = {
        "seconds": round(time.perf_counter() - began, 3),
        "steps": steps,
        "demonstrations": len(usable),
        "fit": exact_rows >= fit_rows,
        "demo_exact": round(float(np.mean([e for e, _ in recent])), 4) if recent else 0.0,
        "demo_cells": round(float(np.mean([c for _, c in recent])), 4) if recent else 0.0,
    }
    if log is not None:
        log(f"arc: test-time training {label}: done, {steps} steps in {stats['seconds']:.1f} s, "
            f"demonstration cells right {stats['demo_cells']:.0%}")
    return Tuned(tuned, augs, stats)
