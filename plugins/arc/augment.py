"""ARC augmentations: the 8 grid symmetries, colour permutations keeping 0, and translations."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from trm_hub_plugins.arc.tokens import IGNORE, PAD, content_extent, shift_canvas
from trm_hub_plugins.arc.schema import NUM_COLOURS, Grid

DIHEDRAL_NAMES = (
    "identity",
    "rot90",
    "rot180",
    "rot270",
    "flip_left_right",
    "flip_up_down",
    "transpose",
    "anti_transpose",
)
INVERSE_DIHEDRAL = (0, 3, 2, 1, 4, 5, 6, 7)
IDENTITY_COLOURS = tuple(range(NUM_COLOURS))


def dihedral(grid: Grid | np.ndarray, k: int) -> np.ndarray:
    """Apply symmetry k (0-7, see DIHEDRAL_NAMES) to a grid."""
    array = np.asarray(grid)
    if k == 0:
        return array.copy()
    if k in (1, 2, 3):
        return np.rot90(array, k).copy()
    if k == 4:
        return np.fliplr(array).copy()
    if k == 5:
        return np.flipud(array).copy()
    if k == 6:
        return array.T.copy()
    if k == 7:
        return np.rot90(array, 2).T.copy()
    raise ValueError(f"symmetry index must be 0-7, got {k}")


def inverse_dihedral(grid: Grid | np.ndarray, k: int) -> np.ndarray:
    """Undo symmetry k."""
    if not 0 <= k < len(INVERSE_DIHEDRAL):
        raise ValueError(f"symmetry index must be 0-7, got {k}")
    return dihedral(grid, INVERSE_DIHEDRAL[k])


def random_colour_permutation(rng: np.random.Generator) -> tuple[int, ...]:
    """A permutation of colours 0-9 that keeps the background 0 in place."""
    return (0, *(int(c) for c in 1 + rng.permutation(NUM_COLOURS - 1)))


def invert_permutation(colours: tuple[int, ...] | np.ndarray) -> tuple[int, ...]:
    """The permutation that undoes `colours`."""
    return tuple(int(c) for c in np.argsort(np.asarray(colours)))


def _check_colours(colours: tuple[int, ...]) -> None:
    if sorted(colours) != list(IDENTITY_COLOURS) or colours[0] != 0:
        raise ValueError(f"colours must be a permutation of 0-9 with 0 first, got {colours}")


@dataclass(frozen=True)
class Augmentation:
    """One symmetry and one colour permutation; `apply` maps grids in, `invert` maps predictions back."""

    dihedral: int = 0
    colours: tuple[int, ...] = field(default=IDENTITY_COLOURS)

    def __post_init__(self) -> None:
        if not 0 <= self.dihedral < len(DIHEDRAL_NAMES):
            raise ValueError(f"symmetry index must be 0-7, got {self.dihedral}")
        _check_colours(tuple(self.colours))

    @property
    def key(self) -> str:
        """Short stable name, e.g. 'd3-c0417258369'."""
        return f"d{self.dihedral}-c{''.join(str(c) for c in self.colours)}"

    @property
    def is_identity(self) -> bool:
        return self.dihedral == 0 and tuple(self.colours) == IDENTITY_COLOURS

    def apply(self, grid: Grid | np.ndarray) -> Grid:
        """Recolour, then apply the symmetry."""
        table = np.asarray(self.colours)
        return dihedral(table[np.asarray(grid)], self.dihedral).tolist()

    def invert(self, grid: Grid | np.ndarray) -> Grid:
        """Undo the symmetry, then the recolouring."""
        table = np.asarray(invert_permutation(self.colours))
        return table[inverse_dihedral(grid, self.dihedral)].tolist()

    def apply_task(self, task: dict[str, Any]) -> dict[str, Any]:
        """Apply to every grid of an ARC task dict (keeps its shape and keys)."""
        return {
            part: [{name: self.apply(grid) for name, grid in pair.items()} for pair in task[part]]
            for part in ("train", "test")
        }


def sample_augmentations(count: int, rng: np.random.Generator, first: Sequence[Augmentation] = ()) -> list[Augmentation]:
    """`first` (the identity when none are given), then distinct random (symmetry, colour
    permutation) pairs up to `count` in all."""
    if count < 1:
        raise ValueError(f"need at least one augmentation, got {count}")
    chosen = list(first)[:count] or [Augmentation()]
    seen = {aug.key for aug in chosen}
    while len(chosen) < count:
        aug = Augmentation(int(rng.integers(len(DIHEDRAL_NAMES))), random_colour_permutation(rng))
        if aug.key not in seen:
            seen.add(aug.key)
            chosen.append(aug)
    return chosen


def translate_batch(
    inputs: np.ndarray, labels: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Move each (input, label) canvas pair by one random offset that keeps both grids on the canvas."""
    inputs, labels = inputs.copy(), labels.copy()
    for i in range(len(inputs)):
        side = int(round(np.sqrt(inputs[i].size)))
        in_rows, in_cols = content_extent(inputs[i])
        out_rows, out_cols = content_extent(np.where(labels[i] == IGNORE, PAD, labels[i]))
        down = int(rng.integers(side - max(in_rows, out_rows) + 1))
        right = int(rng.integers(side - max(in_cols, out_cols) + 1))
        if down or right:
            inputs[i] = shift_canvas(inputs[i], down, right, PAD)
            labels[i] = shift_canvas(labels[i], down, right, IGNORE)
    return inputs, labels
