"""Grid geometry of the supported Sudoku sizes: boxes, units and peers."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

SIZES: tuple[int, ...] = (4, 6, 9)
BOX_SHAPES: dict[int, tuple[int, int]] = {4: (2, 2), 6: (2, 3), 9: (3, 3)}


@dataclass(frozen=True)
class Geometry:
    """Cells, units (rows, columns, boxes) and peers of an n x n Sudoku."""

    n: int
    box_rows: int
    box_cols: int
    units: tuple[tuple[int, ...], ...]
    peers: tuple[tuple[int, ...], ...]
    box_of: tuple[int, ...]

    @property
    def cells(self) -> int:
        return self.n * self.n

    @property
    def full(self) -> int:
        """Bitmask with one bit per digit (bit d-1 for digit d)."""
        return (1 << self.n) - 1

    def box_label(self, box: int) -> str:
        """Human-readable location of a box, e.g. 'rows 4-6, columns 1-3'."""
        per_band = self.n // self.box_cols
        r0 = (box // per_band) * self.box_rows
        c0 = (box % per_band) * self.box_cols
        return f"rows {r0 + 1}-{r0 + self.box_rows}, columns {c0 + 1}-{c0 + self.box_cols}"


@cache
def geometry(n: int) -> Geometry:
    """The geometry of an n x n Sudoku (n in 4, 6, 9)."""
    if n not in BOX_SHAPES:
        raise ValueError(f"unsupported Sudoku size {n}; expected one of 4, 6 or 9")
    br, bc = BOX_SHAPES[n]
    per_band = n // bc
    box_of = tuple((r // br) * per_band + c // bc for r in range(n) for c in range(n))
    rows = [tuple(r * n + c for c in range(n)) for r in range(n)]
    cols = [tuple(r * n + c for r in range(n)) for c in range(n)]
    boxes = [tuple(i for i in range(n * n) if box_of[i] == b) for b in range(n)]
    units = tuple(rows + cols + boxes)
    peers = tuple(
        tuple(sorted({j for u in units if i in u for j in u} - {i})) for i in range(n * n)
    )
    return Geometry(n=n, box_rows=br, box_cols=bc, units=units, peers=peers, box_of=box_of)
