"""What answering several views costs: the shipped maze and Sudoku 9x9 models, 1 view against 8.

Run: python benchmarks/bench_views.py [--threads 1] [--repeats 5] [--batch 64]

For each model: milliseconds per problem answering one problem alone and a batch of held-out
problems (validation seed 7), with the task's `infer` at views=1 and views=8, at the shipped
halting threshold, and the share solved in that batch. Medians of R repeats after one warm-up,
side by side in this one run.
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import torch
from bench_engine import median_time


def median_ms(fn, repeats: int, per: int) -> float:
    """Median milliseconds per problem of `fn` answering `per` problems."""
    return 1000 * median_time(fn, repeats) / per


def maze_problems(batch: int):
    from trm_hub_plugins.maze.data import held_out_set, to_problems
    from trm_hub_plugins.maze.recipe import MazeData
    from trm_hub_plugins.maze.task import MazeTask

    return MazeTask, "maze", to_problems(held_out_set(MazeData(test_seed=7, test_per_size=batch), (15, 15)))


def sudoku_problems(batch: int):
    from trm_hub_plugins.sudoku.data import held_out_set
    from trm_hub_plugins.sudoku.schema import SudokuProblem
    from trm_hub_plugins.sudoku.task import SudokuTask

    test = held_out_set(9, ["easy", "medium", "hard", "extreme"], max(batch // 4, 1), seed=7)
    return SudokuTask, "sudoku-9x9", [SudokuProblem.from_cells(p.tolist(), 9) for p in test.puzzles]


def bench(make, batch: int, repeats: int) -> dict:
    from trm_hub.registry import Registry

    Task, model_name, problems = make(batch)
    task = Task()
    model, meta = task.load_model(Registry.load().weights_for(task.name, model_name), "cpu")
    recipe = task.checkpoint(meta).recipe
    inputs = torch.as_tensor(np.stack([task.encode(p, recipe) for p in problems]))
    row = {"model": model_name, "problems": len(problems), "halt_threshold": recipe.halt_threshold}
    for views in (1, 8):
        task = Task(views=views)
        out = np.asarray(task.infer(model, inputs, recipe).outputs)
        solved = np.mean([bool(task.verify(p, task.decode(p, out[i]))) for i, p in enumerate(problems)])
        row[f"views{views}"] = {
            "ms_one": median_ms(lambda: task.infer(model, inputs[:1], recipe), repeats, 1),
            "ms_batched": median_ms(lambda: task.infer(model, inputs, recipe), repeats, len(problems)),
            "solved": float(solved),
        }
    for key in ("ms_one", "ms_batched"):
        row[f"ratio_{key}"] = row["views8"][key] / row["views1"][key]
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch", type=int, default=64)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rows = [bench(make, args.batch, args.repeats) for make in (maze_problems, sudoku_problems)]
    print(f"{'model':<12}{'views':>6}{'ms one':>9}{'ms batched':>12}{'solved':>8}")
    for row in rows:
        for views in (1, 8):
            r = row[f"views{views}"]
            print(f"{row['model']:<12}{views:>6}{r['ms_one']:>9.2f}{r['ms_batched']:>12.2f}{r['solved']:>8.3f}")
        print(f"{'':<12}{'8/1':>6}{row['ratio_ms_one']:>8.1f}x{row['ratio_ms_batched']:>11.1f}x")
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
