"""Collect training/molecule/*/eval.json into summary.md: test RMSE per property, split and seed beside the baselines."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def _cell(values: list[float]) -> str:
    if not values:
        return "-"
    text = ", ".join(f"{v:.3f}" for v in values)
    return f"{text} (mean {np.mean(values):.3f})" if len(values) > 1 else text


def main() -> None:
    rows: dict[tuple[str, str], list[dict]] = {}
    for path in sorted(HERE.glob("*/eval.json")):
        report = json.loads(path.read_text())
        report["run"] = path.parent.name
        rows.setdefault((report["property"], report["split"]), []).append(report)
    lines = [
        "# Molecule models: test RMSE by property, split and seed",
        "",
        "Each run's `eval.json` (written by `record.py`); the baselines are fitted on the same split",
        "and seed (random forest: 300 trees on 2048-bit Morgan fingerprints, radius 2).",
        "",
        "| Property | Split | Seeds | TRM | Random forest | Mean predictor | Runs |",
        "|---|---|---|---|---|---|---|",
    ]
    for (prop, split), reports in sorted(rows.items()):
        reports.sort(key=lambda r: r["split_seed"])
        unit = reports[0]["unit"]
        lines.append(
            f"| {prop} ({unit}) | {split} | {', '.join(str(r['split_seed']) for r in reports)} | "
            f"{_cell([r['trm']['rmse'] for r in reports])} | "
            f"{_cell([r['baselines']['random_forest_rmse'] for r in reports])} | "
            f"{_cell([r['baselines']['mean_rmse'] for r in reports])} | "
            f"{', '.join(r['run'] for r in reports)} |"
        )
    (HERE / "summary.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
