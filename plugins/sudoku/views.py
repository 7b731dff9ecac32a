"""Answering a puzzle from transformed views of it: the answer most views agree on."""

from __future__ import annotations

import math
import threading
from collections import Counter

import numpy as np

from trm_hub.runtime import Engine, Result, as_array, as_engine
from trm_hub.views import ViewAnswers
from trm_hub_plugins.sudoku.augment import apply_maps, random_cell_maps, random_digit_maps, undo_maps
from trm_hub_plugins.sudoku.tokens import to_digits, vocab_size

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


def valid_grids(given: np.ndarray, answers: np.ndarray) -> np.ndarray:
    """The exact checker on tokens: True where an answer [..., B, n*n], read as the task decodes it
    (givens kept), is a complete valid grid for its puzzle [B, n*n]."""
    from trm_hub_plugins.sudoku.report import valid_completions

    n = math.isqrt(given.shape[-1])
    puzzle = to_digits(given, n)
    return valid_completions(puzzle, np.where(puzzle > 0, puzzle, to_digits(answers, n)), n)


def waves(first: int, views: int, checked: int) -> list[int]:
    """Views answered after each wave. Voting alone: `first`, then `views`. With the checker
    (`checked` > 0): doubling from `first` up to `checked`, with a wave ending at `views`."""
    if not checked:
        return [first, views] if first < views else [views]
    bounds = [first]
    while bounds[-1] < max(views, checked):
        after = 2 * bounds[-1]
        if bounds[-1] < views < after:
            after = views
        bounds.append(min(after, max(views, checked)))
    return bounds


def answer_views(engine: Engine, inputs: np.ndarray, views: int, halt_threshold: float = 0.0,
                 first: int | None = None, checked: int = 0, checked_steps: int | None = None) -> Result:
    """Answer each puzzle [B, n*n] in `views` views, map every answer back, and keep the whole grid
    most views give (the more confident halting head on ties).

    With `first` (< views), the first `first` views are answered for every puzzle, and only the
    puzzles whose first answers disagree are answered in the other views; a puzzle whose first
    views all give one grid keeps it. The answers are only compared with each other: no checker
    or solver is consulted.

    With `checked` > 0 the exact checker settles a puzzle instead: views come in waves (`first`
    views, then doubling up to `checked` in all, the views beyond `views` with a step limit of
    `checked_steps`), the checker reads every running view's answer after every supervision step,
    and a view stops at its first valid grid, the puzzle's higher views with it; the puzzle keeps
    its lowest valid view. The halting head stops no view then (the checker does). Where no view
    is valid the vote decides.
    Every answer is still one of the model's own grids. `steps` and `q_halt` are those of the kept view.
    """
    if views < 1:
        raise ValueError(f"views must be at least 1, got {views}")
    engine, given = as_engine(engine), as_array(inputs)
    if views == 1 and checked <= 1:
        return engine.infer(given, halt_threshold=halt_threshold)
    batch = len(given)
    total = max(views, checked)
    cells, digits = view_maps(given, total)
    first = views if first is None or first >= views else max(1, first)
    answered = ViewAnswers(
        engine, given, total,
        to_view=lambda v, rows: apply_maps(given[rows], cells[v][rows], digits[v][rows]),
        from_view=lambda v, rows, out: undo_maps(out, cells[v][rows], digits[v][rows]),
        cpu_rows=CPU_ROWS, halt_threshold=halt_threshold)
    first_valid = np.full(batch, total)  # the lowest valid view of each puzzle (total: none yet)
    lock = threading.Lock()

    def settle(_step: int, views: np.ndarray, rows: np.ndarray, answers: np.ndarray) -> np.ndarray:
        """Stop a view at its first valid grid, and once a lower view of its puzzle was valid: the
        views below a puzzle's lowest valid one all run their course, so which view is kept never
        depends on how the passes' threads interleave."""
        ok = valid_grids(given[rows], answers)
        with lock:
            np.minimum.at(first_valid, rows[ok], views[ok])
            return ok | (first_valid[rows] < views)

    open_rows, done = np.arange(batch), 0
    for bound in waves(first, views, checked):
        if not len(open_rows):
            break
        extra = {"max_steps": checked_steps} if done >= views and checked_steps else {}
        if checked:
            extra |= {"settle": settle, "adaptive": False}
        answered.run(range(done, bound), open_rows, **extra)
        if checked:
            open_rows = open_rows[first_valid[open_rows] == total]
        elif done == 0 and bound < views:
            agree = (answered.answers[:bound, open_rows] == answered.answers[:1, open_rows]).all(axis=(0, 2))
            open_rows = open_rows[~agree]
        done = bound
    best = np.zeros(batch, dtype=np.int64)
    for i in range(batch):
        if first_valid[i] < total:
            best[i] = first_valid[i]
            continue
        voters = [v for v in range(total) if answered.asked[v, i]]
        keys = {v: answered.answers[v, i].tobytes() for v in voters}
        votes = Counter(keys.values())
        best[i] = max(voters, key=lambda v: (votes[keys[v]], answered.q_halt[v, i]))
    return answered.kept(best)
