"""Exact Sudoku solver: bitmask candidates, naked and hidden singles, MRV backtracking."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from trm_hub_plugins.sudoku.geometry import Geometry, geometry


@dataclass
class SolveResult:
    """Solutions found (flat grids), guesses made, and whether the search ran to its end."""

    solutions: list[list[int]] = field(default_factory=list)
    guesses: int = 0
    complete: bool = True

    @property
    def count(self) -> int:
        return len(self.solutions)


class _NodeLimit(Exception):
    """The search used more nodes than it was allowed."""


def _propagate(cand: list[int], queue: list[int], geo: Geometry) -> bool:
    """Apply naked and hidden singles until nothing changes; False on a contradiction."""
    peers, units, full = geo.peers, geo.units, geo.full
    while True:
        while queue:
            i = queue.pop()
            b = cand[i]
            for p in peers[i]:
                c = cand[p]
                if c & b:
                    c ^= b
                    if not c:
                        return False
                    cand[p] = c
                    if not c & (c - 1):
                        queue.append(p)
        for unit in units:
            once = twice = 0
            for i in unit:
                c = cand[i]
                twice |= once & c
                once |= c
            if once != full:
                return False
            hidden = once & ~twice
            if hidden:
                for i in unit:
                    c = cand[i]
                    h = c & hidden
                    if h and c != h:
                        if h & (h - 1):
                            return False
                        cand[i] = h
                        queue.append(i)
        if not queue:
            return True


def _initial(grid: Sequence[int], geo: Geometry) -> tuple[list[int], list[int]]:
    """Candidate masks and the propagation queue for a flat grid (0 = blank)."""
    cand = [geo.full] * geo.cells
    queue = []
    for i, v in enumerate(grid):
        if v:
            cand[i] = 1 << (v - 1)
            queue.append(i)
    return cand, queue


def _to_grid(cand: list[int]) -> list[int]:
    return [c.bit_length() for c in cand]


def _search(
    cand: list[int],
    geo: Geometry,
    result: SolveResult,
    limit: int,
    max_guesses: int | None,
    rng: random.Random | None,
) -> None:
    best, best_count = -1, 99
    for i, c in enumerate(cand):
        if c & (c - 1):
            k = c.bit_count()
            if k < best_count:
                best, best_count = i, k
                if k == 2:
                    break
    if best < 0:
        result.solutions.append(_to_grid(cand))
        return
    result.guesses += 1
    if max_guesses is not None and result.guesses > max_guesses:
        raise _NodeLimit
    c = cand[best]
    bits = []
    while c:
        b = c & -c
        bits.append(b)
        c ^= b
    if rng is not None:
        rng.shuffle(bits)
    for b in bits:
        child = cand.copy()
        child[best] = b
        if _propagate(child, [best], geo):
            _search(child, geo, result, limit, max_guesses, rng)
            if len(result.solutions) >= limit:
                return


def solve(
    grid: Sequence[int],
    n: int,
    *,
    limit: int = 1,
    max_guesses: int | None = None,
    rng: random.Random | None = None,
    exclude: tuple[int, int] | None = None,
) -> SolveResult:
    """Search a flat n*n grid (0 = blank) for up to `limit` solutions.

    `exclude=(cell, digit)` forbids one digit in one blank cell; `rng` randomises the order in
    which digits are tried; `max_guesses` bounds the work (result.complete is then False).
    """
    geo = geometry(n)
    if len(grid) != geo.cells:
        raise ValueError(f"expected {geo.cells} cells for a {n}x{n} sudoku, got {len(grid)}")
    cand, queue = _initial(grid, geo)
    if exclude is not None:
        cell, digit = exclude
        cand[cell] &= ~(1 << (digit - 1))
        if not cand[cell]:
            return SolveResult()
        if not cand[cell] & (cand[cell] - 1):
            queue.append(cell)
    result = SolveResult()
    if not _propagate(cand, queue, geo):
        return result
    try:
        _search(cand, geo, result, limit, max_guesses, rng)
    except _NodeLimit:
        result.complete = False
    return result


def count_solutions(grid: Sequence[int], n: int, limit: int = 2) -> int:
    """Number of solutions of a flat grid, counted up to `limit`."""
    return solve(grid, n, limit=limit).count


def solution_of(grid: Sequence[int], n: int) -> list[int] | None:
    """One solution of a flat grid, or None when it has none."""
    result = solve(grid, n, limit=1)
    return result.solutions[0] if result.solutions else None


def effort(grid: Sequence[int], n: int) -> int:
    """Guesses the solver needs to find every solution (0: singles alone solve it)."""
    return solve(grid, n, limit=2).guesses


def random_solution(n: int, rng: random.Random) -> list[int]:
    """A random complete n x n grid."""
    result = solve([0] * (n * n), n, limit=1, rng=rng)
    return result.solutions[0]


def is_solution(puzzle: Sequence[int], grid: Sequence[int], n: int) -> bool:
    """True when `grid` is a complete valid n x n grid that keeps every given of `puzzle`."""
    geo = geometry(n)
    if len(grid) != geo.cells or len(puzzle) != geo.cells:
        return False
    if any(p and p != g for p, g in zip(puzzle, grid)):
        return False
    if any(not (isinstance(v, int) and 1 <= v <= n) for v in grid):
        return False
    return all(len({grid[i] for i in unit}) == n for unit in geo.units)
