"""The Sudoku picture for the web page: the grid, givens bold, the model's digits in blue."""

from __future__ import annotations

from trm_hub import svg
from trm_hub_plugins.sudoku.schema import SudokuProblem, SudokuSolution

CELL = 40
INK, FILLED, GIVEN_BACK = "#1d2330", "#2e5bff", "#eef1f6"


def picture(problem: SudokuProblem, solution: SudokuSolution | None = None) -> str:
    """The puzzle (and the answer's digits, when given) as one SVG grid with its boxes marked."""
    n, (box_rows, box_cols) = problem.n, problem.box
    side = n * CELL
    parts = []
    for r in range(n):
        for c in range(n):
            given = problem.grid[r][c]
            value = given or (solution.grid[r][c] if solution is not None else 0)
            parts.append(svg.rect(c * CELL, r * CELL, CELL, CELL, fill=GIVEN_BACK if given else "#fff",
                                  stroke="#c9ced6"))
            if value:
                parts.append(svg.text((c + 0.5) * CELL, (r + 0.72) * CELL, str(value), text_anchor="middle",
                                      font_size=CELL * 0.55, class_="given" if given else "filled",
                                      fill=INK if given else FILLED, font_weight=700 if given else None))
    for k in range(0, n + 1):
        if k % box_cols == 0:
            parts.append(svg.line(k * CELL, 0, k * CELL, side, stroke=INK, stroke_width=2.5))
        if k % box_rows == 0:
            parts.append(svg.line(0, k * CELL, side, k * CELL, stroke=INK, stroke_width=2.5))
    parts.append(svg.text(0, side + 20, "bold: given" + ("; blue: filled in by the model" if solution else ""),
                          font_size=12, fill="#667085"))
    return svg.drawing(side + 2, side + 28, f'<g transform="translate(1 1)">{"".join(parts)}</g>',
                       font_family="system-ui, sans-serif")
