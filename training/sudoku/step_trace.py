"""Record, for validation puzzles, whether each view's answer is a valid grid after every supervision step.

    python training/sudoku/step_trace.py --band hardest --puzzles 100 --views 32 --steps 16 \
        [--weights CHECKPOINT] --out training/sudoku/step_trace/hardest.npz

Validation puzzles only (seed 7, never the test seed, never a published collection). Each puzzle is
answered in `views` views (view 0 as given, the others the random transforms the shipped default
makes), every view run for `steps` supervision steps with no halting, on onnxruntime's step graph.
Saved per (view, puzzle, step): valid (the answer, mapped back, is a complete valid grid keeping the
givens) and q_halt. Because a view's trajectory does not depend on when it stops, any answering
policy that only starts and stops views (waves, step limits, halting thresholds, the checker after
every step) can be replayed exactly from this record: `step_policy.py`.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from trm_hub.registry import SHIPPED_REGISTRY, Registry
from trm_hub.runtime.onnx_engine import OnnxEngine
from trm_hub.runtime import read_meta
from trm_hub_plugins.sudoku.augment import apply_maps, undo_maps
from trm_hub_plugins.sudoku.data import held_out_set
from trm_hub_plugins.sudoku.tokens import to_tokens
from trm_hub_plugins.sudoku.views import valid_grids, view_maps

ROWS = 64


def trace(engine: OnnxEngine, given: np.ndarray, views: int, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """valid [views, B, steps] and q_halt [views, B, steps] of every view of puzzles `given` [B, 81]."""
    cells, digits = view_maps(given, views)
    batch = len(given)
    stacked = np.concatenate([apply_maps(given, cells[v], digits[v]) for v in range(views)])
    valid = np.zeros((views * batch, steps), dtype=bool)
    q_halt = np.zeros((views * batch, steps), dtype=np.float32)
    for start in range(0, len(stacked), ROWS):
        part = slice(start, start + ROWS)
        tokens = np.ascontiguousarray(stacked[part], dtype=np.int64)
        y, z = engine.initial_state(len(tokens), tokens.shape[1])
        rows = np.arange(len(stacked))[part]
        view, puzzle = rows // batch, rows % batch
        for k in range(steps):
            y, z, out, q = engine.step(y, z, tokens, None)
            back = undo_maps(out, cells[view, puzzle], digits[view, puzzle])
            valid[part, k] = valid_grids(given[puzzle], back)
            q_halt[part, k] = q
    return valid.reshape(views, batch, steps), q_halt.reshape(views, batch, steps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--band", default="hardest")
    parser.add_argument("--puzzles", type=int, default=100)
    parser.add_argument("--views", type=int, default=32)
    parser.add_argument("--steps", type=int, default=16)
    parser.add_argument("--seed", type=int, default=7, help="validation seed (never 0, the test seed)")
    parser.add_argument("--weights", type=Path, default=None, help="checkpoint (default: the shipped 9x9); its .onnx beside it")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    if args.seed == 0:
        parser.error("seed 0 is the test seed: choose settings on validation puzzles")
    weights = args.weights or Registry(SHIPPED_REGISTRY).weights_for("sudoku", "sudoku-9x9")
    engine = OnnxEngine.from_checkpoint(weights.with_suffix(".onnx"), weights, read_meta(weights))
    puzzles = held_out_set(9, [args.band], args.puzzles, workers=2, seed=args.seed)
    given = to_tokens(puzzles.puzzles)
    began = time.perf_counter()
    valid, q_halt = trace(engine, given, args.views, args.steps)
    seconds = time.perf_counter() - began
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, valid=valid, q_halt=q_halt, guesses=puzzles.guesses,
                        seconds_per_view_step=seconds / (args.views * len(given) * args.steps))
    final = valid[:, :, -1]
    print(f"{args.band}: {len(given)} puzzles, {args.views} views, {args.steps} steps, {seconds:.0f} s; "
          f"views valid at step {min(8, args.steps)} {valid[:, :, min(7, args.steps - 1)].mean():.1%}, at step {args.steps} {final.mean():.1%}; "
          f"puzzles with a valid view at any step {valid.any(axis=(0, 2)).mean():.1%}")


if __name__ == "__main__":
    main()
