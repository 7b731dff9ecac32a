"""The maze task: shortest path from S to G through a grid maze."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from trm_hub.task import Task, TaskData, trained_data
from trm_hub_plugins.maze.schema import MazeProblem, MazeSolution
from trm_hub_plugins.maze.recipe import MazeData, MazeRecipe, canvas_from_meta
from trm_hub_plugins.maze.solver import explain, route_through, shortest_path
from trm_hub_plugins.maze.tokens import canvas_for, check_fits, encode_grid, path_cells, step_limit

Cell = tuple[int, int]
WEIGHTS = Path(__file__).parent / "weights"


def _walls(problem: MazeProblem) -> np.ndarray:
    return np.array(problem.grid, dtype=bool)


class MazeTask(Task):
    """Shortest path from S to G through a grid maze."""

    name = "maze"
    version = "0.1.0"
    description = "Shortest path from S to G through a grid maze ('#' walls, or a 0/1 grid)."
    Problem = MazeProblem
    Solution = MazeSolution
    recipe = MazeRecipe

    def __init__(self, canvas: int | None = None, views: int | None = None) -> None:
        self._canvas = canvas
        self._views = views

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

    def views(self, meta: dict[str, Any]) -> int:
        """Views answered per maze: the one given to the task, else the checkpoint's recipe's."""
        return self._views if self._views is not None else int(trained_data(meta).get("views", MazeData().views))

    def infer(self, engine: Any, inputs: Any, meta: dict[str, Any], halt_threshold: float) -> Any:
        """Answer the maze's symmetric views and keep the shortest route they propose; a maze on a
        canvas larger than the trained one may take proportionally more supervision steps."""
        from trm_hub_plugins.maze.views import answer_views

        trained = canvas_from_meta(meta) or math.isqrt(int(engine.config.seq_len))
        limit = step_limit(engine.config.halt_max_steps, math.isqrt(inputs.shape[1]), trained)
        first = trained_data(meta).get("first_views", MazeData().first_views)
        return answer_views(engine, inputs, self.views(meta), halt_threshold, max_steps=limit, first=first)

    def export_settings(self, meta: dict[str, Any]) -> dict[str, Any]:
        """Token layout, trained canvas (a smaller maze sits in its top-left corner) and views (symmetries)."""
        from trm_hub_plugins.maze import tokens

        names = ("pad", "wall", "open", "start", "goal", "path")
        return {"vocabulary": {name: getattr(tokens, name.upper()) for name in names},
                "canvas": canvas_from_meta(meta) or self.canvas, "views": self.views(meta)}

    def _registered_canvas(self) -> int | None:
        candidates: list[Path] = []
        try:
            from trm_hub.registry import Registry

            candidates.append(Path(Registry.load().weights_path(self.name, self.name)))
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

    def encode(self, problem: MazeProblem) -> np.ndarray:
        """The maze on the trained canvas, or on its own size when larger (see `canvas_for`)."""
        canvas = canvas_for(problem.height, problem.width, self.canvas)
        return encode_grid(_walls(problem), problem.start, problem.goal, canvas)

    def decode(self, problem: MazeProblem, tokens: np.ndarray) -> MazeSolution:
        """Predicted canvas -> the shortest S..G route over the open cells marked as path.

        The model marks every cell on a shortest path (one line in most mazes, a band across
        open rooms); the route uses only marked cells, so marks that do not join S to G give a
        path that fails `verify`, with `note` saying why.
        """
        walls = _walls(problem)
        tokens = np.asarray(tokens).reshape(-1)
        canvas = math.isqrt(tokens.size)
        if canvas * canvas != tokens.size:
            raise ValueError(f"expected a square canvas of tokens, got {tokens.size}")
        check_fits(problem.height, problem.width, canvas)
        marked = path_cells(tokens, problem.height, problem.width, canvas)
        return self._solution(problem, walls, route_through(marked, walls, problem.start, problem.goal))

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

        if not isinstance(cfg, MazeRecipe):
            cfg = MazeRecipe.model_validate(cfg.model_dump())
        return build(cfg)

    def evaluate(self, model: Any, meta: dict[str, Any], cfg: MazeRecipe) -> dict[str, Any]:
        """Held-out report of a checkpoint: solved per size and path length, other generators,
        BFS vs TRM time, mean steps."""
        from trm_hub_plugins.maze.evaluation import evaluate_checkpoint

        return evaluate_checkpoint(self, model, meta, cfg)
