"""Descriptor tokens: a few RDKit descriptors of a molecule, binned by training-set quantiles, read before its SMILES.

A recipe with `data.descriptors=K` picks the K descriptors that a random forest on the training
part finds most important, and cuts each into at most BINS bins at the training molecules'
quantiles. Descriptor k in bin b is token `len(vocabulary) + k * BINS + b`, so the model reads
K tokens that do not depend on how the SMILES is written, followed by the SMILES tokens.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from trm_hub_plugins.molecule.tokenizer import default_vocabulary

BINS = 32
RANKING_TREES = 100


def descriptor_table(smiles: Sequence[str], names: Sequence[str]) -> np.ndarray:
    """The named RDKit descriptors of each molecule [N, len(names)] (NaN -> 0, clipped like the baselines)."""
    from trm_hub_plugins.molecule.baselines import DESCRIPTOR_LIMIT, _descriptor_row

    table = np.array([[_descriptor_row(s).get(name, 0.0) for name in names] for s in smiles], dtype=np.float64)
    table = table.reshape(len(smiles), len(names))
    return np.clip(np.nan_to_num(table, nan=0.0, posinf=DESCRIPTOR_LIMIT, neginf=-DESCRIPTOR_LIMIT),
                   -DESCRIPTOR_LIMIT, DESCRIPTOR_LIMIT)


def rank_descriptors(smiles: Sequence[str], values: np.ndarray, count: int, seed: int) -> list[str]:
    """The `count` RDKit descriptors a random forest fitted on these (training) molecules ranks most important."""
    from sklearn.ensemble import RandomForestRegressor

    from trm_hub_plugins.molecule.baselines import RF_MAX_FEATURES, _descriptor_row

    names = sorted(_descriptor_row(smiles[0]))
    forest = RandomForestRegressor(n_estimators=RANKING_TREES, max_features=RF_MAX_FEATURES, random_state=seed, n_jobs=1)
    forest.fit(descriptor_table(smiles, names), np.asarray(values, dtype=np.float64))
    order = sorted(range(len(names)), key=lambda i: (-forest.feature_importances_[i], names[i]))
    return [names[i] for i in order[:count]]


def bin_edges(smiles: Sequence[str], names: Sequence[str]) -> list[list[float]]:
    """Per descriptor, the distinct inner quantiles (BINS - 1 at most) of the training molecules' values."""
    table = descriptor_table(smiles, names)
    quantiles = np.arange(1, BINS) / BINS
    return [[float(v) for v in np.unique(np.quantile(column, quantiles))] for column in table.T]


def descriptor_tokens(smiles: Sequence[str], names: Sequence[str], edges: Sequence[Sequence[float]]) -> np.ndarray:
    """Token ids [N, len(names)] of each molecule's binned descriptors (after the SMILES vocabulary)."""
    offset = len(default_vocabulary())
    table = descriptor_table(smiles, names)
    out = np.zeros(table.shape, dtype=np.int64)
    for k, cuts in enumerate(edges):
        out[:, k] = offset + k * BINS + np.searchsorted(np.asarray(cuts), table[:, k], side="right")
    return out
