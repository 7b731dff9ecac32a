"""The maze task: shortest path from S to G through a grid maze."""

from __future__ import annotations

import math
from typing import Any, Iterator

import numpy as np

from trm_hub.task import Task, TaskData
from trm_hub_plugins.maze.schema import MazeProblem, MazeSolution
from trm_hub_plugins.maze.recipe import MazeRecipe
from trm_hub_plugins.maze.solver import explain, read_route, shortest_path
from trm_hub_plugins.maze.tokens import canvas_for, check_fits, encode_grid, step_limit

Cell = tuple[int, int]


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

    def canvas(self, recipe: MazeRecipe) -> int:
        """Canvas side mazes are put on: the one given to the task, else the checkpoint's recipe's."""
        return self._canvas if self._canvas is not None else recipe.data.canvas

    def views(self, recipe: MazeRecipe) -> int:
        """Views answered per maze: the one given to the task, else the checkpoint's recipe's."""
        return self._views if self._views is not None else recipe.data.views

    def infer(self, engine: Any, inputs: Any, recipe: MazeRecipe) -> Any:
        """Answer the maze's symmetric views and keep the shortest route they propose; a maze on a
        canvas larger than the trained one may take proportionally more supervision steps."""
        from trm_hub_plugins.maze.views import answer_views

        limit = step_limit(engine.config.halt_max_steps, math.isqrt(inputs.shape[1]), recipe.data.canvas)
        return answer_views(engine, inputs, self.views(recipe), recipe.halt_threshold, max_steps=limit,
                            first=recipe.data.first_views, settle_q=recipe.data.settle_q)

    def export_settings(self, recipe: MazeRecipe) -> dict[str, Any]:
        """Token layout, trained canvas (a smaller maze sits in its top-left corner) and views (symmetries)."""
        from trm_hub_plugins.maze import tokens

        names = ("pad", "wall", "open", "start", "goal", "path")
        vocabulary = {name: getattr(tokens, name.upper()) for name in names}
        if recipe.data.labels == "distance":
            vocabulary.update({f"distance_{d}_mod_3": tokens.DIST0 + d for d in range(3)})
        return {"vocabulary": vocabulary, "labels": recipe.data.labels, "canvas": recipe.data.canvas,
                "own_canvas": recipe.data.own_canvas, "views": self.views(recipe)}

    def parse(self, data: dict[str, Any]) -> MazeProblem:
        return MazeProblem.model_validate(data)

    def encode(self, problem: MazeProblem, recipe: MazeRecipe) -> np.ndarray:
        """The maze on the trained canvas, or on its own size when larger or when the recipe says
        `data.own_canvas` (see `canvas_for`)."""
        canvas = canvas_for(problem.height, problem.width, self.canvas(recipe), recipe.data.own_canvas)
        return encode_grid(_walls(problem), problem.start, problem.goal, canvas)

    def decode(self, problem: MazeProblem, tokens: np.ndarray) -> MazeSolution:
        """Predicted canvas -> the S..G route the model's labels give (`read_route`).

        A path-label model marks every cell on a shortest path (one line in most mazes, a band
        across open rooms); the route uses only marked cells. A distance-label model gives every
        open cell its distance to G modulo 3; the route steps down them from S. Labels that do not
        lead from S to G give a path that fails `verify`, with `note` saying why.
        """
        walls = _walls(problem)
        tokens = np.asarray(tokens).reshape(-1)
        canvas = math.isqrt(tokens.size)
        if canvas * canvas != tokens.size:
            raise ValueError(f"expected a square canvas of tokens, got {tokens.size}")
        check_fits(problem.height, problem.width, canvas)
        return self._solution(problem, walls, read_route(tokens, walls, problem.start, problem.goal, canvas))

    def pictures(self, problem: MazeProblem, solution: MazeSolution | None = None) -> list[str]:
        """The maze as SVG: walls, S, G and the answer's path."""
        from trm_hub_plugins.maze.drawing import picture

        return [picture(problem, solution)]

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
