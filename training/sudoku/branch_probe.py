"""Trial (not adopted): after K views, branch on the cell whose views disagree, against K more views.

    python training/sudoku/branch_probe.py BAND PUZZLES K      # e.g. hardest 100 8

Validation puzzles (seed 7). For puzzles with no valid grid among their first K views: the blank
cell with the fewest distinct digits among the views' answers (at least 2; the most balanced on
ties) is branched on, each of its two commonest digits made a given, K/2 views per branch; beside
it, K more plain views (other transforms). All 8 steps, no halting; the checker only reads answers.
"""

from __future__ import annotations

import sys
from collections import Counter

import numpy as np

from trm_hub.registry import SHIPPED_REGISTRY, Registry
from trm_hub.runtime import read_meta
from trm_hub.runtime.onnx_engine import OnnxEngine
from trm_hub_plugins.sudoku.augment import apply_maps, undo_maps
from trm_hub_plugins.sudoku.data import held_out_set
from trm_hub_plugins.sudoku.tokens import BLANK, to_tokens
from trm_hub_plugins.sudoku.views import valid_grids, view_maps


def answer(engine: OnnxEngine, puzzles: np.ndarray, views: int, seed: int) -> np.ndarray:
    """Answers [views, B, 81] mapped back to the puzzles' frame, every view all 8 steps."""
    cells, digits = view_maps(puzzles, views, seed)
    stacked = np.concatenate([apply_maps(puzzles, cells[v], digits[v]) for v in range(views)])
    out = engine.infer(stacked, adaptive=False).outputs.reshape(views, len(puzzles), -1)
    return np.stack([undo_maps(out[v], cells[v], digits[v]) for v in range(views)])


def any_valid(given: np.ndarray, answers: np.ndarray) -> np.ndarray:
    return np.stack([valid_grids(given, a) for a in answers]).any(axis=0)


def branch_cell(answers: np.ndarray, given: np.ndarray) -> tuple[int, list[int]] | None:
    """The blank cell whose views give the fewest distinct digits (at least 2), most balanced first."""
    best = None
    for cell in np.flatnonzero(given == BLANK):
        counts = Counter(answers[:, cell].tolist())
        if len(counts) < 2:
            continue
        top = counts.most_common(2)
        key = (len(counts), -top[1][1])
        if best is None or key < best[0]:
            best = (key, int(cell), [d for d, _ in top])
    return None if best is None else best[1:]


def main() -> None:
    band, count, k = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    weights = Registry(SHIPPED_REGISTRY).weights_for("sudoku", "sudoku-9x9")
    engine = OnnxEngine.from_checkpoint(weights.with_suffix(".onnx"), weights, read_meta(weights))
    puzzles = held_out_set(9, [band], count, seed=7)
    given = to_tokens(puzzles.puzzles)
    first = answer(engine, given, k, seed=0)
    solved = any_valid(given, first)
    left = np.flatnonzero(~solved)
    plain = any_valid(given[left], answer(engine, given[left], k, seed=1))
    branches, owners, right = [], [], 0
    for i in left:
        found = branch_cell(first[:, i], given[i])
        if found is None:
            continue
        cell, digits = found
        right += int(to_tokens(puzzles.solutions[i:i + 1])[0, cell] in digits)
        for digit in digits:
            branches.append(given[i].copy())
            branches[-1][cell] = digit
            owners.append(i)
    owners = np.array(owners)
    hit = any_valid(given[owners], answer(engine, np.array(branches), k // 2, seed=2))
    print(f"{band}: {k} views solved {solved.sum()} of {count}; +{k} plain views: {solved.sum() + plain.sum()}; "
          f"branching 2 x {k // 2} views: {solved.sum() + len(set(owners[hit].tolist()))} "
          f"(the right digit among the two for {right} of {len(left)})")


if __name__ == "__main__":
    main()
