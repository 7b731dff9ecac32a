"""Per problem, does answering a batch cost more than answering each problem alone?

Through `Task.solve` with the default (onnxruntime) engine and each model's default views: seconds
per problem answering P held-out problems one at a time against all P in one call, with the
engine's cache-sized passes spread over the cores, and, side by side in this run, with the whole
batch in one pass (the engine before passes were sized by the cache). Medians of R repeats.

Run: python benchmarks/bench_batch.py [--models maze,sudoku-9x9] [--problems 64] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_engine import median_time  # noqa: E402
from held_out import held_out  # noqa: E402

from trm_hub.registry import Registry  # noqa: E402
from trm_hub.runtime.onnx_engine import OnnxEngine  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="maze,sudoku-9x9,sudoku-6x6,molecule-solubility")
    parser.add_argument("--problems", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    by_cache = OnnxEngine.rows_per_pass
    print(f"ms per problem, {args.problems} held-out problems; cores {len(os.sched_getaffinity(0))}")
    print(f"{'model':>20} {'alone':>8} {'batch':>8} {'batch/alone':>11} {'one-pass batch':>14} {'rows/pass':>9}")
    for name in args.models.split(","):
        task, problems = held_out(name, args.problems)
        task.solve(problems[:1], device="cpu")
        alone = median_time(lambda: [task.solve([p], device="cpu") for p in problems], args.repeats) / len(problems)
        batch = median_time(lambda: task.solve(problems, device="cpu"), args.repeats) / len(problems)
        OnnxEngine.rows_per_pass = lambda self, length: 1 << 30
        try:
            one_pass = median_time(lambda: task.solve(problems, device="cpu"), args.repeats) / len(problems)
        finally:
            OnnxEngine.rows_per_pass = by_cache
        engine, _ = task.load_engine(Registry.load(), name, "cpu")
        passes = engine.rows_per_pass(engine.config.seq_len) if hasattr(engine, "rows_per_pass") else "-"
        print(f"{name:>20} {1000 * alone:>8.1f} {1000 * batch:>8.1f} {batch / alone:>10.2f}x {1000 * one_pass:>14.1f} "
              f"{passes:>9}", flush=True)


if __name__ == "__main__":
    main()
