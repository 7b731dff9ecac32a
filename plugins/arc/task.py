"""The ARC task: schemas, canvas codec, exact check and routing examples."""

from __future__ import annotations

from typing import Any, ClassVar, Iterator

import numpy as np

from trm_hub.task import Task
from trm_hub_plugins.arc.canvas import DEFAULT_CANVAS, decode_grid, encode_grid
from trm_hub_plugins.arc.schema import ArcProblem, ArcSolution

ROUTING_SETS = ("arc1/train", "arc1/eval", "arc2/train", "arc2/eval")


class ArcTask(Task):
    """Abstraction and Reasoning Corpus: infer a grid transformation from demonstration pairs."""

    name: ClassVar[str] = "arc"
    description: ClassVar[str] = "ARC-AGI grid puzzles: infer the transformation from train pairs, apply it to tests"
    Problem = ArcProblem
    Solution = ArcSolution

    def __init__(self, canvas: int = DEFAULT_CANVAS) -> None:
        self.canvas = canvas

    def encode(self, problem: ArcProblem) -> np.ndarray:
        """Test inputs -> canvas tokens, one row per test input: [n_test, canvas * canvas]."""
        return np.stack([encode_grid(item.input, self.canvas) for item in problem.test])

    def decode(self, problem: ArcProblem, tokens: np.ndarray) -> ArcSolution:
        """Predicted canvases (one per test input) -> one attempt each (none where no grid can be read)."""
        rows = np.asarray(tokens).reshape(len(problem.test), -1)
        attempts = []
        for row in rows:
            grid = decode_grid(row)
            attempts.append([grid] if grid is not None else [])
        return ArcSolution(attempts=attempts)

    def verify(self, problem: ArcProblem, solution: ArcSolution) -> bool | None:
        """True when every test output is among its attempts; None when a test output is unknown."""
        if any(item.output is None for item in problem.test):
            return None
        if len(solution.attempts) != len(problem.test):
            return False
        return all(item.output in grids for item, grids in zip(problem.test, solution.attempts))

    def routing_examples(self, n: int, seed: int) -> Iterator[dict[str, Any]]:
        """Real ARC tasks, some in an augmented view, some with part of their demonstrations."""
        from trm_hub_plugins.arc.augment import DIHEDRAL_NAMES, Augmentation, random_colour_permutation
        from trm_hub_plugins.arc.data import load_set

        rng = np.random.default_rng(seed)
        pool = [record for name in ROUTING_SETS for record in load_set(name)]
        for _ in range(n):
            task = pool[int(rng.integers(len(pool)))].task
            if rng.random() < 0.5:
                aug = Augmentation(int(rng.integers(len(DIHEDRAL_NAMES))), random_colour_permutation(rng))
                task = aug.apply_task(task)
            train = list(task["train"])
            if len(train) > 1 and rng.random() < 0.3:
                keep = sorted(rng.choice(len(train), size=int(rng.integers(1, len(train))), replace=False))
                train = [train[i] for i in keep]
            with_outputs = rng.random() < 0.3
            test = [pair if with_outputs else {"input": pair["input"]} for pair in task["test"]]
            yield {"train": [dict(p) for p in train], "test": [dict(p) for p in test]}
