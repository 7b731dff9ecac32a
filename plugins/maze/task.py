"""The maze task: shortest path from S to G through a grid maze."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from trm_hub.task import Task, TaskData
from trm_hub_plugins.maze.problem import MazeProblem, MazeSolution
from trm_hub_plugins.maze.recipe import MazeData, MazeRecipe
from trm_hub_plugins.maze.search import distances, explain, shortest_path
from trm_hub_plugins.maze.tokens import check_fits, encode_grid, path_cells

Cell = tuple[int, int]
WEIGHTS = Path(__file__).parent / "weights"


def canvas_from_meta(meta: dict[str, Any]) -> int | None:
    """The canvas side a checkpoint was trained on, from its meta (train.data.canvas or grid)."""
    canvas = ((meta.get("train") or {}).get("data") or {}).get("canvas")
    if canvas is None:
        grid = (meta.get("model") or {}).get("grid")
        canvas = grid[0] if grid else None
    return int(canvas) if canvas is not None else None


def _walls(problem: MazeProblem) -> np.ndarray:
    return np.array(problem.grid, dtype=bool)


def _partial(allowed: np.ndarray, start: Cell, goal: Cell) -> list[Cell]:
    """Path within `allowed` from start to the reachable cell nearest the goal."""
    dist = distances(~allowed, start)
    reached = np.argwhere(dist >= 0)
    gap = np.abs(reached - np.array(goal)).sum(axis=1) * 10_000 - dist[tuple(reached.T)]
    end = tuple(int(v) for v in reached[gap.argmin()])
    return shortest_path(~allowed, start, end) or [start]


class MazeTask(Task):
    """Shortest path from S to G through a grid maze."""

    name = "maze"
    version = "0.1.0"
    description = "Shortest path from S to G through a grid maze ('#' walls, or a 0/1 grid)."
    Problem = MazeProblem
    Solution = MazeSolution
    recipe = MazeRecipe

    def __init__(self, canvas: int | None = None) -> None:
        self._canvas = canvas

    @property
    def canvas(self) -> int:
        """Canvas side of the model that serves this task (registry entry, shipped weights,
        else the recipe's default)."""
        if self._canvas is None:
            self._canvas = self._registered_canvas() or MazeData().canvas
        return self._canvas

    def configure(self, meta: dict[str, Any]) -> None:
        """Adopt the canvas of a loaded checkpoint (its meta dict)."""
        canvas = canvas_from_meta(meta)
        if canvas is not None:
            self._canvas = canvas

    def _registered_canvas(self) -> int | None:
        candidates: list[Path] = []
        try:
            from trm_hub.registry import Registry

            candidates.append(Path(Registry.load().weights_for(self.name, self.name)))
        except Exception:  # no registry or no registered weights: use the shipped JSON
            pass
        candidates.append(WEIGHTS / f"{self.name}.json")
        for path in candidates:
            meta_path = path.with_suffix(".json")
            if meta_path.is_file():
                try:
                    canvas = canvas_from_meta(json.loads(meta_path.read_text()))
                except (ValueError, AttributeError):
                    continue
                if canvas is not None:
                    return canvas
        return None

    def parse(self, data: dict[str, Any]) -> MazeProblem:
        return MazeProblem.model_validate(data)

    def fits(self, problem: MazeProblem) -> None:
        """Raise a clear error when the maze is larger than the model's canvas."""
        check_fits(problem.height, problem.width, self.canvas)

    def encode(self, problem: MazeProblem) -> np.ndarray:
        return encode_grid(_walls(problem), problem.start, problem.goal, self.canvas)

    def decode(self, problem: MazeProblem, tokens: np.ndarray) -> MazeSolution:
        """Predicted canvas -> the S..G route through the cells marked as path.

        Open marked cells are tried first, then marked cells on walls; when no route joins S to
        G the path goes from S as near to G as the marked cells allow, and `note` says why
        it fails.
        """
        walls = _walls(problem)
        marked = path_cells(tokens, problem.height, problem.width, self.canvas)
        marked[problem.start] = marked[problem.goal] = True
        path = (shortest_path(~(marked & ~walls), problem.start, problem.goal)
                or shortest_path(~marked, problem.start, problem.goal)
                or _partial(marked & ~walls, problem.start, problem.goal))
        return self._solution(problem, walls, path)

    def solve_exact(self, problem: MazeProblem) -> MazeSolution:
        """The answer by breadth-first search (the exact baseline)."""
        walls = _walls(problem)
        path = shortest_path(walls, problem.start, problem.goal) or [problem.start]
        return self._solution(problem, walls, path)

    def _solution(self, problem: MazeProblem, walls: np.ndarray, path: list[Cell]) -> MazeSolution:
        return MazeSolution(path=path, maze=problem.rows(path),
                            note=explain(walls, problem.start, problem.goal, path))

    def explain(self, problem: MazeProblem, solution: MazeSolution) -> str | None:
        """Why the solution is not a shortest S..G path (None when it is one)."""
        return explain(_walls(problem), problem.start, problem.goal, solution.path)

    def verify(self, problem: MazeProblem, solution: MazeSolution) -> bool:
        """True when the path is connected, avoids walls, joins S to G and is a shortest one."""
        return self.explain(problem, solution) is None

    def routing_examples(self, n: int, seed: int) -> Iterator[dict[str, Any]]:
        from trm_hub_plugins.maze.routing import routing_examples

        yield from routing_examples(n, seed)

    def build_dataset(self, cfg: MazeRecipe) -> TaskData:
        from trm_hub_plugins.maze.data import build

        return build(cfg)

    def evaluate(self, model: Any, data: TaskData, cfg: MazeRecipe, device: str = "auto"
                 ) -> dict[str, Any]:
        """The maze report on the held-out split (see evaluation.report)."""
        from trm_hub_plugins.maze.evaluation import evaluate_model

        return evaluate_model(self, model, data, device=device, halt_threshold=cfg.halt_threshold)
