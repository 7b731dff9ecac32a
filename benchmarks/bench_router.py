"""Router benchmark: accuracy, rejection, latency, cold start, fit time; classifier and format studies.

Usage: python benchmarks/bench_router.py [--sections eval,docs,cases,families,cold,batch,fit,compare,lofo] [--n 300]
Figures are reported, not asserted. Targets (issue): >= 99.5% in-scope accuracy, >= 95% of
out-of-scope problems rejected, p50 < 1 ms per problem in a batch, `route --dry-run` < 0.5 s cold.
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
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "tests" / "router_cases"
DEFAULT_SECTIONS = "eval,docs,cases,families,cold,batch,fit"
sys.path.insert(0, str(Path(__file__).resolve().parent))


def builtin_tasks() -> dict[str, Any]:
    from trm_hub.plugins import create_plugin_manager, load_tasks

    return load_tasks(create_plugin_manager(installed=False))


def shipped() -> Any:
    from trm_hub import router
    from trm_hub.router.model import RouterModel

    return RouterModel.load(router.SHIPPED_PATH)


def schemas(tasks: dict[str, Any]) -> Any:
    """The schema check the router decides with: `refusal(problem, task name)`."""
    from trm_hub.router.fit import refusal

    return lambda problem, name: refusal(problem, tasks[name])


def section_eval(tasks: dict[str, Any], n: int) -> dict[str, Any]:
    """evaluate_router on the shipped router (held-out seeds, held-out negative families)."""
    from trm_hub import router

    report = router.evaluate_router(tasks, n=n, model=shipped())
    print(router.format_report(report))
    for m in report["mistakes"][:10]:
        print("  mistake:", json.dumps(m)[:300])
    return report


def section_cases(tasks: dict[str, Any]) -> dict[str, Any]:
    """Hand-written problem files (tests/router_cases) routed by the shipped router."""
    files = sorted(CASES.glob("*.json"))
    verdicts = shipped().verdicts([json.loads(p.read_text()) for p in files], schemas(tasks))
    wrong = []
    for path, v in zip(files, verdicts):
        want = path.name.split("--")[0]
        if (v.task or "none") != want:
            wrong.append(f"{path.name}: got {v.task or 'none'} ({v.reason})")
    print(f"hand-written cases: {len(files) - len(wrong)}/{len(files)} routed as expected")
    for line in wrong:
        print("  ", line)
    return {"cases": len(files), "correct": len(files) - len(wrong), "wrong": wrong}


def _cli(args: list[str], stdin: str | None = None) -> tuple[float, subprocess.CompletedProcess]:
    exe = Path(sys.executable).with_name("trm-hub")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "trm_hub"]
    t = time.perf_counter()
    proc = subprocess.run(cmd + args, input=stdin, capture_output=True, text=True, cwd=ROOT)
    return time.perf_counter() - t, proc


def section_cold(repeats: int = 7) -> dict[str, Any]:
    """Wall time of `trm-hub route --dry-run ONE.json` in a fresh process, and the router's share."""
    case = CASES / "sudoku--rows-4x4.json"
    times = []
    for _ in range(repeats):
        seconds, proc = _cli(["route", "--dry-run", str(case)])
        if proc.returncode != 0:
            print("  route failed:", proc.stderr.strip()[:300])
        times.append(seconds)
    probe = (
        "import time; t0=time.perf_counter(); import numpy; t1=time.perf_counter();"
        "from trm_hub import router; from trm_hub.router.model import RouterModel; t2=time.perf_counter();"
        "m=RouterModel.load(router.SHIPPED_PATH); t3=time.perf_counter();"
        "m.verdicts([{'grid': ['1..4', '..1.', '.1..', '4..1']}]); t4=time.perf_counter();"
        "print(t1-t0, t2-t1, t3-t2, t4-t3)"
    )
    parts = [float(x) for x in subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                                                 cwd=ROOT).stdout.split()]
    out = {
        "route_dry_run_s": {"median": round(statistics.median(times), 3), "min": round(min(times), 3)},
        "numpy_import_s": round(parts[0], 4),
        "router_import_s": round(parts[1], 4),
        "router_load_s": round(parts[2], 4),
        "first_verdict_s": round(parts[3], 4),
    }
    print(f"cold start `route --dry-run` one problem: median {out['route_dry_run_s']['median']:.3f} s, "
          f"min {out['route_dry_run_s']['min']:.3f} s over {repeats} runs")
    print(f"  router share: import (with trm_hub core) {parts[1]*1000:.1f} ms, load router.json {parts[2]*1000:.1f} ms, "
          f"first verdict {parts[3]*1000:.2f} ms (numpy import {parts[0]*1000:.1f} ms)")
    return out


def _mixed_problems(tasks: dict[str, Any], n: int, seed: int) -> list[Any]:
    from router_families import out_of_scope_examples
    from trm_hub.router.fit import collect
    from trm_hub.router.shapes import SHAPES, generic_shapes

    drawn, _ = collect(tasks, n, seed)
    problems = [p for ps in drawn.values() for p in ps]
    problems += [p for _, p in generic_shapes(n, seed, tuple(SHAPES))]
    problems += [p for _, p in out_of_scope_examples(n // 4, seed)]
    return [p for p in problems if isinstance(p, dict)]


def section_batch(tasks: dict[str, Any], n: int) -> dict[str, Any]:
    """`route --dry-run` on a JSONL file of many problems (one process), and in-process batch latency."""
    problems = _mixed_problems(tasks, n, seed=2024)
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as fh:
        for p in problems:
            fh.write(json.dumps(p) + "\n")
        path = fh.name
    try:
        seconds, proc = _cli(["route", "--dry-run", path])
    finally:
        os.unlink(path)
    lines = proc.stdout.strip().splitlines()
    model, check = shipped(), schemas(tasks)
    model.verdicts(problems[:50], check)
    t = time.perf_counter()
    model.verdicts(problems, check)
    batch = time.perf_counter() - t
    per = []
    for p in problems:
        t = time.perf_counter()
        model.verdicts([p], check)
        per.append(time.perf_counter() - t)
    ms = np.asarray(per) * 1000
    out = {
        "problems": len(problems),
        "cli_seconds": round(seconds, 3),
        "cli_lines": len(lines),
        "batch_ms_per_problem": round(batch / len(problems) * 1000, 4),
        "per_problem_ms": {q: round(float(np.percentile(ms, int(q[1:]))), 4) for q in ("p50", "p90", "p99")},
    }
    print(f"JSONL of {len(problems)} problems through `route --dry-run`: {seconds:.2f} s in one process "
          f"({len(lines)} lines out)")
    print(f"in-process batch: {out['batch_ms_per_problem']:.3f} ms per problem; per problem "
          f"p50 {out['per_problem_ms']['p50']:.3f} ms, p90 {out['per_problem_ms']['p90']:.3f} ms, "
          f"p99 {out['per_problem_ms']['p99']:.3f} ms")
    return out


def section_fit(tasks: dict[str, Any]) -> dict[str, Any]:
    """Wall time of a full refit in a fresh process (what `route` pays once after a plugin is installed)."""
    code = (
        "import time; t=time.perf_counter();"
        "from trm_hub.plugins import create_plugin_manager, load_tasks; from trm_hub.router import fit as router_fit;"
        "tasks=load_tasks(create_plugin_manager(installed=False));"
        "t1=time.perf_counter(); m=router_fit.fit(tasks); t2=time.perf_counter();"
        "print(t2-t, t2-t1)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    total, fit = (float(x) for x in proc.stdout.split())
    gen = {}
    for name, task in tasks.items():
        t = time.perf_counter()
        list(task.routing_examples(300, 99))
        gen[name] = round(time.perf_counter() - t, 3)
    print(f"refit in a fresh process: {total:.2f} s ({fit:.2f} s in fit); routing_examples(300) per task "
          f"(warm): {gen}")
    return {"fresh_process_s": round(total, 3), "fit_s": round(fit, 3), "routing_examples_300_s": gen}


def _xy(tasks, n, seed, kinds=None):
    from trm_hub.router.features import featurize
    from trm_hub.router.fit import collect, screen
    from trm_hub.router.shapes import generic_shapes

    drawn, _ = collect(tasks, n, seed)
    names = sorted(drawn)
    probs = [p for t in names for p in drawn[t]]
    y = [i for i, t in enumerate(names) for _ in drawn[t]]
    neg = [p for _, p in screen(list(generic_shapes(max(1200, 300 * len(names)) if seed == 0 else 2 * n, seed, kinds)),
                                tasks)[0]]
    return [dict.fromkeys(featurize(p), 1.0) for p in probs + neg], np.asarray(y + [len(names)] * len(neg)), names


def section_compare(tasks: dict[str, Any], n: int) -> dict[str, Any]:
    """Classifier choice by measurement: same features, plain argmax accuracy on held-out data
    (the classifier alone, as if every schema accepted everything)."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.feature_extraction import DictVectorizer, FeatureHasher
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import LinearSVC

    from trm_hub.router.shapes import HELD_OUT

    f_tr, y_tr, names = _xy(tasks, 200, 0)
    f_te, y_te, _ = _xy(tasks, n, 1000)
    f_new, y_new, _ = _xy(tasks, 1, 1001, HELD_OUT)
    vocab = DictVectorizer(dtype=np.float32).fit(f_tr)
    hasher = FeatureHasher(n_features=2**12, alternate_sign=False)
    rows = {}
    for label, clf, vec in [
        ("logreg C=1 (vocab)", LogisticRegression(C=1.0, max_iter=3000, class_weight="balanced"), vocab),
        ("logreg C=4 (vocab)", LogisticRegression(C=4.0, max_iter=3000, class_weight="balanced"), vocab),
        ("logreg C=16 (vocab)", LogisticRegression(C=16.0, max_iter=3000, class_weight="balanced"), vocab),
        ("logreg C=4 (hashing 4096)", LogisticRegression(C=4.0, max_iter=3000, class_weight="balanced"), hasher),
        ("linear SVM (vocab)", LinearSVC(C=0.4, class_weight="balanced"), vocab),
        ("gradient boosting (vocab)", HistGradientBoostingClassifier(max_iter=30, class_weight="balanced"), vocab),
    ]:
        X_tr, X_te, X_new = vec.transform(f_tr), vec.transform(f_te), vec.transform(f_new)
        if isinstance(clf, HistGradientBoostingClassifier):
            X_tr, X_te, X_new = X_tr.toarray(), X_te.toarray(), X_new.toarray()
        t = time.perf_counter()
        clf.fit(X_tr, y_tr)
        fit_s = time.perf_counter() - t
        t = time.perf_counter()
        pred = clf.predict(X_te)
        pred_s = (time.perf_counter() - t) / len(y_te)
        pred_new = clf.predict(X_new)
        in_scope = y_te < len(names)
        rows[label] = {
            "in_scope_accuracy": round(float((pred[in_scope] == y_te[in_scope]).mean()), 4),
            "out_of_scope_rejected": round(float((pred[~in_scope] == len(names)).mean()), 4),
            "new_kinds_rejected": round(float((pred_new[y_new == len(names)] == len(names)).mean()), 4),
            "fit_s": round(fit_s, 3),
            "predict_us_per_problem": round(pred_s * 1e6, 2),
        }
        print(f"  {label:<28} {rows[label]}")
    return rows


class _Without:
    """A task whose routing examples leave out one problem format (for `lofo`)."""

    def __init__(self, task: Any, fmt: str) -> None:
        self.task, self.fmt, self.name, self.version = task, fmt, task.name, task.version

    def parse(self, data: Any) -> Any:
        return self.task.parse(data)

    def routing_examples(self, n: int, seed: int) -> Any:
        from trm_hub.router import problem_format

        return (p for p in self.task.routing_examples(2 * n, seed) if problem_format(p) != self.fmt)


def section_lofo(tasks: dict[str, Any], n: int) -> dict[str, Any]:
    """Leave one format out: fit without a task's format, then route that format's held-out problems."""
    from trm_hub.router import problem_format
    from trm_hub.router.fit import collect, fit

    drawn, _ = collect(tasks, 300, 0)
    held, _ = collect(tasks, n, 1000)
    check = schemas(tasks)
    results = {}
    for task in sorted(drawn):
        formats = sorted({problem_format(p) for p in drawn[task]})
        if len(formats) < 2:
            continue
        for fmt in formats:
            test = [p for p in held[task] if problem_format(p) == fmt]
            if len(test) < 5:
                continue
            model = fit({**tasks, task: _Without(tasks[task], fmt)})
            got = [v.task for v in model.verdicts(test, check)]
            wrong = len(test) - got.count(task) - got.count(None)
            row = {"n": len(test), "right": round(got.count(task) / len(test), 3),
                   "rejected": round(got.count(None) / len(test), 3), "wrong_task": round(wrong / len(test), 3)}
            results[f"{task} {fmt}"] = row
            print(f"  {task:<9} {fmt:<55} {row}")
    return results


def section_families(tasks: dict[str, Any], n: int) -> dict[str, Any]:
    """Task-shaped out-of-scope families (benchmarks/router_families.py, never used in fitting) that
    no schema accepts: rejected by the router, and by its classifier alone."""
    from router_families import HELD_OUT_FAMILIES, TRAIN_FAMILIES, out_of_scope_examples
    from trm_hub.router.fit import screen

    model, check = shipped(), schemas(tasks)
    families = {**TRAIN_FAMILIES, **HELD_OUT_FAMILIES}
    drawn = [p for _, p in screen(list(out_of_scope_examples(n * len(families) // 4, 2000, families)), tasks)[0]]
    full = sum(v.task is None for v in model.verdicts(drawn, check)) / max(len(drawn), 1)
    alone = sum(v.task is None for v in model.verdicts(drawn)) / max(len(drawn), 1)
    print(f"task-shaped families ({len(families)}): {len(drawn)} problems no schema accepts; router rejects "
          f"{full:.2%}, its classifier alone {alone:.2%}")
    return {"problems": len(drawn), "rejected": round(full, 4), "rejected_by_classifier_alone": round(alone, 4)}


SMILES = [
    "CCO", "CC(=O)O", "c1ccccc1", "CC(=O)Oc1ccccc1C(=O)O", "Cn1cnc2c1c(=O)n(C)c(=O)n2C", "CCN(CC)CC",
    "O=C=O", "C1CCCCC1", "CC(C)Cc1ccc(cc1)C(C)C(=O)O", "Clc1ccccc1", "OCC(O)CO", "CCCCCCCC", "c1ccncc1",
    "CC(C)O", "NCCO", "c1ccc2ccccc2c1", "CC(=O)Nc1ccc(O)cc1", "OC(=O)c1ccccc1O", "CCOC(=O)C", "C#N",
    "CC#CC", "FC(F)(F)c1ccccc1", "Oc1ccccc1", "CS(=O)C", "C1=CC=CN=C1", "CCCl", "BrCCBr", "COc1ccccc1",
]
PROPERTY_NAMES = ["solubility", "lipophilicity", "hydration_free_energy", "logS", "logD", "ESOL"]


def _sudoku(rng, n: int) -> list[list[int]]:
    h, w = {4: (2, 2), 6: (2, 3), 9: (3, 3)}[n]
    digits = list(range(1, n + 1))
    rng.shuffle(digits)
    grid = [[digits[((r % h) * w + r // h + c) % n] for c in range(n)] for r in range(n)]
    bands = list(range(n // h))
    rng.shuffle(bands)
    rows = [b * h + i for b in bands for i in rng.sample(range(h), h)]
    grid = [grid[r] for r in rows]
    keep = rng.uniform(0.35, 0.7)
    return [[v if rng.random() < keep else 0 for v in row] for row in grid]


def _maze(rng) -> list[list[int]]:
    k_r, k_c = rng.randint(2, 12), rng.randint(2, 12)
    rows, cols = 2 * k_r + 1, 2 * k_c + 1
    g = [[1] * cols for _ in range(rows)]
    stack = [(1, 1)]
    g[1][1] = 0
    while stack:
        r, c = stack[-1]
        nxt = [(r + dr, c + dc, r + dr // 2, c + dc // 2) for dr, dc in ((2, 0), (-2, 0), (0, 2), (0, -2))
               if 0 < r + dr < rows - 1 and 0 < c + dc < cols - 1 and g[r + dr][c + dc] == 1]
        if not nxt:
            stack.pop()
            continue
        r2, c2, rm, cm = rng.choice(nxt)
        g[rm][cm] = g[r2][c2] = 0
        stack.append((r2, c2))
    return g


def _arc_grid(rng) -> list[list[int]]:
    h, w = rng.randint(1, 30), rng.randint(1, 30)
    bg = rng.choice([0, 0, 0, rng.randrange(10)])
    g = [[bg] * w for _ in range(h)]
    for _ in range(rng.randint(0, 6)):
        r, c = rng.randrange(h), rng.randrange(w)
        colour = rng.randrange(10)
        for i in range(r, min(h, r + rng.randint(1, 5))):
            for j in range(c, min(w, c + rng.randint(1, 5))):
                g[i][j] = colour
    return g


def documented_formats(n: int, seed: int) -> list[tuple[str, Any]]:
    """Problems in the formats DESIGN.md documents, made here (not by the plugins' generators)."""
    import random

    rng = random.Random(seed)
    out: list[tuple[str, Any]] = []
    for _ in range(n):
        size = rng.choice([4, 6, 9, 9])
        g = _sudoku(rng, size)
        key = rng.choice(["puzzle", "grid", "sudoku"])
        blank = rng.choice([".", "0", "_"])
        fmt = rng.randrange(4)
        if fmt == 0:
            out.append(("sudoku", {key: "".join(str(v) if v else blank for row in g for v in row)}))
        elif fmt == 1:
            out.append(("sudoku", {key: ["".join(str(v) if v else blank for v in row) for row in g]}))
        elif fmt == 2:
            out.append(("sudoku", {key: g}))
        else:
            out.append(("sudoku", {key: [[v or None for v in row] for row in g]}))

        m = _maze(rng)
        cells = [(r, c) for r, row in enumerate(m) for c, v in enumerate(row) if v == 0]
        s, t = rng.sample(cells, 2)
        key = rng.choice(["maze", "grid"])
        fmt = rng.randrange(3)
        if fmt == 0:
            out.append(("maze", {key: m, "start": list(s), "goal": list(t)}))
        else:
            open_ = rng.choice([" ", "."])
            rows = [["#" if v else open_ for v in row] for row in m]
            rows[s[0]][s[1]], rows[t[0]][t[1]] = "S", "G"
            lines = ["".join(row) for row in rows]
            out.append(("maze", {key: lines} if fmt == 1 else {key: "\n".join(lines)}))

        train = [{"input": _arc_grid(rng), "output": _arc_grid(rng)} for _ in range(rng.randint(1, 5))]
        test = [{"input": _arc_grid(rng)} for _ in range(rng.randint(1, 2))]
        if rng.random() < 0.2:
            test = [dict(t, output=_arc_grid(rng)) for t in test]
        out.append(("arc", {"train": train, "test": test}))

        smiles: Any = rng.choice(SMILES) if rng.random() < 0.5 else rng.sample(SMILES, rng.randint(1, 6))
        problem = {"smiles": smiles}
        if rng.random() < 0.5:
            problem["property"] = rng.choice(PROPERTY_NAMES)
        out.append(("molecule", problem))
    return out


def section_docs(tasks: dict[str, Any], n: int) -> dict[str, Any]:
    """Problems of the documented formats made by this benchmark, kept only where the task's schema accepts them."""
    from trm_hub import router

    made = documented_formats(n, seed=31337)
    kept, refused = [], 0
    for task, problem in made:
        try:
            tasks[task].parse(problem)
        except Exception:
            refused += 1
            continue
        kept.append((task, problem))
    verdicts = shipped().verdicts([p for _, p in kept], schemas(tasks))
    per: dict[str, list[int]] = {}
    wrong = []
    for (task, problem), v in zip(kept, verdicts):
        key = f"{task} {router.problem_format(problem)}"
        per.setdefault(key, [0, 0])
        per[key][0] += v.task == task
        per[key][1] += 1
        if v.task != task:
            wrong.append({"expected": task, "got": v.task, "reason": v.reason, "problem": json.dumps(problem)[:200]})
    correct = sum(a for a, _ in per.values())
    total = sum(b for _, b in per.values())
    print(f"documented formats made here: {correct}/{total} routed to the right task ({correct / total:.2%}); "
          f"{refused} made problems refused by the task schemas and left out")
    for key, (a, b) in sorted(per.items()):
        print(f"  {key:<62} {a}/{b}")
    for w in wrong[:10]:
        print("  mistake:", json.dumps(w)[:300])
    return {"correct": correct, "total": total, "accuracy": round(correct / max(total, 1), 4),
            "refused_by_schema": refused, "by_format": per, "mistakes": wrong[:20]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sections", default=DEFAULT_SECTIONS, help=f"comma list (default {DEFAULT_SECTIONS}; also compare, lofo)")
    ap.add_argument("--n", type=int, default=300, help="held-out problems per task")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures to this JSON file")
    args = ap.parse_args()
    os.environ.setdefault("TRM_HUB_CACHE", tempfile.mkdtemp(prefix="trm-hub-bench-"))
    tasks = builtin_tasks()
    figures: dict[str, Any] = {"tasks": sorted(tasks)}
    for name in args.sections.split(","):
        print(f"== {name}")
        if name == "eval":
            figures[name] = section_eval(tasks, args.n)
        elif name == "cases":
            figures[name] = section_cases(tasks)
        elif name == "cold":
            figures[name] = section_cold()
        elif name == "batch":
            figures[name] = section_batch(tasks, args.n)
        elif name == "families":
            figures[name] = section_families(tasks, args.n)
        elif name == "fit":
            figures[name] = section_fit(tasks)
        elif name == "docs":
            figures[name] = section_docs(tasks, args.n)
        elif name == "compare":
            figures[name] = section_compare(tasks, args.n)
        elif name == "lofo":
            figures[name] = section_lofo(tasks, args.n)
        else:
            raise SystemExit(f"unknown section '{name}'")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1, default=str))


if __name__ == "__main__":
    main()
