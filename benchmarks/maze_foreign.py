"""Mazes from another maze library, answered by `trm-hub route`'s path with default settings.

The mazes come from mazelib (`pip install mazelib`; used only here, to judge the model on mazes
no generator of ours drew): Prim's, Kruskal's, Wilson's and dungeons with open rooms, half with
loops knocked in, S and G on the outer wall or inside. Per size it prints solved rate (an exact
shortest path), mean supervision steps, seconds per maze (TRM, one thread) and BFS's.

Run: python benchmarks/maze_foreign.py [--per-size 48] [--sizes 9,11,13,15,21,31,41] [--json OUT]
     [--checkpoint PATH [--set data.own_canvas=true ...]]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

KINDS = ("prims", "kruskal", "wilsons", "dungeon")


def draw(kind: str, side: int, rng: np.random.Generator) -> np.ndarray:
    """One side x side maze (True = wall) by mazelib's `kind` generator."""
    from mazelib import Maze
    from mazelib.generate.DungeonRooms import DungeonRooms
    from mazelib.generate.Kruskal import Kruskal
    from mazelib.generate.Prims import Prims
    from mazelib.generate.Wilsons import Wilsons

    cells = (side - 1) // 2
    maze = Maze(int(rng.integers(1 << 30)))
    if kind == "dungeon":
        rooms = []
        for _ in range(max(1, side * side // 150)):
            tall, wide = 2 * int(rng.integers(1, 4)), 2 * int(rng.integers(1, 4))
            top = 1 + 2 * int(rng.integers(0, max(1, (side - 2 - tall) // 2)))
            left = 1 + 2 * int(rng.integers(0, max(1, (side - 2 - wide) // 2)))
            rooms.append([(top, left), (min(top + tall, side - 2), min(left + wide, side - 2))])
        maze.generator = DungeonRooms(cells, cells, rooms=rooms)
    else:
        maze.generator = {"prims": Prims, "kruskal": Kruskal, "wilsons": Wilsons}[kind](cells, cells)
    try:
        maze.generate()
    except AssertionError:  # rooms that leave no cell to start the maze from: draw again
        return draw(kind, side, rng)
    return np.asarray(maze.grid, dtype=bool)


def knock_loops(walls: np.ndarray, rng: np.random.Generator, rate: float) -> np.ndarray:
    """Open interior walls that separate two open cells, each with probability `rate`."""
    walls = walls.copy()
    height, width = walls.shape
    for r in range(1, height - 1):
        for c in range(1, width - 1):
            if not walls[r, c]:
                continue
            across = (not walls[r - 1, c] and not walls[r + 1, c]) or (not walls[r, c - 1] and not walls[r, c + 1])
            if across and rng.random() < rate:
                walls[r, c] = False
    return walls


def place(walls: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, tuple[int, int], tuple[int, int]]:
    """S at a random open cell or on the outer wall; G far from it (at least half the farthest)."""
    from trm_hub_plugins.maze.solver import distances

    walls = walls.copy()
    side = walls.shape[0]
    if rng.random() < 0.5:
        r = int(rng.integers(0, (side - 1) // 2)) * 2 + 1
        start = [(0, r), (side - 1, r), (r, 0), (r, side - 1)][int(rng.integers(4))]
        walls[start] = False
    else:
        cells = np.argwhere(~walls)
        start = tuple(int(v) for v in cells[rng.integers(len(cells))])
    dist = distances(walls, start)
    far = np.argwhere(dist >= max(1, int(np.ceil(0.5 * dist.max()))))
    goal = tuple(int(v) for v in far[rng.integers(len(far))])
    return walls, start, goal


def mazes(side: int, per_size: int, seed: int) -> list[dict[str, Any]]:
    rng = np.random.default_rng(np.random.SeedSequence([7, seed, side]))
    out = []
    for i in range(per_size):
        kind = KINDS[i % len(KINDS)]
        walls = draw(kind, side, rng)
        looped = i % (2 * len(KINDS)) >= len(KINDS)
        if looped:
            walls = knock_loops(walls, rng, 0.1)
        walls, start, goal = place(walls, rng)
        out.append({"kind": kind, "looped": looped, "grid": walls.astype(int).tolist(),
                    "start": list(start), "goal": list(goal)})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-size", type=int, default=48)
    parser.add_argument("--sizes", default="9,11,13,15,21,31,41")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--runtime", default="auto")
    parser.add_argument("--json", help="write the figures here too")
    parser.add_argument("--checkpoint", help="answer with this maze checkpoint (torch) instead of the registered model")
    parser.add_argument("--set", dest="settings", action="append", default=[], metavar="KEY=VALUE",
                        help="answering setting of the model's recipe, e.g. data.own_canvas=true")
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")

    from trm_hub.plugins import load_tasks
    from trm_hub_plugins.maze.solver import shortest_path

    task = load_tasks()["maze"]
    answer = lambda problem: task.solve([problem], runtime=args.runtime, settings=args.settings)[0]  # noqa: E731
    if args.checkpoint:
        from trm_hub.runtime import load_engine, read_meta

        meta = read_meta(Path(args.checkpoint))
        engine = load_engine(Path(args.checkpoint), None, meta, "torch", "cpu")
        checkpoint = task.checkpoint(meta).answering(args.settings)
        answer = lambda problem: task.answer_with(engine, checkpoint, [problem])[0]  # noqa: E731
    report: dict[str, Any] = {}
    print(f"{'size':>6} {'kind':>8} {'n':>4} {'solved':>7} {'steps':>6} {'TRM s/maze':>11} {'max s':>6} {'BFS ms':>7}")
    for side in [int(s) for s in args.sizes.split(",")]:
        drawn = mazes(side, args.per_size, args.seed)
        problems = [task.parse({k: m[k] for k in ("grid", "start", "goal")}) for m in drawn]
        began = time.perf_counter()
        answers = [answer(p) for p in problems]
        trm = (time.perf_counter() - began) / len(problems)
        began = time.perf_counter()
        for p in problems:
            shortest_path(np.array(p.grid, dtype=bool), p.start, p.goal)
        bfs = (time.perf_counter() - began) / len(problems)
        groups = {"all": list(range(len(drawn)))}
        for kind in KINDS:
            groups[kind] = [i for i, m in enumerate(drawn) if m["kind"] == kind]
        for name, idx in groups.items():
            solved = float(np.mean([answers[i].verified for i in idx]))
            steps = float(np.mean([answers[i].steps for i in idx]))
            seconds = float(np.mean([answers[i].seconds for i in idx]))
            slowest = float(max(answers[i].seconds for i in idx))
            report[f"{side}x{side} {name}"] = {"n": len(idx), "solved": solved, "mean_steps": steps,
                                               "trm_s_per_maze": seconds if name != "all" else trm,
                                               "trm_max_s": slowest, "bfs_ms_per_maze": 1000 * bfs}
            print(f"{side:>6} {name:>8} {len(idx):>4} {solved:>7.1%} {steps:>6.1f} "
                  f"{(seconds if name != 'all' else trm):>11.3f} {slowest:>6.2f} {1000 * bfs:>7.2f}", flush=True)
    if args.json:
        from trm_hub.files import atomic_write_text

        atomic_write_text(args.json, json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
