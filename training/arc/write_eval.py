"""Save a `trm-hub eval plugin=arc` report (JSON on stdin) as eval.json and eval.md in a folder."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(folder: str, command: str) -> None:
    """Write eval.json and eval.md under `folder`."""
    report = json.load(sys.stdin)
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    (out / "eval.json").write_text(json.dumps(report, indent=2) + "\n")
    lines = [
        "# ARC: evaluation of the shipped cpu model",
        "",
        f"Command: `{command}`",
        "",
        f"Checkpoint `{report['checkpoint']}`. pass@2: a test input counts when its output is one of the "
        "two top-voted grids; a task scores the share of its test inputs solved. Tasks the model was "
        "trained on (ARC-AGI-1 evaluation demonstrations) use their trained views; new tasks (ARC-AGI-2, "
        "held-out) use test-time training or the blank puzzle id, as stated. Time per task includes "
        "test-time training where used.",
        "",
        *report["table"],
        "",
    ]
    (out / "eval.md").write_text("\n".join(lines))


if __name__ == "__main__":
    main(sys.argv[1], " ".join(sys.argv[2:]))
