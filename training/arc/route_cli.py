"""The first N ARC-AGI-1 evaluation tasks that fit the shipped model's canvas (by id), answered by the
real `trm-hub route` command with its default settings, one JSON Lines batch; scores pass@2.

    python training/arc/route_cli.py --tasks 12 --out training/arc/route_eval/cli12.json
    python training/arc/route_cli.py --weights runs/arc/long/arc.safetensors --out ...

A fresh user's setting: no user registry (the shipped model answers; `--weights` records a candidate
in a temporary one instead), torch's default threads.
Only the demonstrations and the test inputs go to `trm-hub route`; the test outputs stay here,
for scoring. Each task's line: pass@2, first-attempt cells, how its views were identified,
seconds, test-time steps.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=12, help="first N fitting evaluation tasks by id")
    parser.add_argument("--eval-set", default="arc1/eval")
    parser.add_argument("--weights", type=Path, default=ROOT / "plugins/arc/weights/arc.safetensors",
                        help="checkpoint to answer with (default: the shipped model)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    from trm_hub.model import load_checkpoint
    from trm_hub.registry import Registry, sha256_of
    from trm_hub_plugins.arc.data import demo_key, load_set
    from trm_hub_plugins.arc.evaluation import task_scores
    from trm_hub_plugins.arc.schema import ArcSolution
    from trm_hub_plugins.arc.task import ArcTask
    from trm_hub_plugins.arc.tokens import fits

    weights = args.weights.resolve()
    model, meta = load_checkpoint(weights)
    task = ArcTask()
    recipe = task.checkpoint(meta).recipe
    canvas = recipe.data.canvas
    records = sorted((r for r in load_set(args.eval_set) if fits(r.grids(), canvas)), key=lambda r: r.id)[: args.tasks]
    trained = task.view_table(model, recipe)
    with tempfile.TemporaryDirectory() as tmp:
        registry = Path(tmp) / "registry.yaml"
        if weights != (ROOT / "plugins/arc/weights/arc.safetensors").resolve():
            Registry(user=registry).record("arc", "arc", weights, target=registry)
        batch = Path(tmp) / "problems.jsonl"
        batch.write_text("".join(
            json.dumps({"train": r.task["train"], "test": [{"input": p["input"]} for p in r.task["test"]]}) + "\n"
            for r in records))
        began = time.perf_counter()
        done = subprocess.run([str(ROOT / ".venv/bin/trm-hub"), "route", "--jsonl", str(batch)],
                              capture_output=True, text=True,
                              env={**os.environ, "TRM_HUB_REGISTRY": str(registry)})
        wall = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"trm-hub route failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    answers = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    rows = []
    for record, answer in zip(records, answers, strict=True):
        if answer.get("task") != "arc":
            rows.append({"task": record.id, "routed_to": answer.get("task"), "error": answer.get("error"), "pass@2": 0.0})
            continue
        solution = ArcSolution.model_validate(answer["solution"])
        passed, cells = task_scores(record, solution)
        rows.append({"task": record.id, "pass@2": passed, "cells": round(cells, 4), "mode": solution.puzzle_ids,
                     "demos_trained_on": demo_key(record.task["train"]) in trained, "seconds": answer["seconds"],
                     "ttt_steps": (solution.ttt or {}).get("steps", 0)})
        print(json.dumps(rows[-1]), file=sys.stderr)
    report = {
        "eval_set": args.eval_set, "weights": str(weights.relative_to(ROOT)) if weights.is_relative_to(ROOT) else str(weights),
        "sha256": sha256_of(weights), "tasks": len(rows), "command": "trm-hub route --jsonl problems.jsonl",
        "threads": os.environ.get("OMP_NUM_THREADS", "torch default"), "cpus": os.cpu_count(),
        "solved": sum(r["pass@2"] == 1.0 for r in rows), "pass@2": round(sum(r["pass@2"] for r in rows) / len(rows), 4),
        "wall_seconds": round(wall, 1), "max_seconds": max(r.get("seconds", 0) for r in rows), "rows": rows,
    }
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    print(f"{report['solved']} of {len(rows)} solved at pass@2 ({report['pass@2']:.1%}), "
          f"{wall / len(rows):.1f} s per task, {report['max_seconds']:.1f} s at most")


if __name__ == "__main__":
    main()
