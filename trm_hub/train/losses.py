"""Losses: stablemax or softmax cross-entropy on tokens, regression loss, Q-halt BCE."""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F

IGNORE = -100


def stablemax_log_probs(logits: torch.Tensor) -> torch.Tensor:
    """log(s(x_i) / sum_j s(x_j)) with s(x) = x + 1 (x >= 0) or 1 / (1 - x), in float64.

    The 1 / (1 - x) branch sees only x <= 0: `torch.where` back-propagates through both branches,
    and at a logit of exactly 1 an unclamped branch's infinite gradient times zero would make the
    whole gradient NaN."""
    x = logits.double()
    s = torch.where(x >= 0, x + 1, 1 / (1 - x.clamp(max=0)))
    return torch.log(s / s.sum(-1, keepdim=True))


def token_loss(logits: torch.Tensor, labels: torch.Tensor, kind: str) -> torch.Tensor:
    """Cross-entropy per example [B], averaged over its labelled tokens."""
    mask = labels != IGNORE
    safe = torch.where(mask, labels, 0).long()
    if kind == "stablemax":
        logp = stablemax_log_probs(logits)
    else:
        logp = F.log_softmax(logits.float(), dim=-1)
    nll = -logp.gather(-1, safe.unsqueeze(-1)).squeeze(-1)
    nll = torch.where(mask, nll, 0)
    return (nll.sum(-1) / mask.sum(-1).clamp(min=1)).float()


def sequence_correct(logits: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per example: whether every labelled token is right [B], and the fraction right [B]."""
    mask = labels != IGNORE
    right = (logits.argmax(-1) == labels) & mask
    count = mask.sum(-1)
    return right.sum(-1) == count, right.sum(-1) / count.clamp(min=1)


def q_halt_loss(q_halt: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy per example [B] of the halt logit against 'the answer is right'."""
    return F.binary_cross_entropy_with_logits(q_halt, target.to(q_halt.dtype), reduction="none")


class SupervisionLoss(NamedTuple):
    """One supervision step's loss parts, per example [B]."""

    main: torch.Tensor
    q_halt: torch.Tensor
    correct: torch.Tensor
    accuracy: torch.Tensor


def supervision_loss(cfg, outputs: torch.Tensor, labels: torch.Tensor, q_halt: torch.Tensor) -> SupervisionLoss:
    """The recipe's loss for one supervision step: tokens (cross-entropy) or values (squared error),
    plus the Q head's halting loss against whether the answer is right (`cfg` is a TrainConfig)."""
    if cfg.model.head == "tokens":
        main = token_loss(outputs, labels, cfg.loss)
        correct, accuracy = sequence_correct(outputs.detach(), labels)
    else:
        err = outputs - labels.float()
        main = err.square().mean(-1)
        correct = (err.detach().abs() <= cfg.value_tolerance).all(-1)
        accuracy = correct.float()
    return SupervisionLoss(main, q_halt_loss(q_halt, correct), correct, accuracy)


def total_loss(cfg, parts: SupervisionLoss) -> torch.Tensor:
    """Per example [B]: main loss plus the Q-halt loss weighted as the recipe says."""
    return parts.main + cfg.q_loss_weight * parts.q_halt
