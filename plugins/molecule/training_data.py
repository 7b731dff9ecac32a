"""Token datasets for training: standardised labels, randomised-SMILES copies or per-batch augmentation."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Sequence

import numpy as np

from trm_hub.task import Split, TaskData
from trm_hub_plugins.molecule.data import split_dataset
from trm_hub_plugins.molecule.recipe import MoleculeRecipe
from trm_hub_plugins.molecule.tokenizer import Vocabulary, default_vocabulary, tokenize


@dataclass(frozen=True)
class EncodedSet:
    """Token rows, the molecule each row shows (index into the input list), and molecules that did not fit."""

    inputs: np.ndarray
    molecule: np.ndarray
    too_long: tuple[int, ...]


def fits(smiles: str, seq_len: int) -> bool:
    return len(tokenize(smiles)) <= seq_len


def encode_with_copies(
    smiles: Sequence[str], seq_len: int, copies: int, seed: int, vocab: Vocabulary | None = None
) -> EncodedSet:
    """Canonical SMILES plus `copies` randomised ones per molecule (repeats kept, so each molecule weighs the same)."""
    from trm_hub_plugins.molecule.chem import random_smiles

    vocab = vocab or default_vocabulary()
    rows: list[np.ndarray] = []
    owner: list[int] = []
    too_long: list[int] = []
    for i, text in enumerate(smiles):
        if not fits(text, seq_len):
            too_long.append(i)
            continue
        forms = [text]
        if copies:
            variants = random_smiles(text, copies, seed * 1_000_003 + i)
            forms.extend(v if fits(v, seq_len) else text for v in variants)
        rows.extend(vocab.encode(form, seq_len) for form in forms)
        owner.extend([i] * len(forms))
    inputs = np.stack(rows) if rows else np.zeros((0, seq_len), dtype=np.int64)
    return EncodedSet(inputs, np.asarray(owner, dtype=np.int64), tuple(too_long))


def standardise(values: np.ndarray, mean: float, std: float) -> np.ndarray:
    """(values - mean) / std as float32 [N, 1]."""
    return ((np.asarray(values, dtype=np.float64) - mean) / std).astype(np.float32).reshape(-1, 1)


def build_task_data(cfg: MoleculeRecipe) -> TaskData:
    """Train rows (with augmentation), the validation part for the trainer's in-training check
    (and `keep_best`), and the test part, all standardised by the training labels.

    `trm-hub eval` scores the test part in the property's own unit. Fills `cfg.data.label_mean/std`
    and, with `data.descriptors`, the descriptor scale; each row then carries its molecule's
    standardised descriptors as features.
    """
    from trm_hub_plugins.molecule.augment import randomise_tokens
    from trm_hub_plugins.molecule.descriptors import DescriptorScale
    from trm_hub_plugins.molecule.inference import descriptor_scale

    data_cfg = cfg.data
    seq_len = cfg.model.seq_len
    data, parts = split_dataset(data_cfg.property, data_cfg.split, data_cfg.split_seed)
    train_values = data.values[parts.train]
    if data_cfg.label_mean is None:
        data_cfg.label_mean = float(train_values.mean())
    if data_cfg.label_std is None:
        data_cfg.label_std = float(train_values.std()) or 1.0
    mean, std = data_cfg.label_mean, data_cfg.label_std
    copies = data_cfg.copies if data_cfg.augment == "fixed" else 0
    train_smiles = [data.smiles[i] for i in parts.train]
    train = encode_with_copies(train_smiles, seq_len, copies, cfg.seed)
    if len(train.inputs) == 0:
        raise ValueError(f"no training molecule of '{data_cfg.property}' fits in model.seq_len={seq_len} tokens")
    augment = partial(randomise_tokens, vocab=default_vocabulary()) if data_cfg.augment == "batch" else None
    if data_cfg.descriptors and data_cfg.descriptor_mean is None:
        fitted = DescriptorScale.fit(train_smiles)
        data_cfg.descriptor_names = list(fitted.names)
        data_cfg.descriptor_mean, data_cfg.descriptor_std = fitted.mean.tolist(), fitted.std.tolist()
    scale = descriptor_scale(data_cfg)

    def features(smiles: list[str], molecule: np.ndarray) -> np.ndarray | None:
        return None if scale is None else scale.features(smiles)[molecule]

    def held_out(rows: np.ndarray) -> Split:
        smiles = [data.smiles[i] for i in rows]
        part = encode_with_copies(smiles, seq_len, 0, 0)
        return Split(part.inputs, standardise(data.values[rows][part.molecule], mean, std),
                     features=features(smiles, part.molecule))

    return TaskData(
        train=Split(train.inputs, standardise(train_values[train.molecule], mean, std),
                    features=features(train_smiles, train.molecule)),
        test=held_out(parts.test),
        valid=held_out(parts.valid),
        augment=augment,
    )
