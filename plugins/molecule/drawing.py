"""Molecule pictures for the web page: RDKit's drawing of each molecule, with the answer's prediction below."""

from __future__ import annotations

from trm_hub import svg
from trm_hub_plugins.molecule.schema import MoleculeProblem, MoleculeSolution, Prediction

WIDTH, HEIGHT = 260, 200


def _caption(prediction: Prediction) -> list[str]:
    """The predicted value with its unit, and its uncertainty (a standard deviation) when known."""
    value = f"{prediction.property.replace('_', ' ')}: {prediction.value:.3f}"
    if prediction.uncertainty is None:
        return [f"{value} {prediction.unit}"]
    return [f"{value} \u00b1 {prediction.uncertainty:.3f} {prediction.unit}",
            "\u00b1: the model's uncertainty (one standard deviation)"]


def pictures(problem: MoleculeProblem, solution: MoleculeSolution | None = None) -> list[str]:
    """One SVG per molecule: its drawing, its SMILES and (with a solution) the predicted value."""
    from trm_hub_plugins.molecule.chem import drawing

    found = []
    for k, smiles in enumerate(problem.smiles):
        lines = [smiles] + (_caption(solution.predictions[k]) if solution is not None and k < len(solution.predictions) else [])
        body = [drawing(smiles, WIDTH, HEIGHT)]
        body += [svg.text(4, HEIGHT + 16 + 16 * i, line, font_size=12 if i < 2 else 11,
                          fill="#1d2330" if i else "#667085") for i, line in enumerate(lines)]
        found.append(svg.drawing(max(WIDTH, 7 * max(map(len, lines))), HEIGHT + 8 + 16 * len(lines), body,
                                 font_family="system-ui, sans-serif"))
    return found
