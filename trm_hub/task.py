"""The Task base class every plugin subclasses, and the schemas tasks share."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Iterator, Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict

from trm_hub.config import TrainConfig

if TYPE_CHECKING:
    from trm_hub.registry import Registry


@dataclass(frozen=True)
class Checkpoint:
    """A checkpoint a task answers with: its meta (the JSON beside the weights) and the recipe it was
    trained with, validated once by the task's recipe class (`recipe.data` is the task's own section)."""

    meta: dict[str, Any]
    recipe: TrainConfig

    @classmethod
    def read(cls, recipe: type[TrainConfig], meta: dict[str, Any]) -> "Checkpoint":
        """Validate a checkpoint's meta with a task's recipe class; a recipe that does not validate is
        one clear error."""
        from pydantic import ValidationError

        from trm_hub.errors import HubError, format_validation_error

        try:
            return cls(meta, recipe.from_checkpoint(meta))
        except ValidationError as exc:
            raise HubError(format_validation_error(exc, "the checkpoint's training recipe")) from None

    def answering(self, settings: Sequence[str] = ()) -> "Checkpoint":
        """This checkpoint answering with `settings` (`KEY=VALUE` of its recipe, e.g. `data.views=1`
        or `halt_threshold=1.0`) in place of the recipe's own; the weights fix `model.*`."""
        if not settings:
            return self
        from pydantic import ValidationError

        from trm_hub.errors import HubError, format_validation_error
        from trm_hub.overrides import deep_merge, parse_overrides

        tree, _ = parse_overrides(settings)
        if "model" in tree:
            raise HubError("model.* cannot be set when answering: the checkpoint's weights fix the model")
        try:
            recipe = type(self.recipe).model_validate(deep_merge(self.recipe.model_dump(), tree))
        except ValidationError as exc:
            raise HubError(format_validation_error(exc, "answering settings")) from None
        return Checkpoint(self.meta, recipe)


def halt_threshold(cfg: Any, meta: dict[str, Any]) -> float:
    """The halting threshold to answer with: the one given in `cfg`, else the checkpoint's own."""
    if cfg is not None and "halt_threshold" in getattr(cfg, "model_fields_set", ()):
        return float(cfg.halt_threshold)
    return float((meta.get("train") or {}).get("halt_threshold", 0.0))


class Problem(BaseModel):
    """Base of every task's accepted JSON; validators normalise each accepted shape."""

    model_config = ConfigDict(extra="forbid")


class Solution(BaseModel):
    """Base of every task's answer."""

    model_config = ConfigDict(extra="forbid")


@dataclass
class Split:
    """One split of a token dataset: inputs [N, L] int, labels [N, L] int (-100 = unlabelled)
    or float [N, D] for regression heads, optional puzzle identifiers [N] and, for a model with
    `feature_dim`, float features [N, feature_dim]."""

    inputs: np.ndarray
    labels: np.ndarray
    puzzle_ids: np.ndarray | None = None
    features: np.ndarray | None = None

    def head(self, n: int) -> "Split":
        """The first n examples."""
        cut = lambda a: None if a is None else a[:n]  # noqa: E731
        return Split(self.inputs[:n], self.labels[:n], cut(self.puzzle_ids), cut(self.features))

    def __len__(self) -> int:
        return len(self.inputs)


@dataclass
class TaskData:
    """What `Task.build_dataset` returns: train/test splits and an optional batch augmenter.

    `augment(inputs, labels, rng) -> (inputs, labels)` is applied to each training batch.
    `problems` holds the test split's problems when the task's evaluation needs them.
    `valid`, when given, is what the trainer checks during training (and what `keep_best`
    selects on) instead of `test`.
    """

    train: Split
    test: Split
    augment: Any = None
    problems: list[Any] = field(default_factory=list)
    valid: Split | None = None


@dataclass
class Answer:
    """One solved problem: what `route`/`solve` print (with the router's confidence)."""

    task: str
    solution: Solution
    verified: bool | None
    steps: int | None
    seconds: float
    confidence: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "confidence": self.confidence,
            "solution": self.solution.model_dump(mode="json"),
            "verified": self.verified,
            "steps": self.steps,
            "seconds": round(self.seconds, 6),
        }


class Task:
    """A task a plugin serves: schemas, token codec, checker, router examples, recipe, solver.

    Subclasses set the class attributes and implement `encode`, `decode`,
    `routing_examples` and `build_dataset`; `verify` where an exact check exists.
    """

    name: ClassVar[str]
    version: ClassVar[str] = "0.1.0"
    description: ClassVar[str] = ""
    Problem: ClassVar[type[Problem]] = Problem
    Solution: ClassVar[type[Solution]] = Solution
    recipe: ClassVar[type[TrainConfig]] = TrainConfig
    solve_batch_size: ClassVar[int] = 256

    def parse(self, data: dict[str, Any]) -> Problem:
        """Validate raw JSON into this task's Problem (raises pydantic.ValidationError)."""
        return self.Problem.model_validate(data)

    def encode(self, problem: Problem, recipe: TrainConfig) -> np.ndarray:
        """Problem -> input tokens [L] (or [R, L]) for a model trained with `recipe`."""
        raise NotImplementedError

    def decode(self, problem: Problem, tokens: np.ndarray) -> Solution:
        """Predicted output tokens [L] -> Solution."""
        raise NotImplementedError

    def verify(self, problem: Problem, solution: Solution) -> bool | None:
        """Exact check of a solution; None where no exact check exists."""
        return None

    def routing_examples(self, n: int, seed: int) -> Iterator[dict[str, Any]]:
        """Yield n varied, realistic raw problems (JSON-like dicts) for fitting the router."""
        raise NotImplementedError

    def build_dataset(self, cfg: TrainConfig) -> TaskData:
        """Build (or generate) the train/test data for a training run."""
        raise NotImplementedError

    def model_name(self, problem: Problem) -> str:
        """Which registered model of this task serves the problem (default: the task's name)."""
        return self.name

    def checkpoint_name(self, cfg: TrainConfig) -> str:
        """The model name a training run with this recipe produces (default: the task's name)."""
        return self.name

    def describe(self) -> str:
        return self.description or (self.__doc__ or "").strip().splitlines()[0]

    def pictures(self, problem: Problem, solution: Solution | None = None) -> list[str]:
        """SVG drawings of a problem (and of its solution when given) for the web page of
        `trm-hub serve`; none by default."""
        return []

    def infer(self, engine: Any, inputs: np.ndarray, recipe: TrainConfig) -> Any:
        """The engine's `Result` for a batch of encoded problems [B, L] with a model trained with
        `recipe` (a task may answer several views of each problem here)."""
        return engine.infer(inputs, halt_threshold=recipe.halt_threshold)

    def export_settings(self, recipe: TrainConfig) -> dict[str, Any]:
        """What an app needs besides the graph to use a model trained with `recipe` (vocabulary,
        views), for the JSON of an exported bundle; nothing by default."""
        return {}

    def checkpoint(self, meta: dict[str, Any]) -> Checkpoint:
        """A checkpoint's meta with its recipe validated by this task's recipe class."""
        return Checkpoint.read(self.recipe, meta)

    def load_model(self, path: Path, device: Any) -> tuple[Any, dict[str, Any]]:
        """Load (once per file version and device) the torch TRM at `path` and check it is this task's."""
        from trm_hub.model import load_checkpoint

        stat = Path(path).stat()
        key = (str(path), stat.st_mtime_ns, str(device))
        cache: dict[tuple[str, int, str], tuple[Any, dict[str, Any]]] = self.__dict__.setdefault("_models", {})
        if key not in cache:
            model, meta = load_checkpoint(path, device=device)
            self._check_owner(path, meta)
            cache[key] = (model, meta)
        return cache[key]

    def load_engine(self, registry: "Registry", model_name: str, device: str = "auto",
                    runtime: str | None = None) -> tuple[Any, Checkpoint]:
        """The engine that answers with a registered model (verified weights, and its verified step
        graph where one is recorded), loaded once per file version, runtime and device; and its
        checkpoint (meta and typed recipe, validated once here).

        `runtime` is torch, onnx or auto (default: $TRM_HUB_RUNTIME, else auto: onnxruntime on a CPU
        when the model has a step graph, else torch)."""
        from trm_hub.runtime import RUNTIME_ENV, load_engine, read_meta

        weights = registry.weights_for(self.name, model_name)
        graph = registry.graph_for(self.name, model_name)
        runtime = runtime or os.environ.get(RUNTIME_ENV) or "auto"
        key = (str(weights), Path(weights).stat().st_mtime_ns, str(graph), runtime, str(device))
        cache: dict[tuple[Any, ...], tuple[Any, Checkpoint]] = self.__dict__.setdefault("_engines", {})
        if key not in cache:
            meta = read_meta(weights)
            self._check_owner(weights, meta)
            checkpoint = self.checkpoint(meta)
            cache[key] = (load_engine(weights, graph, meta, runtime, device), checkpoint)
        return cache[key]

    def _check_owner(self, path: Path, meta: dict[str, Any]) -> None:
        owner = meta.get("task")
        if owner is not None and owner != self.name:
            raise ValueError(f"checkpoint {path} was trained for task '{owner}', not '{self.name}'")

    def solve(
        self, problems: Sequence[Problem], device: str = "auto", registry: "Registry | None" = None,
        runtime: str | None = None, settings: Sequence[str] = (),
    ) -> list[Answer]:
        """Answers in order: problems grouped by the model that serves them, each group answered by
        `answer_with` on that model's engine (its recipe changed by `settings`, `KEY=VALUE` each)."""
        from trm_hub.registry import Registry

        registry = registry or Registry.load()
        groups: dict[str, list[int]] = {}
        for index, problem in enumerate(problems):
            groups.setdefault(self.model_name(problem), []).append(index)
        engines = {name: self.load_engine(registry, name, device, runtime) for name in groups}
        answers: list[Answer | None] = [None] * len(problems)
        for model_name, indices in groups.items():
            engine, checkpoint = engines[model_name]
            checkpoint = checkpoint.answering(settings)
            for i, answer in zip(indices, self.answer_with(engine, checkpoint, [problems[i] for i in indices])):
                answers[i] = answer
        return [answer for answer in answers if answer is not None]

    def adapt(self, engine: Any, checkpoint: Checkpoint, problem: Problem) -> Any:
        """The engine that answers `problem`: the given one by default. A task may first fit a copy
        of the model to the problem itself (test-time training on the problem's own demonstrations)."""
        return engine

    def answer_with(self, engine: Any, checkpoint: Checkpoint, problems: Sequence[Problem]) -> list[Answer]:
        """One model's answers: `adapt` -> `encode` -> `infer` (batches of rows of one length and
        engine) -> `decode` -> `verify`, each given the checkpoint's recipe where it needs one. A
        problem may encode to several rows ([R, L]); `decode` then gets their R outputs, and the
        answer's steps are the rows' mean."""
        recipe = checkpoint.recipe
        rows: dict[int, np.ndarray] = {}
        engines: dict[int, Any] = {}
        encoding: dict[int, float] = {}
        groups: dict[tuple[int, int], list[int]] = {}
        for i, problem in enumerate(problems):
            began = time.perf_counter()
            engines[i] = self.adapt(engine, checkpoint, problem)
            tokens = np.asarray(self.encode(problem, recipe), dtype=np.int64)
            encoding[i] = time.perf_counter() - began
            if tokens.ndim not in (1, 2) or not engines[i].accepts_length(tokens.shape[-1]):
                raise ValueError(
                    f"problem {i} encodes to {tokens.shape[-1] if tokens.ndim in (1, 2) else tokens.shape} "
                    f"tokens but the '{self.model_name(problem)}' model takes {engine.config.seq_len}"
                )
            rows[i] = tokens
            groups.setdefault((tokens.shape[-1], id(engines[i])), []).append(i)
        answers: list[Answer | None] = [None] * len(problems)
        for same in groups.values():
            chunk: list[int] = []
            size = 0
            for i in same:
                count = 1 if rows[i].ndim == 1 else len(rows[i])
                if chunk and size + count > self.solve_batch_size:
                    self._answer_chunk(engines[chunk[0]], recipe, problems, chunk, rows, encoding, answers)
                    chunk, size = [], 0
                chunk.append(i)
                size += count
            if chunk:
                self._answer_chunk(engines[chunk[0]], recipe, problems, chunk, rows, encoding, answers)
        return [answer for answer in answers if answer is not None]

    def _answer_chunk(self, engine: Any, recipe: TrainConfig, problems: Sequence[Problem], chunk: list[int],
                      rows: dict[int, np.ndarray], encoding: dict[int, float], answers: list[Answer | None]) -> None:
        """Answer the problems of one batch and fill their places in `answers`."""
        began = time.perf_counter()
        stacked = np.concatenate([rows[i].reshape(-1, rows[i].shape[-1]) for i in chunk])
        result = self.infer(engine, stacked, recipe)
        outputs, steps = np.asarray(result.outputs), np.asarray(result.steps)
        shared = (time.perf_counter() - began) / len(chunk)
        start = 0
        for i in chunk:
            own = time.perf_counter()
            count = 1 if rows[i].ndim == 1 else len(rows[i])
            part = slice(start, start + count)
            start = part.stop
            solution = self.decode(problems[i], outputs[part.start] if rows[i].ndim == 1 else outputs[part])
            verified = self.verify(problems[i], solution)
            seconds = encoding[i] + shared + time.perf_counter() - own
            answers[i] = Answer(self.name, solution, verified, int(round(float(steps[part].mean()))), seconds)
