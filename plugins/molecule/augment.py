"""Randomised-SMILES augmentation of token batches: same molecules, different atom orders."""

from __future__ import annotations

import numpy as np

from trm_hub_plugins.molecule.chem import random_smiles
from trm_hub_plugins.molecule.tokenizer import Vocabulary, default_vocabulary, tokenize


def randomise_tokens(
    inputs: np.ndarray, labels: np.ndarray, rng: np.random.Generator, vocab: Vocabulary | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Re-write each row's molecule as a random SMILES (rows whose variant is too long stay as they are)."""
    vocab = vocab or default_vocabulary()
    out = np.array(inputs, copy=True)
    length = out.shape[1]
    for i, row in enumerate(out):
        if (row == vocab.unk_id).any():
            continue
        smiles = vocab.decode(row)
        if not smiles:
            continue
        variant = random_smiles(smiles, 1, int(rng.integers(2**31 - 1)))[0]
        if len(tokenize(variant)) <= length:
            out[i] = vocab.encode(variant, length)
    return out, labels
