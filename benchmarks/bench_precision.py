"""float32 against bfloat16 for the shipped models on this CPU: time per problem of `TRM.infer` by
batch size, and how many output tokens (values, for regression models) agree.

Both precisions run side by side in this one process on the same inputs (the model's own held-out
problems, encoded as `Task.solve` encodes them). Medians of R repeats after one warm-up.

Run: python benchmarks/bench_precision.py [--models sudoku-9x9,maze] [--batches 1,4,16,64] [--threads 1]
         [--held-out 256]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_engine import median_time  # noqa: E402
from held_out import held_out  # noqa: E402

from trm_hub.registry import Registry  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="sudoku-9x9,maze,molecule-solubility")
    parser.add_argument("--batches", default="1,4,8,16,32,64")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--held-out", type=int, default=0, help="also answer this many held-out problems per model "
                        "in each precision and compare the answers")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"cpu capability {torch.backends.cpu.get_cpu_capability()}, threads {args.threads}, torch {torch.__version__}")
    print(f"{'model':>20} {'batch':>5} {'fp32 ms/row':>11} {'bf16 ms/row':>11} {'speed-up':>8} {'same':>7}")
    for name in args.models.split(","):
        task, problems = held_out(name, max(int(b) for b in args.batches.split(",")))
        engine, checkpoint = task.load_engine(Registry.load(), name, "cpu", "torch")
        rows = np.concatenate([np.asarray(task.encode(p, checkpoint.recipe), dtype=np.int64).reshape(-1, engine.config.seq_len)[:1]
                               for p in problems])
        model = engine.model
        for batch in (int(b) for b in args.batches.split(",")):
            x = torch.as_tensor(rows[:batch])
            fp32 = model.infer(x, adaptive=False, precision="float32")
            bf16 = model.infer(x, adaptive=False, precision="bfloat16")
            if model.config.head == "tokens":
                same = float((fp32.outputs == bf16.outputs).float().mean())
            else:
                same = float((fp32.outputs - bf16.outputs).abs().max())
            t32 = median_time(lambda: model.infer(x, adaptive=False, precision="float32"), args.repeats)
            t16 = median_time(lambda: model.infer(x, adaptive=False, precision="bfloat16"), args.repeats)
            same_text = f"{same:.4f}" if model.config.head == "tokens" else f"|d|{same:.3f}"
            print(f"{name:>20} {len(x):>5} {1000 * t32 / len(x):>11.2f} {1000 * t16 / len(x):>11.2f} "
                  f"{t32 / t16:>7.2f}x {same_text:>7}", flush=True)
    if args.held_out:
        print("\nheld-out problems through Task.solve (torch runtime, every view), float32 against bfloat16")
        print(f"{'model':>20} {'n':>5} {'fp32 solved':>11} {'bf16 solved':>11} {'same answer':>11} {'fp32 s':>7} {'bf16 s':>7}")
        for name in args.models.split(","):
            task, problems = held_out(name, args.held_out)
            out, seconds = {}, {}
            for precision in ("float32", "bfloat16"):
                os.environ["TRM_HUB_PRECISION"] = precision
                began = time.perf_counter()
                out[precision] = task.solve(problems, device="cpu", runtime="torch")
                seconds[precision] = time.perf_counter() - began
            os.environ.pop("TRM_HUB_PRECISION")
            solved = {k: sum(bool(a.verified) for a in v) for k, v in out.items()}
            pairs = list(zip(out["float32"], out["bfloat16"]))
            if hasattr(pairs[0][0].solution, "predictions"):
                gaps = [abs(p.value - q.value) for a, b in pairs
                        for p, q in zip(a.solution.predictions, b.solution.predictions)]
                same = f"|d|<={max(gaps):.3f}"
            else:
                same = sum(a.solution == b.solution for a, b in pairs)
            print(f"{name:>20} {len(problems):>5} {solved['float32']:>11} {solved['bfloat16']:>11} {same:>11} "
                  f"{seconds['float32']:>7.1f} {seconds['bfloat16']:>7.1f}", flush=True)


if __name__ == "__main__":
    main()
