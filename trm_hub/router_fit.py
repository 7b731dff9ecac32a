"""Fitting the router with scikit-learn and tuning its rejection thresholds on held-out data."""

from __future__ import annotations

import itertools
import json
import time
from typing import Any, Iterable

import numpy as np

from trm_hub.errors import HubError, one_line
from trm_hub.router_data import TRAIN_FAMILIES, out_of_scope_examples
from trm_hub.router_features import featurize, without_task_key
from trm_hub.router_model import NOT_NOVELTY, OUT_OF_SCOPE, RouterModel
from trm_hub.task import Task

N_TRAIN = 200
NEG_PER_TASK = 400
MIN_NEG = 1200
MAX_PROTOS = 400
C = 4.0
DIST_MARGIN = 0.1
DIST_FLOOR = 0.25
MISS_WEIGHT = 20.0
CONF_CEILING = 0.9
PERMISSIVE = 0.3


class RoutingExamplesError(HubError):
    """A task's routing_examples could not be used."""


def task_examples(task: Task, n: int, seed: int) -> list[Any]:
    """Up to n raw problems from `task.routing_examples(n, seed)`; a clear error if it fails."""
    try:
        examples = [without_task_key(p) for p in itertools.islice(task.routing_examples(n, seed), n)]
    except NotImplementedError:
        raise RoutingExamplesError(f"task '{task.name}' does not implement routing_examples") from None
    except Exception as exc:
        raise RoutingExamplesError(
            one_line(f"task '{task.name}': routing_examples failed: {type(exc).__name__}: {exc}")
        ) from exc
    if not examples:
        raise RoutingExamplesError(f"task '{task.name}': routing_examples yielded nothing")
    return examples


def accepted_by(problem: Any, tasks: dict[str, Task]) -> str | None:
    """Name of a task whose schema accepts the raw problem, else None."""
    if not isinstance(problem, dict):
        return None
    for name, task in tasks.items():
        try:
            task.parse(problem)
        except Exception:
            continue
        return name
    return None


def screen(drawn: list[tuple[str, Any]], tasks: dict[str, Task]) -> tuple[list[tuple[str, Any]], list[str]]:
    """Drop the drawn negatives that an installed task's schema accepts.

    A task whose schema accepts more than PERMISSIVE of them says nothing useful about scope, so
    it is left out of the screening (and named in the second return value).
    """
    accepted = {name: [accepted_by(p, {name: task}) is not None for _, p in drawn] for name, task in tasks.items()}
    permissive = sorted(name for name, acc in accepted.items() if sum(acc) > PERMISSIVE * max(len(drawn), 1))
    strict = [name for name in accepted if name not in permissive]
    kept = [pair for i, pair in enumerate(drawn) if not any(accepted[name][i] for name in strict)]
    return kept, permissive


def negatives(n: int, seed: int, tasks: dict[str, Task], families=None) -> list[tuple[str, Any]]:
    """n (family, problem) out-of-scope pairs, leaving out any that an installed task accepts."""
    return screen(list(out_of_scope_examples(n, seed, families)), tasks)[0]


def _csr(feats: list[dict[str, float]], vocab: dict[str, int]):
    from scipy.sparse import csr_matrix

    rows, cols, vals = [], [], []
    for i, f in enumerate(feats):
        for name, v in f.items():
            j = vocab.get(name)
            if j is not None:
                rows.append(i)
                cols.append(j)
                vals.append(v)
    return csr_matrix((np.asarray(vals, np.float32), (rows, cols)), shape=(len(feats), len(vocab)))


def build_vocab(feats: Iterable[dict[str, float]], min_count: int = 2) -> dict[str, int]:
    """Feature names seen at least min_count times, in sorted order."""
    counts: dict[str, int] = {}
    for f in feats:
        for name in f:
            counts[name] = counts.get(name, 0) + 1
    names = sorted(n for n, c in counts.items() if c >= min_count)
    return {n: j for j, n in enumerate(names)}


def make_classifier(kind: str = "logreg", c: float = C):
    """The scikit-learn estimator used for fitting (logreg is the shipped choice)."""
    if kind == "logreg":
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(C=c, max_iter=3000, class_weight="balanced")
    if kind == "svm":
        from sklearn.svm import LinearSVC

        return LinearSVC(C=c / 10, class_weight="balanced")
    if kind == "gbdt":
        from sklearn.ensemble import HistGradientBoostingClassifier

        return HistGradientBoostingClassifier(max_iter=30, class_weight="balanced")
    raise ValueError(f"unknown classifier kind '{kind}' (known: logreg, svm, gbdt)")


def _prototypes(xb: np.ndarray, labels: np.ndarray, n_tasks: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Distinct in-scope binary rows per task (at most MAX_PROTOS each)."""
    protos, owner = [], []
    for t in range(n_tasks):
        uniq = np.unique(xb[labels == t], axis=0)
        if len(uniq) > MAX_PROTOS:
            uniq = uniq[rng.choice(len(uniq), MAX_PROTOS, replace=False)]
        protos.append(uniq)
        owner.append(np.full(len(uniq), t))
    return np.concatenate(protos).astype(np.float32), np.concatenate(owner)


def _conf_threshold(in_conf: np.ndarray, out_conf: np.ndarray) -> float:
    """Middle of the range of thresholds that maximise out-of-scope rejection minus
    MISS_WEIGHT x in-scope rejection on held-out data (floor 0.34, ceiling CONF_CEILING)."""
    cands = np.unique(np.concatenate([in_conf, out_conf, [0.34, CONF_CEILING]]))
    cands = cands[(cands >= 0.34) & (cands <= CONF_CEILING)]
    gain = np.asarray([
        ((out_conf < t).mean() if len(out_conf) else 0.0) - MISS_WEIGHT * ((in_conf < t).mean() if len(in_conf) else 0.0)
        for t in cands
    ])
    best = cands[gain >= gain.max() - 1e-12]
    return float((best.min() + best.max()) / 2)


def fit_model(
    train: dict[str, list[Any]],
    neg_train: list[Any],
    cal: dict[str, list[Any]],
    neg_cal: list[Any],
    signature: list[tuple[str, str]],
    seed: int = 0,
    c: float = C,
) -> RouterModel:
    """Fit the classifier on `train` + `neg_train`; tune thresholds on `cal` + `neg_cal`."""
    tasks = sorted(train)
    classes = tasks + [OUT_OF_SCOPE]
    feats = [featurize(p) for t in tasks for p in train[t]] + [featurize(p) for p in neg_train]
    y = np.asarray([i for i, t in enumerate(tasks) for _ in train[t]] + [len(tasks)] * len(neg_train))
    vocab = build_vocab(feats)
    X = _csr(feats, vocab)
    clf = make_classifier("logreg", c)
    clf.fit(X, y)
    coef = np.zeros((len(classes), len(vocab)), np.float32)
    intercept = np.zeros(len(classes), np.float32)
    if len(clf.classes_) == 2:
        coef[clf.classes_[1]] = clf.coef_[0]
        intercept[clf.classes_[1]] = clf.intercept_[0]
    else:
        coef[clf.classes_] = clf.coef_
        intercept[clf.classes_] = clf.intercept_
    missing = sorted(set(range(len(classes))) - set(clf.classes_.tolist()))
    intercept[missing] = -1e4

    names = sorted(vocab, key=vocab.get)
    indicator = np.asarray([n[0] not in NOT_NOVELTY for n in names])
    in_scope = y < len(tasks)
    dense_in = X[in_scope].toarray()
    proto_cols = np.flatnonzero(indicator & (dense_in > 0).any(axis=0))
    rng = np.random.default_rng(seed)
    protos, proto_class = _prototypes((dense_in[:, proto_cols] > 0).astype(np.uint8), y[in_scope], len(tasks), rng)

    model = RouterModel(
        classes=classes, vocab=vocab, coef=coef, intercept=intercept, proto_cols=proto_cols,
        protos=protos, proto_class=proto_class, conf_threshold=0.0,
        dist_threshold=np.ones(len(tasks), np.float32), signature=sorted(signature),
    )
    calibrate(model, cal, neg_cal)
    return model


def calibrate(model: RouterModel, cal: dict[str, list[Any]], neg_cal: list[Any]) -> None:
    """Set the novelty and confidence thresholds from held-out in-scope and out-of-scope problems."""
    tasks = model.tasks
    probs = [p for t in tasks for p in cal.get(t, [])]
    y = np.asarray([i for i, t in enumerate(tasks) for _ in cal.get(t, [])], dtype=int)
    s_in = model.score_features([featurize(p) for p in probs])
    s_out = model.score_features([featurize(p) for p in neg_cal])
    pred_in = s_in.proba.argmax(axis=1) if len(probs) else np.zeros(0, int)
    ok = pred_in == y
    thr = np.ones(len(tasks), np.float32)
    for t in range(len(tasks)):
        d = s_in.dist[ok & (y == t), t]
        if len(d):
            thr[t] = min(max(float(d.max()) + DIST_MARGIN, DIST_FLOOR), 0.98)
    model.dist_threshold = thr
    in_conf = s_in.proba[np.arange(len(y)), y][ok] if len(y) else np.zeros(0)
    pred_out = s_out.proba.argmax(axis=1) if len(neg_cal) else np.zeros(0, int)
    task_pred = pred_out < len(tasks)
    rows = np.flatnonzero(task_pred)
    near = s_out.dist[rows, pred_out[rows]] <= thr[pred_out[rows]] if len(rows) else np.zeros(0, bool)
    out_conf = s_out.proba[rows[near], pred_out[rows[near]]] if len(rows) else np.zeros(0)
    model.conf_threshold = _conf_threshold(in_conf, out_conf)
    verdicts_in = model.verdicts_from_scores(s_in)
    verdicts_out = model.verdicts_from_scores(s_out)
    model.info["calibration"] = {
        "in_scope": len(probs),
        "out_of_scope": len(neg_cal),
        "in_scope_correct": round(sum(v.task == tasks[k] for v, k in zip(verdicts_in, y)) / max(len(probs), 1), 4),
        "out_of_scope_rejected": round(sum(v.task is None for v in verdicts_out) / max(len(neg_cal), 1), 4),
    }


def collect(tasks: dict[str, Task], n: int, seed: int) -> tuple[dict[str, list[Any]], dict[str, str]]:
    """Routing examples of every task (and the error of each task that could not give any)."""
    examples, errors = {}, {}
    for name in sorted(tasks):
        try:
            examples[name] = task_examples(tasks[name], n, seed)
        except RoutingExamplesError as exc:
            errors[name] = str(exc)
    return examples, errors


def split(examples: list[Any], n_train: int, seed: int) -> tuple[list[Any], list[Any]]:
    """Shuffle, keep n_train for fitting and the rest (less exact repeats) as held-out calibration data."""
    order = np.random.default_rng(seed).permutation(len(examples))
    train = [examples[i] for i in order[:n_train]]
    seen = {json.dumps(p, sort_keys=True, default=str) for p in train}
    cal = [examples[i] for i in order[n_train:]]
    return train, [p for p in cal if json.dumps(p, sort_keys=True, default=str) not in seen]


def fit(tasks: dict[str, Task], n: int = N_TRAIN, seed: int = 0) -> RouterModel:
    """Fit a router for the given tasks from their routing examples and the built-in negatives."""
    t0 = time.perf_counter()
    signature = sorted((name, str(getattr(t, "version", ""))) for name, t in tasks.items())
    n_cal = max(n // 2, 20)
    drawn, errors = collect(tasks, n + n_cal, seed)
    if not drawn:
        raise RoutingExamplesError("no installed task gives routing examples (" + "; ".join(errors.values()) + ")")
    train, cal = {}, {}
    for name, examples in drawn.items():
        train[name], cal[name] = split(examples, min(n, len(examples) - 1) if len(examples) > 1 else 1, seed)
    usable = {k: tasks[k] for k in train}
    n_neg = max(MIN_NEG, NEG_PER_TASK * len(train))
    screened, permissive = screen(list(out_of_scope_examples(n_neg, seed)), usable)
    neg_train = [p for _, p in screened]
    neg_cal = [p for _, p in negatives(max(n_neg // 2, 200), seed + 1, usable)]
    model = fit_model(train, neg_train, cal, neg_cal, signature, seed=seed)
    model.info.update({
        "seed": seed,
        "example_draws": [[seed, n + n_cal]],
        "negative_seeds": [seed, seed + 1],
        "examples_per_task": n,
        "negatives": len(neg_train),
        "negative_families": sorted(TRAIN_FAMILIES),
        "unroutable": errors,
        "permissive_schemas": permissive,
        "fit_seconds": round(time.perf_counter() - t0, 3),
    })
    return model
