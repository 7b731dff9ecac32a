"""Checkpoints: tensors in safetensors, config and metadata in JSON, both written atomically."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from trm_hub.config import ModelConfig
from trm_hub.files import atomic_write, atomic_write_text
from trm_hub.model.trm import TRM, resolve_device
from trm_hub.runtime import read_meta


def save_checkpoint(stem: Path, model: TRM, meta: dict[str, Any]) -> Path:
    """Write stem.safetensors and stem.json; returns the .safetensors path."""
    stem = Path(stem)
    tensors = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    meta = {**meta, "model": model.config.model_dump(mode="json")}
    weights = stem.with_suffix(".safetensors")
    atomic_write(weights, lambda tmp: save_file(tensors, tmp))
    atomic_write_text(stem.with_suffix(".json"), json.dumps(meta, indent=1) + "\n")
    return weights


def load_checkpoint(path: Path | str, device: str | torch.device = "cpu") -> tuple[TRM, dict[str, Any]]:
    """Load a checkpoint written by save_checkpoint (safetensors only, never pickle)."""
    path = Path(path).with_suffix(".safetensors")
    if not path.exists():
        raise FileNotFoundError(f"checkpoint not found: {path}")
    meta = read_meta(path)
    model = TRM(ModelConfig.model_validate(meta["model"]))
    model.load_state_dict(load_file(path, device="cpu"))
    return model.to(resolve_device(device)).eval(), meta
