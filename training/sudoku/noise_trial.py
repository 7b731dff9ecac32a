"""Noisy trajectories against views, on validation puzzles (seed 7, never the test seed).

    python training/sudoku/noise_trial.py [--bands extreme,hardest] [--puzzles 100] [--views 16]
        [--sigmas 0,0.1,0.3,0.5] [--steps 8,16] [--out training/sudoku/noise_trial/trial.json]

Each puzzle is answered in `views` views (view 0 as given, the others random transforms, as the
shipped default makes them); with sigma > 0 Gaussian noise of that scale is added to the latent z
after every supervision step (the probabilistic TRM's perturbation), so each view is also a
different trajectory. Halting as shipped (threshold 2), at most `steps` supervision steps.
Per setting: the share of (puzzle, view) answers that are valid grids, the share of puzzles with
a valid grid among their first 1, 2, 4, ... views (what the checker would keep), the vote, and
seconds per puzzle (one thread, 64 rows per pass).
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path

import numpy as np
import torch

from trm_hub.registry import SHIPPED_REGISTRY, Registry
from trm_hub_plugins.sudoku.augment import apply_maps, undo_maps
from trm_hub_plugins.sudoku.data import held_out_set
from trm_hub_plugins.sudoku.task import SudokuTask
from trm_hub_plugins.sudoku.tokens import to_tokens
from trm_hub_plugins.sudoku.views import valid_grids, view_maps

OUT = Path(__file__).with_name("noise_trial") / "trial.json"
ROWS = 64


@torch.inference_mode()
def noisy_infer(model, inputs: torch.Tensor, sigma: float, max_steps: int, threshold: float, seed: int) -> torch.Tensor:
    """`TRM.infer`'s halting loop with noise of scale `sigma` added to z after every step."""
    gen = torch.Generator().manual_seed(seed)
    b = inputs.shape[0]
    outputs = torch.zeros_like(inputs)
    active = torch.arange(b)
    state = model.initial_state(b)
    for k in range(max_steps):
        state, out, q = model.step(state, inputs[active])
        done = (q > threshold) | (k == max_steps - 1)
        outputs[active[done]] = out.argmax(-1)[done]
        if bool(done.all()):
            break
        keep = ~done
        active, state = active[keep], state[keep]
        if sigma:
            state = type(state)(state.y, state.z + sigma * torch.randn(state.z.shape, generator=gen))
    return outputs


def answer(model, given: np.ndarray, views: int, sigma: float, steps: int) -> tuple[np.ndarray, float]:
    """Answers [views, B, 81] in the given frame, and seconds taken."""
    cells, digits = view_maps(given, views)
    stacked = np.concatenate([apply_maps(given, cells[v], digits[v]) for v in range(views)])
    began = time.perf_counter()
    parts = [noisy_infer(model, torch.as_tensor(stacked[i:i + ROWS]), sigma, steps, 2.0, seed=i)
             for i in range(0, len(stacked), ROWS)]
    seconds = time.perf_counter() - began
    out = torch.cat(parts).numpy().reshape(views, len(given), -1)
    return np.stack([undo_maps(out[v], cells[v], digits[v]) for v in range(views)]), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bands", default="extreme,hardest")
    parser.add_argument("--puzzles", type=int, default=100)
    parser.add_argument("--views", type=int, default=16)
    parser.add_argument("--sigmas", default="0,0.1,0.3,0.5")
    parser.add_argument("--steps", default="8,16")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    torch.set_num_threads(1)
    model, _ = SudokuTask().load_model(Registry(SHIPPED_REGISTRY).weights_for("sudoku", "sudoku-9x9"), "cpu")
    rows = []
    print("| band | sigma | steps | views valid | any valid of 1 / 2 / 4 / ... views | vote right | s/puzzle |")
    print("|---|---|---|---|---|---|---|")
    for band in args.bands.split(","):
        puzzles = held_out_set(9, [band], args.puzzles, seed=7)
        given = to_tokens(puzzles.puzzles)
        for steps in [int(s) for s in args.steps.split(",")]:
            for sigma in [float(s) for s in args.sigmas.split(",")]:
                answers, seconds = answer(model, given, args.views, sigma, steps)
                valid = valid_grids(given, answers)
                prefix = [2 ** i for i in range(int(np.log2(args.views)) + 1)]
                any_valid = {k: float(valid[:k].any(axis=0).mean()) for k in prefix}
                votes = []
                for i in range(len(given)):
                    keys = [a.tobytes() for a in answers[:, i]]
                    best = Counter(keys).most_common(1)[0][0]
                    votes.append(bool(valid[keys.index(best), i]))
                row = {"band": band, "sigma": sigma, "steps": steps, "views": args.views, "puzzles": len(given),
                       "views_valid": float(valid.mean()), "any_valid": any_valid, "vote": float(np.mean(votes)),
                       "seconds_per_puzzle": seconds / len(given)}
                rows.append(row)
                print(f"| {band} | {sigma} | {steps} | {row['views_valid']:.1%} | "
                      f"{' / '.join(f'{v:.0%}' for v in any_valid.values())} | {row['vote']:.0%} | "
                      f"{row['seconds_per_puzzle']:.3f} |", flush=True)
    args.out.write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
