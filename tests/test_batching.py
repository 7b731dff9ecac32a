"""A problem's answer never depends on what else shares its batch (the service gathers batches)."""

from __future__ import annotations

import json
from pathlib import Path

from trm_hub.pipeline import route_items
from trm_hub.plugins import load_tasks

ROOT = Path(__file__).resolve().parent.parent


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
            assert {k: v for k, v in other.items() if k != "seconds"} == {k: v for k, v in one.items() if k != "seconds"}
