"""Solved share against supervision steps, one view, on validation mazes (seed 7, never a test set).

Runs a checkpoint's steps one by one on mazes of our generator (rooms and several shortest paths
as in --rooms/--unique) and of our dungeon generator, each maze on a canvas of its own size, and
prints per size: solved after k steps with no halting, and solved / mean steps where the Q head
halts at each of --thresholds (default 0 and 2). JSON with --json.

With --by-kind the sets are our generator's mazes with one shortest path, loops and rooms apart.

Run: python training/maze/step_probe.py CHECKPOINT [--sizes 15,21,31,41] [--per-size 48] [--steps 48] [--by-kind]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

from trm_hub.model import load_checkpoint
from trm_hub_plugins.maze.data import generator_options, test_rng, to_problems, to_split
from trm_hub_plugins.maze.foreign import foreign_set
from trm_hub_plugins.maze.generate import generate
from trm_hub_plugins.maze.task import MazeTask

VALIDATION_SEED = 7
THRESHOLDS = (0.0, 2.0)  # default --thresholds
KINDS = {  # --by-kind: our generator's mazes with one shortest path, loops with several, rooms with several
    "unique": {"rooms_fraction": 0.0, "unique_fraction": 1.0, "loop_fraction": 0.5},
    "loops": {"rooms_fraction": 0.0, "unique_fraction": 0.0, "loop_fraction": 1.0},
    "rooms": {"rooms_fraction": 1.0, "unique_fraction": 0.0, "loop_fraction": 0.5},
}


def validation_sets(data, side: int, per_size: int) -> dict:
    """Validation mazes of one side: our generator's (with `data`'s rooms and several-shortest-path
    shares) and our rooms generator's (odd sides)."""
    odd = side - 1 + side % 2
    return {"ours": generate(test_rng(VALIDATION_SEED, (side, side)), per_size, side, side, **generator_options(data)),
            "rooms": foreign_set("rooms", per_size, odd, odd, VALIDATION_SEED)}


def probe(model, task, problems, inputs: np.ndarray, steps: int, thresholds=THRESHOLDS) -> dict:
    """Solved after each step (no halting) and where each threshold would halt."""
    x = torch.as_tensor(inputs)
    state = model.initial_state(len(x), x.device, x.shape[1])
    solved = np.zeros((steps, len(x)), dtype=bool)
    q = np.zeros((steps, len(x)))
    with torch.inference_mode():
        for k in range(steps):
            state, out, qk = model.step(state, x)
            out = out.argmax(-1).numpy()
            q[k] = qk.float().numpy()
            solved[k] = [task.verify(p, task.decode(p, out[i])) for i, p in enumerate(problems)]
    row = {"n": len(x), "solved_at_step": [round(float(s), 3) for s in solved.mean(axis=1)]}
    for t in thresholds:
        halts = np.where((q > t).any(axis=0), (q > t).argmax(axis=0), steps - 1)
        row[f"threshold_{t:g}"] = {"solved": float(solved[halts, np.arange(len(x))].mean()),
                                   "mean_steps": float(halts.mean() + 1)}
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint")
    parser.add_argument("--sizes", default="15,21,31,41")
    parser.add_argument("--per-size", type=int, default=48)
    parser.add_argument("--steps", type=int, default=48)
    parser.add_argument("--rooms", type=float, default=0.4)
    parser.add_argument("--unique", type=float, default=0.5)
    parser.add_argument("--by-kind", action="store_true",
                        help="mazes with one shortest path, loops and rooms apart (several shortest paths allowed)")
    parser.add_argument("--thresholds", default=",".join(f"{t:g}" for t in THRESHOLDS),
                        help="halting thresholds whose solved share and mean steps are printed")
    parser.add_argument("--json")
    args = parser.parse_args()
    thresholds = tuple(float(t) for t in args.thresholds.split(","))
    torch.set_num_threads(1)
    model, meta = load_checkpoint(args.checkpoint)
    model.eval()
    task = MazeTask()
    data = task.checkpoint(meta).recipe.data.model_copy(update={"rooms_fraction": args.rooms,
                                                                "unique_fraction": args.unique})
    report = {}
    for side in (int(s) for s in args.sizes.split(",")):
        if args.by_kind:
            sets = {kind: generate(test_rng(VALIDATION_SEED, (side, side)), args.per_size, side, side,
                                   **generator_options(data.model_copy(update=options)))
                    for kind, options in KINDS.items()}
        else:
            sets = validation_sets(data, side, args.per_size)
        for kind, batch in sets.items():
            start = time.perf_counter()
            row = probe(model, task, to_problems(batch), to_split([batch], side).inputs, args.steps, thresholds)
            row["seconds"] = round(time.perf_counter() - start, 1)
            report[f"{kind} {side}"] = row
            curve = row["solved_at_step"]
            marks = ", ".join(f"{k}:{curve[k - 1]:.2f}" for k in (4, 8, 12, 16, 24, 32, 48, 64) if k <= len(curve))
            halts = "  ".join(f"t{t:g} {row[f'threshold_{t:g}']['solved']:.2f}@{row[f'threshold_{t:g}']['mean_steps']:.1f}"
                              for t in thresholds)
            print(f"{kind:>7} {side:>3}  no halt {marks}   {halts}   ({row['seconds']} s)", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
