"""Routing: explicit "task" key, then claim_problem hooks, then the fitted classifier with rejection."""

from __future__ import annotations

import difflib
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from trm_hub.errors import HubError
from trm_hub.router_features import TASK_KEY, without_task_key
from trm_hub.router_model import RouterModel, task_set_id
from trm_hub.task import Task

SHIPPED_PATH = Path(__file__).with_name("router.json")
CACHE_ENV = "TRM_HUB_CACHE"
EVAL_SEED = 1000


@dataclass(frozen=True)
class Decision:
    """Which task answers a problem (None: no task fits), how sure, every task's score, and why."""

    task: str | None
    confidence: float
    scores: dict[str, float] = field(default_factory=dict)
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def signature(tasks: dict[str, Task]) -> list[tuple[str, str]]:
    """The task set as sorted (name, version) pairs; the router is refit when it changes."""
    return sorted((name, str(getattr(task, "version", ""))) for name, task in tasks.items())


def cache_dir() -> Path:
    """Per-user cache folder for routers fit on this machine ($TRM_HUB_CACHE, else XDG cache)."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "trm-hub"


def cache_path(tasks: dict[str, Task]) -> Path:
    """Where the router fit for exactly this task set is kept."""
    return cache_dir() / f"router-{task_set_id(signature(tasks))}.json"


_LOADED: dict[str, RouterModel | None] = {}


def forget_loaded() -> None:
    """Drop the routers this process has loaded or fit (the next use reads or fits them again)."""
    _LOADED.clear()


def _try_load(path: Path, set_id: str) -> RouterModel | None:
    if not path.is_file():
        return None
    try:
        model = RouterModel.load(path)
    except Exception:
        return None
    return model if model.set_id == set_id and model.current else None


def _describe_change(old: list[tuple[str, str]], new: list[tuple[str, str]]) -> str:
    old_d, new_d = dict(old), dict(new)
    parts = []
    added = sorted(set(new_d) - set(old_d))
    removed = sorted(set(old_d) - set(new_d))
    changed = sorted(k for k in set(old_d) & set(new_d) if old_d[k] != new_d[k])
    if added:
        parts.append("added " + ", ".join(added))
    if removed:
        parts.append("removed " + ", ".join(removed))
    if changed:
        parts.append("new version of " + ", ".join(changed))
    return "; ".join(parts) or "different task set"


def shipped_signature() -> list[tuple[str, str]]:
    """Task set of the router shipped with the package (empty if none is shipped)."""
    try:
        import json

        with open(SHIPPED_PATH) as fh:
            return [(str(a), str(b)) for a, b in json.load(fh)["tasks"]]
    except Exception:
        return []


def router_for(tasks: dict[str, Task], *, quiet: bool = False) -> RouterModel | None:
    """The fitted router for this task set: the user's own fit, the shipped one, or one refit now
    (saying so once on stderr, and saving it to the user cache for the next runs)."""
    set_id = task_set_id(signature(tasks))
    if set_id in _LOADED:
        return _LOADED[set_id]
    if not tasks:
        return None
    model = _try_load(cache_path(tasks), set_id) or _try_load(SHIPPED_PATH, set_id)
    if model is None:
        from trm_hub.router_fit import RoutingExamplesError, fit

        try:
            model = fit(tasks)
        except RoutingExamplesError as exc:
            if not quiet:
                print(f"trm-hub: cannot fit the router: {exc}; name a task with a \"task\" key", file=sys.stderr)
            _LOADED[set_id] = None
            return None
        where = cache_path(tasks)
        try:
            model.save(where)
            saved = f"saved to {where}"
        except OSError as exc:
            saved = f"not saved ({exc.strerror or exc})"
        if not quiet:
            change = _describe_change(shipped_signature(), signature(tasks))
            skipped = model.info.get("unroutable") or {}
            note = f"; not routable: {'; '.join(skipped.values())}" if skipped else ""
            print(
                f"trm-hub: installed tasks differ from the router's ({change}): refit the router in "
                f"{model.info.get('fit_seconds', 0):.1f} s, {saved}{note}",
                file=sys.stderr,
            )
    _LOADED[set_id] = model
    return model


def _explicit(problem: Any, tasks: dict[str, Task]) -> Decision | None:
    if not isinstance(problem, dict) or problem.get(TASK_KEY) is None:
        return None
    known = ", ".join(sorted(tasks)) or "none installed"
    name = problem[TASK_KEY]
    if not isinstance(name, str):
        return Decision(None, 0.0, {}, f'the "task" key must name a task as a string; known: {known}')
    if name in tasks:
        return Decision(name, 1.0, {name: 1.0}, 'explicit "task" key')
    folded = [t for t in tasks if t.lower() == name.strip().lower()]
    if len(folded) == 1:
        return Decision(folded[0], 1.0, {folded[0]: 1.0}, 'explicit "task" key')
    close = difflib.get_close_matches(name, list(tasks), n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return Decision(None, 0.0, {}, f"unknown task '{name}'{hint}; known: {known}")


_HOOK_WARNED: set[str] = set()


def _claimed(problem: Any, tasks: dict[str, Task], pm: Any) -> Decision | None:
    if pm is None:
        return None
    try:
        name = pm.hook.claim_problem(problem=problem)
    except Exception as exc:
        msg = f"trm-hub: warning: a claim_problem hook failed and was ignored: {type(exc).__name__}: {exc}"
        if msg not in _HOOK_WARNED:
            _HOOK_WARNED.add(msg)
            print(" ".join(msg.split()), file=sys.stderr)
        return None
    if isinstance(name, str) and name in tasks:
        return Decision(name, 1.0, {name: 1.0}, f"claimed by the {name} plugin's claim_problem hook")
    return None


def decide(problems: Sequence[Any], tasks: dict[str, Task], pm: Any = None) -> list[Decision]:
    """Route each problem: explicit "task" key, then claim_problem, then the classifier (batched)."""
    out: list[Decision | None] = []
    pending: list[int] = []
    for i, problem in enumerate(problems):
        d = _explicit(problem, tasks) or _claimed(problem, tasks, pm)
        out.append(d)
        if d is None:
            pending.append(i)
    if pending:
        model = router_for(tasks)
        if model is None or not model.tasks:
            reason = "no task fits: no tasks are installed" if not tasks else \
                "no task fits: no installed task can be routed to; name one with a \"task\" key"
            for i in pending:
                out[i] = Decision(None, 0.0, {}, reason)
        else:
            verdicts = model.verdicts([without_task_key(problems[i]) for i in pending])
            for i, v in zip(pending, verdicts):
                out[i] = Decision(v.task, round(v.confidence, 4), v.scores, v.reason)
    return [d for d in out if d is not None]


def fit_router(tasks: dict[str, Task], path: Path | str | None = None, *, n: int | None = None,
               seed: int = 0) -> dict[str, Any]:
    """Refit the router for these tasks and store it (default: the user cache); returns a summary."""
    from trm_hub.router_fit import N_TRAIN, fit

    if not tasks:
        raise HubError("no tasks are installed, so there is nothing to route to")
    model = fit(tasks, n=n or N_TRAIN, seed=seed)
    where = Path(path) if path is not None else cache_path(tasks)
    model.save(where)
    _LOADED[model.set_id] = model
    return {
        "path": str(where),
        "tasks": model.tasks,
        "task_set": [list(p) for p in model.signature],
        "examples_per_task": model.info["examples_per_task"],
        "negatives": model.info["negatives"],
        "features": len(model.vocab),
        "conf_threshold": round(model.conf_threshold, 4),
        "calibration": model.info["calibration"],
        "unroutable": model.info["unroutable"],
        "seconds": model.info["fit_seconds"],
    }


def _percentile_ms(values: list[float], q: float) -> float:
    return round(float(np.percentile(values, q)) * 1000, 4) if values else 0.0


def evaluate_router(tasks: dict[str, Task], *, n: int = 200, seed: int = EVAL_SEED,
                    model: RouterModel | None = None) -> dict[str, Any]:
    """Accuracy per task, out-of-scope rejection, confusion matrix and latency on held-out problems."""
    from trm_hub.router_data import HELD_OUT_FAMILIES, TRAIN_FAMILIES, out_of_scope_examples
    from trm_hub.router_fit import collect, negatives

    model = model or router_for(tasks)
    if model is None or not model.tasks:
        raise HubError("no installed task can be routed to, so there is nothing to evaluate")
    draws = [(int(a), int(b)) for a, b in model.info.get("example_draws", [])]
    used = {a for a, _ in draws} | {int(a) for a in model.info.get("negative_seeds", [])}
    while seed in used or seed + 1 in used:
        seed += 10
    routable = {k: tasks[k] for k in model.tasks if k in tasks}
    held_out, errors = collect(routable, n, seed)
    seen_before = set()
    for s, n_fit in draws:
        fitted, _ = collect(routable, n_fit, s)
        seen_before |= {_key(p) for ps in fitted.values() for p in ps}
    duplicates = sum(_key(p) in seen_before for ps in held_out.values() for p in ps)
    held_out = {t: [p for p in ps if _key(p) not in seen_before] for t, ps in held_out.items()}
    fitted_negatives = {_key(p) for s in model.info.get("negative_seeds", [])
                        for _, p in out_of_scope_examples(int(model.info.get("negatives", 0)) * 2, int(s))}
    neg_seen_all = negatives(max(n, 10) * 2, seed, tasks, TRAIN_FAMILIES)
    neg_seen = [(f, p) for f, p in neg_seen_all if _key(p) not in fitted_negatives]
    neg_new = negatives(max(n // 2, 10), seed + 1, tasks, HELD_OUT_FAMILIES)
    labels = [t for t in sorted(held_out) for _ in held_out[t]] + [None] * (len(neg_seen) + len(neg_new))
    problems = [p for t in sorted(held_out) for p in held_out[t]] + [p for _, p in neg_seen] + [p for _, p in neg_new]
    families = [None] * (len(labels) - len(neg_seen) - len(neg_new)) + [f for f, _ in neg_seen] + [f for f, _ in neg_new]

    t0 = time.perf_counter()
    verdicts = model.verdicts(problems)
    batch_s = time.perf_counter() - t0
    single: list[float] = []
    for p in problems[:: max(1, len(problems) // 400)]:
        t1 = time.perf_counter()
        model.verdicts([p])
        single.append(time.perf_counter() - t1)

    names = model.tasks + ["none"]
    idx = {t: i for i, t in enumerate(names)}
    confusion = np.zeros((len(names), len(names)), dtype=int)
    for lab, v in zip(labels, verdicts):
        confusion[idx[lab or "none"], idx[v.task or "none"]] += 1
    per_task = {t: round(confusion[idx[t], idx[t]] / max(confusion[idx[t]].sum(), 1), 4) for t in model.tasks}
    by_format: dict[str, list[int]] = {}
    for lab, v, p in zip(labels, verdicts, problems):
        if lab is not None:
            counts = by_format.setdefault(f"{lab} {problem_format(p)}", [0, 0])
            counts[0] += v.task == lab
            counts[1] += 1
    in_scope = [(lab, v) for lab, v in zip(labels, verdicts) if lab is not None]
    seen = [v for fam, v in zip(families, verdicts) if fam in TRAIN_FAMILIES]
    new = [v for fam, v in zip(families, verdicts) if fam in HELD_OUT_FAMILIES]
    by_family: dict[str, list[int]] = {}
    for fam, v in zip(families, verdicts):
        if fam is not None:
            by_family.setdefault(fam, [0, 0])
            by_family[fam][0] += v.task is None
            by_family[fam][1] += 1
    mistakes = [
        {"expected": lab or "none", "got": v.task or "none", "reason": v.reason, "problem": _short(p)}
        for lab, v, p in zip(labels, verdicts, problems) if (v.task or None) != lab
    ]
    return {
        "tasks": model.tasks,
        "task_set_id": model.set_id,
        "seed": seed,
        "examples_per_task": {t: len(held_out[t]) for t in sorted(held_out)},
        "accuracy": per_task,
        "accuracy_by_format": {k: [round(a / b, 4), b] for k, (a, b) in sorted(by_format.items())},
        "in_scope_accuracy": round(sum(v.task == lab for lab, v in in_scope) / max(len(in_scope), 1), 4),
        "out_of_scope": len(seen) + len(new),
        "rejection_rate": round(sum(v.task is None for v in seen + new) / max(len(seen) + len(new), 1), 4),
        "rejection_seen_families": round(sum(v.task is None for v in seen) / max(len(seen), 1), 4),
        "rejection_new_families": round(sum(v.task is None for v in new) / max(len(new), 1), 4),
        "rejection_by_family": {f: round(a / b, 3) for f, (a, b) in sorted(by_family.items())},
        "labels": names,
        "confusion": confusion.tolist(),
        "latency_ms": {
            "batch_per_problem": round(batch_s / max(len(problems), 1) * 1000, 4),
            "single_p50": _percentile_ms(single, 50),
            "single_p90": _percentile_ms(single, 90),
            "single_p99": _percentile_ms(single, 99),
        },
        "conf_threshold": round(model.conf_threshold, 4),
        "dropped_seen_in_fitting": duplicates,
        "dropped_negatives_seen_in_fitting": len(neg_seen_all) - len(neg_seen),
        "unroutable": errors,
        "mistakes": mistakes[:20],
    }


def problem_format(problem: Any) -> str:
    """Short structural signature of a problem: its top-level keys and their value kinds."""
    from trm_hub.router_features import value_kind, list_kind

    if not isinstance(problem, dict):
        return value_kind(problem)
    parts = []
    for k in sorted(problem):
        v = problem[k]
        kind = list_kind(v) if isinstance(v, list) else value_kind(v)
        if isinstance(v, list) and v and isinstance(v[0], list):
            kind = "list<list<" + list_kind(v[0])[5:-1] + ">>"
        parts.append(f"{k}:{kind}")
    return "{" + ",".join(parts) + "}"


def _key(problem: Any) -> str:
    import json

    return json.dumps(problem, sort_keys=True, default=str)


def _short(problem: Any, limit: int = 160) -> str:
    import json

    text = json.dumps(problem, default=str)
    return text if len(text) <= limit else text[:limit] + "..."


def format_report(report: dict[str, Any]) -> str:
    """Human-readable text of an `evaluate_router` report."""
    lines = [f"router for tasks: {', '.join(report['tasks'])} (held-out seed {report['seed']})", "accuracy per task:"]
    for t, acc in report["accuracy"].items():
        lines.append(f"  {t:<12} {acc:7.2%}  ({report['examples_per_task'].get(t, 0)} problems)")
    lines.append(f"in-scope accuracy: {report['in_scope_accuracy']:.2%}")
    weak_formats = {k: v for k, v in report.get("accuracy_by_format", {}).items() if v[0] < 1.0}
    for fmt, (acc, count) in weak_formats.items():
        lines.append(f"  format {fmt}: {acc:.2%} of {count}")
    lines.append(
        f"out-of-scope rejected: {report['rejection_rate']:.2%} of {report['out_of_scope']} "
        f"(kinds seen in fitting {report['rejection_seen_families']:.2%}, "
        f"kinds never seen {report['rejection_new_families']:.2%})"
    )
    weak = {f: r for f, r in report["rejection_by_family"].items() if r < 1.0}
    if weak:
        lines.append("  kinds not always rejected: " + ", ".join(f"{f} {r:.0%}" for f, r in weak.items()))
    labels = report["labels"]
    width = max(8, *(len(x) for x in labels)) + 1
    lines.append("confusion (rows: expected, columns: routed to):")
    lines.append(" " * width + "".join(f"{x:>{width}}" for x in labels))
    for name, row in zip(labels, report["confusion"]):
        lines.append(f"{name:<{width}}" + "".join(f"{v:>{width}}" for v in row))
    lat = report["latency_ms"]
    lines.append(
        f"latency: {lat['batch_per_problem']:.3f} ms per problem in a batch; one at a time "
        f"p50 {lat['single_p50']:.3f} ms, p90 {lat['single_p90']:.3f} ms, p99 {lat['single_p99']:.3f} ms"
    )
    for name, err in report["unroutable"].items():
        lines.append(f"not routable: {err}")
    return "\n".join(lines)
