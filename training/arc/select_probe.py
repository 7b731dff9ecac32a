"""How to choose the two attempts among a test-time trained model's own candidates, per task.

    python training/arc/select_probe.py --set held_out --out training/arc/select/held.jsonl
    python training/arc/select_probe.py --set arc1/eval --first 12 --out training/arc/select/eval12.jsonl

Each task is adapted exactly as `trm-hub route` adapts it (the checkpoint's shipped settings:
views, test-time budget, schedule, torch.compile), then every view answers each test input (halting
as `route` does) and the probe keeps, per distinct candidate grid: its votes, its voters' summed
Q-halt probability, and its log-probability under every view (the candidate mapped into that
view, summed over its cells and end-of-grid markers, at the step where that view halted). The
test outputs are read only to mark which candidate is right. `--analyse FILE...` scores the
selection rules of RULES on recorded files without running anything.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from trm_hub.model import load_checkpoint
from trm_hub_plugins.arc.data import load_set, select_tasks
from trm_hub_plugins.arc.experts import grid_log_prob, halted_log_probs
from trm_hub_plugins.arc.inference import adapt, torch_model
from trm_hub_plugins.arc.task import ArcTask
from trm_hub_plugins.arc.tokens import decode_grid, encode_grid, fits

ROOT = Path(__file__).resolve().parents[2]


def candidates(model, problem, canvas: int, views, ids, threshold: float, outputs) -> list[list[dict]]:
    """Per test input: one dict per distinct candidate (votes, q, per-view log-probability, right)."""
    found = []
    for item, target in zip(problem.test, outputs):
        tokens = np.stack([encode_grid(aug.apply(item.input), canvas) for aug in views])
        logp, q, _ = halted_log_probs(model, tokens, ids, threshold)
        tally: dict[str, dict] = {}
        for v, aug in enumerate(views):
            grid = decode_grid(logp[v].argmax(-1))
            if grid is None:
                continue
            grid = aug.invert(grid)
            entry = tally.setdefault(json.dumps(grid), {"grid": grid, "votes": 0, "q": 0.0, "first": v})
            entry["votes"] += 1
            entry["q"] += float(q[v])
        for entry in tally.values():
            entry["logp"] = [round(grid_log_prob(entry["grid"], [aug], logp[v : v + 1], canvas), 3)
                             for v, aug in enumerate(views)]
            entry["right"] = entry.pop("grid") == target
        found.append(sorted(tally.values(), key=lambda e: e["first"]))
    return found


def top2_vote(cands):
    return sorted(range(len(cands)), key=lambda i: (-cands[i]["votes"], -cands[i]["q"], cands[i]["first"]))[:2]


def top2_poe(cands):
    return sorted(range(len(cands)), key=lambda i: -sum(cands[i]["logp"]))[:2]


def top2_vote_then_poe(cands):
    return sorted(range(len(cands)), key=lambda i: (-cands[i]["votes"], -sum(cands[i]["logp"])))[:2]


def top2_poe_voted(cands):
    """Product of experts among the candidates with 2 or more votes (all of them when none has)."""
    pool = [i for i, c in enumerate(cands) if c["votes"] >= 2] or list(range(len(cands)))
    return sorted(pool, key=lambda i: -sum(cands[i]["logp"]))[:2]


def top2_vote_poe_second(cands):
    """First attempt by votes, second by product of experts among the rest."""
    if not cands:
        return []
    first = top2_vote(cands)[0]
    rest = sorted((i for i in range(len(cands)) if i != first), key=lambda i: -sum(cands[i]["logp"]))
    return [first, *rest[:1]]


RULES = {"vote": top2_vote, "experts": top2_poe, "vote+experts": top2_vote_then_poe,
         "experts of 2+ votes": top2_poe_voted, "vote, experts 2nd": top2_vote_poe_second}


def solved(row: dict, rule) -> float:
    """Share of the task's test inputs whose right grid is among the rule's two picks."""
    hits = [any(cands[i]["right"] for i in rule(cands)) for cands in row["candidates"]]
    return float(np.mean(hits)) if hits else 0.0


def analyse(paths: list[str]) -> None:
    for path in paths:
        rows = [json.loads(line) for line in open(path)]
        ceiling = [float(np.mean([any(c["right"] for c in cands) for cands in r["candidates"]])) for r in rows]
        print(f"{path}: {len(rows)} tasks, right grid among any view's candidates: "
              f"{sum(c == 1.0 for c in ceiling)} tasks")
        for name, rule in RULES.items():
            scores = [solved(r, rule) for r in rows]
            print(f"  {name:>16}: solved {sum(s == 1.0 for s in scores):2d}, pass@2 {np.mean(scores):6.1%}  "
                  + " ".join(r["task"] for r, s in zip(rows, scores) if s == 1.0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", default=str(ROOT / "plugins/arc/weights/arc.safetensors"))
    parser.add_argument("--set", default="held_out", help="arc1/eval, arc2/eval, ... or held_out")
    parser.add_argument("--first", type=int, default=0)
    parser.add_argument("--skip", type=int, default=0)
    parser.add_argument("--out")
    parser.add_argument("--analyse", nargs="+", metavar="FILE")
    args = parser.parse_args()
    if args.analyse:
        return analyse(args.analyse)
    if not args.out:
        parser.error("--out is required unless --analyse")
    task = ArcTask()
    model, meta = load_checkpoint(args.checkpoint)
    checkpoint = task.checkpoint(meta)
    recipe = checkpoint.recipe
    canvas = recipe.data.canvas
    settings = task.settings(recipe)
    if args.set == "held_out":
        chosen = select_tasks(recipe.data).held_out
    else:
        chosen = sorted((r for r in load_set(args.set) if fits(r.grids(), canvas)), key=lambda r: r.id)
    chosen = chosen[args.skip : args.skip + args.first if args.first else None]
    table, memorised = task.view_table(model, recipe), task.memorised(model, recipe)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w") as sink:
        for record in chosen:
            problem = task.parse({"train": record.task["train"], "test": [{"input": p["input"]} for p in record.task["test"]]})
            began = time.perf_counter()
            adapted = adapt(model, recipe, problem, canvas, settings, table, record.id, memorised)
            tuned = torch_model(adapted.engine)
            found = candidates(tuned, problem, canvas, adapted.views, adapted.ids, recipe.halt_threshold,
                               [p["output"] for p in record.task["test"]])
            row = {"task": record.id, "mode": adapted.mode, "seconds": round(time.perf_counter() - began, 1),
                   "ttt_steps": (adapted.ttt or {}).get("steps", 0), "candidates": found}
            sink.write(json.dumps(row) + "\n")
            sink.flush()
            print(json.dumps({k: row[k] for k in ("task", "mode", "seconds", "ttt_steps")}
                             | {r: solved(row, f) for r, f in RULES.items()}), file=sys.stderr, flush=True)
    analyse([str(out)])


if __name__ == "__main__":
    main()
