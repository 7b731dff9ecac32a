"""Build a TRM from a checkpoint of the original release (its config and state-dict names)."""

from __future__ import annotations

import re
from typing import Any, Mapping

import torch

from trm_hub.config import ModelConfig
from trm_hub.model.trm import TRM

_RENAMES = [
    (r"^inner\.embed_tokens\.embedding_weight$", "embed_tokens.weight"),
    (r"^inner\.embed_pos\.embedding_weight$", "embed_pos.weight"),
    (r"^inner\.puzzle_emb\.weights$", "puzzle_emb.weight"),
    (r"^inner\.H_init$", "y_init"),
    (r"^inner\.L_init$", "z_init"),
    (r"^inner\.L_level\.layers\.(\d+)\.(self_attn|mlp_t)\.(.+)$", r"blocks.\1.mixer.\3"),
    (r"^inner\.L_level\.layers\.(\d+)\.mlp\.(.+)$", r"blocks.\1.mlp.\2"),
    (r"^inner\.(lm_head|q_head)\.(weight|bias)$", r"\1.\2"),
]


def config_from_original(config: Mapping[str, Any]) -> ModelConfig:
    """Translate the original release's model config into a ModelConfig."""
    if config.get("H_layers", 0):
        raise ValueError("only the single-network TRM (H_layers = 0) is supported")
    mlp_t = bool(config.get("mlp_t", False))
    return ModelConfig(
        vocab_size=config["vocab_size"],
        seq_len=config["seq_len"],
        hidden_size=config["hidden_size"],
        num_heads=config["num_heads"],
        expansion=config["expansion"],
        layers=config["L_layers"],
        mixer="mlp" if mlp_t else "attention",
        pos_encodings=config.get("pos_encodings", "rope"),
        puzzle_emb_ndim=config.get("puzzle_emb_ndim", 0),
        num_puzzle_identifiers=config.get("num_puzzle_identifiers", 1),
        puzzle_emb_len=config.get("puzzle_emb_len", 0),
        T=config["H_cycles"],
        n=config["L_cycles"],
        halt_max_steps=config["halt_max_steps"],
        halt_exploration_prob=config.get("halt_exploration_prob", 0.1),
        rms_norm_eps=config.get("rms_norm_eps", 1e-5),
        rope_theta=config.get("rope_theta", 10000.0),
    )


def rename_original(key: str) -> str:
    """Map an original state-dict key to this project's parameter name."""
    key = key.removeprefix("_orig_mod.").removeprefix("model.")
    for pattern, repl in _RENAMES:
        new, count = re.subn(pattern, repl, key)
        if count:
            return new
    raise KeyError(f"unknown key in original checkpoint: {key!r}")


def from_original(config: Mapping[str, Any], tensors: Mapping[str, Any]) -> TRM:
    """A TRM with the weights of an original checkpoint (config dict + state dict)."""
    model = TRM(config_from_original(config))
    state = {rename_original(k): torch.as_tensor(v) for k, v in tensors.items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise ValueError(f"checkpoint does not fit the config: missing {missing}, unexpected {unexpected}")
    return model.eval()
