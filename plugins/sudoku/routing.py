"""Varied raw Sudoku problems, in every accepted format and size, for fitting the router."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

from trm_hub_plugins.sudoku.solver import random_solution


def _row_text(row: list[int], blank: str, spaced: bool) -> str:
    cells = [str(v) if v else blank for v in row]
    return (" " if spaced else "").join(cells)


def _render(puzzle: list[int], n: int, rng: random.Random) -> Any:
    rows = [puzzle[r * n : (r + 1) * n] for r in range(n)]
    form = rng.choice(("string", "rows", "ints"))
    blank = rng.choice((".", ".", "0", "_"))
    if form == "string":
        if rng.random() < 0.2:
            return "\n".join(_row_text(r, blank, False) for r in rows)
        return "".join(_row_text(r, blank, False) for r in rows)
    if form == "rows":
        spaced = rng.random() < 0.2
        return [_row_text(r, blank, spaced) for r in rows]
    empty = None if rng.random() < 0.3 else 0
    return [[v if v else empty for v in r] for r in rows]


def routing_examples(count: int, seed: int) -> Iterator[dict[str, Any]]:
    """Yield `count` raw problems: sizes 4, 6 and 9, every format and key, 20-75% givens."""
    rng = random.Random(seed)
    for _ in range(count):
        n = rng.choices((4, 6, 9), weights=(1, 1, 2))[0]
        solution = random_solution(n, rng)
        cells = n * n
        givens = max(1, round(rng.uniform(0.2, 0.75) * cells))
        shown = set(rng.sample(range(cells), givens))
        puzzle = [v if i in shown else 0 for i, v in enumerate(solution)]
        key = rng.choices(("puzzle", "grid", "sudoku"), weights=(3, 2, 1))[0]
        problem: dict[str, Any] = {key: _render(puzzle, n, rng)}
        if rng.random() < 0.2:
            problem = {"task": "sudoku", **problem}
        yield problem
