"""The Task base class every plugin subclasses, and the schemas tasks share."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Iterator

import numpy as np
from pydantic import BaseModel, ConfigDict

from trm_hub.config import TrainConfig


class Problem(BaseModel):
    """Base of every task's accepted JSON; validators normalise each accepted shape."""

    model_config = ConfigDict(extra="forbid")


class Solution(BaseModel):
    """Base of every task's answer."""

    model_config = ConfigDict(extra="forbid")


@dataclass
class Split:
    """One split of a token dataset: inputs [N, L] int, labels [N, L] int (-100 = unlabelled)
    or float [N, D] for regression heads, optional puzzle identifiers [N]."""

    inputs: np.ndarray
    labels: np.ndarray
    puzzle_ids: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.inputs)


@dataclass
class TaskData:
    """What `Task.build_dataset` returns: train/test splits and an optional batch augmenter.

    `augment(inputs, labels, rng) -> (inputs, labels)` is applied to each training batch.
    `problems` holds the test split's problems when the task's evaluation needs them.
    """

    train: Split
    test: Split
    augment: Any = None
    problems: list[Any] = field(default_factory=list)


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

    def parse(self, data: dict[str, Any]) -> Problem:
        """Validate raw JSON into this task's Problem (raises pydantic.ValidationError)."""
        return self.Problem.model_validate(data)

    def encode(self, problem: Problem) -> np.ndarray:
        """Problem -> input tokens [L] for the model."""
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

    def describe(self) -> str:
        return self.description or (self.__doc__ or "").strip().splitlines()[0]
