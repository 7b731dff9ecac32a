"""Published collections of the hardest 9x9 puzzles, answered with the shipped model's default settings.

The puzzles are only judged here: no setting was chosen on them (the checker's views were chosen
on generated validation puzzles, training/sudoku/checked_views.py). `benchmarks/data/top95.txt`
is Norvig's top95 (norvig.com/top95.txt, 95 puzzles from the magictour top1465 collection), one
81-character puzzle per line ('.' blank). Every puzzle is answered in one batch, as `trm-hub
route` answers a JSONL file; the exact solver never answers. Prints, side by side:

- the default (the checker settles a puzzle at the first wave of the model's views that gives a
  valid grid, up to `data.checked_views`),
- the model's own pick (the vote of its 8 views, no checker: `data.checked_views=0`),

with seconds per puzzle (onnxruntime, the machine's cores), view-steps per puzzle (supervision steps
of one view of one puzzle, summed over every view answered: what the time is made of, whatever
else the machine is doing), and the exact solver's time.

Run: python benchmarks/sudoku_hardest.py [FILE ...] [--json OUT] [--weights CHECKPOINT]
(`--weights`: judge a candidate checkpoint, its step graph `.onnx` beside it, with the answering
settings its own recipe records)
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"


def read_puzzles(path: Path) -> list[str]:
    lines = [line.strip() for line in path.read_text().splitlines()]
    return [line for line in lines if len(line) == 81]


class StepCounter:
    """An engine that counts the view-steps it answers."""

    def __init__(self, engine):
        self.engine, self.view_steps = engine, 0
        self.runtime, self.device, self.config = engine.runtime, engine.device, engine.config

    def infer(self, inputs, *args, **kwargs):
        result = self.engine.infer(inputs, *args, **kwargs)
        self.view_steps += int(result.steps.sum())
        return result

    def accepts_length(self, length: int) -> bool:
        return self.engine.accepts_length(length)


def main() -> None:
    from trm_hub.registry import Registry
    from trm_hub_plugins.sudoku.schema import SudokuProblem
    from trm_hub_plugins.sudoku.solver import solution_of
    from trm_hub_plugins.sudoku.task import SudokuTask

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, default=[DATA / "top95.txt"])
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--weights", type=Path, default=None, help="a candidate checkpoint (default: the registry's sudoku-9x9)")
    args = parser.parse_args()
    task = SudokuTask()
    if args.weights:
        from trm_hub.runtime import read_meta
        from trm_hub.runtime.onnx_engine import OnnxEngine

        meta = read_meta(args.weights)
        engine, checkpoint = OnnxEngine.from_checkpoint(args.weights.with_suffix(".onnx"), args.weights, meta), task.checkpoint(meta)
    else:
        engine, checkpoint = task.load_engine(Registry.load(), "sudoku-9x9", "cpu")
    engine = StepCounter(engine)
    data = checkpoint.recipe.data
    voting = dataclasses.replace(checkpoint, recipe=checkpoint.recipe.model_copy(
        update={"data": data.model_copy(update={"checked_views": 0})}))
    rows = []
    print(f"| collection | puzzles | solved (default: checker over up to {data.checked_views} views) | s per puzzle | "
          f"view-steps per puzzle | model's own pick (vote of {data.views} views) | s per puzzle | exact solver, ms per puzzle |")
    print("|---|---|---|---|---|---|---|---|")
    for path in args.files:
        problems = [SudokuProblem.model_validate({"puzzle": p}) for p in read_puzzles(path)]
        row = {"collection": path.name, "puzzles": len(problems), "runtime": engine.runtime}
        for label, chosen in (("default", checkpoint), ("vote", voting)):
            began, engine.view_steps = time.perf_counter(), 0
            answers = task.answer_with(engine, chosen, problems)
            row[f"{label}_view_steps"] = engine.view_steps / len(problems)
            row[f"{label}_seconds"] = (time.perf_counter() - began) / len(problems)
            row[f"{label}_solved"] = sum(bool(a.verified) for a in answers)
            row[f"{label}_steps"] = sum(a.steps for a in answers) / len(problems)
        began = time.perf_counter()
        for problem in problems:
            solution_of(problem.flat, 9)
        row["solver_ms"] = (time.perf_counter() - began) * 1000 / len(problems)
        rows.append(row)
        n = row["puzzles"]
        print(f"| {path.name} | {n} | {row['default_solved']} ({row['default_solved'] / n:.1%}) | {row['default_seconds']:.3f} | "
              f"{row['default_view_steps']:.0f} | "
              f"{row['vote_solved']} ({row['vote_solved'] / n:.1%}) | {row['vote_seconds']:.3f} | {row['solver_ms']:.2f} |")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
