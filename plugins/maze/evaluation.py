"""The maze evaluation report: solved share per size and per path length, BFS vs TRM time."""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Any, Sequence

import numpy as np

from trm_hub.task import TaskData
from trm_hub_plugins.maze.problem import MazeProblem
from trm_hub_plugins.maze.search import shortest_path

LENGTH_EDGES = (1, 10, 20, 40, 80, 160, 320, 640)


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


def report(task: Any, problems: Sequence[MazeProblem], outputs: np.ndarray, labels: np.ndarray,
           steps: np.ndarray, trm_seconds: float) -> dict[str, Any]:
    """Scores of predicted canvases `outputs` [N, L] against the problems and their labels."""
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


def evaluate_model(task: Any, model: Any, data: TaskData, *, device: str = "auto",
                   batch_size: int = 256, halt_threshold: float = 0.0,
                   limit: int | None = None) -> dict[str, Any]:
    """Run a TRM on the held-out split with adaptive halting and report the scores."""
    import torch

    from trm_hub.model import resolve_device

    dev = resolve_device(device)
    model = model.to(dev).eval()
    count = len(data.test) if limit is None else min(limit, len(data.test))
    outputs, steps = [], []
    seconds = 0.0
    with torch.inference_mode():
        for lo in range(0, count, batch_size):
            x = torch.as_tensor(data.test.inputs[lo:lo + batch_size], device=dev)
            start = time.perf_counter()
            result = model.infer(x, halt_threshold=halt_threshold, adaptive=True)
            if dev.type == "cuda":
                torch.cuda.synchronize(dev)
            seconds += time.perf_counter() - start
            outputs.append(result.outputs.cpu().numpy())
            steps.append(result.steps.cpu().numpy())
    out = report(task, data.problems[:count], np.concatenate(outputs), data.test.labels[:count],
                 np.concatenate(steps), seconds)
    out.update({"device": str(dev), "batch_size": batch_size})
    return out
