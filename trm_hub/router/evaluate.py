"""`trm-hub router eval`: accuracy per task, rejection of out-of-scope problems, confusion, latency."""

from __future__ import annotations

import json
import time
from typing import Any

import numpy as np

from trm_hub.errors import HubError
from trm_hub.router.features import kind
from trm_hub.router.fit import collect, refusal, screen
from trm_hub.router.shapes import HELD_OUT, generic_shapes
from trm_hub.router.model import RouterModel
from trm_hub.task import Task

EVAL_SEED = 1000


def problem_format(problem: Any) -> str:
    """Short structural signature of a problem: its top-level keys and their value kinds."""
    if not isinstance(problem, dict):
        return kind(problem)
    return "{" + ",".join(f"{k}:{kind(v)}" for k, v in sorted(problem.items())) + "}"


def _key(problem: Any) -> str:
    return json.dumps(problem, sort_keys=True, default=str)


def _ms(values: list[float], q: float) -> float:
    return round(float(np.percentile(values, q)) * 1000, 4) if values else 0.0


def evaluate_router(tasks: dict[str, Task], *, n: int = 200, seed: int = EVAL_SEED,
                    model: RouterModel | None = None) -> dict[str, Any]:
    """Accuracy per task, out-of-scope rejection, confusion matrix and latency on held-out problems."""
    from trm_hub.router import router_for

    model = model or router_for(tasks)
    if model is None or not model.tasks:
        raise HubError("no installed task can be routed to, so there is nothing to evaluate")
    fit_seed = int(model.info.get("seed", 0))
    while seed in (fit_seed, fit_seed - 1):
        seed += 10
    routable = {k: tasks[k] for k in model.tasks if k in tasks}
    fitted, _ = collect(routable, int(model.info.get("examples_per_task", 0)), fit_seed)
    seen_before = {_key(p) for ps in fitted.values() for p in ps}
    seen_before |= {_key(p) for _, p in generic_shapes(int(model.info.get("negatives_drawn", 0)), fit_seed)}
    held_out, errors = collect(routable, n, seed)
    drawn = [(t, None, p) for t in sorted(held_out) for p in held_out[t]]
    drawn += [(None, k, p) for k, p in screen(list(generic_shapes(2 * n, seed)), routable)[0]]
    drawn += [(None, k, p) for k, p in screen(list(generic_shapes(n, seed + 1, HELD_OUT)), routable)[0]]
    labels, kinds, problems = zip(*[x for x in drawn if _key(x[2]) not in seen_before]) if drawn else ((), (), ())

    check = lambda p, name: refusal(p, routable[name])  # noqa: E731
    t0 = time.perf_counter()
    verdicts = model.verdicts(list(problems), check)
    batch_s = time.perf_counter() - t0
    alone = model.verdicts(list(problems))
    single: list[float] = []
    for p in problems[:: max(1, len(problems) // 400)]:
        t1 = time.perf_counter()
        model.verdicts([p], check)
        single.append(time.perf_counter() - t1)

    names = model.tasks + ["none"]
    confusion = np.zeros((len(names), len(names)), dtype=int)
    groups: dict[str, list[int]] = {}
    for lab, k, v, p in zip(labels, kinds, verdicts, problems):
        confusion[names.index(lab or "none"), names.index(v.task or "none")] += 1
        counts = groups.setdefault(f"{lab} {problem_format(p)}" if lab else k, [0, 0])
        counts[0] += v.task == lab
        counts[1] += 1
    inside = [i for i, lab in enumerate(labels) if lab]
    seen = [i for i, k in enumerate(kinds) if k and k not in HELD_OUT]
    new = [i for i, k in enumerate(kinds) if k in HELD_OUT]

    def rate(rows: list[int], got: list[Any]) -> float:
        return round(sum(got[i].task == labels[i] for i in rows) / max(len(rows), 1), 4)

    return {
        "tasks": model.tasks, "task_set_id": model.set_id, "seed": seed,
        "examples_per_task": {t: int(confusion[i].sum()) for i, t in enumerate(model.tasks)},
        "accuracy": {t: round(confusion[i, i] / max(confusion[i].sum(), 1), 4) for i, t in enumerate(model.tasks)},
        "accuracy_by_format": {k: [round(a / b, 4), b] for k, (a, b) in sorted(groups.items()) if " " in k},
        "in_scope_accuracy": rate(inside, verdicts), "out_of_scope": len(seen) + len(new),
        "rejection_rate": rate(seen + new, verdicts), "rejection_seen_kinds": rate(seen, verdicts),
        "rejection_new_kinds": rate(new, verdicts),
        "rejection_by_kind": {k: round(a / b, 3) for k, (a, b) in sorted(groups.items()) if " " not in k},
        "in_scope_accuracy_classifier_alone": rate(inside, alone), "rejection_by_classifier_alone": rate(seen + new, alone),
        "labels": names, "confusion": confusion.tolist(),
        "latency_ms": {"batch_per_problem": round(batch_s / max(len(problems), 1) * 1000, 4),
                       "single_p50": _ms(single, 50), "single_p90": _ms(single, 90), "single_p99": _ms(single, 99)},
        "dropped_seen_in_fitting": len(drawn) - len(problems), "unroutable": errors,
        "mistakes": [{"expected": lab or "none", "got": v.task or "none", "reason": v.reason,
                      "problem": _key(p)[:160]} for lab, v, p in zip(labels, verdicts, problems) if v.task != lab][:20],
    }


def format_report(report: dict[str, Any]) -> str:
    """Human-readable text of an `evaluate_router` report."""
    lines = [f"router for tasks: {', '.join(report['tasks'])} (held-out seed {report['seed']})", "accuracy per task:"]
    lines += [f"  {t:<12} {acc:7.2%}  ({report['examples_per_task'].get(t, 0)} problems)"
              for t, acc in report["accuracy"].items()]
    lines.append(f"in-scope accuracy: {report['in_scope_accuracy']:.2%}")
    lines += [f"  format {f}: {a:.2%} of {c}" for f, (a, c) in report["accuracy_by_format"].items() if a < 1.0]
    lines.append(f"out-of-scope rejected: {report['rejection_rate']:.2%} of {report['out_of_scope']} "
                 f"(kinds seen in fitting {report['rejection_seen_kinds']:.2%}, "
                 f"kinds never seen {report['rejection_new_kinds']:.2%})")
    weak = {k: r for k, r in report["rejection_by_kind"].items() if r < 1.0}
    if weak:
        lines.append("  kinds not always rejected: " + ", ".join(f"{k} {r:.0%}" for k, r in weak.items()))
    lines.append(f"classifier alone (as if every schema accepted everything): in-scope "
                 f"{report['in_scope_accuracy_classifier_alone']:.2%}, out-of-scope rejected "
                 f"{report['rejection_by_classifier_alone']:.2%}")
    labels = report["labels"]
    width = max(8, *(len(x) for x in labels)) + 1
    lines.append("confusion (rows: expected, columns: routed to):")
    lines.append(" " * width + "".join(f"{x:>{width}}" for x in labels))
    lines += [f"{name:<{width}}" + "".join(f"{v:>{width}}" for v in row) for name, row in zip(labels, report["confusion"])]
    lat = report["latency_ms"]
    lines.append(f"latency (schemas and classifier): {lat['batch_per_problem']:.3f} ms per problem in a batch; "
                 f"one at a time p50 {lat['single_p50']:.3f} ms, p90 {lat['single_p90']:.3f} ms, "
                 f"p99 {lat['single_p99']:.3f} ms")
    lines += [f"not routable: {err}" for err in report["unroutable"].values()]
    return "\n".join(lines)
