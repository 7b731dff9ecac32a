"""Token layout of a maze on a square canvas (row-major, the maze in the top-left corner)."""

from __future__ import annotations

import numpy as np

PAD, WALL, OPEN, START, GOAL, PATH = range(6)
DIST0 = 6  # distance labels: an open cell at distance d from G is DIST0 + d % 3
VOCAB_SIZES = {"path": 6, "distance": 9}
IGNORE = -100

Cell = tuple[int, int]


MAX_SIDE = 63


def check_fits(height: int, width: int, canvas: int) -> None:
    """Raise a clear error when a height x width maze does not fit a canvas x canvas board."""
    if height > canvas or width > canvas:
        raise ValueError(f"this maze is {height}x{width} but the canvas it was put on is {canvas}x{canvas}")


def canvas_for(height: int, width: int, trained: int, own: bool = False) -> int:
    """The canvas a maze is answered on: the model's trained canvas, or the maze's own longer side
    when it is larger or when `own` (the grid-local model's weights fit any size), up to MAX_SIDE."""
    side = max(height, width)
    if side > MAX_SIDE:
        raise ValueError(f"this maze is {height}x{width}; the maze model answers mazes up to {MAX_SIDE}x{MAX_SIDE}")
    return side if own else max(trained, side)


def step_limit(trained_steps: int, canvas: int, trained: int) -> int:
    """Supervision steps allowed on a canvas: the trained limit, grown in proportion to the side."""
    return max(trained_steps, -(-trained_steps * canvas // trained))


def encode_grid(walls: np.ndarray, start: Cell, goal: Cell, canvas: int) -> np.ndarray:
    """One maze (bool walls [H, W]) -> input tokens [canvas * canvas]."""
    height, width = walls.shape
    check_fits(height, width, canvas)
    board = np.full((canvas, canvas), PAD, dtype=np.int64)
    board[:height, :width] = np.where(walls, WALL, OPEN)
    board[start] = START
    board[goal] = GOAL
    return board.reshape(-1)


def encode_batch(
    walls: np.ndarray, starts: np.ndarray, goals: np.ndarray, on_path: np.ndarray,
    canvas: int, offsets: np.ndarray | None = None, to_goal: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Same-size mazes [B, H, W] -> (inputs, labels) [B, canvas * canvas]; pad cells unlabelled.

    The labels mark the cells on a shortest path as PATH; with `to_goal` (distances to G, -1 where
    unreached) they give every open cell that reaches G, S included, its distance class DIST0 + d % 3
    instead. `offsets` [B, 2] places each maze at (row, col) in its canvas (top-left when None).
    """
    batch, height, width = walls.shape
    check_fits(height, width, canvas)
    rows = np.arange(batch)
    maze = np.where(walls, WALL, OPEN).astype(np.int64)
    maze[rows, starts[:, 0], starts[:, 1]] = START
    maze[rows, goals[:, 0], goals[:, 1]] = GOAL
    if to_goal is None:
        answer = np.where(on_path & (maze == OPEN), PATH, maze)
    else:
        answer = np.where(((maze == OPEN) | (maze == START)) & (to_goal >= 0), DIST0 + to_goal % 3, maze)
    if offsets is None:
        offsets = np.zeros((batch, 2), dtype=np.int64)
    r = offsets[:, 0, None, None] + np.arange(height)[None, :, None]
    c = offsets[:, 1, None, None] + np.arange(width)[None, None, :]
    inputs = np.full((batch, canvas, canvas), PAD, dtype=np.int64)
    labels = np.full((batch, canvas, canvas), IGNORE, dtype=np.int64)
    inputs[rows[:, None, None], r, c] = maze
    labels[rows[:, None, None], r, c] = answer
    return inputs.reshape(batch, -1), labels.reshape(batch, -1)


def path_cells(tokens: np.ndarray, height: int, width: int, canvas: int) -> np.ndarray:
    """Predicted tokens [canvas * canvas] -> bool [H, W] of cells marked as path (top-left maze)."""
    board = np.asarray(tokens).reshape(canvas, canvas)[:height, :width]
    return board == PATH


def distance_classes(tokens: np.ndarray, height: int, width: int, canvas: int) -> np.ndarray | None:
    """Predicted tokens [canvas * canvas] -> int [H, W] of distance classes (d % 3 to G, -1 where a
    cell has none), or None when the prediction has no distance labels (a path-label model)."""
    board = np.asarray(tokens).reshape(canvas, canvas)[:height, :width]
    if not (board >= DIST0).any():
        return None
    return np.where(board >= DIST0, board - DIST0, -1)
