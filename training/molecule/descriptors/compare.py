"""Descriptor runs beside the SMILES-only runs of the same property, split and seed.

    python training/molecule/descriptors/compare.py

Reads descriptors/*/eval.json and the matching SMILES-only records and prints validation, test
and external RMSE of both, with the descriptor forest of the same split. The SMILES-only record
of seed 0 (random split) is the eval report of the model shipped before
(shipped-eval/smiles-only/); the others are the per-seed runs (unmasked; no validation figure
was recorded for them).
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
MOLECULE = HERE.parent


def smiles_only(run: str) -> Path | None:
    """The SMILES-only record of the same property, split and seed."""
    base = run.removesuffix("-desc")
    shipped = MOLECULE / "shipped-eval" / "smiles-only" / f"{base}.json"
    if shipped.exists():
        return shipped
    path = MOLECULE / base / "eval.json"
    return path if path.exists() else None


def figures(report: dict) -> list[str]:
    external = report.get("external", {}).get("trm", {}).get("rmse")
    valid = report.get("valid_rmse")
    return ["-" if valid is None else f"{valid:.3f}", f"{report['trm']['rmse']:.3f}",
            "-" if external is None else f"{external:.3f}"]


def main() -> None:
    print("| run | validation: descriptors / SMILES only | test: descriptors / SMILES only | external: descriptors / SMILES only | descriptor forest, test (external) |")
    print("|---|---|---|---|---|")
    for path in sorted(HERE.glob("*/eval.json")):
        report = json.loads(path.read_text())
        other = smiles_only(path.parent.name)
        before = figures(json.loads(other.read_text())) if other else ["-"] * 3
        after = figures(report)
        base = report["baselines"]
        forest = f"{base['descriptor_forest_rmse']:.3f}"
        if "external" in report:
            forest += f" ({report['external']['baselines']['descriptor_forest_rmse']:.3f})"
        cells = [f"{a} / {b}" for a, b in zip(after, before)]
        print(f"| {path.parent.name} | {' | '.join(cells)} | {forest} |")


if __name__ == "__main__":
    main()
