"""Fit a shipped molecule model's uncertainty calibration on its validation part and record it in its JSON.

    python training/molecule/calibrate.py [MODEL ...]     # default: every shipped molecule model

writes `calibration` (spread_scale, floor, distance_scale, fitted_on) into plugins/molecule/weights/<model>.json
and re-records the model in the shipped registry.yaml (its metrics kept) with the new sha256.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from trm_hub.files import atomic_write_text
from trm_hub.model import load_checkpoint
from trm_hub.registry import SHIPPED_REGISTRY, Registry
from trm_hub_plugins.molecule.calibration import META_KEY
from trm_hub_plugins.molecule.evaluation import validation_calibration
from trm_hub_plugins.molecule.properties import PROPERTIES

ROOT = Path(__file__).resolve().parents[2]
WEIGHTS = ROOT / "plugins/molecule/weights"


def write_calibration(weights: Path, calibration: dict) -> dict:
    """Write a calibration into the JSON beside the checkpoint at `weights`."""
    config = weights.with_suffix(".json")
    saved = json.loads(config.read_text())
    saved[META_KEY] = calibration
    atomic_write_text(config, json.dumps(saved, indent=1) + "\n")
    return calibration


def calibrate(weights: Path) -> dict:
    """Fit the calibration of the checkpoint at `weights` on its validation part and write it into its JSON."""
    model, meta = load_checkpoint(weights, "cpu")
    return write_calibration(weights, validation_calibration(model, meta).to_json())


def main(names: list[str]) -> None:
    registry = Registry.load()
    for name in names or [f"molecule-{p}" for p in PROPERTIES]:
        weights = WEIGHTS / f"{name}.safetensors"
        metrics = registry.shipped.tasks["molecule"].models[name].metrics
        print(name, calibrate(weights))
        registry.record("molecule", name, weights, metrics=metrics, target=SHIPPED_REGISTRY)


if __name__ == "__main__":
    main(sys.argv[1:])
