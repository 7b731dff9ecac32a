"""The optimiser: AdamW with a separate rate for puzzle embeddings, warm-up then cosine decay."""

from __future__ import annotations

import math

import torch

from trm_hub.config import TrainConfig
from trm_hub.model import TRM


def learning_rate(cfg: TrainConfig, step: int) -> float:
    """Linear warm-up, then cosine decay to lr * lr_min_ratio."""
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    progress = (step - cfg.warmup_steps) / max(1, cfg.steps - cfg.warmup_steps)
    ratio = cfg.lr_min_ratio + (1 - cfg.lr_min_ratio) * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))
    return cfg.lr * ratio


def build_optimizer(model: TRM, cfg: TrainConfig) -> torch.optim.Optimizer:
    """AdamW over the model; puzzle embeddings get their own rate (as a scale) and weight decay."""
    emb = [p for n, p in model.named_parameters() if n.startswith("puzzle_emb.")]
    rest = [p for n, p in model.named_parameters() if not n.startswith("puzzle_emb.")]
    groups = [{"params": rest, "lr_scale": 1.0, "weight_decay": cfg.weight_decay}]
    if emb:
        scale = (cfg.puzzle_emb_lr or cfg.lr) / cfg.lr
        groups.append({"params": emb, "lr_scale": scale, "weight_decay": cfg.puzzle_emb_weight_decay})
    return torch.optim.AdamW(groups, lr=cfg.lr, betas=(cfg.beta1, cfg.beta2))


def set_learning_rate(opt: torch.optim.Optimizer, lr: float) -> None:
    """Set every parameter group's rate: `lr` times the group's own scale (puzzle embeddings)."""
    for group in opt.param_groups:
        group["lr"] = lr * group["lr_scale"]


def optimizer_step(opt: torch.optim.Optimizer, model: TRM, loss: torch.Tensor, cfg: TrainConfig) -> None:
    """Backpropagate `loss`, clip gradients as the recipe says, and step."""
    opt.zero_grad(set_to_none=True)
    loss.backward()
    if cfg.grad_clip:
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
    opt.step()
