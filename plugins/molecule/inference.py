"""Prediction by averaging a model over several SMILES of each molecule (their spread is kept), at any length up to MAX_TOKENS."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from trm_hub_plugins.molecule.descriptors import DescriptorScale
from trm_hub_plugins.molecule.recipe import MoleculeData
from trm_hub_plugins.molecule.tokenizer import Vocabulary, default_vocabulary, tokenize

VIEW_SEED = 0
MAX_TOKENS = 512
LENGTH_STEP = 16


@dataclass(frozen=True)
class Estimates:
    """Per molecule: mean prediction, spread over views (standard deviation), mean supervision steps."""

    values: np.ndarray
    spread: np.ndarray
    steps: np.ndarray


def reading_length(tokens: int, seq_len: int) -> int:
    """The sequence length a SMILES of `tokens` tokens is read at: the model's own, or longer in steps.

    The attention mixer with rotary positions has no weight that depends on the length, so a
    model reads a longer molecule with the same weights at a longer length (rounded up to a
    multiple of LENGTH_STEP). Beyond MAX_TOKENS a molecule is refused.
    """
    if tokens > MAX_TOKENS:
        raise ValueError(f"has {tokens} tokens; the molecule models read at most {MAX_TOKENS}")
    if tokens <= seq_len:
        return seq_len
    return min(-(-tokens // LENGTH_STEP) * LENGTH_STEP, MAX_TOKENS)


def view_tokens(smiles: str, count: int, seq_len: int, vocab: Vocabulary | None = None) -> np.ndarray:
    """[count, L] tokens: the canonical SMILES, then randomised ones.

    L is `seq_len` when the canonical SMILES fits (a randomised one that does not is replaced by
    the canonical); for a longer molecule L is the reading length of its longest view.
    """
    from trm_hub_plugins.molecule.chem import random_smiles

    vocab = vocab or default_vocabulary()
    length = len(tokenize(smiles))
    try:
        reading_length(length, seq_len)
    except ValueError as error:
        raise ValueError(f"SMILES '{smiles}' {error}") from None
    forms = [smiles]
    if count > 1:
        forms.extend(random_smiles(smiles, count - 1, VIEW_SEED))
    sizes = [len(tokenize(form)) for form in forms]
    width = seq_len if length <= seq_len else reading_length(min(max(sizes), MAX_TOKENS), seq_len)
    forms = [form if size <= width else smiles for form, size in zip(forms, sizes)]
    return vocab.encode_many(forms, width)


def label_scale(data: MoleculeData, model_name: str = "?") -> tuple[float, float]:
    """(mean, std) used to standardise a checkpoint's training labels (its recipe's data section)."""
    if data.label_mean is None or data.label_std is None:
        raise ValueError(f"checkpoint '{model_name}' records no label_mean/label_std in its data section")
    return float(data.label_mean), float(data.label_std)


def descriptor_scale(data: MoleculeData) -> DescriptorScale | None:
    """The descriptors a checkpoint reads and their training scale (None without `data.descriptors`)."""
    if not data.descriptors:
        return None
    if data.descriptor_names is None or data.descriptor_mean is None or data.descriptor_std is None:
        raise ValueError("the recipe reads descriptors but records no descriptor scale in its data section")
    return DescriptorScale(tuple(data.descriptor_names), np.asarray(data.descriptor_mean), np.asarray(data.descriptor_std))


def estimate(
    model: Any,
    smiles: Sequence[str],
    views: int,
    mean: float,
    std: float,
    *,
    scale: DescriptorScale | None = None,
    halt_threshold: float = 0.0,
    batch_size: int = 512,
    adaptive: bool = True,
) -> Estimates:
    """Predict every molecule from `views` SMILES each and average (in the label's units).

    `model` is an engine (`trm_hub.runtime`) or a torch TRM; a model that reads descriptors
    needs their `scale` (`descriptor_scale` of its recipe)."""
    from trm_hub.runtime import as_engine

    engine = as_engine(model)
    seq_len = engine.config.seq_len
    if not smiles:
        empty = np.zeros(0)
        return Estimates(empty, empty, empty)
    if engine.config.feature_dim and scale is None:
        raise ValueError("this molecule model reads descriptors; give their scale (descriptor_scale of its recipe)")
    described = None if scale is None else scale.features(smiles)
    blocks = [view_tokens(s, views, seq_len) for s in smiles]
    outputs = np.zeros((len(smiles), views))
    steps = np.zeros((len(smiles), views))
    for width in sorted({block.shape[1] for block in blocks}):
        members = [i for i, block in enumerate(blocks) if block.shape[1] == width]
        rows = np.concatenate([blocks[i] for i in members])
        features = None if described is None else np.repeat(described[members], views, axis=0)
        result = engine.infer(rows, features=features, halt_threshold=halt_threshold, adaptive=adaptive,
                              rows=batch_size)
        outputs[members] = result.outputs.reshape(len(members), views)
        steps[members] = result.steps.reshape(len(members), views)
    values = outputs.astype(np.float64) * std + mean
    return Estimates(values.mean(axis=1), values.std(axis=1), steps.mean(axis=1))
