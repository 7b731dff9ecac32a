"""The TRM engine: network, recursion, adaptive halting, checkpoints, original-release import."""

from trm_hub.model.checkpoint import load_checkpoint, save_checkpoint
from trm_hub.model.original import from_original
from trm_hub.model.trm import TRM, Inference, State, resolve_device

__all__ = ["TRM", "State", "Inference", "from_original", "load_checkpoint", "save_checkpoint", "resolve_device"]
