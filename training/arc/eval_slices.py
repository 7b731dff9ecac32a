"""The ARC-AGI-1 evaluation tasks that fit the canvas, answered as `trm-hub route` answers them, in slices
that run side by side (one process per core), then merged into one table.

    python training/arc/eval_slices.py run --part 0/2 --out training/arc/route_eval/part0.json &
    python training/arc/eval_slices.py run --part 1/2 --out training/arc/route_eval/part1.json &
    python training/arc/eval_slices.py merge training/arc/route_eval/part*.json

Settings are the checkpoint's own (its recipe's views and test-time training), overridable with
`--set data.KEY=VALUE`. Each task's line: pass@2, first-attempt cells, seconds, test-time steps.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[2]


def run(args: argparse.Namespace) -> None:
    from trm_hub.model import load_checkpoint
    from trm_hub_plugins.arc.data import demo_key, load_set
    from trm_hub_plugins.arc.evaluation import task_scores
    from trm_hub_plugins.arc.inference import answer_adapted
    from trm_hub_plugins.arc.task import ArcTask
    from trm_hub_plugins.arc.tokens import fits

    torch.set_num_threads(args.threads)
    task = ArcTask()
    model, meta = load_checkpoint(args.checkpoint)
    checkpoint = task.checkpoint(meta).answering(args.set)
    recipe = checkpoint.recipe
    canvas = recipe.data.canvas
    records = [r for r in load_set(args.eval_set) if fits(r.grids(), canvas)]
    index, count = (int(x) for x in args.part.split("/"))
    mine = records[index::count]
    table = task.view_table(model, recipe)
    rows = json.loads(Path(args.out).read_text())["tasks"] if args.resume and Path(args.out).exists() else []
    done = {row["task"] for row in rows}
    for record in [r for r in mine if r.id not in done]:
        began = time.perf_counter()
        problem = task.parse({"train": record.task["train"], "test": [{"input": p["input"]} for p in record.task["test"]]})
        adapted = task.adapt(model, checkpoint, problem)
        solution, steps = answer_adapted(adapted, recipe, problem, canvas)
        passed, cells = task_scores(record, solution)
        row = {"task": record.id, "pass@2": passed, "cells": round(cells, 4),
               "seconds": round(time.perf_counter() - began, 2), "mode": solution.puzzle_ids,
               "demos_trained_on": demo_key(record.task["train"]) in table,
               "ttt_steps": (solution.ttt or {}).get("steps", 0), "fit": (solution.ttt or {}).get("fit"),
               "top_votes": solution.votes[0][0] if solution.votes and solution.votes[0] else 0}
        rows.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)
        out = {"eval_set": args.eval_set, "part": args.part, "checkpoint": str(args.checkpoint), "overrides": args.set,
               "settings": task.settings(recipe).__dict__, "canvas": canvas, "done": len(rows) == len(mine),
               "tasks": rows}
        write_atomically(Path(args.out), json.dumps(out, indent=1))


def write_atomically(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file, so a stopped run leaves the last whole table."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    tmp.replace(path)


def merge(args: argparse.Namespace) -> None:
    parts = [json.loads(Path(p).read_text()) for p in args.parts]
    rows = sorted((row for part in parts for row in part["tasks"]), key=lambda r: r["task"])
    first = [r for r in rows][: args.first]
    summary = {
        "eval_set": parts[0]["eval_set"], "settings": parts[0]["settings"], "overrides": parts[0]["overrides"],
        "tasks": len(rows),
        "pass@2": round(float(np.mean([r["pass@2"] for r in rows])), 4),
        "solved": [r["task"] for r in rows if r["pass@2"] == 1.0],
        "cells": round(float(np.mean([r["cells"] for r in rows])), 4),
        "seconds_per_task": {"mean": round(float(np.mean([r["seconds"] for r in rows])), 1),
                             "max": round(float(np.max([r["seconds"] for r in rows])), 1)},
        "demos_trained_on": sum(r["demos_trained_on"] for r in rows),
        f"first_{args.first}": {"tasks": [r["task"] for r in first],
                                "solved": [r["task"] for r in first if r["pass@2"] == 1.0],
                                "pass@2": round(float(np.mean([r["pass@2"] for r in first])), 4)},
        "rows": rows,
    }
    if args.out:
        Path(args.out).write_text(json.dumps(summary, indent=1))
    print(json.dumps({k: v for k, v in summary.items() if k != "rows"}, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    one = sub.add_parser("run", help="answer one slice of the tasks")
    one.add_argument("--checkpoint", default=str(ROOT / "plugins/arc/weights/arc.safetensors"))
    one.add_argument("--eval-set", default="arc1/eval")
    one.add_argument("--part", default="0/1", help="I/N: every N-th task from the I-th")
    one.add_argument("--set", action="append", default=[], help="answering setting, e.g. data.ttt_seconds=60")
    one.add_argument("--threads", type=int, default=1)
    one.add_argument("--out", required=True)
    one.add_argument("--resume", action="store_true", help="keep the tasks already in --out and answer the rest")
    both = sub.add_parser("merge", help="one table from the slices")
    both.add_argument("parts", nargs="+")
    both.add_argument("--first", type=int, default=12, help="also report the first N tasks by id")
    both.add_argument("--out", default="")
    args = parser.parse_args()
    run(args) if args.command == "run" else merge(args)


if __name__ == "__main__":
    main()
