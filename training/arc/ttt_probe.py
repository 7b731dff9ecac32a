"""Test-time training against compute, per task: demonstrations and test outputs right at marks in time.

    python training/arc/ttt_probe.py --set arc1/eval --first 12 --marks 15,30,60,120 \
        --out training/arc/ttt/base.jsonl

Each task is fitted once (`fit_to_task`, as `trm-hub route` does); at every mark the fitted copy
answers the task's demonstrations and test inputs under its views (the time spent answering
is not counted). One JSON line per task and mark; a summary per mark at the end.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from pathlib import Path

import numpy as np
import torch

from trm_hub.model import load_checkpoint
from trm_hub.runtime.torch_engine import TorchEngine
from trm_hub_plugins.arc import ttt
from trm_hub_plugins.arc.augment import sample_augmentations
from trm_hub_plugins.arc.data import demo_key, load_set, select_tasks
from trm_hub_plugins.arc.evaluation import task_scores
from trm_hub_plugins.arc.inference import Adapted, Settings, answer_adapted, predict_views, vote_solution
from trm_hub_plugins.arc.schema import ArcSolution
from trm_hub_plugins.arc.recipe import ArcData
from trm_hub_plugins.arc.task import ArcTask
from trm_hub_plugins.arc.tokens import fits

ROOT = Path(__file__).resolve().parents[2]


def records(args: argparse.Namespace, data: ArcData, canvas: int) -> list:
    if args.set == "held_out":
        chosen = select_tasks(data).held_out
    else:
        chosen = [r for r in load_set(args.set) if fits(r.grids(), canvas)]
    if args.tasks:
        wanted = args.tasks.split(",")
        chosen = [r for r in chosen if r.id in wanted]
    return chosen[args.skip : args.skip + args.first if args.first else None]


def score(task: ArcTask, recipe, model, problem, record, canvas: int, views, ids) -> dict:
    """Test pass@2 and first-attempt cells; share of demonstration views answered exactly."""
    model.eval()
    engine = TorchEngine(model)
    solution, _ = answer_adapted(Adapted(engine, views, ids, "test-time trained"), recipe, problem, canvas)
    passed, cells = task_scores(record, solution)
    demos = task.parse({"train": record.task["train"], "test": record.task["train"]})
    demo_grids, _, _ = predict_views(engine, demos, canvas, views, ids)
    exact = [g == pair["output"] for grids, pair in zip(demo_grids, record.task["train"]) for g in grids]
    votes = solution.votes[0][0] if solution.votes and solution.votes[0] else 0
    model.train()
    return {"pass@2": passed, "cells": round(cells, 4), "demo_views_exact": round(float(np.mean(exact)), 4),
            "top_votes": votes}


VARIANTS = {"halt": (None, True), "all8": (8, False), "all16": (16, False), "all32": (32, False)}
"""Answer settings scored at the last mark: (step limit, whether a view stops once its Q head says halt)."""


def variant_scores(recipe, model, problem, record, canvas: int, views, ids) -> dict:
    """pass@2 and first-attempt cells of the same fitted model under each answer setting of VARIANTS."""
    model.eval()
    engine = TorchEngine(model)
    out = {}
    for name, (max_steps, adaptive) in VARIANTS.items():
        grids, probs, _ = predict_views(engine, problem, canvas, views, ids, recipe.halt_threshold, max_steps, adaptive)
        passed, cells = task_scores(record, ArcSolution(**vote_solution(grids, probs), views=len(views)))
        out[name] = {"pass@2": passed, "cells": round(cells, 4)}
    model.train()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", default=str(ROOT / "plugins/arc/weights/arc.safetensors"))
    parser.add_argument("--set", default="arc1/eval", help="arc1/eval, arc2/eval, ... or held_out")
    parser.add_argument("--tasks", default="", help="comma-separated task ids (default: all that fit)")
    parser.add_argument("--first", type=int, default=0)
    parser.add_argument("--skip", type=int, default=0)
    parser.add_argument("--marks", default="15,30,60,120", help="seconds of training at which to answer")
    parser.add_argument("--views", type=int, default=8)
    parser.add_argument("--lr-scale", type=float, default=3.0)
    parser.add_argument("--batch", type=int, default=ttt.BATCH)
    parser.add_argument("--schedule", default="constant", choices=["constant", "cosine"])
    parser.add_argument("--from-trained", action="store_true",
                        help="a task the model was trained on starts from its trained views' puzzle ids")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--variants", action="store_true",
                        help="at the last mark, also score the answer settings of VARIANTS (step limits, halting)")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    ttt.BATCH = args.batch
    marks = [float(m) for m in args.marks.split(",")]
    task = ArcTask()
    model, meta = load_checkpoint(args.checkpoint)
    recipe = task.checkpoint(meta).recipe
    canvas = recipe.data.canvas
    table = task.view_table(model, recipe)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    rows = []
    with out.open("w") as sink:
        for record in records(args, recipe.data, canvas):
            problem = task.parse(record.task)
            rng = np.random.default_rng(args.seed)
            trained = table.get(demo_key(record.task["train"]), []) if args.from_trained else []
            views = sample_augmentations(args.views, copy.deepcopy(rng), [aug for aug, _ in trained])
            ids = list(range(1, len(views) + 1)) if model.puzzle_emb is not None else [0] * len(views)
            pending = list(marks)

            def at_step(tuned, steps: int, seconds: float) -> None:
                while pending and seconds >= pending[0]:
                    mark = pending.pop(0)
                    row = {"task": record.id, "mark_s": mark, "steps": steps,
                           **score(task, recipe, tuned, problem, record, canvas, views, ids)}
                    if args.variants and not pending:
                        row["variants"] = variant_scores(recipe, tuned, problem, record, canvas, views, ids)
                    rows.append(row)
                    sink.write(json.dumps(row) + "\n")
                    sink.flush()
                    print(json.dumps(row), file=sys.stderr, flush=True)

            demos = [p for p in record.task["train"]]
            settings = Settings(args.views, marks[-1] + 0.01, ttt_lr_scale=args.lr_scale, ttt_schedule=args.schedule)
            ttt.fit_to_task(model, demos, canvas, settings, recipe, rng, label=record.id, log=None, on_step=at_step,
                            trained=trained)
    print(f"{'mark s':>7} {'tasks':>5} {'solved':>6} {'pass@2':>7} {'cells':>6} {'demo views exact':>16} {'steps':>6}")
    for mark in marks:
        at = [r for r in rows if r["mark_s"] == mark]
        if at:
            print(f"{mark:7.0f} {len(at):5d} {sum(r['pass@2'] == 1.0 for r in at):6d} "
                  f"{np.mean([r['pass@2'] for r in at]):7.1%} {np.mean([r['cells'] for r in at]):6.1%} "
                  f"{np.mean([r['demo_views_exact'] for r in at]):16.1%} {np.mean([r['steps'] for r in at]):6.0f}")
    last = [r for r in rows if "variants" in r]
    for name in VARIANTS if last else ():
        scored = [r["variants"][name] for r in last]
        print(f"answer {name:>6}: {sum(v['pass@2'] == 1.0 for v in scored)} solved of {len(scored)}, "
              f"pass@2 {np.mean([v['pass@2'] for v in scored]):.1%}, cells {np.mean([v['cells'] for v in scored]):.1%}")


if __name__ == "__main__":
    main()
