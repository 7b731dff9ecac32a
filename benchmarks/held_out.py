"""The shipped models' held-out test problems, as `Task.solve` takes them (for comparing runtimes).

`held_out(model_name, limit)` -> (task, problems): the first `limit` problems (all when None) of the
model's own held-out test set, rebuilt from its checkpoint's recipe (typed, `recipe.data`) as its
eval report does.
"""

from __future__ import annotations

from typing import Any

from trm_hub.plugins import load_tasks
from trm_hub.registry import Registry
from trm_hub.runtime import read_meta

SHIPPED = ("sudoku-4x4", "sudoku-6x6", "sudoku-9x9", "maze", "arc",
           "molecule-solubility", "molecule-hydration_free_energy", "molecule-lipophilicity")


def task_of(model_name: str) -> str:
    return model_name.split("-")[0]


def held_out(model_name: str, limit: int | None = None) -> tuple[Any, list[Any]]:
    task = load_tasks()[task_of(model_name)]
    recipe = task.checkpoint(read_meta(Registry.load().weights_for(task.name, model_name))).recipe
    problems = LOADERS[task.name](task, recipe.data)
    return task, problems[:limit] if limit is not None else problems


def sudoku_problems(task: Any, data: Any) -> list[Any]:
    from trm_hub_plugins.sudoku.data import held_out_set

    test = held_out_set(data.size, data.bands("test"), data.test_puzzles, 1, data.cache, data.test_seed)
    n = data.size
    return [task.parse({"puzzle": puzzle.reshape(n, n).tolist()}) for puzzle in test.puzzles]


def maze_problems(task: Any, data: Any) -> list[Any]:
    from trm_hub_plugins.maze.data import held_out_sets, to_problems

    batches = list(held_out_sets(data).values())
    per_size = [to_problems(batch) for batch in batches]
    return [problems[i] for i in range(max(map(len, per_size))) for problems in per_size if i < len(problems)]


def molecule_problems(task: Any, data: Any) -> list[Any]:
    from trm_hub_plugins.molecule.data import split_dataset

    table, parts = split_dataset(data.property, data.split, data.split_seed)
    return [task.parse({"smiles": table.smiles[i], "property": data.property}) for i in parts.test]


def arc_problems(task: Any, data: Any) -> list[Any]:
    from trm_hub_plugins.arc.tokens import fits
    from trm_hub_plugins.arc.data import load_set

    return [task.parse(r.task) for r in load_set("arc1/eval") if fits(r.grids(), data.canvas)]


LOADERS = {"sudoku": sudoku_problems, "maze": maze_problems, "molecule": molecule_problems, "arc": arc_problems}


def molecule_targets(model_name: str) -> Any:
    """The measured values of a molecule model's held-out test molecules, in `held_out`'s order."""
    from trm_hub_plugins.molecule.data import split_dataset

    task = load_tasks()["molecule"]
    data = task.checkpoint(read_meta(Registry.load().weights_for("molecule", model_name))).recipe.data
    table, parts = split_dataset(data.property, data.split, data.split_seed)
    return table.values[parts.test]
