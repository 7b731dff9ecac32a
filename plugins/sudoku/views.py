"""Answering a puzzle from transformed views of it: the answer most views agree on."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from trm_hub.runtime import Engine, Result, as_array, as_engine
from trm_hub.views import ViewAnswers
from trm_hub_plugins.sudoku.augment import apply_maps, random_cell_maps, random_digit_maps
from trm_hub_plugins.sudoku.tokens import vocab_size

VIEWS_SEED = 0
CPU_ROWS = 64  # rows per forward pass on CPU: larger batches run slower per row here


def view_maps(puzzles: np.ndarray, views: int, seed: int = VIEWS_SEED) -> tuple[np.ndarray, np.ndarray]:
    """Cell maps [V, B, n*n] and digit maps [V, B, vocab] for puzzles [B, n*n] (tokens): view 0 is
    the puzzle as given, the others random validity-preserving transforms (digits relabelled, lines
    and boxes moved). A puzzle's transforms are drawn from a generator seeded by `seed` and the
    puzzle itself, so they never depend on which other puzzles share its batch."""
    puzzles = np.asarray(puzzles)
    batch, length = puzzles.shape
    n = math.isqrt(length)
    cells = np.empty((views, batch, length), dtype=np.int64)
    digits = np.empty((views, batch, vocab_size(n)), dtype=np.int64)
    cells[0], digits[0] = np.arange(length), np.arange(vocab_size(n))
    for i, puzzle in enumerate(puzzles):
        rng = np.random.default_rng(np.random.SeedSequence([seed, *puzzle.astype(np.int64).tolist()]))
        cells[1:, i] = random_cell_maps(n, views - 1, rng)
        digits[1:, i] = random_digit_maps(n, views - 1, vocab_size(n), rng)
    return cells, digits


def answer_views(engine: Engine, inputs: np.ndarray, views: int, halt_threshold: float = 0.0,
                 first: int | None = None) -> Result:
    """Answer each puzzle [B, n*n] in `views` views, map every answer back, and keep the whole grid
    most views give (the more confident halting head on ties).

    With `first` (< views), the first `first` views are answered for every puzzle, and only the
    puzzles whose first answers disagree are answered in the other views; a puzzle whose first
    views all give one grid keeps it. The answers are only compared with each other: no checker
    or solver is consulted. `steps` and `q_halt` are those of the kept view.
    """
    if views < 1:
        raise ValueError(f"views must be at least 1, got {views}")
    engine, given = as_engine(engine), as_array(inputs)
    if views == 1:
        return engine.infer(given, halt_threshold=halt_threshold)
    batch = len(given)
    cells, digits = view_maps(given, views)
    first = views if first is None or first >= views else max(1, first)
    answered = ViewAnswers(
        engine, given, views,
        to_view=lambda v, rows: apply_maps(given[rows], cells[v][rows], digits[v][rows]),
        from_view=lambda v, rows, out: np.take_along_axis(
            np.argsort(digits[v][rows], axis=1), np.take_along_axis(out, np.argsort(cells[v][rows], axis=1), axis=1), axis=1),
        cpu_rows=CPU_ROWS, halt_threshold=halt_threshold)
    answered.run(range(first), np.arange(batch))
    if first < views:
        agree = (answered.answers[:first] == answered.answers[:1]).all(axis=(0, 2))
        if not agree.all():
            answered.run(range(first, views), np.flatnonzero(~agree))
    best = np.zeros(batch, dtype=np.int64)
    for i in range(batch):
        voters = [v for v in range(views) if answered.asked[v, i]]
        keys = {v: answered.answers[v, i].tobytes() for v in voters}
        votes = Counter(keys.values())
        best[i] = max(voters, key=lambda v: (votes[keys[v]], answered.q_halt[v, i]))
    return answered.kept(best)
