"""The fitted router as plain numpy arrays: scoring, novelty, rejection, and pickle-free JSON storage."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from trm_hub.files import atomic_write_text
from trm_hub.router_features import FEATURES_VERSION, featurize

FORMAT = "trm-hub-router/1"
OUT_OF_SCOPE = "<none>"
NOT_NOVELTY = "~#"


def task_set_id(signature: list[tuple[str, str]]) -> str:
    """Short stable hash of a task set given as sorted (name, version) pairs."""
    text = json.dumps(sorted([list(p) for p in signature]))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _encode(a: np.ndarray) -> dict[str, Any]:
    a = np.ascontiguousarray(a)
    return {"dtype": a.dtype.str, "shape": list(a.shape), "b64": base64.b64encode(a.tobytes()).decode("ascii")}


def _decode(d: dict[str, Any]) -> np.ndarray:
    dtype = np.dtype(d["dtype"])
    if dtype.kind not in "biuf":
        raise ValueError(f"router file holds an array of unsupported type {dtype}")
    raw = base64.b64decode(d["b64"])
    return np.frombuffer(raw, dtype=dtype).reshape(d["shape"]).copy()


@dataclass
class Scores:
    """Per-problem class probabilities and distance to the nearest training example of each task."""

    proba: np.ndarray
    dist: np.ndarray


@dataclass
class Verdict:
    """The classifier's answer for one problem: a task or None, with scores and a one-line reason."""

    task: str | None
    confidence: float
    scores: dict[str, float]
    reason: str


@dataclass
class RouterModel:
    """Linear classifier over task-agnostic features, plus a nearest-example novelty check."""

    classes: list[str]
    vocab: dict[str, int]
    coef: np.ndarray
    intercept: np.ndarray
    proto_cols: np.ndarray
    protos: np.ndarray
    proto_class: np.ndarray
    conf_threshold: float
    dist_threshold: np.ndarray
    signature: list[tuple[str, str]]
    info: dict[str, Any] = field(default_factory=dict)
    features_version: int = FEATURES_VERSION

    @property
    def tasks(self) -> list[str]:
        """Task classes (every class except the out-of-scope one)."""
        return [c for c in self.classes if c != OUT_OF_SCOPE]

    @property
    def set_id(self) -> str:
        return task_set_id(self.signature)

    @property
    def current(self) -> bool:
        """Whether the model was fit on the features this version of the code computes."""
        return self.features_version == FEATURES_VERSION

    def __post_init__(self) -> None:
        if len(self.proto_class) and np.any(np.diff(self.proto_class) < 0):
            raise ValueError("router prototypes must be grouped by task")
        bounds = np.searchsorted(self.proto_class, np.arange(len(self.tasks) + 1))
        self._spans = [(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:])]
        self._coef_t = np.ascontiguousarray(self.coef.T, dtype=np.float32)
        self._protos_t = np.ascontiguousarray(self.protos.T > 0)
        self._sizes = self.protos.sum(axis=1).astype(np.float32)
        self._proto_pos = np.full(len(self.vocab), -1, dtype=np.int64)
        self._proto_pos[self.proto_cols] = np.arange(len(self.proto_cols))

    def sparse(self, f: dict[str, float]) -> tuple[np.ndarray, np.ndarray, int]:
        """One problem's features -> (known column indices, their values, count of structure features)."""
        vocab = self.vocab
        idx: list[int] = []
        vals: list[float] = []
        n_struct = 0
        for name, value in f.items():
            n_struct += name[0] not in NOT_NOVELTY
            j = vocab.get(name)
            if j is not None:
                idx.append(j)
                vals.append(value)
        return np.asarray(idx, dtype=np.int64), np.asarray(vals, dtype=np.float32), n_struct

    def score(self, problems: list[Any]) -> Scores:
        """Class probabilities [B, K] and nearest-example Jaccard distance per task [B, T]."""
        return self.score_features([featurize(p) for p in problems])

    def score_features(self, feats: list[dict[str, float]]) -> Scores:
        """`score` for problems already turned into features (sparse gathers only, no BLAS call)."""
        n = len(feats)
        logits = np.tile(self.intercept.astype(np.float32), (n, 1))
        dists = np.ones((n, len(self.tasks)), np.float32)
        for i, f in enumerate(feats):
            idx, vals, n_struct = self.sparse(f)
            if len(idx):
                logits[i] += (self._coef_t[idx] * vals[:, None]).sum(axis=0)
            pos = self._proto_pos[idx]
            pos = pos[(pos >= 0) & (vals > 0)]
            inter = self._protos_t[pos].sum(axis=0, dtype=np.float32)
            jd = 1.0 - inter / np.maximum(n_struct + self._sizes - inter, 1.0)
            for t, (a, b) in enumerate(self._spans):
                if b > a:
                    dists[i, t] = jd[a:b].min()
        logits -= logits.max(axis=1, keepdims=True)
        e = np.exp(logits)
        return Scores(e / e.sum(axis=1, keepdims=True), dists)

    def verdicts(self, problems: list[Any]) -> list[Verdict]:
        """Route each problem to a task, or reject it with the closest tasks in the reason."""
        return self.verdicts_from_scores(self.score(problems))

    def verdicts_from_scores(self, s: Scores) -> list[Verdict]:
        """`verdicts` for problems already scored."""
        tasks = self.tasks
        out = []
        for i in range(len(s.proba)):
            p = s.proba[i]
            scores = {t: round(float(p[k]), 4) for k, t in enumerate(tasks)}
            ranked = sorted(scores.items(), key=lambda kv: -kv[1])
            best = int(np.argmax(p))
            label = self.classes[best]
            closest = ", ".join(f"{t} {v:.2f}" for t, v in ranked[:3])
            if label == OUT_OF_SCOPE:
                out.append(Verdict(None, ranked[0][1] if ranked else 0.0, scores,
                                   f"no task fits: looks out of scope (closest: {closest})"))
                continue
            t = tasks.index(label)
            conf = float(p[best])
            if s.dist[i, t] > self.dist_threshold[t]:
                out.append(Verdict(None, conf, scores,
                                   f"no task fits: unlike anything the tasks accept (closest: {closest})"))
            elif conf < self.conf_threshold:
                out.append(Verdict(None, conf, scores,
                                   f"no task fits: confidence {conf:.2f} is below {self.conf_threshold:.2f} "
                                   f"(closest: {closest})"))
            else:
                runner = f"; next: {ranked[1][0]} {ranked[1][1]:.2f}" if len(ranked) > 1 else ""
                out.append(Verdict(label, conf, scores, f"router: {label} {conf:.2f}{runner}"))
        return out

    def to_json(self) -> dict[str, Any]:
        """Pickle-free JSON document: metadata in the clear, arrays as base64 with dtype and shape."""
        names = [""] * len(self.vocab)
        for name, j in self.vocab.items():
            names[j] = name
        return {
            "format": FORMAT,
            "features_version": self.features_version,
            "tasks": [list(p) for p in self.signature],
            "task_set_id": self.set_id,
            "classes": self.classes,
            "conf_threshold": self.conf_threshold,
            "dist_threshold": [float(x) for x in self.dist_threshold],
            "info": self.info,
            "features": names,
            "arrays": {
                "coef": _encode(self.coef.astype(np.float32)),
                "intercept": _encode(self.intercept.astype(np.float32)),
                "proto_cols": _encode(self.proto_cols.astype(np.int32)),
                "protos": _encode(np.packbits(self.protos.astype(bool), axis=1)),
                "proto_class": _encode(self.proto_class.astype(np.int16)),
            },
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> "RouterModel":
        """Rebuild a model from `to_json` output (only numbers, strings and numeric arrays are read)."""
        if doc.get("format") != FORMAT:
            raise ValueError(f"not a router file of format {FORMAT} (found {doc.get('format')!r})")
        arrays = {k: _decode(v) for k, v in doc["arrays"].items()}
        cols = arrays["proto_cols"].astype(np.int64)
        protos = np.unpackbits(arrays["protos"], axis=1, count=len(cols)).astype(np.float32)
        names = doc["features"]
        model = cls(
            classes=[str(c) for c in doc["classes"]],
            vocab={str(n): j for j, n in enumerate(names)},
            coef=arrays["coef"].astype(np.float32),
            intercept=arrays["intercept"].astype(np.float32),
            proto_cols=cols,
            protos=protos,
            proto_class=arrays["proto_class"].astype(np.int64),
            conf_threshold=float(doc["conf_threshold"]),
            dist_threshold=np.asarray(doc["dist_threshold"], dtype=np.float32),
            signature=[(str(a), str(b)) for a, b in doc["tasks"]],
            info=dict(doc.get("info", {})),
            features_version=int(doc.get("features_version", 0)),
        )
        if model.coef.shape != (len(model.classes), len(names)):
            raise ValueError("router file is inconsistent: coefficient shape does not match classes and features")
        return model

    def save(self, path: Path) -> Path:
        """Write the model to `path` atomically (JSON)."""
        return atomic_write_text(path, json.dumps(self.to_json(), separators=(",", ":")))

    @classmethod
    def load(cls, path: Path) -> "RouterModel":
        """Read a model written by `save`."""
        with open(path) as fh:
            return cls.from_json(json.load(fh))
