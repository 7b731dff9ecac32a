"""`trm-hub eval plugin=sudoku`: run a checkpoint on the held-out sets and build the report."""

from __future__ import annotations

import math
from typing import Any


from trm_hub.config import TrainConfig
from trm_hub_plugins.sudoku.data import PuzzleSet, held_out_set, worker_count
from trm_hub_plugins.sudoku.generate import BANDS, judge_bands
from trm_hub_plugins.sudoku.recipe import SudokuData, SudokuRecipe
from trm_hub_plugins.sudoku.report import format_report, sudoku_report, time_exact_solver
from trm_hub_plugins.sudoku.tokens import to_tokens

EVAL_BATCH = 256


def checkpoint_size(model: Any, meta: dict[str, Any]) -> int:
    """The grid size a checkpoint was trained for."""
    if (meta.get("train") or {}).get("data"):
        return SudokuRecipe.from_checkpoint(meta).data.size
    return math.isqrt(int(model.config.seq_len))


def evaluate_checkpoint(model: Any, meta: dict[str, Any], cfg: TrainConfig) -> dict[str, Any]:
    """Predict the held-out puzzles with adaptive halting and report per band and per givens, then
    judge the held-out-only bands (9x9: `hardest`, `data.judge_puzzles` of them) on their own.

    With `data.checked_views` each part also gives the model's own pick: the vote of its views
    with no checker (`voted`)."""
    from trm_hub.task import halt_threshold

    n = checkpoint_size(model, meta)
    data = getattr(cfg, "data", None)
    if not isinstance(data, SudokuData) or data.size != n:
        data = SudokuData(size=n)
    threshold = halt_threshold(cfg, meta)
    test = held_out_set(n, data.bands("test"), data.test_puzzles, 1, data.cache, data.test_seed)
    report = _report(model, test, data, threshold)
    judged = [b for b in judge_bands(n) if b not in data.bands("test")] if data.judge_puzzles else []
    for band in judged:
        hard = held_out_set(n, [band], data.judge_puzzles, worker_count(data.workers), data.cache, data.test_seed)
        part = _report(model, hard, data, threshold)
        report.setdefault("judged", {})[band] = {
            **part["bands"][band], "trm_ms_per_puzzle": part["timing"]["trm_ms_per_puzzle"],
            "solver_ms_per_puzzle": part["timing"]["solver_ms_per_puzzle"], "band": BANDS[n][band].describe(),
            **({"voted": part["voted"]["exact_accuracy"]} if "voted" in part else {}),
        }
    report["table"] = format_report(report).splitlines()
    return report


def _report(model: Any, test: PuzzleSet, data: SudokuData, threshold: float) -> dict[str, Any]:
    """The report of one puzzle set under the recipe's views (and, with a checker, the vote beside)."""
    from trm_hub.train.evaluate import predict

    from trm_hub_plugins.sudoku.views import answer_views

    n = test.n
    device = str(next(model.parameters()).device)
    solver_seconds, solver_guesses = time_exact_solver(test.puzzles, n)

    def run(checked: int) -> dict[str, Any]:
        outputs, steps, seconds = predict(
            model, to_tokens(test.puzzles), batch_size=EVAL_BATCH,
            infer=lambda x: answer_views(model, x, data.views, threshold, first=data.first_views,
                                         checked=checked, checked_steps=data.checked_steps))
        return sudoku_report(n, test.puzzles, test.solutions, outputs, steps, seconds, solver_seconds=solver_seconds,
                             solver_guesses=solver_guesses, device=device, batch_size=EVAL_BATCH, bands=test.bands)

    report = run(data.checked_views)
    if data.checked_views:
        voted = run(0)
        report["voted"] = {"exact_accuracy": voted["exact_accuracy"],
                           "bands": {name: g["exact_accuracy"] for name, g in voted["bands"].items()},
                           "trm_ms_per_puzzle": voted["timing"]["trm_ms_per_puzzle"]}
        report["checked_views"], report["checked_steps"] = data.checked_views, data.checked_steps
    report["max_steps"] = int(model.config.halt_max_steps)
    report["views"] = data.views
    return report
