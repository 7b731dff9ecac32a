"""ARC test-time training speed: optimiser steps per second eager against torch.compile.

Run: python benchmarks/bench_ttt.py [--tasks 4] [--steps 120] [--threads 1]

The shipped ARC model is fitted to each of the first N fitting ARC-AGI-1 evaluation tasks for a
fixed number of optimiser steps (its recipe's views, schedule and learning rate), once eager and
once compiled (`data.ttt_compile`), alternating, in this one process. Prints per task the steps
per second of each, the compiled run's first task separately (it pays the compile), the median
over the other tasks and their ratio.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch


def main() -> None:
    from trm_hub.model import load_checkpoint
    from trm_hub.registry import SHIPPED_REGISTRY, Registry
    from trm_hub_plugins.arc.data import load_set
    from trm_hub_plugins.arc.inference import Settings
    from trm_hub_plugins.arc.task import ArcTask
    from trm_hub_plugins.arc.tokens import fits
    from trm_hub_plugins.arc.ttt import fit_to_task

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=4)
    parser.add_argument("--steps", type=int, default=120)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    task = ArcTask()
    model, meta = load_checkpoint(Registry(SHIPPED_REGISTRY).weights_for("arc", "arc"))
    recipe = task.checkpoint(meta).recipe
    canvas = recipe.data.canvas
    records = sorted((r for r in load_set(recipe.data.eval_set) if fits(r.grids(), canvas)), key=lambda r: r.id)
    rate: dict[bool, list[float]] = {False: [], True: []}
    print(f"| task | eager steps/s | compiled steps/s |  ({args.steps} steps, {args.threads} thread(s))")
    print("|---|---|---|")
    for record in records[: args.tasks]:
        row = []
        for compiled in (False, True):
            settings = Settings.of(recipe.data, ttt_seconds=0, ttt_steps=args.steps, ttt_compile=compiled)
            began = time.perf_counter()
            fit_to_task(model, record.task["train"], canvas, settings, recipe, np.random.default_rng(0), log=None)
            rate[compiled].append(args.steps / (time.perf_counter() - began))
            row.append(rate[compiled][-1])
        print(f"| {record.id} | {row[0]:.2f} | {row[1]:.2f} |", flush=True)
    eager, compiled = np.median(rate[False][1:]), np.median(rate[True][1:])
    print(f"first task (compiled pays its compile): eager {rate[False][0]:.2f}, compiled {rate[True][0]:.2f} steps/s")
    print(f"median of the other {args.tasks - 1} tasks: eager {eager:.2f}, compiled {compiled:.2f} steps/s, "
          f"ratio {compiled / eager:.2f}x")


if __name__ == "__main__":
    main()
