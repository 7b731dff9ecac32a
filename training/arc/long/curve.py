"""The ARC model's learning curve across its runs: the first 4000-step run, then the long leg
warm-started from it, the third leg warm-started from that (a candidate, not shipped), in-training token accuracy on the evaluation tasks' test pairs (trained
views, 256 examples) against total optimiser steps, and the training batches' token accuracy.

    python training/arc/long/curve.py   # writes training/arc/long/learning_curve.png
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
LEGS = [(HERE.parent / "metrics.jsonl", 0, "first run (4000 steps, shipped before)"),
        (HERE / "metrics.jsonl", 4000, "long leg (warm start, +12000 steps)"),
        (HERE / "leg3" / "metrics.jsonl", 16000, "third leg (warm start, +24000 steps; candidate)")]


def read(path: Path, offset: int) -> tuple[list[tuple[int, float]], list[tuple[int, float]]]:
    evals, batches = [], []
    for line in path.read_text().splitlines():
        row = json.loads(line)
        if "eval" in row:
            evals.append((row["step"] + offset, row["eval"]["token_accuracy"]))
        elif "accuracy" in row:
            batches.append((row["step"] + offset, row["accuracy"]))
    return evals, batches


def smooth(values: list[float], width: int = 50) -> np.ndarray:
    kernel = np.ones(width) / width
    return np.convolve(values, kernel, mode="valid")


def main() -> None:
    fig, ax = plt.subplots(figsize=(7, 4))
    for path, offset, label in LEGS:
        evals, batches = read(path, offset)
        steps, acc = zip(*batches)
        ax.plot(steps[49:], smooth(list(acc)), alpha=0.5, label=f"{label}: training batches")
        ax.plot(*zip(*evals), "o-", label=f"{label}: evaluation test pairs")
    ax.set_xscale("log")
    ax.set_xlabel("optimiser steps (log scale)")
    ax.set_ylabel("token accuracy")
    ax.set_title("ARC cpu model, canvas 10: token accuracy against training steps")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    out = HERE / "learning_curve.png"
    fig.savefig(out, dpi=120)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
