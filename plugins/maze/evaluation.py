"""The maze evaluation report: solved share per size and per path length, BFS vs TRM time."""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Any, Sequence

import numpy as np

from trm_hub_plugins.maze.schema import MazeProblem
from trm_hub_plugins.maze.recipe import MazeData
from trm_hub_plugins.maze.solver import shortest_path

LENGTH_EDGES = (1, 10, 20, 40, 80, 160, 320, 640)
EVAL_BATCH = 256


def length_bin(length: int) -> str:
    """The path-length bucket a shortest path of `length` steps falls in."""
    if length < 1:
        return "unreachable"
    for lo, hi in zip(LENGTH_EDGES, LENGTH_EDGES[1:]):
        if lo <= length < hi:
            return f"{lo}-{hi - 1}"
    return f"{LENGTH_EDGES[-1]}+"


def _bin_order(name: str) -> int:
    return -1 if name == "unreachable" else int(name.split("-")[0].rstrip("+"))


def bfs_seconds(problems: Sequence[MazeProblem]) -> tuple[list[int], float]:
    """Shortest path lengths by BFS and the mean BFS time per maze (from parsed problem)."""
    lengths = []
    start = time.perf_counter()
    for p in problems:
        path = shortest_path(np.array(p.grid, dtype=bool), p.start, p.goal)
        lengths.append(-1 if path is None else len(path) - 1)
    return lengths, (time.perf_counter() - start) / max(len(problems), 1)


def report(task: Any, problems: Sequence[MazeProblem], outputs: Sequence[np.ndarray], labels: Sequence[np.ndarray],
           steps: np.ndarray, trm_seconds: float) -> dict[str, Any]:
    """Scores of predicted canvases (one token row per maze) against the problems and their labels."""
    lengths, bfs_per_maze = bfs_seconds(problems)
    groups: dict[str, dict[str, list[float]]] = {"size": defaultdict(list),
                                                 "length": defaultdict(list)}
    solved_all, exact_all = [], []
    for i, problem in enumerate(problems):
        solved = bool(task.verify(problem, task.decode(problem, outputs[i])))
        mask = labels[i] != -100
        exact = bool((outputs[i][mask] == labels[i][mask]).all())
        solved_all.append(solved)
        exact_all.append(exact)
        for kind, key in (("size", f"{problem.height}x{problem.width}"),
                          ("length", length_bin(lengths[i]))):
            groups[kind][key].append((solved, exact, float(steps[i])))

    def summary(rows: list[tuple[bool, bool, float]]) -> dict[str, float]:
        arr = np.array(rows, dtype=float)
        return {"n": len(rows), "solved": float(arr[:, 0].mean()), "exact": float(arr[:, 1].mean()),
                "mean_steps": float(arr[:, 2].mean())}

    n = max(len(problems), 1)
    return {
        "n": len(problems),
        "solved": float(np.mean(solved_all)) if solved_all else 0.0,
        "exact": float(np.mean(exact_all)) if exact_all else 0.0,
        "mean_steps": float(np.mean(steps)) if len(steps) else 0.0,
        "bfs_ms_per_maze": 1000 * bfs_per_maze,
        "trm_ms_per_maze": 1000 * trm_seconds / n,
        "per_size": {k: summary(v) for k, v in sorted(groups["size"].items())},
        "per_path_length": {k: summary(v) for k, v in sorted(
            groups["length"].items(), key=lambda kv: _bin_order(kv[0]))},
    }


def larger_mazes(task: Any, run: Any, model: Any, data: MazeData, canvas: int) -> dict[str, dict[str, float]]:
    """Held-out mazes larger than the canvas (ours and the rooms generator's), each size on its own
    canvas with a step limit grown in proportion: solved rate, mean steps, ms per maze (TRM, BFS)."""
    from trm_hub_plugins.maze.data import generator_options, test_rng, to_problems, to_split
    from trm_hub_plugins.maze.foreign import foreign_set
    from trm_hub_plugins.maze.generate import generate
    from trm_hub_plugins.maze.tokens import step_limit

    rows: dict[str, dict[str, float]] = {}
    for side in sorted(s for s in data.large_sizes if s > canvas):
        if not data.large_per_size:
            break
        limit = step_limit(int(model.config.halt_max_steps), side, canvas)
        sets = {"ours": generate(test_rng(data.test_seed, (side, side)), data.large_per_size, side, side,
                                 **generator_options(data)),
                "rooms": foreign_set("rooms", data.large_per_size, side - 1 + side % 2, side - 1 + side % 2,
                                     data.test_seed)}
        for kind, batch in sets.items():
            problems = to_problems(batch)
            out, steps, seconds = run(to_split([batch], side).inputs, max_steps=limit)
            _, bfs = bfs_seconds(problems)
            rows[f"{kind} {batch.walls.shape[1]}x{batch.walls.shape[2]}"] = {
                **_summary(task, problems, out, steps), "step_limit": limit,
                "trm_ms_per_maze": 1000 * seconds / len(problems), "bfs_ms_per_maze": 1000 * bfs}
    return rows


def answer_on_canvases(run: Any, batches: Sequence[Any], canvas: int, own: bool, labels_kind: str = "path"
                       ) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray, float]:
    """Answer batches of mazes, each on the canvas the task would put it on (`canvas_for`), one
    pass per canvas side: outputs and labels per maze (in order), steps and total seconds."""
    from trm_hub_plugins.maze.data import to_split
    from trm_hub_plugins.maze.tokens import canvas_for

    sides = [canvas_for(b.walls.shape[1], b.walls.shape[2], canvas, own) for b in batches]
    starts = np.cumsum([0] + [len(b) for b in batches])
    outputs: list[Any] = [None] * int(starts[-1])
    labels: list[Any] = [None] * int(starts[-1])
    steps = np.zeros(int(starts[-1]))
    seconds = 0.0
    for side in sorted(set(sides)):
        chosen = [i for i, s in enumerate(sides) if s == side]
        split = to_split([batches[i] for i in chosen], side, labels_kind=labels_kind)
        out, st, sec = run(split.inputs)
        seconds += sec
        places = np.concatenate([np.arange(starts[i], starts[i + 1]) for i in chosen])
        for k, place in enumerate(places):
            outputs[place], labels[place], steps[place] = out[k], split.labels[k], st[k]
    return outputs, labels, steps, seconds


def held_out_settings(cfg: Any, trained: MazeData) -> MazeData:
    """The held-out settings for a checkpoint: the run's data section when its canvas matches the
    checkpoint's, else the checkpoint's own; the labels are always the checkpoint's (its weights
    fix what it marks)."""
    data = getattr(cfg, "data", None)
    data = data if isinstance(data, MazeData) and data.canvas == trained.canvas else trained
    return data.model_copy(update={"labels": trained.labels})


def _summary(task: Any, problems: Sequence[MazeProblem], outputs: np.ndarray,
             steps: np.ndarray) -> dict[str, float]:
    solved = [bool(task.verify(p, task.decode(p, outputs[i]))) for i, p in enumerate(problems)]
    return {"n": len(problems), "solved": float(np.mean(solved)) if solved else 0.0,
            "mean_steps": float(np.mean(steps)) if len(steps) else 0.0}


def format_report(rep: dict[str, Any]) -> str:
    """The report as a plain-text table."""
    head = f"{'':<14}{'n':>7}{'solved':>9}{'exact':>9}{'steps':>8}"

    def row(name: str, g: dict[str, Any]) -> str:
        exact = f"{g['exact']:>9.3f}" if "exact" in g else f"{'':>9}"
        return f"{name:<14}{g['n']:>7}{g['solved']:>9.3f}{exact}{g['mean_steps']:>8.2f}"

    views = f", {rep['views']} views" if rep.get("views", 1) > 1 else ""
    own = ", each maze on a canvas of its own size" if rep.get("own_canvas") else ""
    lines = [f"maze, canvas {rep['canvas']}x{rep['canvas']}{own}: held-out mazes", head, row("all", rep)]
    lines += [row(k, v) for k, v in rep["per_size"].items()]
    lines += ["", "by shortest-path length (steps)", head]
    lines += [row(k, v) for k, v in rep["per_path_length"].items()]
    if rep.get("other_generators"):
        lines += ["", "mazes from other generators", head]
        lines += [row(k, v) for k, v in rep["other_generators"].items()]
    if rep.get("larger_than_canvas"):
        lines += ["", "mazes larger than the canvas (each on its own canvas)",
                  head + f"{'limit':>7}{'TRM ms':>9}{'BFS ms':>8}"]
        lines += [row(k, v) + f"{v['step_limit']:>7}{v['trm_ms_per_maze']:>9.1f}{v['bfs_ms_per_maze']:>8.2f}"
                  for k, v in rep["larger_than_canvas"].items()]
    lines += ["", f"time per maze: BFS {rep['bfs_ms_per_maze']:.3f} ms (one core), "
                  f"TRM {rep['trm_ms_per_maze']:.3f} ms ({rep['device']}, batch {rep['batch_size']}{views})"]
    return "\n".join(lines)


def evaluate_checkpoint(task: Any, model: Any, meta: dict[str, Any], cfg: Any) -> dict[str, Any]:
    """Predict the held-out mazes (and other generators' mazes) with adaptive halting; report."""
    from trm_hub.task import halt_threshold
    from trm_hub.train.evaluate import predict

    from trm_hub_plugins.maze.data import held_out_sets, to_problems
    from trm_hub_plugins.maze.foreign import FOREIGN, foreign_set
    from trm_hub_plugins.maze.views import answer_views

    trained = task.checkpoint(meta).recipe.data
    canvas = trained.canvas
    data = held_out_settings(cfg, trained)
    threshold = halt_threshold(cfg, meta)

    def run(inputs: np.ndarray, max_steps: int | None = None) -> tuple[np.ndarray, np.ndarray, float]:
        return predict(model, inputs, batch_size=EVAL_BATCH,
                       infer=lambda x: answer_views(model, x, data.views, threshold, max_steps=max_steps,
                                                    first=data.first_views, settle_q=data.settle_q))

    batches = list(held_out_sets(data).values())
    problems = [p for b in batches for p in to_problems(b)]
    outputs, labels, steps, seconds = answer_on_canvases(run, batches, canvas, data.own_canvas, data.labels)
    rep = {"canvas": canvas, "own_canvas": data.own_canvas,
           **report(task, problems, outputs, labels, steps, seconds)}
    others = {}
    side = canvas if canvas % 2 else canvas - 1
    if data.foreign_per_size and side >= 5:
        for kind in FOREIGN:
            batch = foreign_set(kind, data.foreign_per_size, side, side, data.test_seed)
            out, _, st, _ = answer_on_canvases(run, [batch], canvas, data.own_canvas, data.labels)
            others[f"{kind} {side}x{side}"] = _summary(task, to_problems(batch), out, st)
    rep["other_generators"] = others
    rep["larger_than_canvas"] = larger_mazes(task, run, model, data, canvas)
    rep.update({"device": str(next(model.parameters()).device), "batch_size": EVAL_BATCH,
                "max_steps": int(model.config.halt_max_steps), "halt_threshold": threshold,
                "views": data.views})
    rep["table"] = format_report(rep).splitlines()
    return rep
