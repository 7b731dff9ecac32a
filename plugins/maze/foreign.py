"""Mazes drawn by algorithms the training generator never uses, to evaluate generalisation."""

from __future__ import annotations

from typing import Callable

import numpy as np

from trm_hub_plugins.maze.generate import MazeBatch, measure
from trm_hub_plugins.maze.solver import distances


def _rooms(height: int, width: int) -> tuple[int, int, np.ndarray]:
    if height % 2 == 0 or width % 2 == 0 or min(height, width) < 5:
        raise ValueError(f"these generators draw odd sizes of at least 5, got {height}x{width}")
    walls = np.ones((height, width), dtype=bool)
    walls[1::2, 1::2] = False
    return (height - 1) // 2, (width - 1) // 2, walls


def _carve(walls: np.ndarray, a: tuple[int, int], b: tuple[int, int]) -> None:
    walls[a[0] + b[0] + 1, a[1] + b[1] + 1] = False


def wilson(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """Uniform spanning-tree maze by loop-erased random walks (Wilson's algorithm)."""
    rows, cols, walls = _rooms(height, width)
    in_tree = np.zeros((rows, cols), dtype=bool)
    in_tree[rng.integers(rows), rng.integers(cols)] = True
    steps = ((-1, 0), (1, 0), (0, -1), (0, 1))
    for start in rng.permutation(rows * cols):
        cell = (int(start // cols), int(start % cols))
        if in_tree[cell]:
            continue
        nxt: dict[tuple[int, int], tuple[int, int]] = {}
        walk = cell
        while not in_tree[walk]:
            options = [(walk[0] + dr, walk[1] + dc) for dr, dc in steps
                       if 0 <= walk[0] + dr < rows and 0 <= walk[1] + dc < cols]
            nxt[walk] = options[rng.integers(len(options))]
            walk = nxt[walk]
        walk = cell
        while not in_tree[walk]:
            in_tree[walk] = True
            _carve(walls, walk, nxt[walk])
            walk = nxt[walk]
    return walls


def sidewinder(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """Sidewinder maze: runs along each row, each run joined upward once (open top corridor)."""
    rows, cols, walls = _rooms(height, width)
    for c in range(cols - 1):
        _carve(walls, (0, c), (0, c + 1))
    for r in range(1, rows):
        run = [0]
        for c in range(cols):
            if c < cols - 1 and rng.random() < 0.5:
                _carve(walls, (r, c), (r, c + 1))
                run.append(c + 1)
            else:
                up = run[rng.integers(len(run))]
                _carve(walls, (r, up), (r - 1, up))
                run = [c + 1]
    return walls


def division(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """Recursive division: an empty room split by walls with one door each, recursively."""
    walls = np.zeros((height, width), dtype=bool)
    walls[[0, -1], :] = True
    walls[:, [0, -1]] = True
    _rooms(height, width)
    stack = [(0, 0, height - 1, width - 1)]
    while stack:
        top, left, bottom, right = stack.pop()
        tall, wide = bottom - top, right - left
        if tall < 4 and wide < 4 or min(tall, wide) < 2:
            continue
        split_rows = tall > wide or (tall == wide and rng.random() < 0.5)
        if split_rows and tall >= 4:
            line = top + 2 * int(rng.integers(1, tall // 2))
            door = left + 1 + 2 * int(rng.integers(0, wide // 2))
            walls[line, left:right + 1] = True
            walls[line, door] = False
            stack += [(top, left, line, right), (line, left, bottom, right)]
        elif wide >= 4:
            line = left + 2 * int(rng.integers(1, wide // 2))
            door = top + 1 + 2 * int(rng.integers(0, tall // 2))
            walls[top:bottom + 1, line] = True
            walls[door, line] = False
            stack += [(top, left, bottom, line), (top, line, bottom, right)]
    return walls


def rooms(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """A dungeon: a Wilson maze with open rectangular rooms carved into it (one per ~120 cells,
    3 to 7 cells a side), so a route may cross open areas and many shortest paths exist."""
    walls = wilson(rng, height, width)
    for _ in range(max(1, height * width // 120)):
        tall = 2 * int(rng.integers(1, 4)) + 1
        wide = 2 * int(rng.integers(1, 4)) + 1
        if tall > height - 2 or wide > width - 2:
            continue
        top = 1 + 2 * int(rng.integers(0, (height - 1 - tall) // 2 + 1))
        left = 1 + 2 * int(rng.integers(0, (width - 1 - wide) // 2 + 1))
        walls[top:top + tall, left:left + wide] = False
    return walls


FOREIGN: dict[str, Callable[[np.random.Generator, int, int], np.ndarray]] = {
    "wilson": wilson, "sidewinder": sidewinder, "division": division, "rooms": rooms}


def foreign_set(kind: str, n: int, height: int, width: int, seed: int) -> MazeBatch:
    """n mazes drawn by `kind`, S in a random open cell and G far from it."""
    rng = np.random.default_rng(np.random.SeedSequence([3, seed, height, width, len(kind)]))
    walls = np.stack([FOREIGN[kind](rng, height, width) for _ in range(n)])
    starts, goals = [], []
    for w in walls:
        rooms = np.argwhere(~w)
        start = tuple(int(v) for v in rooms[rng.integers(len(rooms))])
        dist = distances(w, start)
        far = np.argwhere(dist >= max(1, int(np.ceil(0.5 * dist.max()))))
        starts.append(start)
        goals.append(tuple(int(v) for v in far[rng.integers(len(far))]))
    starts_a, goals_a = np.array(starts), np.array(goals)
    on_path, length, _, choices = measure(walls, starts_a, goals_a)
    return MazeBatch(walls, starts_a, goals_a, on_path, length, choices)
