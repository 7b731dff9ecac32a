"""Copy the trained maze checkpoint into the plugin and record it in the shipped registry."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from trm_hub.registry import Registry

ROOT = Path(__file__).resolve().parents[2]
RUN = ROOT / "runs" / "maze" / "maze"
WEIGHTS = ROOT / "plugins" / "maze" / "weights"


def main() -> None:
    """Ship runs/maze/maze/maze.* as plugins/maze/weights/maze.* with the eval figures."""
    WEIGHTS.mkdir(exist_ok=True)
    for suffix in (".safetensors", ".json"):
        shutil.copy2(RUN / f"maze{suffix}", WEIGHTS / f"maze{suffix}")
    rep = json.loads((ROOT / "training" / "maze" / "eval.json").read_text())
    size = f"{rep['canvas']}x{rep['canvas']}"
    metrics = {
        "held_out_mazes": rep["n"],
        "solved": round(rep["solved"], 4),
        "exact": round(rep["exact"], 4),
        f"solved_{size}": round(rep["per_size"][size]["solved"], 4),
        "mean_steps": round(rep["mean_steps"], 3),
        "trm_ms_per_maze": round(rep["trm_ms_per_maze"], 3),
        "bfs_ms_per_maze": round(rep["bfs_ms_per_maze"], 4),
    }
    registry = Registry.load()
    entry = registry.record("maze", "maze", WEIGHTS / "maze.safetensors", metrics=metrics,
                            notes="cpu preset, canvas 15; training/maze/ holds the run record",
                            target=registry.shipped_path)
    print(entry.model_dump_json(indent=1))


if __name__ == "__main__":
    main()
