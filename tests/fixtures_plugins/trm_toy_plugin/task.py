"""`toy_reverse`: reverse four digits; small enough for a real model in a test."""

from __future__ import annotations

from typing import Any, ClassVar, Iterator

import numpy as np
from pydantic import BaseModel, ConfigDict, field_validator

from trm_hub.config import TrainConfig
from trm_hub.task import Problem, Solution, Split, Task, TaskData

LENGTH = 4


class ToyData(BaseModel):
    """Dataset sizes."""

    model_config = ConfigDict(extra="forbid")

    train_size: int = 64
    test_size: int = 16
    tags: list[str] = []


class ToyRecipe(TrainConfig):
    """Recipe with two presets."""

    presets: ClassVar[dict[str, dict[str, Any]]] = {
        "cpu": {"model": {"vocab_size": 11, "seq_len": LENGTH, "hidden_size": 16, "num_heads": 2, "T": 1, "n": 1,
                          "halt_max_steps": 2}, "steps": 10},
        "paper": {"model": {"vocab_size": 11, "seq_len": LENGTH, "hidden_size": 64, "num_heads": 4}, "steps": 5000},
    }
    data: ToyData = ToyData()


class ToyProblem(Problem):
    """Four digits to reverse."""

    reverse: list[int]

    @field_validator("reverse")
    @classmethod
    def _four_digits(cls, value: list[int]) -> list[int]:
        if len(value) != LENGTH or any(not 0 <= v <= 9 for v in value):
            raise ValueError(f"needs exactly {LENGTH} digits 0-9, got {value}")
        return value


class ToySolution(Solution):
    """The digits reversed."""

    digits: list[int]


class ToyReverse(Task):
    """Reverse four digits (a test task)."""

    name = "toy_reverse"
    Problem = ToyProblem
    Solution = ToySolution
    recipe = ToyRecipe

    def encode(self, problem: ToyProblem, recipe: ToyRecipe) -> np.ndarray:
        return np.asarray(problem.reverse, dtype=np.int64) + 1

    def decode(self, problem: ToyProblem, tokens: np.ndarray) -> ToySolution:
        return ToySolution(digits=[int(min(max(t - 1, 0), 9)) for t in tokens])

    def verify(self, problem: ToyProblem, solution: ToySolution) -> bool:
        return solution.digits == problem.reverse[::-1]

    def routing_examples(self, n: int, seed: int) -> Iterator[dict[str, Any]]:
        rng = np.random.default_rng(seed)
        for _ in range(n):
            yield {"reverse": rng.integers(0, 10, LENGTH).tolist()}

    def build_dataset(self, cfg: ToyRecipe) -> TaskData:
        def split(seed: int, size: int) -> Split:
            x = np.random.default_rng(seed).integers(0, 10, (size, LENGTH))
            return Split(x + 1, x[:, ::-1] + 1)

        return TaskData(train=split(1, cfg.data.train_size), test=split(2, cfg.data.test_size))
