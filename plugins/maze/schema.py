"""The maze task's accepted JSON and its answer, with every accepted shape normalised."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import model_validator

from trm_hub.task import Problem, Solution

WALL_CHARS = "#"
OPEN_CHARS = " ."
CHAR_HINT = "use '#' wall, ' ' or '.' open, 'S' start, 'G' goal"

Cell = tuple[int, int]


def _cell(value: Any, what: str) -> Cell:
    """A [row, col] pair as a tuple of two ints."""
    if (
        not isinstance(value, (list, tuple))
        or len(value) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        raise ValueError(f"{what} must be [row, col] with two integers, got {value!r}")
    return int(value[0]), int(value[1])


def _split_text(text: str) -> list[str]:
    """One newline-joined string -> its rows, without blank lines before or after the maze."""
    rows = text.splitlines()
    while rows and rows[0] == "":
        rows.pop(0)
    while rows and rows[-1] == "":
        rows.pop()
    return rows


def _parse_rows(rows: list[str]) -> tuple[list[list[int]], list[Cell], list[Cell]]:
    """Row strings -> 0/1 grid and the positions of every 'S' and 'G'."""
    width = len(rows[0])
    grid: list[list[int]] = []
    starts: list[Cell] = []
    goals: list[Cell] = []
    for r, row in enumerate(rows):
        if len(row) != width:
            raise ValueError(f"row {r} has {len(row)} cells, expected {width}")
        line = []
        for c, ch in enumerate(row):
            if ch in WALL_CHARS:
                line.append(1)
            elif ch in OPEN_CHARS:
                line.append(0)
            elif ch == "S":
                line.append(0)
                starts.append((r, c))
            elif ch == "G":
                line.append(0)
                goals.append((r, c))
            else:
                raise ValueError(f"unknown character {ch!r} at row {r}, column {c} ({CHAR_HINT})")
        grid.append(line)
    return grid, starts, goals


def _parse_ints(rows: list[list[Any]]) -> list[list[int]]:
    """A 0/1 list of lists (1 = wall) -> int grid."""
    width = len(rows[0])
    grid = []
    for r, row in enumerate(rows):
        if not isinstance(row, list):
            raise ValueError(f"row {r} is {type(row).__name__}; a 0/1 grid is a list of lists")
        if len(row) != width:
            raise ValueError(f"row {r} has {len(row)} cells, expected {width}")
        line = []
        for c, v in enumerate(row):
            if isinstance(v, bool) or v in (0, 1) and isinstance(v, int):
                line.append(int(v))
            else:
                raise ValueError(f"unknown value {v!r} at row {r}, column {c} (use 0 open, 1 wall)")
        grid.append(line)
    return grid


def _one(found: list[Cell], given: Any, key: str, letter: str, noun: str) -> Cell:
    """The single start (or goal), from the drawing or from the explicit key."""
    if len(found) > 1:
        listed = " and ".join(str(p) for p in found[:2])
        more = f" (and {len(found) - 2} more)" if len(found) > 2 else ""
        raise ValueError(f"two {noun}s '{letter}' at {listed}{more}")
    if given is not None:
        cell = _cell(given, key)
        if found and found[0] != cell:
            raise ValueError(f"{noun} given twice: '{letter}' at {found[0]} and {key} {cell}")
        return cell
    if not found:
        raise ValueError(f"no {noun} '{letter}' (draw it in the maze or give \"{key}\": [row, col])")
    return found[0]


def normalise(data: dict[str, Any]) -> dict[str, Any]:
    """Any accepted maze JSON -> {"grid": 0/1 rows, "start": cell, "goal": cell}."""
    if not isinstance(data, dict):
        raise ValueError(f"a maze problem is a JSON object, got {type(data).__name__}")
    keys = [k for k in ("maze", "grid") if k in data]
    if not keys:
        raise ValueError("a maze problem needs \"maze\" or \"grid\"")
    if len(keys) == 2:
        raise ValueError("give the maze once, as \"maze\" or as \"grid\", not both")
    unknown = sorted(set(data) - {"maze", "grid", "start", "goal", "task"})
    if unknown:
        raise ValueError(f"unknown key {unknown[0]!r} (a maze problem has maze|grid, start, goal)")
    raw = data[keys[0]]
    if isinstance(raw, str):
        raw = _split_text(raw)
    if not isinstance(raw, list) or not raw:
        raise ValueError("the maze is empty" if raw in ([], "") else
                         "the maze must be row strings, one newline-joined string, or a 0/1 grid")
    if all(isinstance(row, str) for row in raw):
        grid, starts, goals = _parse_rows(raw)
    elif all(isinstance(row, list) and all(isinstance(v, str) and len(v) == 1 for v in row)
             for row in raw):
        grid, starts, goals = _parse_rows(["".join(row) for row in raw])
    elif any(isinstance(row, str) for row in raw):
        raise ValueError("maze rows must all be strings or all be lists")
    else:
        grid, starts, goals = _parse_ints(raw), [], []
        if data.get("start") is None or data.get("goal") is None:
            raise ValueError("a 0/1 grid needs \"start\" and \"goal\" as [row, col]")
    if not grid[0]:
        raise ValueError("the maze is empty")
    start = _one(starts, data.get("start"), "start", "S", "start")
    goal = _one(goals, data.get("goal"), "goal", "G", "goal")
    height, width = len(grid), len(grid[0])
    for name, (r, c) in (("start", start), ("goal", goal)):
        if not (0 <= r < height and 0 <= c < width):
            raise ValueError(f"{name} {(r, c)} is outside the {height}x{width} maze")
        if grid[r][c]:
            raise ValueError(f"{name} {(r, c)} is on a wall")
    if start == goal:
        raise ValueError(f"start and goal are the same cell {start}")
    out: dict[str, Any] = {"grid": grid, "start": start, "goal": goal}
    if "task" in data:
        out["task"] = data["task"]
    return out


class MazeProblem(Problem):
    """A maze: 0/1 grid (1 = wall), start and goal as (row, col), 0-based.

    Accepted as {"maze"|"grid": row strings | one newline-joined string | 0/1 grid,
    "start"?: [row, col], "goal"?: [row, col]}. An unreachable goal is accepted here and
    reported by the checker.
    """

    grid: list[list[int]]
    start: Cell
    goal: Cell
    task: Literal["maze"] | None = None

    @model_validator(mode="before")
    @classmethod
    def _normalise(cls, data: Any) -> dict[str, Any]:
        return normalise(data)

    @property
    def height(self) -> int:
        return len(self.grid)

    @property
    def width(self) -> int:
        return len(self.grid[0])

    def rows(self, path: list[Cell] | None = None) -> list[str]:
        """The maze as row strings, with the cells of `path` (other than S and G) drawn as 'o'."""
        lines = [["#" if v else " " for v in row] for row in self.grid]
        for r, c in path or []:
            if 0 <= r < self.height and 0 <= c < self.width:
                lines[r][c] = "o"
        lines[self.start[0]][self.start[1]] = "S"
        lines[self.goal[0]][self.goal[1]] = "G"
        return ["".join(line) for line in lines]


class MazeSolution(Solution):
    """The shortest path from S to G as [row, col] cells, and the maze with it drawn as 'o'."""

    path: list[Cell]
    maze: list[str]
    note: str | None = None
