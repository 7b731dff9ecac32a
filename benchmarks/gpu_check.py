"""Checks for a machine with an NVIDIA GPU, in one run: every shipped model answers the same
problems on CUDA as on the CPU, a bfloat16 training step learns, DDP under torchrun with NCCL
trains, and how long each model takes per problem on both devices.

Run: python benchmarks/gpu_check.py [--problems 32] [--out gpu_check.json]

Without a CUDA GPU it says so in one line and exits 0. `--device cpu` runs every check with the
CPU in the GPU's place (gloo instead of NCCL), which exercises the script itself anywhere.
Exit code 1 if a check fails; the figures are printed as a table and written as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

NCCL_WORKER = "--nccl-worker"


def candidates(task, model_name: str, count: int, seed: int = 11) -> list:
    """Valid problems of the task that its model `model_name` serves (up to 8 * count)."""
    found = []
    for raw in task.routing_examples(count * 8, seed):
        try:
            problem = task.parse(raw)
        except ValueError:
            continue
        if task.model_name(problem) == model_name:
            found.append(problem)
    return found


def answer(task, problem, device: str, registry) -> tuple[dict | None, float]:
    """One problem's answer (solution and verified; None where the model cannot take it) and wall seconds."""
    began = time.perf_counter()
    try:
        got = task.solve([problem], device=device, registry=registry)[0]
    except ValueError:
        return None, time.perf_counter() - began
    return {"solution": got.solution.model_dump(mode="json"), "verified": got.verified}, time.perf_counter() - began


def difference(a, b) -> float:
    """0 when two answers agree exactly, the largest difference of their numbers when only numbers
    differ, infinity when anything else differs."""
    if isinstance(a, float) or isinstance(b, float):
        return abs(float(a) - float(b)) if isinstance(a, (int, float)) and isinstance(b, (int, float)) else float("inf")
    if isinstance(a, dict) and isinstance(b, dict):
        return max((difference(a[k], b[k]) for k in a), default=0.0) if a.keys() == b.keys() else float("inf")
    if isinstance(a, list) and isinstance(b, list):
        return max((difference(x, y) for x, y in zip(a, b)), default=0.0) if len(a) == len(b) else float("inf")
    return 0.0 if a == b else float("inf")


def batch_seconds(task, problems: list, device: str, registry, repeats: int = 3) -> float:
    """Median wall seconds per problem when the problems are answered as one batch."""
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        task.solve(problems, device=device, registry=registry)
        times.append((time.perf_counter() - began) / len(problems))
    return statistics.median(times)


def check_answers(device: str, count: int) -> list[dict]:
    """Shipped models: CPU answers against `device` answers, solved counts and time per problem."""
    from trm_hub.plugins import load_tasks
    from trm_hub.registry import Registry

    os.environ.setdefault("TRM_HUB_ARC_TTT_SECONDS", "0")
    registry = Registry.load()
    rows = []
    for name, task in sorted(load_tasks().items()):
        for model_name in sorted(registry.entries(name)):
            problems, cpu, cpu_s = [], [], []
            for problem in candidates(task, model_name, count):
                got, seconds = answer(task, problem, "cpu", registry)
                if got is not None:
                    problems.append(problem), cpu.append(got), cpu_s.append(seconds)
                if len(problems) == count:
                    break
            if not problems:
                continue
            answer(task, problems[0], device, registry)
            gpu, gpu_s = zip(*(answer(task, problem, device, registry) for problem in problems))
            gaps = [difference(a, b) if b is not None else float("inf") for a, b in zip(cpu, gpu)]
            row = {
                "model": model_name,
                "problems": len(problems),
                "same_answers": sum(g == 0 for g in gaps) / len(problems),
                "numbers_within_0.05": sum(g <= 0.05 for g in gaps) / len(problems),
                "verified_cpu": sum(a["verified"] is True for a in cpu),
                "verified_device": sum(a is not None and a["verified"] is True for a in gpu),
                "failed_device": sum(a is None for a in gpu),
                "ms_alone_cpu": 1e3 * statistics.median(cpu_s),
                "ms_alone_device": 1e3 * statistics.median(gpu_s),
                "ms_batched_cpu": 1e3 * batch_seconds(task, problems, "cpu", registry),
                "ms_batched_device": 1e3 * batch_seconds(task, problems, device, registry),
            }
            slack = max(1, len(problems) // 20)
            row["ok"] = row["failed_device"] == 0 and row["verified_device"] >= row["verified_cpu"] - slack
            rows.append(row)
    return rows


def check_training(device: str) -> dict:
    """A tiny sort model trained on `device` (bfloat16 autocast on CUDA): its loss must fall."""
    from tiny_tasks import SortTask, sort_config
    from trm_hub.train import train

    with tempfile.TemporaryDirectory() as out:
        began = time.perf_counter()
        train(SortTask(), sort_config(out_dir=out, device=device, steps=200, log_every=10))
        logged = [json.loads(line) for line in (Path(out) / "metrics.jsonl").read_text().splitlines()]
    losses = [r["loss"] for r in logged if "loss" in r]
    ok = len(losses) >= 2 and all(map(_finite, losses)) and losses[-1] < 0.5 * losses[0]
    return {"first_loss": losses[0], "last_loss": losses[-1], "seconds": time.perf_counter() - began, "ok": ok}


def _finite(x: float) -> bool:
    return x == x and abs(x) != float("inf")


def check_ddp(device: str) -> dict:
    """torchrun with one process per GPU (two on the CPU): an all-reduce and a DDP training step."""
    import torch

    procs = min(2, torch.cuda.device_count()) if device == "cuda" else 2
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", str(procs),
               str(Path(__file__).resolve()), NCCL_WORKER, device]
    began = time.perf_counter()
    run = subprocess.run(command, capture_output=True, text=True, timeout=600)
    lines = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    ok = run.returncode == 0 and len(lines) == procs and all(line["ok"] for line in lines)
    return {"processes": procs, "backend": "nccl" if device == "cuda" else "gloo", "ok": ok,
            "seconds": time.perf_counter() - began, "stderr": "" if ok else run.stderr[-2000:]}


def ddp_worker(device: str) -> None:
    """One torchrun process: all-reduce, then a DDP step whose gradients agree across processes."""
    import torch
    import torch.distributed as dist

    rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    if device == "cuda":
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
        target = torch.device("cuda", torch.cuda.current_device())
    else:
        target = torch.device("cpu")
    dist.init_process_group("nccl" if device == "cuda" else "gloo")
    total = torch.ones(4, device=target) * (rank + 1)
    dist.all_reduce(total)
    reduced = bool(torch.all(total == world * (world + 1) / 2))
    torch.manual_seed(0)
    layer = torch.nn.Linear(8, 2).to(target)
    net = torch.nn.parallel.DistributedDataParallel(layer, device_ids=[target.index] if device == "cuda" else None)
    x = torch.randn(4, 8, device=target) + rank
    net(x).square().mean().backward()
    grad = layer.weight.grad.detach().clone()
    gathered = [torch.empty_like(grad) for _ in range(world)]
    dist.all_gather(gathered, grad)
    same = all(torch.allclose(g, gathered[0]) for g in gathered)
    print(json.dumps({"rank": rank, "all_reduce": reduced, "same_gradients": same, "ok": reduced and same}))
    dist.destroy_process_group()


def table(rows: list[dict]) -> str:
    head = ("| model | problems | same answers (numbers within 0.05) | verified cpu / device | "
            "ms alone cpu / device | ms per problem batched cpu / device |")
    lines = [head, "|" + "---|" * 6]
    for r in rows:
        lines.append(f"| {r['model']} | {r['problems']} | {r['same_answers']:.1%} ({r['numbers_within_0.05']:.1%}) | "
                     f"{r['verified_cpu']} / {r['verified_device']} | {r['ms_alone_cpu']:.1f} / {r['ms_alone_device']:.1f} | "
                     f"{r['ms_batched_cpu']:.1f} / {r['ms_batched_device']:.1f} |")
    return "\n".join(lines)


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == NCCL_WORKER:
        ddp_worker(sys.argv[2])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", type=int, default=32, help="problems per shipped model")
    parser.add_argument("--device", default="cuda", choices=["cuda", "cpu"], help="the device checked against the CPU")
    parser.add_argument("--out", type=Path, default=None, help="write the figures as JSON here")
    args = parser.parse_args()

    import torch

    if args.device == "cuda" and not torch.cuda.is_available():
        print("gpu_check: no CUDA GPU on this machine; nothing checked")
        return 0
    where = torch.cuda.get_device_name(0) if args.device == "cuda" else "cpu"
    print(f"gpu_check on {where} (torch {torch.__version__})", flush=True)
    report = {"device": where, "answers": check_answers(args.device, args.problems)}
    print(table(report["answers"]), flush=True)
    report["training"] = check_training(args.device)
    print(f"bf16 training step: loss {report['training']['first_loss']:.3f} -> {report['training']['last_loss']:.3f} "
          f"in {report['training']['seconds']:.1f} s: {'ok' if report['training']['ok'] else 'FAILED'}", flush=True)
    report["ddp"] = check_ddp(args.device)
    print(f"DDP ({report['ddp']['backend']}, {report['ddp']['processes']} processes): "
          f"{'ok' if report['ddp']['ok'] else 'FAILED ' + report['ddp']['stderr']}", flush=True)
    if args.out:
        args.out.write_text(json.dumps(report, indent=1) + "\n")
    failed = [r["model"] for r in report["answers"] if not r["ok"]]
    failed += [k for k in ("training", "ddp") if not report[k]["ok"]]
    print("all checks passed" if not failed else f"FAILED: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
