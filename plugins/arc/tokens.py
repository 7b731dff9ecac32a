"""Grids <-> tokens on a square canvas: pad 0, end-of-grid 1, colours 0-9 as tokens 2-11."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from trm_hub_plugins.arc.schema import MAX_SIDE, NUM_COLOURS, Grid

PAD = 0
EOS = 1
COLOUR_OFFSET = 2
VOCAB_SIZE = COLOUR_OFFSET + NUM_COLOURS
IGNORE = -100
DEFAULT_CANVAS = MAX_SIDE


def grid_shape(grid: Grid | np.ndarray) -> tuple[int, int]:
    """(rows, columns) of a grid."""
    array = np.asarray(grid)
    return int(array.shape[0]), int(array.shape[1])


def fits(grids: Sequence[Grid | np.ndarray], canvas: int = DEFAULT_CANVAS) -> bool:
    """True when every grid fits on the canvas."""
    return all(max(grid_shape(g)) <= canvas for g in grids)


def encode_grid(
    grid: Grid | np.ndarray, canvas: int = DEFAULT_CANVAS, offset: tuple[int, int] = (0, 0)
) -> np.ndarray:
    """Grid -> canvas*canvas tokens: colours + 2 at `offset`, an end-of-grid row below and column to the right."""
    array = np.asarray(grid, dtype=np.int64)
    rows, cols = array.shape
    top, left = offset
    if rows > canvas - top or cols > canvas - left:
        raise ValueError(
            f"a {rows}x{cols} grid at offset ({top}, {left}) does not fit on a {canvas}x{canvas} canvas"
        )
    board = np.full((canvas, canvas), PAD, dtype=np.uint8)
    board[top : top + rows, left : left + cols] = array + COLOUR_OFFSET
    if top + rows < canvas:
        board[top + rows, left : left + cols] = EOS
    if left + cols < canvas:
        board[top : top + rows, left + cols] = EOS
    return board.reshape(-1)


def encode_label(
    grid: Grid | np.ndarray, canvas: int = DEFAULT_CANVAS, offset: tuple[int, int] = (0, 0)
) -> np.ndarray:
    """Like encode_grid, but padding becomes IGNORE (-100) so the loss skips it."""
    tokens = encode_grid(grid, canvas, offset).astype(np.int16)
    tokens[tokens == PAD] = IGNORE
    return tokens


def canvas_side(tokens: np.ndarray) -> int:
    """Side of the square canvas that `tokens` (flat) fill."""
    side = int(round(np.sqrt(tokens.size)))
    if side * side != tokens.size:
        raise ValueError(f"{tokens.size} tokens do not fill a square canvas")
    return side


def decode_grid(tokens: np.ndarray | Sequence[int]) -> Grid | None:
    """Canvas tokens -> the grid at its top-left, cropped at the end-of-grid markers; None when there is none."""
    flat = np.asarray(tokens).reshape(-1)
    side = canvas_side(flat)
    board = flat.reshape(side, side).astype(np.int64)
    colour = (board >= COLOUR_OFFSET) & (board < VOCAB_SIZE)
    run = np.argmin(np.concatenate([colour, np.zeros((side, 1), bool)], axis=1), axis=1)
    best_area, best = 0, (0, 0)
    width = side
    for rows in range(1, side + 1):
        width = min(width, int(run[rows - 1]))
        if width == 0:
            break
        if rows * width > best_area:
            best_area, best = rows * width, (rows, width)
    if best_area == 0:
        return None
    rows, cols = best
    return (board[:rows, :cols] - COLOUR_OFFSET).tolist()


def shift_canvas(tokens: np.ndarray, down: int, right: int, fill: int) -> np.ndarray:
    """Move a flat canvas's content down/right, filling the vacated cells; content past the edge is dropped."""
    side = canvas_side(tokens)
    board = tokens.reshape(side, side)
    moved = np.full_like(board, fill)
    moved[down:, right:] = board[: side - down, : side - right]
    return moved.reshape(-1)


def content_extent(tokens: np.ndarray) -> tuple[int, int]:
    """(rows, columns) spanned by colour tokens from the top-left corner (0, 0 when none)."""
    side = canvas_side(tokens)
    board = tokens.reshape(side, side)
    colour = (board >= COLOUR_OFFSET) & (board < VOCAB_SIZE)
    rows = np.flatnonzero(colour.any(axis=1))
    cols = np.flatnonzero(colour.any(axis=0))
    return (int(rows[-1]) + 1 if rows.size else 0, int(cols[-1]) + 1 if cols.size else 0)
