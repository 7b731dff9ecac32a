"""Write the long leg's checkpoint as the shipped ARC model: weights, config (with the cpu preset's
answering settings and the measured figures), ONNX step graph; prints the registry's digests.

    python training/arc/long/ship.py runs/arc/long/arc.safetensors training/arc/long/metrics.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from trm_hub.config import answering_fields
from trm_hub.model import load_checkpoint, save_checkpoint
from trm_hub.model.export import export_step
from trm_hub.registry import sha256_of
from trm_hub_plugins.arc.recipe import CPU_PRESET, ArcData

ROOT = Path(__file__).resolve().parents[3]
SHIPPED = ROOT / "plugins/arc/weights/arc"


def main(checkpoint: str, figures: str) -> None:
    model, meta = load_checkpoint(checkpoint)
    previous = SHIPPED.with_suffix(".safetensors")
    answering = ArcData.model_validate(CPU_PRESET["data"]).model_dump(include=answering_fields(ArcData))
    data = {**meta["train"]["data"], **answering}
    before = json.loads(previous.with_suffix(".json").read_text())
    meta = {**meta, "train": {**meta["train"], "data": data},
            "continued_from": {"sha256": sha256_of(previous), "steps": before["step"]},
            "step": before["step"] + meta["step"], "metrics": json.loads(Path(figures).read_text())}
    meta.pop("stopped_at_step", None)
    meta.pop("planned_steps", None)
    weights = save_checkpoint(SHIPPED, model, meta)
    graph = export_step(model, SHIPPED.with_suffix(".onnx"))
    for name, path in (("sha256", weights), ("config_sha256", weights.with_suffix(".json")), ("onnx_sha256", graph)):
        print(f"{name}: {sha256_of(path)}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
