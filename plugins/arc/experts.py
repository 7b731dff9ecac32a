"""Product of experts: rank the grids a task's views predict by their log-probability under every view.

Each view is an expert: a candidate grid, mapped into the view, gets the log-probability the view's
answer gives its cells and end-of-grid markers (at the step where that view halted); a candidate's
score is the sum over views. It ranks the candidates alone ("experts") or breaks ties between
candidates with as many votes ("vote+experts"; a plain vote breaks them by summed Q-halt
probability). The candidates are the views' own answers, so the choice stays the
model's; it needs the token log-probabilities, which the torch runtime gives.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from trm_hub.model import TRM
from trm_hub_plugins.arc.augment import Augmentation
from trm_hub_plugins.arc.schema import Grid
from trm_hub_plugins.arc.tokens import IGNORE, decode_grid, encode_grid, encode_label, fits
from trm_hub_plugins.arc.vote import vote, voter_confidence


def halted_log_probs(model: TRM, tokens: np.ndarray, ids: Sequence[int], threshold: float,
                     batch: int = 64) -> tuple[np.ndarray, ...]:
    """Per row, at the step where `TRM.infer` halts it: token log-probabilities [L, V], Q-halt
    probability and steps used."""
    device = next(model.parameters()).device
    x = torch.as_tensor(tokens, device=device)
    p = torch.as_tensor(np.asarray(ids), device=device) if model.puzzle_emb is not None else None
    with torch.no_grad():
        out = model.infer(x, p, halt_threshold=threshold, rows=batch, log_probs=True)
    return out.log_probs.cpu().numpy(), torch.sigmoid(out.q_halt.float()).cpu().numpy(), out.steps.cpu().numpy()


def grid_log_prob(grid: Grid, views: Sequence[Augmentation], logp: np.ndarray, canvas: int) -> float:
    """Sum over views of the log-probability view k's answer (`logp[k]`) gives `grid` mapped into it."""
    total = 0.0
    for aug, view_logp in zip(views, logp):
        mapped = aug.apply(grid)
        if not fits([mapped], canvas):
            return float("-inf")
        label = encode_label(mapped, canvas).astype(np.int64)
        cells = np.flatnonzero(label != IGNORE)
        total += float(view_logp[cells, label[cells]].sum())
    return total


def rank_by_experts(
    model: TRM, test_input: Grid, canvas: int, views: Sequence[Augmentation], ids: Sequence[int],
    threshold: float, top: int = 2, batch: int = 64, votes_first: bool = False,
) -> tuple[list[tuple[Grid, int, float, float]], list[int]]:
    """The `top` distinct grids the views answer, highest summed log-probability first (most votes
    first with `votes_first`, the log-probability breaking ties), each with (votes, mean Q-halt
    probability of its voters, summed log-probability); and steps per view."""
    tokens = np.stack([encode_grid(aug.apply(test_input), canvas) for aug in views])
    logp, q, steps = halted_log_probs(model, tokens, ids, threshold, batch)
    answers = [None if (grid := decode_grid(row.argmax(-1))) is None else aug.invert(grid) for row, aug in zip(logp, views)]
    scored = [(grid, count, voter_confidence(grid, answers, q), grid_log_prob(grid, views, logp, canvas))
              for grid, count in vote(answers, scores=q, top=len(answers))]
    scored.sort(key=lambda c: (-c[1], -c[3]) if votes_first else -c[3])
    return scored[:top], steps.tolist()
