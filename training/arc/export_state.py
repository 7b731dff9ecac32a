"""Write a run's last saved state (EMA weights) as a checkpoint, for a run stopped before its last step."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from safetensors.torch import load_file

from trm_hub.config import ModelConfig
from trm_hub.model import TRM, save_checkpoint
from trm_hub_plugins.arc.task import ArcTask


def main(run: str) -> None:
    """runs/arc/<run>/train_state.* -> runs/arc/<run>/arc.safetensors + arc.json (step = the saved step)."""
    folder = Path(run)
    state = json.loads((folder / "train_state.json").read_text())
    cfg = state["config"]
    tensors = load_file(str(folder / "train_state.safetensors"))
    model = TRM(ModelConfig.model_validate(cfg["model"]))
    prefix = "ema." if cfg.get("ema", True) else "model."
    model.load_state_dict({k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)})
    task = ArcTask()
    meta = {"task": task.name, "task_version": task.version, "model_name": "arc",
            "train": {**cfg, "steps": state["step"]}, "metrics": {}, "step": state["step"],
            "stopped_at_step": state["step"], "planned_steps": cfg["steps"]}
    print(save_checkpoint(folder / "arc", model, meta))


if __name__ == "__main__":
    main(sys.argv[1])
