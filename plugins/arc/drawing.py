"""ARC pictures for the web page: each demonstration pair, and each test input beside the answer's attempts."""

from __future__ import annotations

from trm_hub import svg
from trm_hub_plugins.arc.schema import ArcProblem, ArcSolution, Grid

COLOURS = ("#000000", "#0074D9", "#FF4136", "#2ECC40", "#FFDC00", "#AAAAAA", "#F012BE", "#FF851B", "#7FDBFF", "#870C25")
CELL, GAP, CAPTION = 14, 28, 18


def _grid(grid: Grid, x: float) -> tuple[list[str], float, float]:
    """One grid's cells from x; its elements, width and height."""
    rows, cols = len(grid), len(grid[0]) if grid else 0
    parts = [svg.rect(x, 0, cols * CELL, rows * CELL, fill="#555")]
    parts += [svg.rect(x + c * CELL + 0.5, r * CELL + 0.5, CELL - 1, CELL - 1, fill=COLOURS[v % len(COLOURS)])
              for r, row in enumerate(grid) for c, v in enumerate(row)]
    return parts, cols * CELL, rows * CELL


def _row(grids: list[tuple[Grid | None, str]]) -> str:
    """Grids side by side with their captions, an arrow after the first."""
    parts: list[str] = []
    x = tallest = 0.0
    for k, (grid, caption) in enumerate(grids):
        if k == 1:
            parts.append(svg.text(x - GAP / 2, 4 * CELL / 2, "\u2192", text_anchor="middle", font_size=20, fill="#667085"))
        drawn, width, height = _grid(grid, x) if grid is not None else ([], 8 * CELL, 0.0)
        parts += drawn + [svg.text(x, height + 14, caption, font_size=12, fill="#667085")]
        x += max(width, 7 * len(caption)) + GAP
        tallest = max(tallest, height)
    return svg.drawing(x, tallest + CAPTION + 4, parts, font_family="system-ui, sans-serif")


def pictures(problem: ArcProblem, solution: ArcSolution | None = None) -> list[str]:
    """One SVG per demonstration pair, then one per test input with its attempts (and expected output)."""
    found = [_row([(pair.input, f"input {i + 1}"), (pair.output, "output")]) for i, pair in enumerate(problem.train)]
    for i, item in enumerate(problem.test):
        row: list[tuple[Grid | None, str]] = [(item.input, f"test {i + 1}")]
        if solution is not None:
            attempts = solution.attempts[i] if i < len(solution.attempts) else []
            votes = (solution.votes or [])[i] if solution.votes and i < len(solution.votes) else []
            row += [(grid, f"attempt {k + 1}" + (f" ({votes[k]} votes)" if k < len(votes) else ""))
                    for k, grid in enumerate(attempts)] or [(None, "no attempt")]
        if item.output is not None:
            row.append((item.output, "expected"))
        found.append(_row(row))
    return found
