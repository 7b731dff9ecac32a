"""The fitted router as plain numpy arrays: class scores, the routing decision, pickle-free JSON storage."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from trm_hub.files import atomic_write_text
from trm_hub.router.features import FEATURES_VERSION, featurize

FORMAT = "trm-hub-router/2"
NONE = "<none>"
HINT_SCORE = 0.1


def signature(tasks: dict[str, Any]) -> list[tuple[str, str]]:
    """The task set as sorted (name, version) pairs; the router is refit when it changes."""
    return sorted((name, str(getattr(task, "version", ""))) for name, task in tasks.items())


def task_set_id(pairs: list[tuple[str, str]]) -> str:
    """Short stable hash of a task set given as (name, version) pairs."""
    return hashlib.sha256(json.dumps(sorted(map(list, pairs))).encode()).hexdigest()[:16]


def _encode(a: np.ndarray) -> dict[str, Any]:
    a = np.ascontiguousarray(a, dtype=np.float32)
    return {"dtype": a.dtype.str, "shape": list(a.shape), "b64": base64.b64encode(a.tobytes()).decode("ascii")}


def _decode(d: dict[str, Any]) -> np.ndarray:
    dtype = np.dtype(d["dtype"])
    if dtype.kind != "f":
        raise ValueError(f"router file holds an array of unsupported type {dtype}")
    return np.frombuffer(base64.b64decode(d["b64"]), dtype=dtype).reshape(d["shape"]).astype(np.float32)


@dataclass(frozen=True)
class Decision:
    """Which task answers a problem (None: no task fits), how sure, every task's score, and why."""

    task: str | None
    confidence: float
    scores: dict[str, float] = field(default_factory=dict)
    reason: str = ""


@dataclass
class RouterModel:
    """A linear classifier over task-agnostic features: one class per task and one for "none"."""

    classes: list[str]
    features: list[str]
    coef: np.ndarray
    intercept: np.ndarray
    signature: list[tuple[str, str]]
    info: dict[str, Any] = field(default_factory=dict)
    features_version: int = FEATURES_VERSION

    def __post_init__(self) -> None:
        if self.coef.shape != (len(self.classes), len(self.features)) or len(self.intercept) != len(self.classes):
            raise ValueError("router file is inconsistent: coefficient shape does not match classes and features")
        self._column = {name: j for j, name in enumerate(self.features)}
        self._coef_t = np.ascontiguousarray(self.coef.T)

    @property
    def tasks(self) -> list[str]:
        """Task classes (every class except "none")."""
        return [c for c in self.classes if c != NONE]

    @property
    def set_id(self) -> str:
        return task_set_id(self.signature)

    @property
    def current(self) -> bool:
        """Whether the model was fit on the features this version of the code computes."""
        return self.features_version == FEATURES_VERSION

    def proba(self, problems: list[Any]) -> np.ndarray:
        """Class probabilities [B, K] (sparse sums of coefficient rows, no BLAS call)."""
        logits = np.tile(self.intercept, (len(problems), 1))
        for i, problem in enumerate(problems):
            cols = [j for j in map(self._column.get, featurize(problem)) if j is not None]
            if cols:
                logits[i] += self._coef_t[cols].sum(axis=0)
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def verdicts(self, problems: list[Any], refusal: Callable[[Any, str], str | None] | None = None) -> list[Decision]:
        """Route each problem: in the classifier's order, the first class that is "none" or a task
        whose schema accepts the problem wins (the same as the likeliest of those that accept).

        `refusal(problem, task)` is the task schema's one-line error, or None when it accepts the
        problem; without it every schema is taken to accept everything (the classifier alone).
        """
        out = []
        for problem, p in zip(problems, self.proba(problems)):
            scores = {t: round(float(p[k]), 4) for k, t in enumerate(self.classes) if t != NONE}
            ranked = sorted(scores, key=lambda t: -scores[t])
            closest = ", ".join(f"{t} {scores[t]:.2f}" for t in ranked[:3])
            refused: dict[str, str] = {}
            for k in np.argsort(-p, kind="stable"):
                label = self.classes[k]
                why = refusal(problem, label) if refusal is not None and label != NONE else None
                if why is None:
                    break
                refused[label] = why
            conf = round(float(p[k] / max(1.0 - sum(p[self.classes.index(t)] for t in refused), 1e-9)), 4)
            if label != NONE:
                nxt = [t for t in ranked if t != label][:1]
                out.append(Decision(label, conf, scores, f"router: {label} {conf:.2f}"
                                   + (f"; next: {nxt[0]} {scores[nxt[0]]:.2f}" if nxt else "")))
                continue
            if not refused and ranked and refusal is not None and scores[ranked[0]] >= HINT_SCORE:
                why = refusal(problem, ranked[0])
                refused = {ranked[0]: why} if why else {}
            what = next((f"{t} refuses it: {why}" for t, why in refused.items()), f"looks out of scope ({conf:.2f})")
            out.append(Decision(None, conf, scores, f"no task fits: {what} (closest: {closest})"))
        return out

    def to_json(self) -> dict[str, Any]:
        """Pickle-free JSON document: metadata in the clear, arrays as base64 with dtype and shape."""
        return {
            "format": FORMAT, "features_version": self.features_version, "tasks": [list(p) for p in self.signature],
            "task_set_id": self.set_id, "classes": self.classes, "info": self.info, "features": self.features,
            "arrays": {"coef": _encode(self.coef), "intercept": _encode(self.intercept)},
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> "RouterModel":
        """Rebuild a model from `to_json` output (only numbers, strings and float arrays are read)."""
        if doc.get("format") != FORMAT:
            raise ValueError(f"not a router file of format {FORMAT} (found {doc.get('format')!r})")
        return cls(
            classes=[str(c) for c in doc["classes"]], features=[str(f) for f in doc["features"]],
            coef=_decode(doc["arrays"]["coef"]), intercept=_decode(doc["arrays"]["intercept"]),
            signature=[(str(a), str(b)) for a, b in doc["tasks"]], info=dict(doc.get("info", {})),
            features_version=int(doc.get("features_version", 0)),
        )

    def save(self, path: Path) -> Path:
        """Write the model to `path` atomically (JSON)."""
        return atomic_write_text(path, json.dumps(self.to_json(), separators=(",", ":")))

    @classmethod
    def load(cls, path: Path) -> "RouterModel":
        """Read a model written by `save`."""
        with open(path) as fh:
            return cls.from_json(json.load(fh))
