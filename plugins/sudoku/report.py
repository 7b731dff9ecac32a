"""Evaluation report helpers: accuracy per band and per number of givens, solver vs TRM timing."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from trm_hub_plugins.sudoku.generate import BANDS, band_for
from trm_hub_plugins.sudoku.geometry import geometry
from trm_hub_plugins.sudoku.recipe import model_name_for_size
from trm_hub_plugins.sudoku.solver import solve
from trm_hub_plugins.sudoku.tokens import to_digits


def valid_completions(puzzles: np.ndarray, grids: np.ndarray, n: int) -> np.ndarray:
    """Per row: is `grids` [..., N, n*n] a complete valid grid keeping every given of `puzzles` [N, n*n]?"""
    puzzles = np.asarray(puzzles, dtype=np.int64)
    grids = np.asarray(grids, dtype=np.int64)
    units = np.asarray(geometry(n).units)
    values = np.sort(grids[..., units], axis=-1)
    units_ok = (values == np.arange(1, n + 1)).all(axis=(-2, -1))
    givens_ok = ((puzzles == 0) | (puzzles == grids)).all(axis=-1)
    return units_ok & givens_ok


def time_exact_solver(puzzles: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Seconds the exact solver takes to solve each puzzle, and the guesses of a full search."""
    seconds = np.zeros(len(puzzles))
    guesses = np.zeros(len(puzzles), dtype=np.int64)
    for i, p in enumerate(np.asarray(puzzles, dtype=np.int64).tolist()):
        start = time.perf_counter()
        solve(p, n, limit=1)
        seconds[i] = time.perf_counter() - start
        guesses[i] = solve(p, n, limit=2).guesses
    return seconds, guesses


def _group(mask: np.ndarray, exact: np.ndarray, cells: np.ndarray, steps: np.ndarray | None, givens: np.ndarray) -> dict[str, Any]:
    count = int(mask.sum())
    if not count:
        return {"count": 0}
    return {
        "count": count,
        "exact_accuracy": float(exact[mask].mean()),
        "cell_accuracy": float(np.nanmean(cells[mask])),
        "mean_steps": None if steps is None else float(steps[mask].mean()),
        "mean_givens": float(givens[mask].mean()),
    }


def sudoku_report(
    n: int,
    puzzles: np.ndarray,
    solutions: np.ndarray,
    predicted_tokens: np.ndarray,
    steps: np.ndarray | None,
    trm_seconds: float,
    *,
    solver_seconds: np.ndarray | None = None,
    solver_guesses: np.ndarray | None = None,
    device: str = "cpu",
    batch_size: int | None = None,
    bands: np.ndarray | None = None,
) -> dict[str, Any]:
    """The eval report of one size: plug in the TRM's predicted tokens, steps and total batched time.

    `puzzles`/`solutions` are digits [N, n*n] (0 = blank). The exact solver is timed here unless
    its per-puzzle seconds and guesses are given. A puzzle counts as solved when the answer (givens
    kept) is a valid completion; cell accuracy is over the blank cells. Puzzles are grouped by
    their `bands` where given (generated sets know theirs), else by givens and solver guesses.
    """
    puzzles = np.asarray(puzzles, dtype=np.int64)
    solutions = np.asarray(solutions, dtype=np.int64)
    predicted = to_digits(np.asarray(predicted_tokens), n)
    grids = np.where(puzzles > 0, puzzles, predicted)
    exact = valid_completions(puzzles, grids, n)
    blank = puzzles == 0
    with np.errstate(invalid="ignore", divide="ignore"):
        cells = ((grids == solutions) & blank).sum(1) / blank.sum(1)
    if solver_seconds is None or solver_guesses is None:
        solver_seconds, solver_guesses = time_exact_solver(puzzles, n)
    givens = (puzzles > 0).sum(1)
    steps_arr = None if steps is None else np.asarray(steps, dtype=np.float64)
    if bands is None:
        bands = np.array([band_for(n, int(g), int(q)) or "other" for g, q in zip(givens, solver_guesses)])
    everything = np.ones(len(puzzles), dtype=bool)
    report: dict[str, Any] = {
        "model": model_name_for_size(n),
        "size": n,
        **_group(everything, exact, cells, steps_arr, givens),
        "bands": {},
        "givens": {},
    }
    for name in [*BANDS[n], "other"]:
        mask = bands == name
        if mask.any():
            report["bands"][name] = _group(mask, exact, cells, steps_arr, givens)
    for g in sorted(set(givens.tolist())):
        report["givens"][str(g)] = _group(givens == g, exact, cells, steps_arr, givens)
    count = max(len(puzzles), 1)
    report["timing"] = {
        "solver_ms_per_puzzle": float(np.mean(solver_seconds) * 1000) if len(puzzles) else None,
        "solver": "exact bitmask solver, pure Python, one core, one puzzle at a time",
        "trm_ms_per_puzzle": trm_seconds * 1000 / count,
        "trm_device": device,
        "trm_batch_size": batch_size,
    }
    return report


def _row(label: str, g: dict[str, Any]) -> str:
    steps = "-" if g.get("mean_steps") is None else f"{g['mean_steps']:.2f}"
    return (
        f"{label:<10}{g['count']:>7}{g['exact_accuracy'] * 100:>9.2f}%{g['cell_accuracy'] * 100:>9.2f}%"
        f"{steps:>8}{g['mean_givens']:>8.1f}"
    )


def format_report(report: dict[str, Any]) -> str:
    """The report as a plain-text table."""
    head = f"{'':<10}{'count':>7}{'exact':>10}{'cells':>10}{'steps':>8}{'givens':>8}"
    lines = [f"{report['model']}: held-out puzzles", head, _row("all", report)]
    lines += [_row(name, g) for name, g in report["bands"].items()]
    lines += ["", "by number of givens", head]
    lines += [_row(g, v) for g, v in report["givens"].items()]
    t = report["timing"]
    batch = f", batch {t['trm_batch_size']}" if t.get("trm_batch_size") else ""
    batch += f", {report['views']} views" if report.get("views", 1) > 1 else ""
    batch += f", checker over up to {report['checked_views']} views" if report.get("checked_views") else ""
    lines += [
        "",
        f"time per puzzle: exact solver {t['solver_ms_per_puzzle']:.3f} ms (one core), "
        f"TRM {t['trm_ms_per_puzzle']:.3f} ms ({t['trm_device']}{batch})",
    ]
    for name, g in report.get("judged", {}).items():
        own_pick = f"; model's own pick (vote, no checker) {g['voted'] * 100:.2f}%" if "voted" in g else ""
        lines += ["", f"{name} band ({g['count']} held-out puzzles, never trained on; {g['mean_givens']:.1f} givens "
                      f"on average): {g['exact_accuracy'] * 100:.2f}% solved, {g['cell_accuracy'] * 100:.2f}% of cells, "
                      f"{g['mean_steps']:.2f} steps, TRM {g['trm_ms_per_puzzle']:.3f} ms per puzzle, exact solver "
                      f"{g['solver_ms_per_puzzle']:.3f} ms{own_pick}"]
    if "voted" in report:
        voted = report["voted"]
        bands = ", ".join(f"{name} {value * 100:.2f}%" for name, value in voted["bands"].items())
        lines.append(f"model's own pick (vote of {report['views']} views, no checker): "
                     f"{voted['exact_accuracy'] * 100:.2f}% ({bands}), TRM {voted['trm_ms_per_puzzle']:.3f} ms per puzzle")
    return "\n".join(lines)
