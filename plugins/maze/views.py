"""Answering a maze from symmetric views of it: the shortest S..G route the views propose."""

from __future__ import annotations

import math

import numpy as np

from trm_hub.runtime import Engine, Result, as_array, as_engine
from trm_hub.views import ViewAnswers
from trm_hub_plugins.maze.augment import dihedral_permutations
from trm_hub_plugins.maze.solver import read_route
from trm_hub_plugins.maze.tokens import GOAL, PAD, START, WALL

MAX_VIEWS = 8
CPU_CELLS = 64 * 225  # cells per forward pass on CPU (64 rows of 15x15): larger passes run slower per row


def route_of(inputs: np.ndarray, outputs: np.ndarray) -> tuple[tuple[int, int], ...] | None:
    """The S..G route that `decode` reads from one predicted canvas, or None when the model's
    labels do not lead from S to G over open cells."""
    canvas = math.isqrt(inputs.size)
    board = inputs.reshape(canvas, canvas)
    starts, goals = np.argwhere(board == START), np.argwhere(board == GOAL)
    if len(starts) != 1 or len(goals) != 1:
        return None
    start, goal = tuple(int(v) for v in starts[0]), tuple(int(v) for v in goals[0])
    output = np.where(board == PAD, PAD, outputs.reshape(canvas, canvas))
    path = read_route(output.reshape(-1), (board == WALL) | (board == PAD), start, goal, canvas)
    return tuple(path) if path[-1] == goal else None


def route_length(inputs: np.ndarray, outputs: np.ndarray) -> int | None:
    """Steps of the S..G route that `decode` reads from one predicted canvas (None: no route)."""
    route = route_of(inputs, outputs)
    return None if route is None else len(route) - 1


def answer_views(engine: Engine, inputs: np.ndarray, views: int, halt_threshold: float = 0.0,
                 max_steps: int | None = None, first: int | None = None, settle_q: float | None = None) -> Result:
    """Answer each maze [B, canvas*canvas] in its first `views` symmetries (rotations, then
    their transposes); keep, per maze, the view whose marks make the shortest S..G route (the
    maze as given when none makes one, the earlier view on ties).

    With `first` (< views), every maze answers its first `first` views, and only the mazes whose
    first views do not all give the same S..G route answer the others; with
    `settle_q`, also those where a first view's Q-halt logit is not above it (the model unsure).
    Only the model's own proposals are compared: no search of the maze is made. `steps` and
    `q_halt` are those of the kept view; `max_steps` caps supervision steps (default: the model's).
    """
    if not 1 <= views <= MAX_VIEWS:
        raise ValueError(f"views must be 1..{MAX_VIEWS} (the symmetries of the square), got {views}")
    engine, given = as_engine(engine), as_array(inputs)
    if views == 1:
        return engine.infer(given, halt_threshold=halt_threshold, max_steps=max_steps)
    batch, length = given.shape
    perm = np.asarray(dihedral_permutations(math.isqrt(length))[:views])
    back = np.argsort(perm, axis=1)
    first = views if first is None or first >= views else max(1, first)
    answered = ViewAnswers(
        engine, given, views,
        to_view=lambda v, rows: given[rows][:, perm[v]],
        from_view=lambda v, rows, out: np.take_along_axis(out, np.broadcast_to(back[v], out.shape), axis=1),
        cpu_rows=max(1, CPU_CELLS // length), halt_threshold=halt_threshold, max_steps=max_steps)
    routes: list[list[tuple | None]] = [[None] * batch for _ in range(views)]

    def run(chosen: range, rows: np.ndarray) -> None:
        answered.run(chosen, rows)
        for v in chosen:
            for i in rows:
                routes[v][i] = route_of(given[i], answered.answers[v, i])

    run(range(first), np.arange(batch))
    if first < views:
        settled = np.array([routes[0][i] is not None and all(routes[v][i] == routes[0][i] for v in range(first))
                            for i in range(batch)])
        if settle_q is not None:
            settled &= answered.q_halt[:first].min(axis=0) > settle_q
        if not settled.all():
            run(range(first, views), np.flatnonzero(~settled))
    best = np.zeros(batch, dtype=np.int64)
    for i in range(batch):
        found = [(len(routes[v][i]), v) for v in range(views) if answered.asked[v, i] and routes[v][i] is not None]
        best[i] = min(found)[1] if found else 0
    return answered.kept(best)
