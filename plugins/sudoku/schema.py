"""The Sudoku problem and solution schemas."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import model_validator

from trm_hub.task import Problem, Solution
from trm_hub_plugins.sudoku.geometry import BOX_SHAPES
from trm_hub_plugins.sudoku.parse import find_conflict, parse_grid
from trm_hub_plugins.sudoku.solver import solve

PUZZLE_KEYS = ("puzzle", "grid", "sudoku")
SOLVABILITY_GUESS_LIMIT = 5000


class SudokuProblem(Problem):
    """An n x n Sudoku (n = 4, 6 or 9), normalised to rows of ints with 0 for a blank.

    Accepted: {"puzzle"|"grid"|"sudoku": value} where value is one string of n*n cells
    ('.', '0' or '_' blank, whitespace ignored), a list of n row strings, or an n x n list of
    ints (0 or null blank; one-character strings are also read). An optional "task": "sudoku"
    is allowed.
    """

    task: Literal["sudoku"] | None = None
    grid: list[list[int]]

    @model_validator(mode="before")
    @classmethod
    def _normalise(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            raise ValueError(
                "a sudoku problem is a JSON object with a 'puzzle', 'grid' or 'sudoku' key"
            )
        keys = [k for k in PUZZLE_KEYS if k in data]
        if not keys:
            raise ValueError("a sudoku problem needs a 'puzzle', 'grid' or 'sudoku' key")
        if len(keys) > 1:
            raise ValueError(f"give only one of 'puzzle', 'grid' or 'sudoku', got {keys}")
        extra = sorted(set(data) - {keys[0], "task"})
        if extra:
            raise ValueError(f"unexpected key(s) {extra} in a sudoku problem")
        out: dict[str, Any] = {"grid": parse_grid(data[keys[0]], keys[0])}
        if "task" in data:
            out["task"] = data["task"]
        return out

    @model_validator(mode="after")
    def _check(self) -> "SudokuProblem":
        conflict = find_conflict(self.grid)
        if conflict:
            raise ValueError(conflict)
        result = solve(self.flat, self.n, limit=1, max_guesses=SOLVABILITY_GUESS_LIMIT)
        if result.complete and not result.solutions:
            raise ValueError(
                "the puzzle has no solution: no digit placement satisfies every row, column and box"
            )
        return self

    @classmethod
    def from_cells(cls, cells: list[int], n: int) -> "SudokuProblem":
        """A problem from a flat list of n*n known-good cells, skipping validation."""
        return cls.model_construct(task=None, grid=[list(cells[r * n : (r + 1) * n]) for r in range(n)])

    @property
    def n(self) -> int:
        return len(self.grid)

    @property
    def box(self) -> tuple[int, int]:
        """Rows and columns of one box."""
        return BOX_SHAPES[self.n]

    @property
    def flat(self) -> list[int]:
        return [v for row in self.grid for v in row]

    @property
    def givens(self) -> int:
        return sum(1 for v in self.flat if v)


class SudokuSolution(Solution):
    """The completed grid (0 where the model left a cell blank)."""

    grid: list[list[int]]
