"""Fitting the router with scikit-learn: every task's routing examples against generic JSON shapes."""

from __future__ import annotations

import itertools
import time
from collections import Counter
from typing import Any

import numpy as np

from trm_hub.errors import HubError, one_line
from trm_hub.router.features import featurize
from trm_hub.router.model import NONE, RouterModel, signature
from trm_hub.router.shapes import generic_shapes
from trm_hub.task import Task

TASK_KEY = "task"
N_TRAIN = 200
NEG_PER_TASK = 300
MIN_NEG = 1200
C = 4.0
MIN_COUNT = 2
PERMISSIVE = 0.3


class RoutingExamplesError(HubError):
    """A task's routing_examples could not be used."""


def without_task_key(problem: Any) -> Any:
    """The problem without its routing-only "task" key (a new dict); anything else is unchanged."""
    if isinstance(problem, dict) and TASK_KEY in problem:
        return {k: v for k, v in problem.items() if k != TASK_KEY}
    return problem


def task_examples(task: Task, n: int, seed: int) -> list[Any]:
    """Up to n raw problems from `task.routing_examples(n, seed)`; a clear error if it fails."""
    try:
        examples = [without_task_key(p) for p in itertools.islice(task.routing_examples(n, seed), n)]
    except NotImplementedError:
        raise RoutingExamplesError(f"task '{task.name}' does not implement routing_examples") from None
    except Exception as exc:
        raise RoutingExamplesError(one_line(f"task '{task.name}': routing_examples failed: "
                                            f"{type(exc).__name__}: {exc}")) from exc
    if not examples:
        raise RoutingExamplesError(f"task '{task.name}': routing_examples yielded nothing")
    return examples


def collect(tasks: dict[str, Task], n: int, seed: int) -> tuple[dict[str, list[Any]], dict[str, str]]:
    """Routing examples of every task (and the error of each task that could not give any)."""
    examples, errors = {}, {}
    for name in sorted(tasks):
        try:
            examples[name] = task_examples(tasks[name], n, seed)
        except RoutingExamplesError as exc:
            errors[name] = str(exc)
    return examples, errors


def refusal(problem: Any, task: Task) -> str | None:
    """Why the task's schema refuses the raw problem (one line), or None when it accepts it."""
    from pydantic import ValidationError

    from trm_hub.errors import format_validation_error

    if not isinstance(problem, dict):
        return f"a problem is a JSON object, not {type(problem).__name__}"
    try:
        task.parse(problem)
    except ValidationError as exc:
        return format_validation_error(exc)[:160]
    except Exception as exc:
        return one_line(f"{type(exc).__name__}: {exc}")[:160]
    return None


def screen(drawn: list[tuple[str, Any]], tasks: dict[str, Task]) -> tuple[list[tuple[str, Any]], list[str]]:
    """Drop the drawn shapes that a task's schema accepts; a schema that accepts more than
    PERMISSIVE of them is left out of the screening (and named in the second return value)."""
    accepts = {t: [refusal(p, task) is None for _, p in drawn] for t, task in tasks.items()}
    permissive = sorted(t for t, acc in accepts.items() if sum(acc) > PERMISSIVE * max(len(drawn), 1))
    strict = [t for t in tasks if t not in permissive]
    return [d for i, d in enumerate(drawn) if not any(accepts[t][i] for t in strict)], permissive


def fit(tasks: dict[str, Task], n: int = N_TRAIN, seed: int = 0) -> RouterModel:
    """Fit a router for the given tasks from their routing examples and generic shapes."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    t0 = time.perf_counter()
    train, errors = collect(tasks, n, seed)
    if not train:
        raise RoutingExamplesError("no installed task gives routing examples (" + "; ".join(errors.values()) + ")")
    routable = {k: tasks[k] for k in train}
    drawn = max(MIN_NEG, NEG_PER_TASK * len(train))
    negatives, permissive = screen(list(generic_shapes(drawn, seed)), routable)
    classes = sorted(train) + [NONE]
    problems = [p for t in classes[:-1] for p in train[t]] + [p for _, p in negatives]
    y = np.asarray([k for k, t in enumerate(classes[:-1]) for _ in train[t]] + [len(classes) - 1] * len(negatives))
    feats = [featurize(p) for p in problems]
    seen = Counter(f for fs in feats for f in fs)
    vectorizer = DictVectorizer(dtype=np.float32)
    X = vectorizer.fit_transform([{f: 1.0 for f in fs if seen[f] >= MIN_COUNT} for fs in feats])
    clf = LogisticRegression(C=C, max_iter=3000, class_weight="balanced").fit(X, y)
    coef = np.zeros((len(classes), X.shape[1]), np.float32)
    intercept = np.full(len(classes), -1e4, np.float32)
    rows = clf.classes_ if len(clf.classes_) > 2 else clf.classes_[1:]
    coef[rows], intercept[rows] = clf.coef_, clf.intercept_
    if len(clf.classes_) == 2:
        intercept[clf.classes_[0]] = 0.0
    model = RouterModel(classes, [str(f) for f in vectorizer.get_feature_names_out()], coef, intercept, signature(tasks))
    model.info.update({
        "seed": seed, "examples_per_task": n, "negatives": len(negatives), "negatives_drawn": drawn,
        "unroutable": errors, "permissive_schemas": permissive, "fit_seconds": round(time.perf_counter() - t0, 3),
    })
    return model
