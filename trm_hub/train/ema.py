"""Exponential moving average of a model's weights."""

from __future__ import annotations

import copy

import torch
from torch import nn


class EMA:
    """Keeps a shadow copy of the model whose weights trail the trained ones."""

    def __init__(self, model: nn.Module, rate: float):
        self.rate = rate
        self.model = copy.deepcopy(model).eval().requires_grad_(False)

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        for shadow, live in zip(self.model.parameters(), model.parameters()):
            shadow.lerp_(live.detach(), 1 - self.rate)
