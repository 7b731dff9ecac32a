"""Applicability domain: Morgan-fingerprint Tanimoto similarity of a molecule to its nearest training molecules."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

import numpy as np

from trm_hub_plugins.molecule.data import split_dataset

RADIUS = 2
BITS = 2048
VALID_QUANTILE = 0.05


@dataclass(frozen=True)
class Domain:
    """A model's training fingerprints and the similarity below which a molecule is outside its training set.

    `threshold` is the VALID_QUANTILE quantile of the validation molecules' nearest similarity
    to the training molecules (a validation molecule's value, rounded down to 4 digits): at
    most 5% of the validation molecules lie below it.
    """

    train: np.ndarray
    counts: np.ndarray
    threshold: float

    def nearest_similarity(self, smiles: Sequence[str]) -> np.ndarray:
        """Per molecule, the highest Tanimoto similarity to a training molecule (1.0 for a training molecule)."""
        return nearest_similarity(fingerprints(smiles), self.train, self.counts)

    def outside(self, similarity: np.ndarray) -> np.ndarray:
        return np.asarray(similarity) < self.threshold


def fingerprints(smiles: Sequence[str]) -> np.ndarray:
    """Morgan bit fingerprints [N, BITS] as float32 0/1 (for similarity by matrix product)."""
    from trm_hub_plugins.molecule.chem import morgan_fingerprints

    return morgan_fingerprints(list(smiles), RADIUS, BITS).astype(np.float32)


def nearest_similarity(query: np.ndarray, train: np.ndarray, counts: np.ndarray | None = None) -> np.ndarray:
    """Highest Tanimoto similarity of each query fingerprint to the training fingerprints."""
    if len(query) == 0:
        return np.zeros(0)
    counts = train.sum(axis=1) if counts is None else counts
    best = np.zeros(len(query))
    for start in range(0, len(query), 256):
        block = query[start : start + 256]
        common = block @ train.T
        union = block.sum(axis=1, keepdims=True) + counts[None, :] - common
        similarity = np.where(union > 0, common / np.maximum(union, 1), 1.0)
        best[start : start + 256] = similarity.max(axis=1)
    return best


@lru_cache(maxsize=8)
def training_domain(property_name: str, split: str, seed: int) -> Domain:
    """The domain of a model trained on the training part of (property, split, seed); cached."""
    data, parts = split_dataset(property_name, split, seed)
    train = fingerprints([data.smiles[i] for i in parts.train])
    counts = train.sum(axis=1)
    valid = nearest_similarity(fingerprints([data.smiles[i] for i in parts.valid]), train, counts)
    threshold = float(np.quantile(valid, VALID_QUANTILE, method="lower"))
    return Domain(train, counts, float(np.floor(threshold * 1e4) / 1e4))
