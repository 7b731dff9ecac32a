"""Rows per CPU pass: milliseconds per row of one supervision step by how many rows share the pass,
for the shipped models' step graphs (onnxruntime) and the torch TRM, one thread.

A pass's activations are rows x length x hidden floats; once they outgrow the core's cache a row
costs more, so answering a large batch in one pass can cost more per problem than answering one
alone. Medians of R repeats after one warm-up, every size side by side in this one run.

Run: python benchmarks/bench_rows.py [--models sudoku-9x9,maze] [--rows 1,2,4,...] [--repeats 5]
"""

from __future__ import annotations

import argparse
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
            rows = np.concatenate([np.asarray(task.encode(p, checkpoint.recipe), dtype=np.int64).reshape(-1, length)[:1] for p in problems])
            while len(rows) < max(sizes):
                rows = np.concatenate([rows, rows])
            hidden = engine.config.hidden_size
            costs = {}
            for n in sizes:
                x = rows[:n]
                if runtime == "onnx":
                    y, z = engine.initial_state(n, length)
                    costs[n] = median_time(lambda: engine.step(y, z, x, None), args.repeats) / n
                else:
                    model = engine.model
                    state = model.initial_state(n, length=length)
                    xt = torch.as_tensor(x)
                    with torch.inference_mode():
                        costs[n] = median_time(lambda: model.step(state, xt), args.repeats) / n
            best = min(costs, key=costs.get)
            cells = "  ".join(f"{n}:{1000 * c:.2f}{'*' if n == best else ''}" for n, c in costs.items())
            mib = best * length * hidden * 4 / 2**20
            print(f"{name:>20} {runtime:>5}  {cells}   (best {best} rows: {mib:.1f} MiB of state per tensor)", flush=True)


if __name__ == "__main__":
    main()
