"""Product of experts: rank the grids a task's views predict by their log-probability under every view.

Each view is an expert: a candidate grid, mapped into the view, gets the log-probability the view's
answer gives its cells and end-of-grid markers (at the step where that view halted); a candidate's
score is the sum over views. It ranks the candidates alone ("experts") or breaks ties between
candidates with as many votes ("vote+experts"; a plain vote breaks them by summed Q-halt
probability). The candidates are the views' own answers, so the choice stays the
model's; it needs the token log-probabilities, which the torch runtime gives.
"""

from __future__ import annotations

import json
from typing import Sequence

import numpy as np
import torch

from trm_hub.model import TRM
from trm_hub.model.trm import fastest_precision
from trm_hub_plugins.arc.augment import Augmentation
from trm_hub_plugins.arc.schema import Grid
from trm_hub_plugins.arc.tokens import IGNORE, decode_grid, encode_grid, encode_label, fits


def halted_log_probs(model: TRM, tokens: np.ndarray, ids: Sequence[int], threshold: float) -> tuple[np.ndarray, ...]:
    """Per row, at the step where it halts as `TRM.infer` halts it: token log-probabilities [L, V],
    Q-halt probability and steps used."""
    max_steps = int(model.config.halt_max_steps)
    device = next(model.parameters()).device
    x = torch.as_tensor(tokens, device=device)
    p = torch.as_tensor(np.asarray(ids), device=device) if model.puzzle_emb is not None else None
    logp = np.zeros((len(tokens), tokens.shape[1], model.config.vocab_size), np.float32)
    q_out = np.zeros(len(tokens))
    steps = np.full(len(tokens), max_steps)
    active = np.arange(len(tokens))
    bf16 = fastest_precision(device, len(tokens)) == "bfloat16"
    with torch.no_grad(), torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
        state = model.initial_state(len(tokens), device)
        for k in range(max_steps):
            state, logits, q = model.step(state, x[active], None if p is None else p[active])
            done = (q > threshold).cpu().numpy() | (k == max_steps - 1)
            finished = active[done]
            logp[finished] = torch.log_softmax(logits.float(), -1).cpu().numpy()[done]
            q_out[finished] = torch.sigmoid(q.float()).cpu().numpy()[done]
            steps[finished] = k + 1
            if done.all():
                break
            active, state = active[~done], state[torch.as_tensor(~done, device=device)]
    return logp, q_out, steps


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
    parts = [halted_log_probs(model, tokens[i : i + batch], ids[i : i + batch], threshold)
             for i in range(0, len(tokens), batch)]
    logp, q, steps = (np.concatenate(column) for column in zip(*parts))
    tally: dict[str, list] = {}
    for k, aug in enumerate(views):
        grid = decode_grid(logp[k].argmax(-1))
        if grid is not None:
            grid = aug.invert(grid)
            tally.setdefault(json.dumps(grid), [grid, []])[1].append(float(q[k]))
    scored = [(grid, len(qs), float(np.mean(qs)), grid_log_prob(grid, views, logp, canvas)) for grid, qs in tally.values()]
    scored.sort(key=lambda c: (-c[1], -c[3]) if votes_first else -c[3])
    return scored[:top], steps.tolist()
