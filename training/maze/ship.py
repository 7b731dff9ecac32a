"""Copy the trained maze checkpoint into the plugin and record it in the shipped registry."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

from trm_hub.files import atomic_write
from trm_hub.registry import Registry

ROOT = Path(__file__).resolve().parents[2]
WEIGHTS = ROOT / "plugins" / "maze" / "weights"


def main(run: Path, threshold: float | None, views: int | None, own_canvas: bool, report: Path, notes: str) -> None:
    """Ship RUN/maze.* (weights, metadata and the ONNX graph when there is one) as
    plugins/maze/weights/maze.* with the figures of the eval report REPORT.

    With a threshold, the shipped metadata's `train.halt_threshold` (the inference halting
    threshold that `solve` and `eval` use) is set to it; with views, `train.data.views`; with
    own_canvas, `train.data.own_canvas`.
    """
    WEIGHTS.mkdir(exist_ok=True)
    atomic_write(WEIGHTS / "maze.safetensors", lambda tmp: shutil.copy2(run / "maze.safetensors", tmp))
    if (run / "maze.onnx").exists():
        atomic_write(WEIGHTS / "maze.onnx", lambda tmp: shutil.copy2(run / "maze.onnx", tmp))
    meta = json.loads((run / "maze.json").read_text())
    if threshold is not None:
        meta["train"]["halt_threshold"] = threshold
    if views is not None:
        meta["train"]["data"]["views"] = views
    if own_canvas:
        meta["train"]["data"]["own_canvas"] = True
    atomic_write(WEIGHTS / "maze.json", lambda tmp: Path(tmp).write_text(json.dumps(meta, indent=1) + "\n"))
    rep = json.loads(report.read_text())
    size = f"{rep['canvas']}x{rep['canvas']}"
    metrics = {
        "held_out_mazes": rep["n"],
        "solved": round(rep["solved"], 4),
        "exact": round(rep["exact"], 4),
        f"solved_{size}": round(rep["per_size"][size]["solved"], 4),
        "views": rep.get("views", 1),
        "mean_steps": round(rep["mean_steps"], 3),
        "trm_ms_per_maze": round(rep["trm_ms_per_maze"], 3),
        "bfs_ms_per_maze": round(rep["bfs_ms_per_maze"], 4),
    }
    registry = Registry.load()
    entry = registry.record("maze", "maze", WEIGHTS / "maze.safetensors", metrics=metrics,
                            notes=notes,
                            target=registry.shipped_path)
    print(entry.model_dump_json(indent=1))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("run", nargs="?", type=Path, default=ROOT / "runs" / "maze" / "maze")
    parser.add_argument("--halt-threshold", type=float, help="inference halting threshold to ship")
    parser.add_argument("--views", type=int, choices=range(1, 9), help="symmetric views to answer")
    parser.add_argument("--own-canvas", action="store_true", help="answer every maze on a canvas of its own size")
    parser.add_argument("--eval", type=Path, default=ROOT / "training" / "maze" / "eval.json",
                        help="the eval report (eval.json) whose figures the registry records")
    parser.add_argument("--notes", default="cpu preset, canvas 15; training/maze/ holds the run record")
    args = parser.parse_args()
    main(args.run, args.halt_threshold, args.views, args.own_canvas, args.eval, args.notes)
