"""Seeded, batched numpy maze generator: perfect, looped and open-room mazes with hard S..G pairs kept."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trm_hub_plugins.maze.solver import batch_distances, open_neighbours

MIN_SIZE = 3


@dataclass
class MazeBatch:
    """Same-size mazes: walls [B, H, W] bool, starts/goals [B, 2], every cell on a shortest
    S..G path as a mask [B, H, W], the shortest length in steps [B] and the choice points on
    those paths [B]."""

    walls: np.ndarray
    starts: np.ndarray
    goals: np.ndarray
    on_path: np.ndarray
    lengths: np.ndarray
    choices: np.ndarray

    def __len__(self) -> int:
        return len(self.walls)

    def take(self, index: np.ndarray) -> "MazeBatch":
        """The mazes at `index`."""
        return MazeBatch(*(getattr(self, f)[index] for f in self.__dataclass_fields__))

    @staticmethod
    def concat(batches: list["MazeBatch"]) -> "MazeBatch":
        """Join batches of the same maze size."""
        return MazeBatch(*(np.concatenate([getattr(b, f) for b in batches])
                           for f in MazeBatch.__dataclass_fields__))


def growing_tree(rng: np.random.Generator, batch: int, rooms_r: int, rooms_c: int,
                 p_random: np.ndarray) -> np.ndarray:
    """Perfect lattice mazes [B, 2*rooms_r+1, 2*rooms_c+1] (True = wall), all grown in lockstep.

    Each maze grows a spanning tree from a random room: with probability p_random[b] it extends
    from a random room of the tree that still has unvisited neighbours (Prim-like, many short
    dead ends), otherwise from the newest room (recursive backtracker, long corridors).
    """
    n = rooms_r * rooms_c
    rows = np.arange(batch)
    walls = np.ones((batch, 2 * rooms_r + 1, 2 * rooms_c + 1), dtype=bool)
    walls[:, 1::2, 1::2] = False
    visited = np.zeros((batch, rooms_r, rooms_c), dtype=bool)
    stack = np.zeros((batch, n), dtype=np.int64)
    top = np.zeros(batch, dtype=np.int64)
    first = rng.integers(0, n, size=batch)
    stack[:, 0] = first
    visited[rows, first // rooms_c, first % rooms_c] = True
    count = np.ones(batch, dtype=np.int64)
    deltas = np.array([(-1, 0), (1, 0), (0, -1), (0, 1)])
    while (count < n).any():
        unvisited = ~visited
        free = np.zeros((batch, 4, rooms_r, rooms_c), dtype=bool)
        free[:, 0, 1:, :] = unvisited[:, :-1, :]
        free[:, 1, :-1, :] = unvisited[:, 1:, :]
        free[:, 2, :, 1:] = unvisited[:, :, :-1]
        free[:, 3, :, :-1] = unvisited[:, :, 1:]
        alive = visited & free.any(axis=1)
        pick_random = rng.random(batch) < p_random
        score = np.where(alive.reshape(batch, -1), rng.random((batch, n)), -1.0)
        random_cell = score.argmax(axis=1)
        newest = stack[rows, top]
        cell = np.where(pick_random, random_cell, newest)
        r, c = cell // rooms_c, cell % rooms_c
        options = free[rows, :, r, c]
        can = options.any(axis=1) & (count < n)
        pop = ~options.any(axis=1) & ~pick_random & (count < n)
        top = np.where(pop, np.maximum(top - 1, 0), top)
        direction = np.where(options, rng.random((batch, 4)), -1.0).argmax(axis=1)
        b = rows[can]
        dr, dc = deltas[direction[can], 0], deltas[direction[can], 1]
        r0, c0 = r[can], c[can]
        r1, c1 = r0 + dr, c0 + dc
        walls[b, 2 * r0 + 1 + dr, 2 * c0 + 1 + dc] = False
        visited[b, r1, c1] = True
        top[b] += 1
        stack[b, top[b]] = r1 * rooms_c + c1
        count[b] += 1
    return walls


def knock_out(rng: np.random.Generator, walls: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """Open each interior wall between two rooms with probability rate[b] (adds loops)."""
    walls = walls.copy()
    batch, height, width = walls.shape
    between = np.zeros((height, width), dtype=bool)
    between[1:-1:2, 2:-1:2] = True
    between[2:-1:2, 1:-1:2] = True
    hit = between[None] & walls & (rng.random(walls.shape) < rate[:, None, None])
    walls[hit] = False
    return walls


def carve_rooms(rng: np.random.Generator, walls: np.ndarray, chosen: np.ndarray,
                cells_per_room: int = 120) -> np.ndarray:
    """Open rectangular rooms (2 to 7 cells a side, one per `cells_per_room` cells) inside the
    outer wall of the mazes where chosen[b]: open areas with many shortest paths across them."""
    walls = walls.copy()
    _, height, width = walls.shape
    if height < 4 or width < 4:
        return walls
    for b in np.flatnonzero(chosen):
        for _ in range(max(1, height * width // cells_per_room)):
            tall = int(rng.integers(2, min(7, height - 2) + 1))
            wide = int(rng.integers(2, min(7, width - 2) + 1))
            top = int(rng.integers(1, height - 1 - tall + 1))
            left = int(rng.integers(1, width - 1 - wide + 1))
            walls[b, top:top + tall, left:left + wide] = False
    return walls


def lattice(rng: np.random.Generator, batch: int, height: int, width: int, *,
            p_random: np.ndarray, borderless: np.ndarray) -> np.ndarray:
    """Perfect mazes of any size >= 3: a lattice maze cropped so even sizes and borderless
    mazes (open corridors along the edge) come out too."""

    def plan(size: int, drop_border: bool) -> tuple[int, int]:
        extra = 1 if size % 2 == 0 else (2 if drop_border else 0)
        return (size + extra - 1) // 2, extra

    out = np.empty((batch, height, width), dtype=bool)
    for flag in (False, True):
        idx = np.flatnonzero(borderless == flag)
        if not len(idx):
            continue
        (rr, er), (rc, ec) = plan(height, flag), plan(width, flag)
        big = growing_tree(rng, len(idx), rr, rc, p_random[idx])
        top = np.where(er == 2, 1, rng.integers(0, er + 1, size=len(idx)))
        left = np.where(ec == 2, 1, rng.integers(0, ec + 1, size=len(idx)))
        r = top[:, None, None] + np.arange(height)[None, :, None]
        c = left[:, None, None] + np.arange(width)[None, None, :]
        out[idx] = big[np.arange(len(idx))[:, None, None], r, c]
    return out


def _pick(rng: np.random.Generator, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One random True cell per maze of mask [B, H, W] -> (cells [B, 2], found [B])."""
    batch, _, width = mask.shape
    score = np.where(mask.reshape(batch, -1), rng.random((batch, mask[0].size)), -1.0)
    flat = score.argmax(axis=1)
    return np.stack([flat // width, flat % width], axis=1), mask.reshape(batch, -1).any(axis=1)


def _doors(walls: np.ndarray) -> np.ndarray:
    """Border wall cells (not corners) with exactly one open neighbour: where an entrance fits."""
    border = np.zeros(walls.shape[1:], dtype=bool)
    border[[0, -1], :] = True
    border[:, [0, -1]] = True
    border[[0, 0, -1, -1], [0, -1, 0, -1]] = False
    return border[None] & walls & (open_neighbours(walls) == 1)


def place_endpoints(rng: np.random.Generator, walls: np.ndarray, hard: np.ndarray,
                    door_fraction: float, far: float = 0.75) -> tuple[np.ndarray, ...]:
    """Choose S and G per maze (some as entrances in the outer wall); hard mazes get G among
    the cells at least `far` of the farthest distance from S. Returns (walls, starts, goals)."""
    batch = len(walls)
    rows = np.arange(batch)
    walls = walls.copy()
    start, _ = _pick(rng, ~walls)
    door, found = _pick(rng, _doors(walls))
    use = found & (rng.random(batch) < door_fraction)
    start[use] = door[use]
    walls[rows[use], door[use, 0], door[use, 1]] = False
    dist = batch_distances(walls, start)
    doors = _doors(walls)
    near = np.full(walls.shape, -1, dtype=np.int32)
    near[:, 1:, :] = np.maximum(near[:, 1:, :], dist[:, :-1, :])
    near[:, :-1, :] = np.maximum(near[:, :-1, :], dist[:, 1:, :])
    near[:, :, 1:] = np.maximum(near[:, :, 1:], dist[:, :, :-1])
    near[:, :, :-1] = np.maximum(near[:, :, :-1], dist[:, :, 1:])
    door_dist = np.where(doors & (near >= 0), near + 1, -1)
    as_door = (door_dist >= 0).reshape(batch, -1).any(axis=1) & (rng.random(batch) < door_fraction)
    goal_dist = np.where(as_door[:, None, None], door_dist, dist)
    goal_dist[rows, start[:, 0], start[:, 1]] = -1
    best = goal_dist.reshape(batch, -1).max(axis=1)
    cut = np.where(hard, np.ceil(far * best), 1)
    goal, _ = _pick(rng, (goal_dist >= cut[:, None, None]) & (goal_dist > 0))
    walls[rows[as_door], goal[as_door, 0], goal[as_door, 1]] = False
    return walls, start, goal


def measure(walls: np.ndarray, starts: np.ndarray, goals: np.ndarray) -> tuple[np.ndarray, ...]:
    """(on_path mask, length, unique, choices) of the shortest S..G paths of a batch."""
    batch = len(walls)
    rows = np.arange(batch)
    ds = batch_distances(walls, starts)
    dg = batch_distances(walls, goals)
    length = ds[rows, goals[:, 0], goals[:, 1]]
    on_path = (ds >= 0) & (dg >= 0) & (ds + dg == length[:, None, None])
    unique = (length > 0) & (on_path.reshape(batch, -1).sum(axis=1) == length + 1)
    branches = open_neighbours(walls) >= 3
    branches[rows, goals[:, 0], goals[:, 1]] = False
    branches[rows, starts[:, 0], starts[:, 1]] = open_neighbours(walls)[
        rows, starts[:, 0], starts[:, 1]] >= 2
    choices = (branches & on_path).reshape(batch, -1).sum(axis=1)
    return on_path, length, unique, choices


def generate(rng: np.random.Generator, n: int, height: int, width: int, *,
             loop_fraction: float = 0.5, max_loop_rate: float = 0.2, hard_fraction: float = 0.75,
             hard_keep: float = 0.5, door_fraction: float = 0.25, borderless_fraction: float = 0.15,
             rooms_fraction: float = 0.0, unique_fraction: float = 1.0,
             p_random_choices: tuple[float, ...] = (0.0, 0.0, 0.25, 0.5, 1.0)) -> MazeBatch:
    """n mazes of height x width with S..G reachable.

    loop_fraction of them get loops (interior walls knocked out at a random rate up to
    max_loop_rate) and rooms_fraction open rooms (`carve_rooms`); unique_fraction must have a
    single shortest path (the others may have many, all marked). hard_fraction are hard: G far
    from S, and of every hard candidate only the top `hard_keep` by path length plus choice
    points are kept.
    """
    if height < MIN_SIZE or width < MIN_SIZE:
        raise ValueError(f"mazes must be at least {MIN_SIZE}x{MIN_SIZE}, got {height}x{width}")
    kept: list[MazeBatch] = []
    need_hard = int(round(n * hard_fraction))
    need_easy = n - need_hard
    rate = 0.6 * (hard_fraction * hard_keep + 1.0 - hard_fraction)
    for _ in range(100):
        need = need_hard + need_easy
        if need <= 0:
            break
        m = max(8, int(np.ceil(1.2 * need / max(rate, 0.02))))
        p_random = rng.choice(np.array(p_random_choices), size=m)
        borderless = rng.random(m) < borderless_fraction
        walls = lattice(rng, m, height, width, p_random=p_random, borderless=borderless)
        looped = rng.random(m) < loop_fraction
        walls = knock_out(rng, walls, np.where(looped, rng.uniform(0.02, max_loop_rate, m), 0.0))
        if rooms_fraction > 0:
            walls = carve_rooms(rng, walls, rng.random(m) < rooms_fraction)
        hard = rng.random(m) < need_hard / need
        walls, starts, goals = place_endpoints(rng, walls, hard, door_fraction)
        on_path, length, unique, choices = measure(walls, starts, goals)
        score = length + 2 * choices
        ok = unique if unique_fraction >= 1 else np.where(rng.random(m) < unique_fraction, unique, length > 0)
        cand = hard & ok
        if cand.any():
            ok &= ~hard | (score >= np.quantile(score[cand], 1.0 - hard_keep))
        idx_hard = np.flatnonzero(ok & hard)[:need_hard]
        idx_easy = np.flatnonzero(ok & ~hard)[:need_easy]
        rate = max(len(np.flatnonzero(ok)) / m, 0.01)
        need_hard -= len(idx_hard)
        need_easy -= len(idx_easy)
        kept.append(MazeBatch(walls, starts, goals, on_path, length, choices).take(
            np.sort(np.concatenate([idx_hard, idx_easy]))))
    if need_hard + need_easy > 0:
        raise ValueError(f"could not generate {n} {height}x{width} mazes with these settings")
    out = MazeBatch.concat(kept)
    return out.take(rng.permutation(len(out)))
