"""Solved share and seconds per maze of `trm-hub route`'s answering path on validation mazes
(seed 7, never a test set), one maze at a time on one thread (torch) or one pass per core
(onnx: run it under `taskset -c 0` for one core), under answering settings.

Each size is drawn from our generator (rooms and several shortest paths as in step_probe.py) and
from our rooms generator. Settings are `KEY=VALUE` of the checkpoint's recipe, as `route --set`
takes them; several `--try` groups are answered side by side on the same mazes.

Run: python training/maze/answer_probe.py CHECKPOINT --try "data.views=1" --try "data.views=8" [--sizes 15,21,31,41]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from trm_hub.runtime import load_engine, read_meta  # noqa: E402
from step_probe import validation_sets  # noqa: E402
from trm_hub_plugins.maze.data import to_problems  # noqa: E402
from trm_hub_plugins.maze.task import MazeTask  # noqa: E402

def validation_problems(data, side: int, per_size: int) -> dict:
    """step_probe.py's validation mazes (rooms 0.4, several shortest paths in half) as problems."""
    data = data.model_copy(update={"rooms_fraction": 0.4, "unique_fraction": 0.5})
    return {kind: to_problems(batch) for kind, batch in validation_sets(data, side, per_size).items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint")
    parser.add_argument("--try", dest="tries", action="append", default=[],
                        help="space-separated KEY=VALUE settings answered together (repeatable)")
    parser.add_argument("--sizes", default="15,21,31,41")
    parser.add_argument("--per-size", type=int, default=24)
    parser.add_argument("--runtime", choices=("torch", "onnx"), default="torch",
                        help="onnx: the step graph beside the weights (CHECKPOINT with .onnx)")
    parser.add_argument("--json")
    args = parser.parse_args()
    torch.set_num_threads(1)
    task = MazeTask()
    meta = read_meta(args.checkpoint)
    graph = Path(args.checkpoint).with_suffix(".onnx") if args.runtime == "onnx" else None
    engine = load_engine(Path(args.checkpoint), graph, meta, args.runtime, "cpu")
    base = task.checkpoint(meta)
    tries = args.tries or [""]
    report = {}
    for side in (int(s) for s in args.sizes.split(",")):
        for kind, problems in validation_problems(base.recipe.data, side, args.per_size).items():
            for settings in tries:
                checkpoint = base.answering(settings.split())
                began = time.perf_counter()
                answers = [task.answer_with(engine, checkpoint, [p])[0] for p in problems]
                seconds = (time.perf_counter() - began) / len(problems)
                row = {"n": len(problems), "solved": float(np.mean([a.verified for a in answers])),
                       "mean_steps": float(np.mean([a.steps for a in answers])),
                       "s_per_maze": seconds, "max_s": max(a.seconds for a in answers)}
                report[f"{kind} {side} | {settings}"] = row
                print(f"{kind:>6} {side:>3}  {row['solved']:6.1%}  steps {row['mean_steps']:5.1f}  "
                      f"{seconds:6.3f} s/maze (max {row['max_s']:.2f})  {settings}", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
