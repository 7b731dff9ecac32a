"""Replay answering policies on `step_trace.py` records: puzzles solved against view-steps spent.

    python training/sudoku/step_policy.py training/sudoku/step_trace/hardest.npz [more.npz]

A policy decides which views of a puzzle run, for how many supervision steps, and when the exact
checker looks at their answers; the record holds every view's validity and q_halt after every step,
so the replay is exact. Cost is counted in view-steps (one supervision step of one view), which is
what a CPU pays for; `seconds_per_view_step` in the record turns it into time.

Policies:
- waves: views in waves (e.g. 2, 8, 16, 32 in all), each view stopping at its step limit or when
  q_halt > threshold; the checker looks at the views' final answers after each wave (the shipped
  default before: waves 2, 8, 16, ..., limit 8, threshold 0; now: the plugin's own waves, 2, 4, 8,
  ..., with the checker after every step and no halting head).
- waves + each step: the same waves, the checker looking at every view's answer after every step;
  a puzzle stops at the first valid answer, its other views with it.
- slots: K views of a puzzle run side by side, the checker after every step; a view that reaches
  its step limit (or halts) without a valid answer gives its slot to the puzzle's next view.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from trm_hub_plugins.sudoku.views import waves as checked_waves


@dataclass(frozen=True)
class Outcome:
    solved: np.ndarray  # [B] bool
    cost: np.ndarray  # [B] view-steps


def stop_steps(q: np.ndarray, limit: int, threshold: float | None) -> np.ndarray:
    """Steps each view [V, S] runs before halting on its own: the first step with q > threshold, else `limit`."""
    steps = np.full(q.shape[0], limit)
    if threshold is not None:
        over = q[:, :limit] > threshold
        first = np.where(over.any(axis=1), over.argmax(axis=1) + 1, limit)
        steps = np.minimum(steps, first)
    return steps


def waves(valid: np.ndarray, q: np.ndarray, bounds: list[int], limits: list[int], threshold: float | None,
          each_step: bool) -> Outcome:
    """Views in waves ending at `bounds` (views in all), wave i with step limit limits[i]."""
    views, batch, _ = valid.shape
    solved, cost = np.zeros(batch, bool), np.zeros(batch, np.int64)
    for i in range(batch):
        start = 0
        for bound, limit in zip(bounds, limits):
            chosen = range(start, min(bound, views))
            if not len(chosen):
                break
            own = stop_steps(q[chosen, i], limit, threshold)
            ok = valid[chosen, i, :limit]
            if each_step:
                live = np.arange(limit)[None, :] < own[:, None]
                hits = (ok & live).any(axis=0)
                if hits.any():
                    k = int(hits.argmax()) + 1
                    cost[i] += np.minimum(own, k).sum()
                    solved[i] = True
                    break
                cost[i] += own.sum()
            else:
                cost[i] += own.sum()
                if ok[np.arange(len(own)), own - 1].any():
                    solved[i] = True
                    break
            start = bound
    return Outcome(solved, cost)


def slots(valid: np.ndarray, q: np.ndarray, k: int, limit: int, budget: int, threshold: float | None) -> Outcome:
    """K views side by side per puzzle, refilled from the next view, at most `budget` views."""
    views, batch, _ = valid.shape
    budget = min(budget, views)
    solved, cost = np.zeros(batch, bool), np.zeros(batch, np.int64)
    for i in range(batch):
        own = stop_steps(q[:budget, i], limit, threshold)
        first_valid = np.array([int(np.argmax(valid[v, i, :own[v]])) + 1 if valid[v, i, :own[v]].any() else 0
                                for v in range(budget)])
        free = np.zeros(k, np.int64)  # time at which each slot is free
        starts = np.zeros(budget, np.int64)
        for v in range(budget):
            s = int(np.argmin(free))
            starts[v] = free[s]
            free[s] += first_valid[v] or own[v]
        done_at = min((starts[v] + first_valid[v] for v in range(budget) if first_valid[v]), default=None)
        if done_at is None:
            cost[i] = own.sum()
            continue
        solved[i] = True
        cost[i] = sum(max(0, min(starts[v] + own[v], done_at) - starts[v]) for v in range(budget))
    return Outcome(solved, cost)


def waves_before(first: int, views: int, checked: int) -> list[int]:
    """The checker's waves before it read every step: `first`, `views`, then doubling up to `checked`."""
    bounds = [first, views] if first < views else [views]
    while bounds[-1] < checked:
        bounds.append(min(2 * bounds[-1], checked))
    return bounds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("records", nargs="+", type=Path)
    args = parser.parse_args()
    for path in args.records:
        record = np.load(path)
        valid, q = record["valid"], record["q_halt"]
        views, batch, steps = valid.shape
        ms = 1000 * float(record["seconds_per_view_step"])
        print(f"\n{path.name}: {batch} puzzles, {views} views, {steps} steps; {ms:.2f} ms per view-step (one core)")
        print("| policy | solved | view-steps per puzzle | ms per puzzle (one core) |")
        print("|---|---|---|---|")
        rows = []
        for first in (2, 1):  # the waves adopted: doubling from the recipe's first_views
            bounds = checked_waves(first, 8, views)
            for limit in (6, 8, 12, 16):
                if limit <= steps:
                    rows.append((f"waves {bounds}, limit {limit}, halt None, checker each step",
                                 waves(valid, q, bounds, [limit] * len(bounds), None, True)))
        for threshold in (0.0, None):
            for limit in (8, 16) if steps >= 16 else (8,):
                bounds = waves_before(2, 8, views)
                for each in (False, True):
                    name = f"waves {bounds}, limit {limit}, halt {threshold}, checker {'each step' if each else 'per wave'}"
                    rows.append((name, waves(valid, q, bounds, [limit] * len(bounds), threshold, each)))
            for limit in (4, 6, 8, 12, 16):
                if limit > steps:
                    continue
                for k in (1, 2, 4, 8):
                    rows.append((f"slots {k}, limit {limit}, halt {threshold}",
                                 slots(valid, q, k, limit, views, threshold)))
        for name, out in rows:
            c = out.cost.mean()
            print(f"| {name} | {out.solved.mean():.1%} | {c:.1f} | {c * ms:.0f} |")


if __name__ == "__main__":
    main()
