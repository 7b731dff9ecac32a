"""A problem's answer never depends on what else shares its batch (the service gathers batches)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from trm_hub.pipeline import route_items
from trm_hub.plugins import load_tasks

ROOT = Path(__file__).resolve().parent.parent


def same(a: Any, b: Any) -> bool:
    """Equal answers: tokens, grids, paths and flags exactly; real numbers (molecule values) to
    within float32 rounding, since a batch's shape changes the order of a kernel's sums."""
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(a, (int, float)) and isinstance(b, (int, float)) and math.isclose(a, b, rel_tol=1e-5, abs_tol=1e-7)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def test_problems_get_the_same_answer_alone_and_in_a_mixed_batch():
    tasks = load_tasks()
    problems = [json.loads(path.read_text()) for path in sorted(ROOT.glob("plugins/*/examples/*.json"))]
    for name, count in (("sudoku", 10), ("maze", 4), ("molecule", 4)):
        problems += list(tasks[name].routing_examples(count, 5))
    alone = [route_items([problem], device="cpu")[0] for problem in problems]
    together = route_items(problems, device="cpu")
    backwards = route_items(problems[::-1], device="cpu")[::-1]
    assert sum("error" not in one for one in alone) >= 20
    for one, mixed, reversed_ in zip(alone, together, backwards):
        for other in (mixed, reversed_):
            got, want = ({k: v for k, v in x.items() if k != "seconds"} for x in (other, one))
            assert same(got, want), (got, want)
