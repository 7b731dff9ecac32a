"""Start-up time of the trm-hub commands that must stay fast (median wall time of fresh processes).

Run: python benchmarks/bench_startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def commands() -> list[tuple[str, list[str]]]:
    """(label, argv) of each measured command; baselines first."""
    python = sys.executable
    script = shutil.which("trm-hub", path=str(Path(python).parent)) or shutil.which("trm-hub")
    hub = [script] if script else [python, "-m", "trm_hub"]
    examples = sorted(ROOT.glob("plugins/*/examples/*.json"))
    found = [
        ("python -c pass (baseline)", [python, "-c", "pass"]),
        ("python -c 'import torch' (reference)", [python, "-c", "import torch"]),
        ("trm-hub --help", [*hub, "--help"]),
        ("python -m trm_hub --help", [python, "-m", "trm_hub", "--help"]),
        ("trm-hub plugins", [*hub, "plugins"]),
        ("trm-hub tasks", [*hub, "tasks"]),
    ]
    if examples:
        rel = examples[0].relative_to(ROOT)
        found.append((f"trm-hub route --dry-run {rel}", [*hub, "route", "--dry-run", str(examples[0])]))
    return found


def measure(argv: list[str], runs: int) -> list[float]:
    """Wall seconds of `runs` fresh runs (after one warm-up run that fills OS caches)."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "0"}
    subprocess.run(argv, capture_output=True, cwd=ROOT, env=env, check=False)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(argv, capture_output=True, cwd=ROOT, env=env, check=False)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed: {done.stderr.decode(errors='replace').strip()}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs per command (default 7)")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {args.runs} runs each (after 1 warm-up)")
    print(f"{'command':<58} {'median ms':>10} {'min ms':>8} {'max ms':>8}")
    for label, argv in commands():
        times = measure(argv, args.runs)
        print(
            f"{label:<58} {statistics.median(times) * 1000:>10.0f} "
            f"{min(times) * 1000:>8.0f} {max(times) * 1000:>8.0f}"
        )


if __name__ == "__main__":
    main()
