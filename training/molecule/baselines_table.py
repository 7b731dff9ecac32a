"""Test RMSE of the baselines on every property, split and seed (and on the external set): the table in BASELINES.md.

    python training/molecule/baselines_table.py > /tmp/baselines.md
"""

from __future__ import annotations

import json
import sys

import numpy as np

from trm_hub_plugins.molecule.baselines import evaluate_baselines
from trm_hub_plugins.molecule.properties import PROPERTIES

SEEDS = (0, 1, 2)


def main() -> None:
    print("| Property | Split | Mean predictor (seeds 0, 1, 2) | Fingerprint forest | Descriptor forest | Fingerprint / descriptor forest, mean | External set: fingerprint / descriptor forest (mean) |")
    print("|---|---|---|---|---|---|---|")
    for name in PROPERTIES:
        for split in ("random", "scaffold"):
            results = [evaluate_baselines(name, split, seed) for seed in SEEDS]
            for result in results:
                print(json.dumps(result.to_json()), file=sys.stderr)

            def cells(key: str) -> str:
                return ", ".join(f"{getattr(r, key):.3f}" for r in results)

            def mean(key: str) -> float:
                return float(np.mean([getattr(r, key) for r in results]))

            external = "-"
            if results[0].external_size:
                external = f"{mean('external_random_forest_rmse'):.3f} / {mean('external_descriptor_forest_rmse'):.3f}"
            print(f"| {name} | {split} | {cells('mean_rmse')} | {cells('random_forest_rmse')} | "
                  f"{cells('descriptor_forest_rmse')} | {mean('random_forest_rmse'):.3f} / "
                  f"{mean('descriptor_forest_rmse'):.3f} | {external} |", flush=True)


if __name__ == "__main__":
    main()
