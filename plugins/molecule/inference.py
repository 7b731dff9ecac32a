"""Prediction by averaging a model over several SMILES of each molecule; the spread is the uncertainty."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from trm_hub.task import trained_data
from trm_hub_plugins.molecule.tokenizer import Vocabulary, default_vocabulary, tokenize

VIEW_SEED = 0


@dataclass(frozen=True)
class Estimates:
    """Per molecule: mean prediction, spread over views (standard deviation), mean supervision steps."""

    values: np.ndarray
    spread: np.ndarray
    steps: np.ndarray


def view_tokens(smiles: str, count: int, seq_len: int, vocab: Vocabulary | None = None) -> np.ndarray:
    """[count, seq_len] tokens: the canonical SMILES, then randomised ones (a too-long one is replaced by the canonical)."""
    from trm_hub_plugins.molecule.chem import random_smiles

    vocab = vocab or default_vocabulary()
    length = len(tokenize(smiles))
    if length > seq_len:
        raise ValueError(f"SMILES '{smiles}' has {length} tokens; this molecule model reads at most {seq_len}")
    forms = [smiles]
    if count > 1:
        forms.extend(v if len(tokenize(v)) <= seq_len else smiles for v in random_smiles(smiles, count - 1, VIEW_SEED))
    return vocab.encode_many(forms, seq_len)


def label_scale(meta: dict[str, Any]) -> tuple[float, float]:
    """(mean, std) used to standardise a checkpoint's training labels."""
    data = trained_data(meta)
    mean, std = data.get("label_mean"), data.get("label_std")
    if mean is None or std is None:
        raise ValueError(f"checkpoint '{meta.get('model_name', '?')}' records no label_mean/label_std in its data section")
    return float(mean), float(std)


def estimate(
    model: Any,
    smiles: Sequence[str],
    views: int,
    mean: float,
    std: float,
    *,
    halt_threshold: float = 0.0,
    batch_size: int = 512,
    adaptive: bool = True,
) -> Estimates:
    """Predict every molecule from `views` SMILES each and average (in the label's units)."""
    from trm_hub.train.evaluate import predict

    seq_len = model.config.seq_len
    if not smiles:
        empty = np.zeros(0)
        return Estimates(empty, empty, empty)
    rows = np.concatenate([view_tokens(s, views, seq_len) for s in smiles])
    outputs, steps, _ = predict(
        model, rows, batch_size=batch_size, adaptive=adaptive, halt_threshold=halt_threshold
    )
    values = outputs.reshape(len(smiles), views).astype(np.float64) * std + mean
    return Estimates(values.mean(axis=1), values.std(axis=1), steps.reshape(len(smiles), views).mean(axis=1))
