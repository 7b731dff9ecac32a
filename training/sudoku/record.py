"""Ship a trained Sudoku run: copy its checkpoint into the plugin and record it in registry.yaml.

Usage: python training/sudoku/record.py FOLDER WALL_MINUTES [HALT_THRESHOLD]
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from trm_hub.files import atomic_write
from trm_hub.registry import SHIPPED_REGISTRY, Registry

WEIGHTS = Path("plugins/sudoku/weights")


def main(run: str, wall_minutes: float, threshold: float | None = None) -> None:
    """Copy `run`/<model>.safetensors, .onnx and .json into the plugin; record metrics from eval.json.

    The shipped metadata says the views eval.json was made with (`train.data.views`) and, when
    given, the inference halting threshold (`train.halt_threshold`).
    """
    folder = Path(run)
    report = json.loads((folder / "eval.json").read_text())
    name = report["model"]
    meta = json.loads((folder / f"{name}.json").read_text())
    meta["train"]["data"]["views"] = report.get("views", 1)
    if threshold is not None:
        meta["train"]["halt_threshold"] = threshold
    for suffix in (".safetensors", ".onnx"):
        source = folder / f"{name}{suffix}"
        if source.exists():
            atomic_write(WEIGHTS / source.name, lambda tmp: shutil.copyfile(source, tmp))
    atomic_write(WEIGHTS / f"{name}.json", lambda tmp: Path(tmp).write_text(json.dumps(meta, indent=1) + "\n"))
    train = meta["train"]
    m = train["model"]
    metrics = {
        "held_out_puzzles": report["count"],
        "exact_accuracy": round(report["exact_accuracy"], 4),
        "cell_accuracy": round(report["cell_accuracy"], 4),
        "views": report.get("views", 1),
        "halt_threshold": train.get("halt_threshold", 0.0),
        "mean_steps": round(report["mean_steps"], 3),
        "exact_accuracy_by_band": {b: round(g["exact_accuracy"], 4) for b, g in report["bands"].items()},
        "train_steps": meta["step"],
        "train_wall_minutes": wall_minutes,
    }
    if report.get("checked_views"):
        metrics["checked_views"] = report["checked_views"]
        metrics["vote_exact_accuracy"] = round(report["voted"]["exact_accuracy"], 4)
    hardest = (report.get("judged") or {}).get("hardest")
    if hardest:
        metrics["hardest_band_exact_accuracy"] = round(hardest["exact_accuracy"], 4)
        if "voted" in hardest:
            metrics["hardest_band_vote_exact_accuracy"] = round(hardest["voted"], 4)
    notes = (
        f"cpu preset: {m['mixer']} mixer, hidden {m['hidden_size']}, T={m['T']}, n={m['n']}, "
        f"{meta['step']} steps of batch {train['batch_size']} on one CPU core; see training/sudoku/{name}"
    )
    entry = Registry.load().record(
        "sudoku", name, WEIGHTS / f"{name}.safetensors", metrics=metrics, notes=notes, target=SHIPPED_REGISTRY
    )
    print(name, entry.weights, metrics)


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]), float(sys.argv[3]) if len(sys.argv) > 3 else None)
