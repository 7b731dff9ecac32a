"""Draw comparison.png: test RMSE of the TRM runs beside the fingerprint and descriptor forests, per property and split.

    python training/molecule/comparison.py

reads training/molecule/*/eval.json (one TRM run per seed) and training/molecule/baselines.jsonl
(written by `python training/molecule/baselines_table.py 2> training/molecule/baselines.jsonl`).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
PROPERTIES = ("solubility", "hydration_free_energy", "lipophilicity")
SPLITS = ("random", "scaffold")
MODELS = (("TRM", "trm"), ("fingerprint forest", "random_forest_rmse"), ("descriptor forest", "descriptor_forest_rmse"))


def collect() -> dict[tuple[str, str, str], list[float]]:
    values: dict[tuple[str, str, str], list[float]] = {}
    for path in sorted(HERE.glob("*/eval.json")):
        report = json.loads(path.read_text())
        values.setdefault((report["property"], report["split"], "trm"), []).append(report["trm"]["rmse"])
    for line in (HERE / "baselines.jsonl").read_text().splitlines():
        row = json.loads(line)
        for _, key in MODELS[1:]:
            values.setdefault((row["property"], row["split"], key), []).append(row[key])
    return values


def main() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    values = collect()
    figure, axes = plt.subplots(1, len(PROPERTIES), figsize=(12, 3.8))
    for axis, prop in zip(axes, PROPERTIES):
        for m, (label, key) in enumerate(MODELS):
            for s, split in enumerate(SPLITS):
                got = values.get((prop, split, key), [])
                if not got:
                    continue
                x = s + (m - 1) * 0.26
                axis.bar(x, np.mean(got), width=0.24, color=f"C{m}", label=label if s == 0 else None)
                axis.plot([x] * len(got), got, "k.", markersize=4)
        axis.set_xticks(range(len(SPLITS)), SPLITS)
        axis.set_title(prop)
        axis.set_ylabel("test RMSE (bars: mean of seeds; dots: seeds)")
    axes[0].legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(HERE / "comparison.png", dpi=110)
    print(f"wrote {HERE / 'comparison.png'}")


if __name__ == "__main__":
    main()
