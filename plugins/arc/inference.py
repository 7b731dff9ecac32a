"""Answering ARC tasks: predict every test input under many views, map back, vote, keep the top 2."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, fields
from typing import AbstractSet, Any, Sequence

import sys

import numpy as np

from trm_hub.runtime import Engine, TRAIN_EXTRA, as_engine, has_torch
from trm_hub_plugins.arc.augment import Augmentation, sample_augmentations
from trm_hub_plugins.arc.tokens import decode_grid, encode_grid, fits, grid_shape
from trm_hub_plugins.arc.recipe import ArcRecipe
from trm_hub_plugins.arc.schema import ArcProblem, ArcSolution, Grid
from trm_hub_plugins.arc.vote import vote, voter_confidence

INFER_BATCH = 64


@dataclass
class Settings:
    """How to answer: views voted over, test-time training budget per task (0 = off), and how it trains
    (see ArcData's ttt_* fields)."""

    views: int
    ttt_seconds: float
    ttt_steps: int | None = None
    seed: int = 0
    ttt_lr_scale: float = 3.0
    ttt_schedule: str = "constant"
    ttt_known: bool = False
    ttt_until_fit: bool = False
    ttt_compile: bool = False
    select: str = "vote"

    @classmethod
    def of(cls, data: Any, **given: Any) -> "Settings":
        """The settings a recipe's data section (ArcData) gives, with `given` ones in their place."""
        read = {f.name: getattr(data, f.name) for f in fields(cls) if hasattr(data, f.name)}
        return cls(**{**read, **given})

    @property
    def trains(self) -> bool:
        return self.ttt_seconds > 0 or bool(self.ttt_steps)


def env_number(name: str, default: float, kind: type = float) -> Any:
    """A number from the environment, or `default`; a bad value is a one-line error."""
    text = os.environ.get(name)
    if text is None or not text.strip():
        return default
    try:
        value = kind(text)
    except ValueError:
        raise ValueError(f"{name}={text!r} is not a {'whole ' if kind is int else ''}number") from None
    if value < 0 or (kind is int and value < 1):
        raise ValueError(f"{name}={text!r} must be {'at least 1' if kind is int else 'zero or more'}")
    return value


def check_fits(problem: ArcProblem, canvas: int) -> None:
    """Raise a clear error when a test input is larger than the model's canvas."""
    for i, item in enumerate(problem.test):
        if not fits([item.input], canvas):
            rows, cols = grid_shape(item.input)
            raise ValueError(
                f"test[{i}].input is {rows}x{cols}, larger than the ARC model's {canvas}x{canvas} canvas; "
                f"this model cannot answer the task"
            )


def predict_views(
    engine: Engine,
    problem: ArcProblem,
    canvas: int,
    views: Sequence[Augmentation],
    ids: Sequence[int],
    threshold: float = 0.0,
    max_steps: int | None = None,
    adaptive: bool = True,
) -> tuple[list[list[Grid | None]], list[list[float]], list[int]]:
    """Per test input: the grid each view predicts (in the original frame), its Q-halt probability; steps used
    (at most `max_steps`, the model's own limit by default; every one of them unless `adaptive`)."""
    engine = as_engine(engine)
    tokens = [encode_grid(aug.apply(item.input), canvas) for item in problem.test for aug in views]
    puzzle = [pid for _ in problem.test for pid in ids]
    grids: list[Grid | None] = []
    probs: list[float] = []
    steps: list[int] = []
    for start in range(0, len(tokens), INFER_BATCH):
        x = np.stack(tokens[start : start + INFER_BATCH])
        p = np.asarray(puzzle[start : start + INFER_BATCH]) if engine.config.puzzle_emb_ndim else None
        result = engine.infer(x, p, halt_threshold=threshold, max_steps=max_steps, adaptive=adaptive)
        outputs = result.outputs
        probs += (1.0 / (1.0 + np.exp(-result.q_halt.astype(np.float64)))).tolist()
        steps += result.steps.tolist()
        for row, k in zip(outputs, range(start, start + len(outputs))):
            grid = decode_grid(row)
            grids.append(None if grid is None else views[k % len(views)].invert(grid))
    per = len(views)
    return (
        [grids[i * per : (i + 1) * per] for i in range(len(problem.test))],
        [probs[i * per : (i + 1) * per] for i in range(len(problem.test))],
        steps,
    )


def vote_solution(candidates: list[list[Grid | None]], probs: list[list[float]]) -> dict[str, Any]:
    """Top-2 distinct grids per test input with vote counts and mean Q-halt probability of their voters."""
    attempts, votes, confidence = [], [], []
    for grids, q in zip(candidates, probs):
        ranked = vote(grids, scores=q, top=2)
        attempts.append([grid for grid, _ in ranked])
        votes.append([count for _, count in ranked])
        confidence.append([voter_confidence(grid, grids, q) for grid, _ in ranked])
    return {"attempts": attempts, "votes": votes, "confidence": confidence}


@dataclass
class Adapted:
    """What answers one task: the engine (test-time trained where the task is new), the views it
    answers in and their puzzle ids, how those ids were found, and the training's figures."""

    engine: Engine
    views: list[Augmentation]
    ids: list[int]
    mode: str
    ttt: dict[str, float | int] | None = None
    select: str = "vote"


def adapt(
    engine: Engine,
    recipe: ArcRecipe,
    problem: ArcProblem,
    canvas: int,
    settings: Settings,
    table: dict[str, list[tuple[Augmentation, int]]],
    label: str = "task",
    memorised: AbstractSet[str] = frozenset(),
) -> Adapted:
    """A copy of the model test-time trained on the task's demonstrations (torch; a task the model was
    trained on, found in `table` by its demonstrations, starts from its trained views, and skips the
    training unless `settings.ttt_known`, or always when its test pairs were trained on too:
    `memorised`), else the trained views, else the blank id."""
    from trm_hub_plugins.arc.data import demo_key

    check_fits(problem, canvas)
    engine = as_engine(engine)
    demos = [{"input": p.input, "output": p.output} for p in problem.train]
    key = demo_key(demos)
    trained = table.get(key, [])
    rng = np.random.default_rng(settings.seed)
    if settings.trains and (not trained or (settings.ttt_known and key not in memorised)) and has_torch():
        from trm_hub.runtime.torch_engine import TorchEngine
        from trm_hub_plugins.arc.ttt import fit_to_task

        tuned = fit_to_task(torch_model(engine), demos, canvas, settings, recipe, rng, label=label, trained=trained)
        return Adapted(TorchEngine(tuned.model), tuned.views, tuned.ids, "test-time trained", tuned.stats,
                       settings.select)
    if trained:
        chosen = trained[: settings.views]
        return Adapted(engine, [a for a, _ in chosen], [p for _, p in chosen], "trained", select=settings.select)
    if settings.trains:
        print(f"arc: {label} is new to the model and test-time training needs torch ({TRAIN_EXTRA}); "
              "answering without it", file=sys.stderr)
    views = sample_augmentations(settings.views, rng)
    return Adapted(engine, views, [0] * len(views), "blank", select=settings.select)


def experts_solution(adapted: Adapted, problem: ArcProblem, canvas: int, threshold: float) -> tuple[dict[str, Any], list[int]]:
    """Top-2 distinct grids per test input by the product of the views' probabilities, after votes
    for "vote+experts" (`experts.py`)."""
    from trm_hub_plugins.arc.experts import rank_by_experts

    picked: dict[str, list] = {"attempts": [], "votes": [], "confidence": [], "log_probability": []}
    steps: list[int] = []
    for item in problem.test:
        ranked, used = rank_by_experts(adapted.engine.model, item.input, canvas, adapted.views, adapted.ids, threshold,
                                       votes_first=adapted.select == "vote+experts")
        for key, column in zip(picked, zip(*ranked) if ranked else ([], [], [], [])):
            picked[key].append([round(v, 4) if isinstance(v, float) else v for v in column])
        steps += used
    return picked, steps


def answer_adapted(adapted: Adapted, recipe: ArcRecipe, problem: ArcProblem, canvas: int) -> tuple[ArcSolution, float]:
    """The two attempts per test input among the adapted engine's views' answers, chosen as
    `adapted.select` says (ArcData.select; the product of experts needs the torch runtime, else it
    votes): (solution, mean steps)."""
    if adapted.select != "vote" and adapted.engine.runtime == "torch":
        picked, steps = experts_solution(adapted, problem, canvas, recipe.halt_threshold)
        select = adapted.select
    else:
        candidates, probs, steps = predict_views(adapted.engine, problem, canvas, adapted.views, adapted.ids,
                                                 recipe.halt_threshold)
        picked, select = vote_solution(candidates, probs), "vote"
    solution = ArcSolution(**picked, views=len(adapted.views), puzzle_ids=adapted.mode, ttt=adapted.ttt, select=select)
    return solution, float(np.mean(steps)) if steps else 0.0


def torch_model(engine: Engine) -> Any:
    """The torch TRM behind an engine (loaded from the checkpoint when the engine is onnxruntime's)."""
    if engine.runtime == "torch":
        return engine.model
    from trm_hub.model import load_checkpoint

    cache = engine.__dict__.setdefault("_torch_model", {})
    if "model" not in cache:
        cache["model"] = load_checkpoint(engine.weights, "cpu")[0]
    return cache["model"]


def solve_all(
    engine: Engine,
    recipe: ArcRecipe,
    problems: Sequence[ArcProblem],
    canvas: int,
    settings: Settings,
    table: dict[str, list[tuple[Augmentation, int]]],
    labels: Sequence[str] | None = None,
    memorised: AbstractSet[str] = frozenset(),
) -> list[tuple[ArcSolution, float, float]]:
    """(solution, mean steps, seconds) for each problem."""
    results = []
    for i, problem in enumerate(problems):
        began = time.perf_counter()
        label = labels[i] if labels is not None else f"task {i}"
        adapted = adapt(engine, recipe, problem, canvas, settings, table, label, memorised)
        solution, steps = answer_adapted(adapted, recipe, problem, canvas)
        results.append((solution, steps, time.perf_counter() - began))
    return results
