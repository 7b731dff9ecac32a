"""Rows per CPU pass: milliseconds per row of one supervision step by how many rows share the pass,
for the shipped models' step graphs (onnxruntime) and the torch TRM, one thread.

A pass's activations are rows x length x hidden floats; once they outgrow the core's cache a row
costs more, so answering a large batch in one pass can cost more per problem than answering one
alone. Medians of R repeats after one warm-up, every size side by side in this one run.

With --sides, a grid model (the maze's conv mixer reads any square canvas) is timed on canvases of
those sides too: the tokens of its held-out rows tiled over the larger canvas (a step's cost does
not depend on what the cells hold).

Run: python benchmarks/bench_rows.py [--models sudoku-9x9,maze] [--rows 1,2,4,...] [--repeats 5] [--sides 15,31,41]
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_engine import median_time  # noqa: E402
from held_out import held_out  # noqa: E402

from trm_hub.registry import Registry  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="sudoku-9x9,sudoku-6x6,maze,molecule-solubility")
    parser.add_argument("--rows", default="1,2,4,8,16,32,64,128,256")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--runtimes", default="onnx,torch")
    parser.add_argument("--sides", default="", help="canvas sides to time a grid model on besides its own")
    args = parser.parse_args()
    os.environ["OMP_NUM_THREADS"] = "1"
    import torch

    torch.set_num_threads(1)
    sizes = [int(r) for r in args.rows.split(",")]
    print("one thread; ms per row of one supervision step (best rows marked *)")
    for name in args.models.split(","):
        task, problems = held_out(name, max(sizes))
        for runtime in args.runtimes.split(","):
            engine, checkpoint = task.load_engine(Registry.load(), name, "cpu", runtime)
            length = engine.config.seq_len
            encoded = [np.asarray(task.encode(p, checkpoint.recipe), dtype=np.int64) for p in problems]
            rows = np.concatenate([e.reshape(-1, e.shape[-1])[:1] for e in encoded if e.shape[-1] == length])
            while len(rows) < max(sizes):
                rows = np.concatenate([rows, rows])
            grids = {length: rows[:max(sizes)]}
            side = math.isqrt(length)
            for bigger in (int(s) for s in args.sides.split(",") if s):
                if engine.config.mixer != "conv" or bigger == side:
                    continue
                board = np.tile(grids[length].reshape(-1, side, side), (1, -(-bigger // side), -(-bigger // side)))
                grids[bigger * bigger] = board[:, :bigger, :bigger].reshape(len(board), -1)
            for cells, x_all in grids.items():
                costs = {n: cost(engine, runtime, x_all[:n], cells, args.repeats) / n for n in sizes}
                best = min(costs, key=costs.get)
                shown = "  ".join(f"{n}:{1000 * c:.2f}{'*' if n == best else ''}" for n, c in costs.items())
                mib = best * cells * engine.config.hidden_size * 4 / 2**20
                label = name if cells == length else f"{name} {math.isqrt(cells)}x{math.isqrt(cells)}"
                print(f"{label:>20} {runtime:>5}  {shown}   (best {best} rows: {mib:.1f} MiB of state per tensor)",
                      flush=True)


def cost(engine, runtime: str, x: np.ndarray, length: int, repeats: int) -> float:
    """Median seconds of one supervision step of the rows x [n, length]."""
    import torch

    if runtime == "onnx":
        y, z = engine.initial_state(len(x), length)
        return median_time(lambda: engine.step(y, z, x, None), repeats)
    model = engine.model
    state = model.initial_state(len(x), length=length)
    xt = torch.as_tensor(x)
    with torch.inference_mode():
        return median_time(lambda: model.step(state, xt), repeats)

if __name__ == "__main__":
    main()
