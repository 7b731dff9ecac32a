"""torch against onnxruntime on the shipped models, side by side in one run.

    python benchmarks/bench_runtime.py latency      # batch-1 and batch-64 seconds per problem
    python benchmarks/bench_runtime.py accuracy     # every held-out test problem: torch, onnx, onnx int8
    python benchmarks/bench_runtime.py cold         # cold `trm-hub route`: wall time, peak memory, install size

Latency and accuracy answer through `Task.answer_with` (views and voting included) on each model's
own held-out test problems (benchmarks/held_out.py). ARC answers without test-time training here.
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

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from held_out import SHIPPED, held_out, molecule_targets  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("TRM_HUB_ARC_TTT_SECONDS", "0")
THREADS = 0


def engines(model_name: str, int8_dir: Path | None = None) -> dict[str, tuple]:
    from trm_hub.registry import Registry
    from trm_hub.runtime.onnx_engine import OnnxEngine

    task, _ = held_out(model_name, 0)
    registry = Registry.load()
    found = {name: task.load_engine(registry, model_name, "cpu", name) for name in ("torch", "onnx")}
    if THREADS:
        import torch

        torch.set_num_threads(THREADS)
        found["onnx"][0].threads = THREADS
    if int8_dir is not None:
        from trm_hub.bundle import export_bundle, load_bundle

        export_bundle(registry, task, model_name, int8_dir / model_name, "int8")
        engine = load_bundle(int8_dir / model_name, "int8")
        found["onnx-int8"] = (engine, found["onnx"][1])
        assert isinstance(engine, OnnxEngine)
    return found


def latency(args: argparse.Namespace) -> None:
    print(f"{'model':32} {'batch':>5} {'torch s/problem':>16} {'onnx s/problem':>15} {'torch/onnx':>10}")
    for model_name in args.models:
        task, problems = held_out(model_name, 64 + args.single)
        found = engines(model_name)
        for batch, count in ((1, args.single), (64, 1)):
            times: dict[str, list[float]] = {name: [] for name in found}
            for repeat in range(args.repeats):
                for name, (engine, checkpoint) in found.items():
                    for k in range(count):
                        chunk = problems[k * batch : (k + 1) * batch] if batch == 1 else problems[:64]
                        began = time.perf_counter()
                        task.answer_with(engine, checkpoint, chunk)
                        times[name].append((time.perf_counter() - began) / len(chunk))
            t, o = statistics.median(times["torch"]), statistics.median(times["onnx"])
            print(f"{model_name:32} {batch:>5} {t:16.5f} {o:15.5f} {t / o:10.2f}", flush=True)


def score(task, model_name: str, answers: list) -> str:
    if task.name == "molecule":
        values = np.array([a.solution.predictions[0].value for a in answers])
        return f"RMSE {float(np.sqrt(np.mean((values - molecule_targets(model_name)) ** 2))):.4f}"
    return f"solved {sum(bool(a.verified) for a in answers)}/{len(answers)}"


def accuracy(args: argparse.Namespace) -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for model_name in args.models:
            task, problems = held_out(model_name, args.limit)
            found = engines(model_name, Path(tmp))
            results = {}
            for name, (engine, checkpoint) in found.items():
                if name not in args.runtimes:
                    continue
                began = time.perf_counter()
                answers = task.answer_with(engine, checkpoint, problems)
                results[name] = (answers, time.perf_counter() - began)
            same = None
            if "torch" in results and "onnx" in results:
                pairs = list(zip(results["torch"][0], results["onnx"][0]))
                if task.name == "molecule":
                    same = f"max value difference {max(abs(a.solution.predictions[0].value - b.solution.predictions[0].value) for a, b in pairs):.2e}"
                else:
                    same = sum(a.solution == b.solution for a, b in pairs)
            row = {"model": model_name, "problems": len(problems), "onnx_same_solution_as_torch": same,
                   **{name: score(task, model_name, answers) for name, (answers, _) in results.items()},
                   **{f"{name}_seconds": round(sec, 1) for name, (_, sec) in results.items()}}
            rows.append(row)
            print(json.dumps(row), flush=True)


def installed_size(extra: str | None) -> tuple[int, list[str]]:
    """Bytes on disk of trm-hub's dependency closure (with `extra`), from the installed files."""
    import re
    from importlib import metadata

    seen: set[str] = set()
    total = 0
    todo = [("trm-hub", extra)]
    while todo:
        name, wanted = todo.pop()
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in seen:
            continue
        seen.add(key)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        if key != "trm-hub":
            total += sum((f.size or 0) for f in dist.files or [])
        for requirement in dist.requires or []:
            spec, _, marker = requirement.partition(";")
            if "extra" in marker and not (wanted and f'extra == "{wanted}"' in marker.replace("'", '"')):
                continue
            todo.append((re.split(r"[\s<>=!~\[(]", spec.strip(), 1)[0], None))
    return total, sorted(seen)


def cold(args: argparse.Namespace) -> None:
    """Cold `route` of the 6x6 example: this environment with torch vs the same without torch and
    the exporter (a plain install's import path: tests/test_wheel.py builds one the same way)."""
    example = ROOT / "plugins" / "sudoku" / "examples" / "sudoku6.json"
    wrapper = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
               "r = subprocess.run(sys.argv[1:], capture_output=True); "
               "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, r.returncode)")
    blocker = ("import sys; [sys.modules.__setitem__(m, None) for m in ('torch', 'onnx', 'onnxscript')]; "
               "sys.argv = ['trm-hub'] + sys.argv[1:]; from trm_hub.cli import main; main()")
    commands = {
        "torch install, --runtime torch": [sys.executable, "-m", "trm_hub", "route", str(example), "--runtime", "torch"],
        "torch install, auto (onnx)": [sys.executable, "-m", "trm_hub", "route", str(example)],
        "light install (no torch), auto": [sys.executable, "-c", blocker, "route", str(example)],
    }
    measured: dict[str, list[tuple[float, int]]] = {name: [] for name in commands}
    for _ in range(args.repeats):
        for name, command in commands.items():
            out = subprocess.run([sys.executable, "-c", wrapper, *command], capture_output=True, text=True)
            seconds, rss, code = out.stdout.split()
            assert code == "0", name
            measured[name].append((float(seconds), int(rss)))
    base = statistics.median(s for s, _ in measured["torch install, --runtime torch"])
    for name, runs in measured.items():
        wall = statistics.median(s for s, _ in runs)
        peak = statistics.median(r for _, r in runs) / 1024
        print(f"{name:34} cold route {wall:6.2f} s ({wall / base:4.2f}x)   peak memory {peak:6.0f} MiB")
    light, _ = installed_size(None)
    full, _ = installed_size("train")
    print(f"installed size of the dependencies: plain install {light / 2**20:.0f} MiB, with [train] {full / 2**20:.0f} MiB "
          f"({light / full:.0%})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["latency", "accuracy", "cold"])
    parser.add_argument("--models", nargs="+", default=list(SHIPPED))
    parser.add_argument("--runtimes", nargs="+", default=["torch", "onnx", "onnx-int8"], help="accuracy: which to run")
    parser.add_argument("--limit", type=int, default=None, help="held-out problems per model (accuracy; default all)")
    parser.add_argument("--single", type=int, default=10, help="problems answered one at a time (latency)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0, help="CPU threads of both runtimes for batches (default: every core)")
    args = parser.parse_args()
    global THREADS
    THREADS = args.threads
    {"latency": latency, "accuracy": accuracy, "cold": cold}[args.what](args)


if __name__ == "__main__":
    main()
