"""Small real tasks for engine and trainer tests."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from pydantic import BaseModel, Field

from trm_hub.config import ANSWERING, TrainConfig
from trm_hub.task import Problem, Solution, Split, Task, TaskData


class SortData(BaseModel):
    length: int = 4
    train_size: int = 4000
    test_size: int = 256
    views: int = Field(1, ge=1, description="an answering setting (the sort task answers one view)",
                       json_schema_extra=ANSWERING)


class SortRecipe(TrainConfig):
    presets: ClassVar[dict[str, dict[str, Any]]] = {
        "cpu": {"model": {"vocab_size": 12, "seq_len": 4, "hidden_size": 64, "mixer": "attention", "T": 2, "n": 2,
                          "halt_max_steps": 4}},
    }
    data: SortData = SortData()


class SortProblem(Problem):
    digits: list[int]


class SortSolution(Solution):
    digits: list[int]


class SortTask(Task):
    """Sort a short list of digits."""

    name = "sort"
    Problem = SortProblem
    Solution = SortSolution
    recipe = SortRecipe

    def encode(self, problem: SortProblem, recipe: SortRecipe) -> np.ndarray:
        return np.asarray(problem.digits, dtype=np.int64) + 2

    def decode(self, problem: SortProblem, tokens: np.ndarray) -> SortSolution:
        return SortSolution(digits=[int(t) - 2 for t in tokens])

    def verify(self, problem: SortProblem, solution: SortSolution) -> bool:
        return solution.digits == sorted(problem.digits)

    def routing_examples(self, n: int, seed: int):
        rng = np.random.default_rng(seed)
        for _ in range(n):
            yield {"digits": rng.integers(0, 10, rng.integers(3, 9)).tolist()}

    def build_dataset(self, cfg: SortRecipe) -> TaskData:
        def split(seed: int, size: int) -> Split:
            x = np.random.default_rng(seed).integers(0, 10, (size, cfg.data.length))
            return Split(x + 2, np.sort(x, axis=1) + 2)

        return TaskData(train=split(cfg.seed + 1, cfg.data.train_size), test=split(10_000 + cfg.seed, cfg.data.test_size))


def sort_config(**overrides: Any) -> SortRecipe:
    base = {**SortRecipe.presets["cpu"], "steps": 1100, "batch_size": 64, "lr": 3e-3, "lr_min_ratio": 0.05, "warmup_steps": 20,
            "eval_every": 0, "checkpoint_every": 0, "log_every": 50, "ema_rate": 0.99, "threads": 1}
    base.update(overrides)
    return SortRecipe.model_validate(base)


class DigitSumRecipe(TrainConfig):
    presets: ClassVar[dict[str, dict[str, Any]]] = {
        "cpu": {"model": {"vocab_size": 12, "seq_len": 5, "hidden_size": 32, "mixer": "mlp", "pos_encodings": "none",
                          "ffn_multiple": 32, "T": 1, "n": 2, "halt_max_steps": 2, "head": "regression", "out_dim": 1}},
    }
    data: SortData = SortData(length=5)


class DigitSumTask(Task):
    """Predict the (scaled) sum of a few digits: a regression-head task."""

    name = "digit-sum"
    recipe = DigitSumRecipe

    def build_dataset(self, cfg: DigitSumRecipe) -> TaskData:
        def split(seed: int, size: int) -> Split:
            x = np.random.default_rng(seed).integers(0, 10, (size, cfg.data.length))
            y = ((x.sum(1, keepdims=True) - 22.5) / 6.4).astype(np.float32)
            return Split(x + 2, y)

        return TaskData(train=split(cfg.seed + 1, cfg.data.train_size), test=split(10_000 + cfg.seed, cfg.data.test_size),
                        valid=split(20_000 + cfg.seed, cfg.data.test_size))


def digit_sum_config(**overrides: Any) -> DigitSumRecipe:
    base = {**DigitSumRecipe.presets["cpu"], "steps": 300, "batch_size": 64, "lr": 3e-3, "warmup_steps": 20,
            "eval_every": 0, "checkpoint_every": 0, "log_every": 50, "threads": 1, "ema_rate": 0.95}
    base.update(overrides)
    return DigitSumRecipe.model_validate(base)
