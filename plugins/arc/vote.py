"""Majority voting over predicted grids (e.g. one per augmentation, mapped back to the original frame)."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from trm_hub_plugins.arc.schema import Grid


def vote(
    candidates: Sequence[Grid | np.ndarray | None],
    scores: Sequence[float] | None = None,
    top: int = 2,
) -> list[tuple[Grid, int]]:
    """The `top` most frequent distinct grids with counts; ties: higher summed score, then earlier."""
    if scores is not None and len(scores) != len(candidates):
        raise ValueError(f"got {len(scores)} scores for {len(candidates)} candidates")
    tally: dict[tuple[tuple[int, ...], ...], list[float]] = {}
    for index, grid in enumerate(candidates):
        if grid is None:
            continue
        key = tuple(tuple(int(c) for c in row) for row in np.asarray(grid).tolist())
        if key not in tally:
            tally[key] = [0, 0.0, index]
        tally[key][0] += 1
        tally[key][1] += float(scores[index]) if scores is not None else 0.0
    ranked = sorted(tally.items(), key=lambda item: (-item[1][0], -item[1][1], item[1][2]))
    return [([list(row) for row in key], int(stats[0])) for key, stats in ranked[:top]]


def voter_confidence(grid: Grid, candidates: Sequence[Grid | None], scores: Sequence[float]) -> float:
    """Mean score of the candidates equal to `grid` (its voters), rounded to 4 places."""
    key = np.asarray(grid).tolist()
    return round(float(np.mean([s for c, s in zip(candidates, scores) if c is not None and np.asarray(c).tolist() == key])), 4)
