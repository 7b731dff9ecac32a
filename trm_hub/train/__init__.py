"""The trainer every task uses, and checkpoint evaluation."""

from trm_hub.train.api import evaluate, train

__all__ = ["train", "evaluate"]
