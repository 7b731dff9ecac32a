"""An endless, seeded stream of training examples in shuffled epochs, with resumable state."""

from __future__ import annotations

from typing import Any

import numpy as np


class ExampleStream:
    """Hands out example indices epoch by epoch; one numpy Generator drives all training randomness."""

    def __init__(self, size: int, seed: int):
        if size == 0:
            raise ValueError("the training split is empty")
        self.size = size
        self.rng = np.random.default_rng(seed)
        self.order = self.rng.permutation(size)
        self.pos = 0
        self.epoch = 0

    def take(self, k: int) -> np.ndarray:
        out = []
        while k > 0:
            if self.pos == self.size:
                self.order, self.pos = self.rng.permutation(self.size), 0
                self.epoch += 1
            chunk = self.order[self.pos : self.pos + k]
            self.pos += len(chunk)
            k -= len(chunk)
            out.append(chunk)
        return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)

    def state(self) -> dict[str, Any]:
        """JSON-ready state; the current epoch's order is saved separately as an array."""
        return {"rng": self.rng.bit_generator.state, "pos": self.pos, "epoch": self.epoch}

    def load_state(self, state: dict[str, Any], order: np.ndarray) -> None:
        self.rng.bit_generator.state = state["rng"]
        self.pos, self.epoch = state["pos"], state["epoch"]
        self.order = np.asarray(order, dtype=np.int64)
