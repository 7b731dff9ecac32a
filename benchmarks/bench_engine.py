"""TRM engine throughput on CPU: training samples/s and inference problems/s, fixed vs adaptive halting.

Run: python benchmarks/bench_engine.py [--threads N] [--repeats R] [--configs small,sudoku]

Configs: `sudoku` is the paper's Sudoku size (seq 81, hidden 512, T=3, n=6, sequence-MLP), `small`
the same shape at hidden 128; `grid` is a 15x15 canvas with the grid-local mixer. Adaptive
halting needs a model that has learned when to stop, so the adaptive figures use a tiny sort
model trained here (about half a minute) and each shipped checkpoint with its held-out data.
Figures are medians of R timed repeats after one warm-up, all measured in this one run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from trm_hub.config import ModelConfig  # noqa: E402
from trm_hub.model import TRM  # noqa: E402

CONFIGS = {
    "sudoku": dict(vocab_size=11, seq_len=81, hidden_size=512, mixer="mlp", pos_encodings="none", T=3, n=6,
                   halt_max_steps=16),
    "small": dict(vocab_size=11, seq_len=81, hidden_size=128, mixer="mlp", pos_encodings="none", T=3, n=6,
                  halt_max_steps=16),
    "small-attention": dict(vocab_size=11, seq_len=81, hidden_size=128, mixer="attention", T=3, n=6,
                            halt_max_steps=16),
    "grid": dict(vocab_size=6, seq_len=225, grid=(15, 15), hidden_size=64, expansion=2.0, ffn_multiple=32,
                 mixer="conv", pos_encodings="none", T=2, n=3, halt_max_steps=16, halt_input="mean"),
}


def median_time(fn, repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def train_step_rate(model: TRM, batch: int, repeats: int) -> float:
    """Samples per second of one supervision step with backward and an AdamW update."""
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    x = torch.randint(0, model.config.vocab_size, (batch, model.config.seq_len))
    state = model.initial_state(batch)
    model.train()

    def step():
        _, logits, q = model.step(state, x)
        loss = logits.float().logsumexp(-1).mean() + q.mean()
        opt.zero_grad()
        loss.backward()
        opt.step()

    return batch / median_time(step, repeats)


def infer_rate(model: TRM, x: torch.Tensor, repeats: int, adaptive: bool, max_steps: int | None = None):
    """Problems per second of `infer` over a batch, and the mean steps it used."""
    model.eval()
    steps = []

    def run():
        steps.append(model.infer(x, adaptive=adaptive, max_steps=max_steps).steps.float().mean().item())

    return len(x) / median_time(run, repeats), steps[-1]


def synthetic(names: list[str], repeats: int) -> list[dict]:
    rows = []
    for name in names:
        model = TRM(ModelConfig(**CONFIGS[name]))
        params = sum(p.numel() for p in model.parameters())
        batch = 16 if model.config.hidden_size >= 512 else 64
        x = torch.randint(0, model.config.vocab_size, (batch, model.config.seq_len))
        train_sps = train_step_rate(model, batch, repeats)
        one_step, _ = infer_rate(model, x, repeats, adaptive=False, max_steps=1)
        rows.append({"config": name, "params": params, "batch": batch, "train_samples_per_s": round(train_sps, 1),
                     "infer_steps_per_s": round(one_step, 1),
                     "infer_problems_per_s_16_steps": round(one_step / model.config.halt_max_steps, 2)})
        print(json.dumps(rows[-1]), flush=True)
    return rows


def trained_sort(repeats: int, out: Path) -> dict:
    from tiny_tasks import SortTask, sort_config

    from trm_hub.model import load_checkpoint
    from trm_hub.train import train

    task = SortTask()
    cfg = sort_config(out_dir=str(out), log_every=10_000)
    model, _ = load_checkpoint(train(task, cfg))
    x = torch.as_tensor(task.build_dataset(cfg).test.inputs)
    fixed, fixed_steps = infer_rate(model, x, repeats, adaptive=False)
    adaptive, adaptive_steps = infer_rate(model, x, repeats, adaptive=True)
    row = {"model": "sort (trained here)", "problems": len(x), "fixed_problems_per_s": round(fixed, 1),
           "fixed_mean_steps": fixed_steps, "adaptive_problems_per_s": round(adaptive, 1),
           "adaptive_mean_steps": round(adaptive_steps, 2), "speedup": round(adaptive / fixed, 2)}
    print(json.dumps(row), flush=True)
    return row


def shipped(repeats: int, limit: int) -> list[dict]:
    """Adaptive vs fixed halting for every shipped checkpoint, on its task's held-out inputs."""
    from trm_hub.plugins import load_tasks
    from trm_hub.registry import Registry

    registry, tasks, rows = Registry.load(), load_tasks(), []
    for task_name, entry in registry.shipped.tasks.items():
        for model_name in entry.models:
            task = tasks.get(task_name)
            if task is None:
                continue
            model, meta = task.load_model(registry.weights_for(task_name, model_name), torch.device("cpu"))
            cfg = task.checkpoint(meta).recipe
            x = torch.as_tensor(task.build_dataset(cfg).test.inputs[:limit])
            fixed, fixed_steps = infer_rate(model, x, repeats, adaptive=False)
            adaptive, adaptive_steps = infer_rate(model, x, repeats, adaptive=True)
            row = {"model": model_name, "problems": len(x), "fixed_problems_per_s": round(fixed, 1),
                   "fixed_mean_steps": fixed_steps, "adaptive_problems_per_s": round(adaptive, 1),
                   "adaptive_mean_steps": round(adaptive_steps, 2), "speedup": round(adaptive / fixed, 2)}
            print(json.dumps(row), flush=True)
            rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--configs", default="small,small-attention,grid,sudoku")
    parser.add_argument("--shipped-limit", type=int, default=256, help="held-out problems per shipped model")
    parser.add_argument("--skip", default="", help="comma list of sections to skip: synthetic,sort,shipped")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    skip = set(filter(None, args.skip.split(",")))
    print(f"# torch {torch.__version__}, {args.threads} threads, median of {args.repeats}", flush=True)
    if "synthetic" not in skip:
        synthetic(args.configs.split(","), args.repeats)
    if "sort" not in skip:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            trained_sort(args.repeats, Path(tmp))
    if "shipped" not in skip:
        shipped(args.repeats, args.shipped_limit)


if __name__ == "__main__":
    main()
