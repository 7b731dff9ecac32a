"""The Sudoku task: schemas, token codec, exact verification, router examples, recipe, data."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import numpy as np

from trm_hub.config import TrainConfig
from trm_hub.task import Task, TaskData
from trm_hub_plugins.sudoku.recipe import SudokuRecipe, model_name_for_size
from trm_hub_plugins.sudoku.routing import routing_examples
from trm_hub_plugins.sudoku.schema import SudokuProblem, SudokuSolution
from trm_hub_plugins.sudoku.solver import is_solution, solution_of
from trm_hub_plugins.sudoku.tokens import BLANK, DIGIT_OFFSET, PAD, to_digits, to_tokens


def _rows(flat: list[int], n: int) -> list[list[int]]:
    return [flat[r * n : (r + 1) * n] for r in range(n)]


class SudokuTask(Task):
    """Sudoku 4x4, 6x6 and 9x9: fill the grid so each row, column and box holds every digit once."""

    name: ClassVar[str] = "sudoku"
    version: ClassVar[str] = "0.1.0"
    Problem: ClassVar[type[SudokuProblem]] = SudokuProblem
    Solution: ClassVar[type[SudokuSolution]] = SudokuSolution
    recipe: ClassVar[type[SudokuRecipe]] = SudokuRecipe

    def __init__(self, views: int | None = None) -> None:
        self._views = views

    def views(self, recipe: SudokuRecipe) -> int:
        """Views answered per puzzle: the one given to the task, else the checkpoint's recipe's."""
        return self._views if self._views is not None else recipe.data.views

    def infer(self, engine: Any, inputs: Any, recipe: SudokuRecipe) -> Any:
        """Answer transformed views of each puzzle and keep the grid most of them give."""
        from trm_hub_plugins.sudoku.views import answer_views

        data = recipe.data
        return answer_views(engine, inputs, self.views(recipe), recipe.halt_threshold, first=data.first_views,
                            checked=data.checked_views, checked_steps=data.checked_steps)

    def export_settings(self, recipe: SudokuRecipe) -> dict[str, Any]:
        """Token layout and views (a view relabels digits and moves lines and boxes; answers are voted)."""
        return {"vocabulary": {"pad": PAD, "blank": BLANK, "digit_1": DIGIT_OFFSET}, "views": self.views(recipe)}

    def model_name(self, problem: SudokuProblem) -> str:
        return model_name_for_size(problem.n)

    def checkpoint_name(self, cfg: SudokuRecipe) -> str:
        """The model a training recipe produces (follows cfg.data.size)."""
        return cfg.model_name

    def encode(self, problem: SudokuProblem, recipe: SudokuRecipe | None = None) -> np.ndarray:
        """The puzzle's cells as tokens (the same for every checkpoint of its size)."""
        return to_tokens(problem.flat)

    def decode(self, problem: SudokuProblem, tokens: np.ndarray) -> SudokuSolution:
        """Predicted tokens -> grid; givens are kept, unreadable cells become 0."""
        n = problem.n
        tokens = np.asarray(tokens).reshape(-1)
        if tokens.size != n * n:
            raise ValueError(f"expected {n * n} predicted tokens for a {n}x{n} sudoku, got {tokens.size}")
        puzzle = np.asarray(problem.flat)
        digits = np.where(puzzle > 0, puzzle, to_digits(tokens, n))
        return SudokuSolution(grid=_rows(digits.tolist(), n))

    def verify(self, problem: SudokuProblem, solution: SudokuSolution) -> bool:
        """True when the solution is a complete valid grid that keeps every given."""
        n = problem.n
        if len(solution.grid) != n or any(len(row) != n for row in solution.grid):
            return False
        return is_solution(problem.flat, [v for row in solution.grid for v in row], n)

    def pictures(self, problem: SudokuProblem, solution: SudokuSolution | None = None) -> list[str]:
        """The grid as SVG: givens bold, the answer's digits in blue."""
        from trm_hub_plugins.sudoku.drawing import picture

        return [picture(problem, solution)]

    def solve_exact(self, problem: SudokuProblem) -> SudokuSolution | None:
        """The exact solver's answer (one solution), or None when there is none."""
        found = solution_of(problem.flat, problem.n)
        return None if found is None else SudokuSolution(grid=_rows(found, problem.n))

    def routing_examples(self, n: int, seed: int) -> Iterator[dict[str, Any]]:
        return routing_examples(n, seed)

    def build_dataset(self, cfg: TrainConfig) -> TaskData:
        from trm_hub_plugins.sudoku.data import build_dataset

        if not isinstance(cfg, SudokuRecipe):
            cfg = SudokuRecipe.model_validate(cfg.model_dump())
        return build_dataset(cfg)

    def evaluate(self, model: Any, meta: dict[str, Any], cfg: TrainConfig) -> dict[str, Any]:
        """Held-out report of a checkpoint: accuracy per band and per givens, solver vs TRM time."""
        from trm_hub_plugins.sudoku.evaluation import evaluate_checkpoint

        return evaluate_checkpoint(model, meta, cfg)
