"""Weights of a maze run as it stands: the EMA model in RUN/train_state.safetensors written out as a
checkpoint (RUN/snapshot/maze.safetensors and .json), to evaluate a run before it finishes.

Run: python training/maze/snapshot.py training/maze/rooms31
"""

import json
import sys
from pathlib import Path

from safetensors import safe_open

from trm_hub.config import ModelConfig
from trm_hub.model import TRM
from trm_hub.model.checkpoint import save_checkpoint

run = Path(sys.argv[1])
config = json.loads((run / "config.json").read_text())
state = json.loads((run / "train_state.json").read_text())
model = TRM(ModelConfig.model_validate(config["model"]))
with safe_open(str(run / "train_state.safetensors"), framework="pt") as tensors:
    weights = {k[len("ema."):]: tensors.get_tensor(k) for k in tensors.keys() if k.startswith("ema.")}
model.load_state_dict(weights)
stem = run / "snapshot" / "maze"
stem.parent.mkdir(exist_ok=True)
print(save_checkpoint(stem, model.eval(), {"task": "maze", "model_name": "maze", "train": config,
                                           "metrics": {}, "step": state["step"]}))
