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

Run: python benchmarks/sudoku_hardest.py [FILE ...] [--validation BAND:COUNT ...] [--json OUT]
         [--weights CHECKPOINT ...]
(`--validation hardest:300`: the first 300 generated validation puzzles of a band, seed 7, the
seed settings are chosen on; `--weights`: judge candidate checkpoints, each with its step graph
`.onnx` beside it and the answering settings its own recipe records, one after the other on each
collection, so their times are measured side by side; `--weights shipped` names the registry's)
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
VALIDATION_SEED = 7


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


def load_model(task, weights: str):
    """(label, counting engine, checkpoint) of the registry's model ('shipped') or a checkpoint file."""
    from trm_hub.registry import Registry

    if weights == "shipped":
        engine, checkpoint = task.load_engine(Registry.load(), "sudoku-9x9", "cpu")
        return "shipped", StepCounter(engine), checkpoint
    from trm_hub.runtime import read_meta
    from trm_hub.runtime.onnx_engine import OnnxEngine

    path = Path(weights)
    meta = read_meta(path)
    engine = OnnxEngine.from_checkpoint(path.with_suffix(".onnx"), path, meta)
    return str(path), StepCounter(engine), task.checkpoint(meta)


def validation_puzzles(spec: str) -> tuple[str, list[str]]:
    """'BAND:COUNT' -> (name, puzzles as 81-character lines) from the validation seed's generated set."""
    from trm_hub_plugins.sudoku.data import puzzle_set

    band, _, count = spec.partition(":")
    puzzles = puzzle_set(9, band, "test", VALIDATION_SEED, int(count or 100)).puzzles
    return f"validation {band}", ["".join(str(int(d)) for d in row) for row in puzzles]


def main() -> None:
    from trm_hub_plugins.sudoku.schema import SudokuProblem
    from trm_hub_plugins.sudoku.solver import solution_of
    from trm_hub_plugins.sudoku.task import SudokuTask

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--validation", action="append", default=[], metavar="BAND:COUNT",
                        help="generated validation puzzles (seed 7) of a band, e.g. hardest:300")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--weights", action="append", default=[], metavar="CHECKPOINT",
                        help="a candidate checkpoint, or 'shipped' (default: the registry's sudoku-9x9)")
    args = parser.parse_args()
    task = SudokuTask()
    models = [load_model(task, weights) for weights in args.weights or ["shipped"]]
    collections = [(path.name, read_puzzles(path)) for path in args.files]
    collections += [validation_puzzles(spec) for spec in args.validation]
    if not collections:
        collections = [("top95.txt", read_puzzles(DATA / "top95.txt"))]
    checked, views = models[0][2].recipe.data.checked_views, models[0][2].recipe.data.views
    rows = []
    print(f"| collection | model | puzzles | solved (default: checker over up to {checked} views) | s per puzzle | "
          f"view-steps per puzzle | model's own pick (vote of {views} views) | s per puzzle | exact solver, ms per puzzle |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, puzzles in collections:
        problems = [SudokuProblem.model_validate({"puzzle": p}) for p in puzzles]
        began = time.perf_counter()
        for problem in problems:
            solution_of(problem.flat, 9)
        solver_ms = (time.perf_counter() - began) * 1000 / len(problems)
        for label, engine, checkpoint in models:
            row = {"collection": name, "model": label, "puzzles": len(problems), "runtime": engine.runtime,
                   "solver_ms": solver_ms}
            voting = dataclasses.replace(checkpoint, recipe=checkpoint.recipe.model_copy(
                update={"data": checkpoint.recipe.data.model_copy(update={"checked_views": 0})}))
            for kind, chosen in (("default", checkpoint), ("vote", voting)):
                began, engine.view_steps = time.perf_counter(), 0
                answers = task.answer_with(engine, chosen, problems)
                row[f"{kind}_view_steps"] = engine.view_steps / len(problems)
                row[f"{kind}_seconds"] = (time.perf_counter() - began) / len(problems)
                row[f"{kind}_solved"] = sum(bool(a.verified) for a in answers)
                row[f"{kind}_steps"] = sum(a.steps for a in answers) / len(problems)
            rows.append(row)
            n = row["puzzles"]
            print(f"| {name} | {label} | {n} | {row['default_solved']} ({row['default_solved'] / n:.1%}) | "
                  f"{row['default_seconds']:.3f} | {row['default_view_steps']:.0f} | "
                  f"{row['vote_solved']} ({row['vote_solved'] / n:.1%}) | {row['vote_seconds']:.3f} | {solver_ms:.2f} |",
                  flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
