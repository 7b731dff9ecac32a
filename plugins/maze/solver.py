"""Breadth-first search on mazes (one at a time and batched) and the exact path checker."""

from __future__ import annotations

from collections import deque
from typing import Sequence

import numpy as np

Cell = tuple[int, int]
STEPS = ((-1, 0), (1, 0), (0, -1), (0, 1))
UNREACHED = -1


def distances(walls: np.ndarray, source: Cell) -> np.ndarray:
    """Steps from `source` to every cell of one maze (bool walls [H, W]); -1 where unreachable."""
    height, width = walls.shape
    dist = np.full((height, width), UNREACHED, dtype=np.int32)
    dist[source] = 0
    queue = deque([source])
    while queue:
        r, c = queue.popleft()
        d = dist[r, c] + 1
        for dr, dc in STEPS:
            rr, cc = r + dr, c + dc
            if 0 <= rr < height and 0 <= cc < width and not walls[rr, cc] and dist[rr, cc] < 0:
                dist[rr, cc] = d
                queue.append((rr, cc))
    return dist


def shortest_path(walls: np.ndarray, start: Cell, goal: Cell) -> list[Cell] | None:
    """One shortest path from start to goal (both included), or None when the goal is unreachable."""
    dist = distances(walls, goal)
    return downhill(dist, start, goal) if dist[start] >= 0 else None


def downhill(to_goal: np.ndarray, start: Cell, goal: Cell) -> list[Cell]:
    """The path from start that steps to a neighbour one step nearer the goal each time
    (`to_goal`: distances to the goal, start reachable)."""
    height, width = to_goal.shape
    path = [start]
    r, c = start
    while (r, c) != goal:
        for dr, dc in STEPS:
            rr, cc = r + dr, c + dc
            if 0 <= rr < height and 0 <= cc < width and to_goal[rr, cc] == to_goal[r, c] - 1:
                r, c = rr, cc
                break
        path.append((r, c))
    return path


def batch_distances(walls: np.ndarray, sources: np.ndarray) -> np.ndarray:
    """Distances from one source per maze for a batch (walls [B, H, W] bool, sources [B, 2])."""
    batch = len(walls)
    dist = np.full(walls.shape, UNREACHED, dtype=np.int32)
    frontier = np.zeros(walls.shape, dtype=bool)
    frontier[np.arange(batch), sources[:, 0], sources[:, 1]] = True
    todo = ~walls & ~frontier
    waited = np.where(frontier, -1, 0).astype(np.int32)
    reached = frontier.copy()
    live = np.arange(batch)
    step = 0
    while len(live):
        step += 1
        grown = np.zeros_like(frontier)
        grown[:, 1:, :] = frontier[:, :-1, :]
        grown[:, :-1, :] |= frontier[:, 1:, :]
        grown[:, :, 1:] |= frontier[:, :, :-1]
        grown[:, :, :-1] |= frontier[:, :, 1:]
        grown &= todo
        todo ^= grown
        reached |= grown
        waited += todo
        frontier = grown
        if step % 8 == 0:
            alive = frontier.reshape(len(live), -1).any(axis=1)
            if not alive.all():
                done = live[~alive]
                dist[done] = np.where(reached[~alive], waited[~alive] + 1, UNREACHED)
                live, frontier, todo = live[alive], frontier[alive], todo[alive]
                waited, reached = waited[alive], reached[alive]
    return dist


def open_neighbours(walls: np.ndarray) -> np.ndarray:
    """How many of the 4 neighbours of each cell are open ([..., H, W] bool -> int)."""
    open_ = (~walls).astype(np.int8)
    count = np.zeros(walls.shape, dtype=np.int8)
    count[..., 1:, :] += open_[..., :-1, :]
    count[..., :-1, :] += open_[..., 1:, :]
    count[..., :, 1:] += open_[..., :, :-1]
    count[..., :, :-1] += open_[..., :, 1:]
    return count


def explain(walls: np.ndarray, start: Cell, goal: Cell, path: Sequence[Sequence[int]]) -> str | None:
    """Why `path` is not a shortest S..G path in this maze, or None when it is one."""
    dist = distances(walls, start)
    best = int(dist[goal])
    if best < 0:
        return f"goal {goal} cannot be reached from start {start}: the maze has no route"
    if not path:
        return "the path is empty"
    cells = [tuple(int(v) for v in cell) for cell in path]
    if any(len(cell) != 2 for cell in cells):
        return "every path cell must be [row, col]"
    if cells[0] != start:
        return f"the path begins at {cells[0]}, not at the start {start}"
    if cells[-1] != goal:
        return f"the path ends at {cells[-1]}, not at the goal {goal}"
    height, width = walls.shape
    for i, (r, c) in enumerate(cells):
        if not (0 <= r < height and 0 <= c < width):
            return f"path cell {i} {(r, c)} is outside the {height}x{width} maze"
        if walls[r, c]:
            return f"path cell {i} {(r, c)} is on a wall"
        if i and abs(r - cells[i - 1][0]) + abs(c - cells[i - 1][1]) != 1:
            return f"the path jumps from {cells[i - 1]} to {(r, c)} (step {i} is not to a neighbour)"
    if len(cells) - 1 != best:
        return f"the path takes {len(cells) - 1} steps; the shortest takes {best}"
    return None


def walk(marked: np.ndarray, start: Cell, goal: Cell) -> list[Cell]:
    """Follow marked cells from start: step to the goal when it is next door, else to the one
    unvisited marked neighbour; stop at a dead end or where the marks branch."""
    height, width = marked.shape
    path = [start]
    seen = {start}
    r, c = start
    while (r, c) != goal:
        nxt = [(r + dr, c + dc) for dr, dc in STEPS
               if 0 <= r + dr < height and 0 <= c + dc < width
               and marked[r + dr, c + dc] and (r + dr, c + dc) not in seen]
        if goal in nxt:
            nxt = [goal]
        if len(nxt) != 1:
            break
        r, c = nxt[0]
        seen.add((r, c))
        path.append((r, c))
    return path


def descend(classes: np.ndarray, walls: np.ndarray, start: Cell, goal: Cell) -> list[Cell]:
    """The route from start that steps each time to an open neighbour one class lower (classes are
    distances to G modulo 3, as the model labels them; G counts as 0) until G. Next to each other,
    two cells of a grid are one step apart in their distances to G, so when the classes are right
    every such step is one nearer G and the route is a shortest one. It stops where no neighbour is
    one class lower, or after as many steps as the maze has open cells."""
    height, width = walls.shape
    values = classes.copy()
    values[goal] = 0
    path = [start]
    r, c = start
    for _ in range(int((~walls).sum())):
        if (r, c) == goal or values[r, c] < 0:
            break
        lower = (values[r, c] - 1) % 3
        for dr, dc in STEPS:
            rr, cc = r + dr, c + dc
            if 0 <= rr < height and 0 <= cc < width and not walls[rr, cc] and values[rr, cc] == lower:
                r, c = rr, cc
                break
        else:
            break
        path.append((r, c))
    return path


def route_through(marked: np.ndarray, walls: np.ndarray, start: Cell, goal: Cell) -> list[Cell]:
    """The S..G route the model's marks make over open cells (S and G count as marked).

    The marks must be a union of shortest routes through themselves: a line, or a band across an
    open room. Then the route is the fewest-step one through them. Where some mark joined to S
    lies on no such route (a spur, a detour, a flood of the maze) or the marks do not reach G,
    it is the `walk` along them from S, which stops where they branch or end.
    """
    usable = marked & ~walls
    usable[start] = usable[goal] = True
    from_start, from_goal = distances(~usable, start), distances(~usable, goal)
    length = from_start[goal]
    joined = from_start >= 0
    if length < 0 or (joined & (from_start + from_goal != length)).any():
        return walk(usable, start, goal)
    return downhill(from_goal, start, goal)


def read_route(tokens: np.ndarray, walls: np.ndarray, start: Cell, goal: Cell, canvas: int) -> list[Cell]:
    """The S..G route one predicted canvas gives for a maze in its top-left corner: down the
    distance classes (`descend`) when the model labels distances, else through the marked cells
    (`route_through`)."""
    from trm_hub_plugins.maze.tokens import distance_classes, path_cells

    height, width = walls.shape
    classes = distance_classes(tokens, height, width, canvas)
    if classes is not None:
        return descend(classes, walls, start, goal)
    return route_through(path_cells(tokens, height, width, canvas), walls, start, goal)
