"""Pictures of training runs: metrics logs drawn as loss, exact accuracy, mean steps and learning rate."""

from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from trm_hub.errors import HubError, one_line
from trm_hub.files import atomic_write

METRICS_FILE = "metrics.jsonl"
PICTURE_FILE = "curves.png"

# (panel title, y label, training key, evaluation keys, log scale)
PANELS = [
    ("loss", "loss", "loss", ("rmse",), True),
    ("exact accuracy", "fraction exactly right", "exact", ("exact_accuracy",), False),
    ("mean supervision steps", "steps", "halt_steps", ("mean_steps",), False),
    ("learning rate", "learning rate", "lr", (), False),
]


class PlotError(HubError):
    """A run folder or metrics log cannot be read or drawn."""


@dataclass
class RunLog:
    """One run's metrics log: training records and evaluation records, by step."""

    name: str
    train: list[dict[str, Any]] = field(default_factory=list)
    evals: list[dict[str, Any]] = field(default_factory=list)

    def series(self, key: str, evaluation: bool = False) -> tuple[list[int], list[float]]:
        """Steps and finite values of one metric."""
        steps, values = [], []
        for record in self.evals if evaluation else self.train:
            value = record.get(key)
            if isinstance(value, (int, float)) and math.isfinite(value):
                steps.append(record["step"])
                values.append(float(value))
        return steps, values


def metrics_file(run: Path) -> Path:
    """The metrics log of a run: RUN_DIR/metrics.jsonl, or the .jsonl file given."""
    path = Path(run)
    if path.is_dir():
        path = path / METRICS_FILE
    if not path.is_file():
        raise PlotError(f"no metrics log at {path} (give a run folder holding {METRICS_FILE}, or a .jsonl file)")
    return path


def run_name(run: Path) -> str:
    """A run's label: its folder's name, or the log file's name without .metrics.jsonl."""
    path = Path(run)
    if path.is_dir():
        return path.resolve().name
    name = path.name
    if name == METRICS_FILE:
        return path.resolve().parent.name
    for suffix in (".metrics.jsonl", ".jsonl"):
        if name.endswith(suffix):
            return name[: -len(suffix)] or name
    return name


def read_log(run: Path) -> RunLog:
    """Parse a run's metrics log; a cut-off last line (a run stopped mid-write) is skipped."""
    path = metrics_file(run)
    log = RunLog(run_name(run))
    lines = path.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            if number == len(lines):
                break
            raise PlotError(f"{path} line {number} is not JSON") from None
        if not isinstance(record, dict) or not isinstance(record.get("step"), int):
            raise PlotError(f"{path} line {number} is not a metrics record (an object with an integer step)")
        if isinstance(record.get("eval"), dict):
            log.evals.append({"step": record["step"], **record["eval"]})
        else:
            log.train.append(record)
    if not log.train and not log.evals:
        raise PlotError(f"{path} holds no metrics records")
    return log


def smooth(values: list[float], points: int = 60) -> list[float]:
    """Trailing moving average over about len/points values (a noisy per-batch curve made readable)."""
    window = max(1, len(values) // points)
    out, total = [], 0.0
    for i, value in enumerate(values):
        total += value
        if i >= window:
            total -= values[i - window]
        out.append(total / min(i + 1, window))
    return out


def default_picture(runs: Sequence[Path]) -> Path:
    """RUN_DIR/curves.png for one run folder, NAME.curves.png beside one log file."""
    if len(runs) != 1:
        raise PlotError("several runs make one picture: say where with --out FILE.png")
    run = Path(runs[0])
    if run.is_dir():
        return run / PICTURE_FILE
    return run.parent / f"{run_name(run)}.{PICTURE_FILE}"


def plot_runs(runs: Sequence[Path], out: Path, title: str | None = None) -> Path:
    """Draw the runs' logs (overlaid, one colour each) as a PNG at `out`; returns `out`."""
    if Path(out).suffix.lower() != ".png":
        raise PlotError(f"the picture is a PNG: give a file name ending in .png, not {out}")
    logs = [read_log(run) for run in runs]
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.ticker import LogFormatter

    class PlainLogFormatter(LogFormatter):
        """Log-axis labels as plain numbers (0.3, 1, 2), where matplotlib would label a tick."""

        def __call__(self, x: float, pos: int | None = None) -> str:
            return f"{x:g}" if super().__call__(x, pos) else ""

    figure = Figure(figsize=(10, 6.6), dpi=90, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(2, 2, sharex=True).ravel()
    colours = [f"C{i % 10}" for i in range(len(logs))]
    for ax, (panel, ylabel, train_key, eval_keys, log_scale) in zip(axes, PANELS):
        drawn, drawn_eval = False, False
        for log, colour in zip(logs, colours):
            steps, values = log.series(train_key)
            if steps:
                if train_key != "lr" and len(values) > 120:
                    ax.plot(steps, values, color=colour, alpha=0.18, linewidth=0.6)
                ax.plot(steps, values if train_key == "lr" else smooth(values), color=colour, linewidth=1.4)
                drawn = True
            for key in eval_keys:
                steps, values = log.series(key, evaluation=True)
                if steps:
                    ax.plot(steps, values, color=colour, linestyle="--", linewidth=0.9, marker="o", markersize=3.5)
                    drawn = drawn_eval = True
        if log_scale and drawn and all(v > 0 for line in ax.get_lines() for v in line.get_ydata()):
            ax.set_yscale("log")
            ax.yaxis.set_major_formatter(PlainLogFormatter())
            ax.yaxis.set_minor_formatter(PlainLogFormatter(minor_thresholds=(1.5, 0.5)))
        ax.set_title(panel, fontsize=10)
        if drawn_eval and train_key == "loss":
            ylabel = "training loss; evaluation RMSE"
        ax.set_ylabel(ylabel, fontsize=9)
        ax.grid(True, alpha=0.3, linewidth=0.5)
        ax.tick_params(labelsize=8)
        if not drawn:
            ax.text(0.5, 0.5, "not logged", transform=ax.transAxes, ha="center", va="center", color="0.5")
    for ax in axes[2:]:
        ax.set_xlabel("training step", fontsize=9)
    handles = [Line2D([], [], color="0.3", linewidth=1.4, label="training batches (smoothed)"),
               Line2D([], [], color="0.3", linestyle="--", marker="o", markersize=3.5, label="evaluation")]
    if len(logs) > 1:
        handles += [Line2D([], [], color=colour, linewidth=3, label=log.name) for log, colour in zip(logs, colours)]
    axes[0].legend(handles=handles, fontsize=8, loc="upper right", framealpha=0.85)
    names = [log.name for log in logs]
    figure.suptitle(title or (", ".join(names) if len(names) <= 4 else f"{len(names)} runs"), fontsize=11)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(out, lambda temp: figure.savefig(temp, format="png"))
    return out


def draw_run(run: Path, title: str | None = None) -> Path | None:
    """RUN_DIR/curves.png at the end of a training run; a failure to draw warns in one line, never raises."""
    out = Path(run) / PICTURE_FILE
    try:
        return plot_runs([run], out, title=title)
    except Exception as exc:
        print(f"trm-hub: warning: could not draw {out}: {one_line(f'{type(exc).__name__}: {exc}')}", file=sys.stderr)
        return None


def write_tensorboard(runs: Sequence[Path], logdir: Path) -> list[Path]:
    """Write each run's log as TensorBoard scalars under logdir/RUN_NAME (needs the tensorboard package)."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        raise PlotError("TensorBoard logging needs the tensorboard package: pip install tensorboard") from None
    written = []
    for run in runs:
        log = read_log(run)
        folder = Path(logdir) / log.name
        writer = SummaryWriter(log_dir=str(folder))
        try:
            for record in log.train:
                for key, value in record.items():
                    if key != "step" and isinstance(value, (int, float)) and math.isfinite(value):
                        writer.add_scalar(f"train/{key}", value, record["step"])
            for record in log.evals:
                for key, value in record.items():
                    if key != "step" and isinstance(value, (int, float)) and math.isfinite(value):
                        writer.add_scalar(f"eval/{key}", value, record["step"])
        finally:
            writer.close()
        written.append(folder)
    return written
