"""A run's last saved train state written as a checkpoint, to judge a run before its last step.

Run: python -m trm_hub.train.snapshot RUN_DIR [--stem STEM] [--task TASK --model-name NAME]
writes RUN_DIR/STEM.safetensors + .json (the EMA weights when the run keeps them) and the ONNX
step graph beside them. STEM defaults to the model name and `-step<N>`; task and model name come
from the saved state (`--task`, `--model-name` for states saved before it recorded them).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from safetensors.torch import load_file

from trm_hub.config import ModelConfig
from trm_hub.errors import HubError
from trm_hub.model import TRM, save_checkpoint
from trm_hub.model.export import export_step


def snapshot(run: Path | str, stem: str | None = None, task: str | None = None,
             model_name: str | None = None) -> Path:
    """RUN/train_state.* -> RUN/STEM.safetensors, .json and .onnx; returns the weights path."""
    folder = Path(run)
    state = json.loads((folder / "train_state.json").read_text())
    cfg, step = state["config"], state["step"]
    task, name = task or state.get("task"), model_name or state.get("model_name")
    if not task or not name:
        raise HubError(f"{folder}/train_state.json names no task or model: pass --task and --model-name")
    tensors = load_file(str(folder / "train_state.safetensors"))
    prefix = "ema." if cfg.get("ema", True) else "model."
    model = TRM(ModelConfig.model_validate(cfg["model"]))
    model.load_state_dict({k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)})
    meta = {"task": task, "task_version": state.get("task_version"), "model_name": name, "train": cfg,
            "metrics": {}, "step": step, "stopped_at_step": step, "planned_steps": cfg["steps"]}
    weights = save_checkpoint(folder / (stem or f"{name}-step{step}"), model, meta)
    export_step(model, weights.with_suffix(".onnx"))
    return weights


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--stem", default=None)
    parser.add_argument("--task", default=None)
    parser.add_argument("--model-name", default=None)
    args = parser.parse_args()
    try:
        print(snapshot(args.run, args.stem, args.task, args.model_name))
    except HubError as exc:
        raise SystemExit(f"error: {exc}") from None


if __name__ == "__main__":
    main()
