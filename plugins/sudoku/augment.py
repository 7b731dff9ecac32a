"""Validity-preserving random transforms of token batches (vectorised numpy)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from trm_hub_plugins.sudoku.geometry import BOX_SHAPES
from trm_hub_plugins.sudoku.tokens import DIGIT_OFFSET


def _line_orders(batch: int, groups: int, per_group: int, rng: np.random.Generator) -> np.ndarray:
    """Random line orders [B, groups*per_group]: groups shuffled, lines shuffled inside each group."""
    group_order = np.argsort(rng.random((batch, groups)), axis=1)
    inner = np.argsort(rng.random((batch, groups, per_group)), axis=2)
    return (group_order[:, :, None] * per_group + inner).reshape(batch, groups * per_group)


def random_cell_maps(n: int, batch: int, rng: np.random.Generator) -> np.ndarray:
    """Source cell of every target cell [B, n*n] for random box-preserving geometric transforms.

    Bands and the rows inside each band are permuted, stacks and the columns inside each stack
    likewise, and square-box sizes (4x4, 9x9) are transposed half of the time; 6x6 grids are
    never transposed, as that would turn their 2x3 boxes into 3x2 ones.
    """
    br, bc = BOX_SHAPES[n]
    rows = _line_orders(batch, n // br, br, rng)
    cols = _line_orders(batch, n // bc, bc, rng)
    straight = rows[:, :, None] * n + cols[:, None, :]
    if br == bc:
        swapped = rows[:, None, :] * n + cols[:, :, None]
        flip = rng.random(batch) < 0.5
        straight = np.where(flip[:, None, None], swapped, straight)
    return straight.reshape(batch, n * n)


def random_digit_maps(n: int, batch: int, vocab: int, rng: np.random.Generator) -> np.ndarray:
    """Token relabelling tables [B, vocab]: digits permuted, pad and blank kept."""
    table = np.broadcast_to(np.arange(vocab), (batch, vocab)).copy()
    perm = np.argsort(rng.random((batch, n)), axis=1)
    table[:, DIGIT_OFFSET : DIGIT_OFFSET + n] = perm + DIGIT_OFFSET
    return table


def apply_maps(tokens: np.ndarray, cell_maps: np.ndarray, digit_maps: np.ndarray) -> np.ndarray:
    """Relabel digits then move cells; negative entries (ignored labels) stay as they are."""
    safe = np.where(tokens < 0, 0, tokens)
    relabelled = np.take_along_axis(digit_maps, safe, axis=1)
    relabelled = np.where(tokens < 0, tokens, relabelled).astype(tokens.dtype, copy=False)
    return np.take_along_axis(relabelled, cell_maps, axis=1)


def undo_maps(tokens: np.ndarray, cell_maps: np.ndarray, digit_maps: np.ndarray) -> np.ndarray:
    """The inverse of `apply_maps` for token rows [B, L] (no ignored labels): cells moved back, then
    digits relabelled back."""
    moved_back = np.take_along_axis(tokens, np.argsort(cell_maps, axis=1), axis=1)
    return np.take_along_axis(np.argsort(digit_maps, axis=1), moved_back, axis=1)


def row_keys(tokens: np.ndarray) -> list[bytes]:
    """Hashable keys of token rows (used to keep held-out puzzles out of training)."""
    rows = np.ascontiguousarray(np.asarray(tokens, dtype=np.uint8))
    return [r.tobytes() for r in rows]


class SudokuAugmenter:
    """Applies a random validity-preserving transform to every example of a batch.

    Digits are relabelled, then bands/stacks and the rows/columns inside them permuted, with
    transposition for square boxes. An augmented input that equals a held-out puzzle is put
    back to its untransformed form, so training never sees a test puzzle.
    """

    def __init__(self, n: int, vocab: int, held_out: Iterable[bytes] = ()) -> None:
        self.n = n
        self.vocab = vocab
        self.held_out = frozenset(held_out)

    def __call__(
        self, inputs: np.ndarray, labels: np.ndarray, rng: np.random.Generator | int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        if not isinstance(rng, np.random.Generator):
            rng = np.random.default_rng(rng)
        inputs = np.asarray(inputs)
        labels = np.asarray(labels)
        batch = len(inputs)
        cells = random_cell_maps(self.n, batch, rng)
        digits = random_digit_maps(self.n, batch, self.vocab, rng)
        new_inputs = apply_maps(inputs, cells, digits)
        new_labels = apply_maps(labels, cells, digits)
        if self.held_out:
            hit = np.array([k in self.held_out for k in row_keys(new_inputs)], dtype=bool)
            if hit.any():
                new_inputs[hit] = inputs[hit]
                new_labels[hit] = labels[hit]
        return new_inputs, new_labels
