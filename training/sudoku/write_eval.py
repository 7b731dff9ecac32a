"""Save a `trm-hub eval plugin=sudoku` report (JSON on stdin) as eval.json and eval.md in a folder."""

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
    t = report["timing"]
    lines = [
        f"# {report['model']}: held-out evaluation",
        "",
        f"Command: `{command}`",
        "",
        f"Checkpoint `{report['checkpoint']}`; adaptive halting (at most {report['max_steps']} "
        f"supervision steps); a puzzle counts as solved when the grid is a valid completion of its givens; "
        f"'cells' is accuracy on the blank cells.",
        "",
        "```",
        *report["table"],
        "```",
        "",
        f"Exact solver: {t['solver']}. TRM: {t['trm_device']}, batch {t['trm_batch_size']}, "
        f"time per puzzle = total batched inference time / puzzles.",
        "",
    ]
    (out / "eval.md").write_text("\n".join(lines))


if __name__ == "__main__":
    main(sys.argv[1], " ".join(sys.argv[2:]))
