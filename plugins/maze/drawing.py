"""The maze picture for the web page: walls, open cells, S, G and the answer's path."""

from __future__ import annotations

from trm_hub import svg
from trm_hub_plugins.maze.schema import MazeProblem, MazeSolution

MAX_SIDE = 640  # pixels of the longer side at most
COLOURS = {"wall": "#273142", "path": "#ffb020", "start": "#12b76a", "goal": "#f04438"}


def picture(problem: MazeProblem, solution: MazeSolution | None = None) -> str:
    """The maze (and the answer's path, when given) as one SVG, with a legend below it."""
    cell = max(4, min(18, MAX_SIDE // max(problem.height, problem.width)))
    width, height = problem.width * cell, problem.height * cell
    parts = [svg.rect(0, 0, width, height, fill="#fff", stroke=COLOURS["wall"])]
    for r, row in enumerate(problem.grid):
        parts += [svg.rect(c * cell, r * cell, cell, cell, class_="wall", fill=COLOURS["wall"])
                  for c, wall in enumerate(row) if wall]
    ends = {tuple(problem.start): "start", tuple(problem.goal): "goal"}
    for r, c in solution.path if solution is not None else []:
        if (r, c) not in ends and 0 <= r < problem.height and 0 <= c < problem.width:
            parts.append(svg.rect(c * cell, r * cell, cell, cell, class_="path", fill=COLOURS["path"]))
    for (r, c), kind in ends.items():
        parts.append(svg.rect(c * cell, r * cell, cell, cell, class_=kind, fill=COLOURS[kind]))
        if cell >= 10:
            parts.append(svg.text((c + 0.5) * cell, (r + 0.78) * cell, kind[0].upper(), text_anchor="middle",
                                  font_size=cell * 0.7, fill="#fff"))
    legend = [("start", "start"), ("goal", "goal"), ("wall", "wall")] + ([("path", "path")] if solution else [])
    x = 0
    for kind, name in legend:
        parts += [svg.rect(x, height + 8, 12, 12, fill=COLOURS[kind]),
                  svg.text(x + 16, height + 18, name, font_size=12, fill="#667085")]
        x += 24 + 7 * len(name)
    return svg.drawing(max(width, x) + 2, height + 26, f'<g transform="translate(1 1)">{"".join(parts)}</g>',
                       font_family="system-ui, sans-serif")
