"""Write answering settings into a shipped Sudoku model's metadata and re-record it (metrics kept).

Usage: python training/sudoku/answer_settings.py MODEL data.KEY=VALUE ...
e.g.   python training/sudoku/answer_settings.py sudoku-9x9 data.checked_views=64

Only the recipe's `data.*` answering fields are accepted (views, first_views, checked_views, checked_steps);
the values are validated by the recipe before anything is written.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from trm_hub.config import answering_fields
from trm_hub.files import atomic_write_text
from trm_hub.registry import SHIPPED_REGISTRY, Registry
from trm_hub_plugins.sudoku.recipe import SudokuData, SudokuRecipe

WEIGHTS = Path(__file__).resolve().parents[2] / "plugins/sudoku/weights"
ANSWERING = answering_fields(SudokuData)


def main(name: str, settings: list[str]) -> None:
    path = WEIGHTS / f"{name}.json"
    meta = json.loads(path.read_text())
    for setting in settings:
        key, _, value = setting.partition("=")
        field = key.removeprefix("data.")
        if not key.startswith("data.") or field not in ANSWERING:
            raise SystemExit(f"{key}: only data.{{{', '.join(sorted(ANSWERING))}}} can be set")
        meta["train"]["data"][field] = None if value == "None" else int(value)
    SudokuRecipe.from_checkpoint(meta)
    atomic_write_text(path, json.dumps(meta, indent=1) + "\n")
    registry = Registry.load()
    entry = registry.shipped.tasks["sudoku"].models[name]
    registry.record("sudoku", name, path.with_suffix(".safetensors"), metrics=entry.metrics, notes=entry.notes,
                    target=SHIPPED_REGISTRY)
    print(name, {k: meta["train"]["data"][k] for k in ANSWERING if k in meta["train"]["data"]})


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
