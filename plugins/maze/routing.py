"""Realistic maze problems in every accepted format, for fitting the router."""

from __future__ import annotations

from typing import Any, Iterator

import numpy as np

from trm_hub_plugins.maze.generate import MazeBatch, generate

FORMATS = ("rows", "rows_grid_key", "rows_dots", "text", "text_dots", "ints", "ints_maze_key",
           "chars")
WEIGHTS = np.array([0.25, 0.1, 0.12, 0.15, 0.05, 0.18, 0.05, 0.1])
SQUARE = (5, 7, 9, 10, 11, 13, 15, 16, 17, 19, 21, 25, 30, 31, 41)
OBLONG = ((5, 11), (7, 15), (9, 21), (10, 20), (11, 15), (13, 25), (15, 21), (15, 31), (17, 33),
          (21, 41), (30, 20), (9, 7))


def _rows(batch: MazeBatch, i: int, open_char: str) -> list[str]:
    board = np.where(batch.walls[i], "#", open_char).astype("<U1")
    board[tuple(batch.starts[i])] = "S"
    board[tuple(batch.goals[i])] = "G"
    return ["".join(row) for row in board]


def render(batch: MazeBatch, i: int, fmt: str) -> dict[str, Any]:
    """Maze i of a batch as raw JSON in format `fmt` (one of FORMATS)."""
    if fmt in ("ints", "ints_maze_key"):
        key = "grid" if fmt == "ints" else "maze"
        return {key: batch.walls[i].astype(int).tolist(), "start": batch.starts[i].tolist(),
                "goal": batch.goals[i].tolist()}
    rows = _rows(batch, i, "." if fmt in ("rows_dots", "text_dots") else " ")
    if fmt in ("text", "text_dots"):
        return {"maze": "\n".join(rows)}
    if fmt == "chars":
        return {"maze": [list(row) for row in rows]}
    return {"grid" if fmt == "rows_grid_key" else "maze": rows}


def routing_examples(n: int, seed: int) -> Iterator[dict[str, Any]]:
    """n varied maze problems: sizes 5..41 (square and oblong), perfect and looped, all formats."""
    rng = np.random.default_rng(np.random.SeedSequence([2, seed]))
    shapes: dict[tuple[int, int], int] = {}
    for _ in range(n):
        if rng.random() < 0.65:
            side = SQUARE[rng.integers(len(SQUARE))]
            shape = (side, side)
        else:
            shape = OBLONG[rng.integers(len(OBLONG))]
            shape = shape[::-1] if rng.random() < 0.5 else shape
        shapes[shape] = shapes.get(shape, 0) + 1
    made = []
    for (h, w), count in shapes.items():
        batch = generate(rng, count, h, w, loop_fraction=float(rng.random()),
                         hard_fraction=float(rng.random()), door_fraction=0.4)
        made.extend((batch, i) for i in range(len(batch)))
    formats = rng.choice(len(FORMATS), size=n, p=WEIGHTS / WEIGHTS.sum())
    for k in rng.permutation(len(made)):
        batch, i = made[k]
        yield render(batch, i, FORMATS[formats[k]])
