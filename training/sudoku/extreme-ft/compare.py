"""The extreme-band fine-tune against the shipped 9x9 model on validation puzzles (seed 7, never the
test seed): extreme band and the held-out-only hardest band, one view and the vote of 8 views (no
checker), batches of 256 on one thread.

The run's weights as they stand are the EMA weights in its train state, written out as
`snapshot/sudoku-9x9.safetensors` first.

Run: python training/sudoku/extreme-ft/compare.py [--puzzles 100]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch
from safetensors import safe_open

from trm_hub.config import ModelConfig
from trm_hub.model import TRM
from trm_hub.model.checkpoint import save_checkpoint
from trm_hub.overrides import resolve_config
from trm_hub.registry import SHIPPED_REGISTRY, Registry
from trm_hub_plugins.sudoku.recipe import SudokuRecipe
from trm_hub_plugins.sudoku.task import SudokuTask

RUN = Path(__file__).resolve().parent


def snapshot() -> tuple[Path, int]:
    """The run's EMA weights as a checkpoint, and their step."""
    config = json.loads((RUN / "config.json").read_text())
    step = json.loads((RUN / "train_state.json").read_text())["step"]
    model = TRM(ModelConfig.model_validate(config["model"]))
    with safe_open(str(RUN / "train_state.safetensors"), framework="pt") as tensors:
        model.load_state_dict({k[len("ema."):]: tensors.get_tensor(k) for k in tensors.keys() if k.startswith("ema.")})
    (RUN / "snapshot").mkdir(exist_ok=True)
    path = save_checkpoint(RUN / "snapshot" / "sudoku-9x9", model.eval(),
                           {"task": "sudoku", "model_name": "sudoku-9x9", "train": config, "metrics": {}, "step": step})
    return Path(path), step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--puzzles", type=int, default=100)
    args = parser.parse_args()
    torch.set_num_threads(1)
    task = SudokuTask()
    fine_tuned, step = snapshot()
    models = {"shipped": Registry(SHIPPED_REGISTRY).weights_for("sudoku", "sudoku-9x9"), f"extreme-ft step {step}": fine_tuned}
    rows = []
    print("| model | views | extreme solved | hardest solved | hardest mean steps |")
    print("|---|---|---|---|---|")
    for name, path in models.items():
        model, meta = task.load_model(path, "cpu")
        for views in (1, 8):
            data = {"test_bands": ["extreme"], "test_puzzles": args.puzzles, "judge_puzzles": args.puzzles,
                    "test_seed": 7, "checked_views": 0, "views": views}
            report = task.evaluate(model, meta, resolve_config(SudokuRecipe, {"data": data}))
            hardest = report["judged"]["hardest"]
            row = {"model": name, "views": views, "extreme": report["exact_accuracy"],
                   "hardest": hardest["exact_accuracy"], "hardest_steps": hardest["mean_steps"], "puzzles": args.puzzles}
            rows.append(row)
            print(f"| {name} | {views} | {row['extreme']:.1%} | {row['hardest']:.1%} | {row['hardest_steps']:.2f} |", flush=True)
    (RUN / "compare.json").write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
