"""Choose the checker's views on validation puzzles (seed 7, never the test seed): solved and time per puzzle.

    python training/sudoku/checked_views.py [--puzzles 100] [--settings 0,64,256] [--steps 8] \
        [--weights CHECKPOINT --threshold T --out RESULT.json]

For each setting of `data.checked_views` (0 = the vote of 8 views alone) and step limit of the
views beyond the first 8, the shipped 9x9 model answers the validation puzzles of the extreme
band and of the held-out-only hardest band (17-24 givens, at least 30 solver guesses) in batches
of 256 on one thread (`--weights`: a candidate checkpoint instead). Prints one markdown row per
setting and writes training/sudoku/checked_views.json (or `--out`) and the .png beside it (solved
and time against views).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from trm_hub.overrides import resolve_config
from trm_hub.registry import SHIPPED_REGISTRY, Registry
from trm_hub_plugins.sudoku.recipe import SudokuRecipe
from trm_hub_plugins.sudoku.task import SudokuTask

OUT = Path(__file__).with_name("checked_views.json")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--puzzles", type=int, default=100)
    parser.add_argument("--settings", default="0,64,256")
    parser.add_argument("--steps", default="8")
    parser.add_argument("--weights", type=Path, default=None, help="checkpoint to judge (default: the shipped 9x9)")
    parser.add_argument("--threshold", type=float, default=None,
                        help="halting threshold (default: the checkpoint's own)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    torch.set_num_threads(1)
    task = SudokuTask()
    weights = args.weights or Registry(SHIPPED_REGISTRY).weights_for("sudoku", "sudoku-9x9")
    model, meta = task.load_model(weights, "cpu")
    rows = []
    print("| checked views | steps beyond 8 views | extreme solved | extreme ms/puzzle | hardest solved | hardest ms/puzzle | hardest, vote alone |")
    print("|---|---|---|---|---|---|---|")
    for checked in [int(v) for v in args.settings.split(",")]:
        for steps in [int(v) for v in args.steps.split(",")] if checked else [None]:
            data = {"test_bands": ["extreme"], "test_puzzles": args.puzzles, "judge_puzzles": args.puzzles,
                    "test_seed": 7, "checked_views": checked, "checked_steps": steps}
            given = {"data": data} if args.threshold is None else {"data": data, "halt_threshold": args.threshold}
            report = task.evaluate(model, meta, resolve_config(SudokuRecipe, given))
            hardest = report["judged"]["hardest"]
            row = {"checked_views": checked, "checked_steps": steps,
                   "extreme": report["exact_accuracy"], "extreme_ms": report["timing"]["trm_ms_per_puzzle"],
                   "hardest": hardest["exact_accuracy"], "hardest_ms": hardest["trm_ms_per_puzzle"],
                   "hardest_voted": hardest.get("voted", hardest["exact_accuracy"]),
                   "hardest_steps": hardest["mean_steps"], "puzzles": args.puzzles}
            rows.append(row)
            print(f"| {checked} | {steps or '-'} | {row['extreme']:.1%} | {row['extreme_ms']:.0f} | {row['hardest']:.1%} | "
                  f"{row['hardest_ms']:.0f} | {row['hardest_voted']:.1%} |", flush=True)
    args.out.write_text(json.dumps(rows, indent=1) + "\n")
    draw(rows, args.out.with_suffix(".png"))


def draw(rows: list[dict], out: Path) -> None:
    """Solved rate and time per puzzle against the checker's views, one line per band."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 3.2))
    FigureCanvasAgg(fig)
    solved, cost = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    for band in ("extreme", "hardest"):
        views = [max(r["checked_views"], 8) for r in rows]
        solved.plot(views, [100 * r[band] for r in rows], marker="o", label=band)
        cost.plot(views, [r[f"{band}_ms"] for r in rows], marker="o", label=band)
    for axes, label in ((solved, "solved (%)"), (cost, "ms per puzzle")):
        axes.set_xscale("log", base=2)
        axes.set_xticks(views, [str(v) for v in views])
        axes.set_xlabel("views at most (8 = the vote alone, no checker)")
        axes.set_ylabel(label)
        axes.grid(alpha=0.3)
        axes.legend()
    fig.suptitle(f"sudoku-9x9, {rows[0]['puzzles']} validation puzzles per band (seed 7)")
    fig.tight_layout()
    fig.savefig(out, dpi=110)


if __name__ == "__main__":
    main()
