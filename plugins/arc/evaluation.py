"""The ARC eval report: pass@2 per evaluation set (tasks fitting the canvas, and all), time per task,
and test-time training against none on tasks held out of training."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from trm_hub_plugins.arc.tokens import fits
from trm_hub_plugins.arc.data import ArcRecord, load_set, select_tasks
from trm_hub_plugins.arc.schema import ArcSolution, Grid
from trm_hub_plugins.arc.inference import Settings, solve_all

EVAL_SETS = ("arc1/eval", "arc2/eval")


def cell_accuracy(attempt: Grid | None, target: Grid) -> float:
    """Fraction of the target's cells the attempt gets right (0 when the shapes differ)."""
    if attempt is None or np.shape(attempt) != np.shape(target):
        return 0.0
    return float((np.asarray(attempt) == np.asarray(target)).mean())


def task_scores(record: ArcRecord, solution: ArcSolution) -> tuple[float, float]:
    """(share of test outputs among their 2 attempts, mean cell accuracy of the first attempt)."""
    outputs = [pair["output"] for pair in record.task["test"]]
    hits = [out in grids for out, grids in zip(outputs, solution.attempts)]
    cells = [cell_accuracy(grids[0] if grids else None, out) for out, grids in zip(outputs, solution.attempts)]
    return float(np.mean(hits)), float(np.mean(cells))


def run_records(task: Any, model: Any, meta: dict[str, Any], records: Sequence[ArcRecord], canvas: int,
                settings: Settings) -> dict[str, Any]:
    """Answer the records as `solve` would; pass@2, first-attempt cell accuracy, time per task."""
    if not records:
        return {"tasks": 0, "pass@2": None, "solved_tasks": 0, "cell_accuracy": None, "seconds_per_task": None}
    problems = [task.parse(r.task) for r in records]
    labels = [f"{r.source}:{r.id}" for r in records]
    recipe = task.checkpoint(meta).recipe
    results = solve_all(model, recipe, problems, canvas, settings, task.view_table(model, recipe), labels,
                        task.memorised(model, recipe))
    scores = [task_scores(r, solution) for r, (solution, _, _) in zip(records, results)]
    modes: dict[str, int] = {}
    for solution, _, _ in results:
        modes[solution.puzzle_ids or "none"] = modes.get(solution.puzzle_ids or "none", 0) + 1
    return {
        "tasks": len(records),
        "pass@2": round(float(np.mean([s for s, _ in scores])), 4),
        "solved_tasks": int(sum(s == 1.0 for s, _ in scores)),
        "cell_accuracy": round(float(np.mean([c for _, c in scores])), 4),
        "seconds_per_task": round(float(np.mean([sec for _, _, sec in results])), 3),
        "mean_steps": round(float(np.mean([st for _, st, _ in results])), 2),
        "puzzle_ids": modes,
        "solved": [label for label, (s, _) in zip(labels, scores) if s == 1.0],
    }


def evaluate_checkpoint(task: Any, model: Any, meta: dict[str, Any], cfg: Any) -> dict[str, Any]:
    """The report: per evaluation set, tasks fitting the canvas and all tasks; held-out tasks with and without test-time training."""
    if getattr(cfg, "threads", None):
        import torch

        torch.set_num_threads(cfg.threads)
    trained = task.checkpoint(meta).recipe.data
    canvas = trained.canvas
    asked = cfg.data
    limit = asked.eval_limit
    answer = Settings.of(asked, seed=trained.seed)
    report: dict[str, Any] = {
        "canvas": canvas, "views": asked.views, "ttt_seconds": asked.ttt_seconds, "ttt_lr_scale": asked.ttt_lr_scale,
        "device": str(next(model.parameters()).device), "eval_limit": limit,
    }
    for name in EVAL_SETS:
        records = load_set(name)
        fitting = [r for r in records if fits(r.grids(), canvas)]
        run = run_records(task, model, meta, fitting[:limit], canvas, answer)
        total = len(records) if limit is None else min(limit, len(records))
        share = round((run["pass@2"] or 0.0) * run["tasks"] / max(total, 1), 4)
        report[name] = {
            "fits_canvas": run,
            "all": {"tasks": total, "pass@2": share,
                    "note": f"tasks with a grid larger than {canvas}x{canvas} count as failed"},
        }
    held = select_tasks(trained).held_out[:limit]
    report["held_out"] = {
        "tasks": len(held),
        "source": ", ".join(trained.train_sets),
        "no_ttt": run_records(task, model, meta, held, canvas, Settings.of(asked, ttt_seconds=0.0, seed=trained.seed)),
        "ttt": run_records(task, model, meta, held, canvas, answer) if asked.ttt_seconds > 0 else None,
    }
    report["table"] = format_report(report).splitlines()
    return report


def _row(name: str, run: dict[str, Any] | None) -> str:
    if not run or not run["tasks"]:
        return f"| {name} | 0 | - | - | - | - |"
    return (f"| {name} | {run['tasks']} | {100 * run['pass@2']:.1f}% | {run['solved_tasks']} | "
            f"{100 * run['cell_accuracy']:.1f}% | {run['seconds_per_task']:.2f} |")


def format_report(report: dict[str, Any]) -> str:
    """Markdown tables of a report."""
    canvas = report["canvas"]
    lines = [f"canvas {canvas}x{canvas}, {report['views']} views per test input, device {report['device']}", "",
             "| tasks | count | pass@2 | solved | cells right (1st attempt) | s/task |", "|---|---|---|---|---|---|"]
    for name in EVAL_SETS:
        part = report[name]
        lines.append(_row(f"{name}, fitting {canvas}x{canvas}", part["fits_canvas"]))
        every = part["all"]
        lines.append(f"| {name}, all (larger grids count as failed) | {every['tasks']} | {100 * every['pass@2']:.1f}% | - | - | - |")
    held = report["held_out"]
    lines += ["", f"held-out tasks from {held['source']} (never trained on):", "",
              "| answering | tasks | pass@2 | solved | cells right (1st attempt) | s/task |", "|---|---|---|---|---|---|",
              _row("blank puzzle id, no test-time training", held["no_ttt"]),
              _row(f"test-time training ({report['ttt_seconds']:g} s)", held["ttt"])]
    return "\n".join(lines)
