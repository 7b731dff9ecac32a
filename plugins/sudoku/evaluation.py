"""`trm-hub eval plugin=sudoku`: run a checkpoint on the held-out sets and build the report."""

from __future__ import annotations

import math
from typing import Any


from trm_hub.config import TrainConfig
from trm_hub_plugins.sudoku.data import held_out_set
from trm_hub_plugins.sudoku.recipe import SudokuData, SudokuRecipe
from trm_hub_plugins.sudoku.report import format_report, sudoku_report
from trm_hub_plugins.sudoku.tokens import to_tokens

EVAL_BATCH = 256


def checkpoint_size(model: Any, meta: dict[str, Any]) -> int:
    """The grid size a checkpoint was trained for."""
    if (meta.get("train") or {}).get("data"):
        return SudokuRecipe.from_checkpoint(meta).data.size
    return math.isqrt(int(model.config.seq_len))


def evaluate_checkpoint(model: Any, meta: dict[str, Any], cfg: TrainConfig) -> dict[str, Any]:
    """Predict the held-out puzzles with adaptive halting and report per band and per givens."""
    from trm_hub.task import halt_threshold
    from trm_hub.train.evaluate import predict

    from trm_hub_plugins.sudoku.views import answer_views

    n = checkpoint_size(model, meta)
    data = getattr(cfg, "data", None)
    if not isinstance(data, SudokuData) or data.size != n:
        data = SudokuData(size=n)
    test = held_out_set(n, data.bands("test"), data.test_puzzles, 1, data.cache, data.test_seed)
    threshold = halt_threshold(cfg, meta)
    outputs, steps, seconds = predict(model, to_tokens(test.puzzles), batch_size=EVAL_BATCH,
                                      infer=lambda x: answer_views(model, x, data.views, threshold, first=data.first_views))
    device = str(next(model.parameters()).device)
    report = sudoku_report(
        n, test.puzzles, test.solutions, outputs, steps, seconds, device=device, batch_size=EVAL_BATCH
    )
    report["max_steps"] = int(model.config.halt_max_steps)
    report["views"] = data.views
    report["table"] = format_report(report).splitlines()
    return report
