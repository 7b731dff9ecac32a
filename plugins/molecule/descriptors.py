"""RDKit's 2D descriptors: a table per molecule for the descriptor forest, and standardised
features the model reads beside the SMILES (`data.descriptors`)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

import numpy as np

DESCRIPTOR_LIMIT = 1e6  # raw values are clipped to +-this (a few descriptors overflow on odd molecules)
FEATURE_CLIP = 5.0  # standardised features are clipped to +-this many training standard deviations


@lru_cache(maxsize=1)
def descriptor_names() -> tuple[str, ...]:
    """The names of the installed RDKit's 2D descriptors, sorted."""
    from rdkit.Chem import Descriptors

    return tuple(sorted(name for name, _ in Descriptors.descList))


@lru_cache(maxsize=20000)
def _descriptor_row(smiles: str) -> dict[str, float]:
    from rdkit import rdBase
    from rdkit.Chem import Descriptors

    from trm_hub_plugins.molecule.chem import parse_smiles

    with rdBase.BlockLogs():
        return Descriptors.CalcMolDescriptors(parse_smiles(smiles))


def descriptors(smiles: Sequence[str], names: Sequence[str] | None = None) -> np.ndarray:
    """The descriptors `names` (default: all of `descriptor_names`) of each molecule [N, D];
    NaN -> 0, clipped to +-DESCRIPTOR_LIMIT."""
    names = list(names or descriptor_names())
    rows = [_descriptor_row(s) for s in smiles]
    missing = sorted(set(names) - set(rows[0])) if rows else []
    if missing:
        raise ValueError(f"this RDKit has no descriptor {', '.join(missing[:3])}; the model was trained with "
                         f"another RDKit version")
    table = np.array([[row[name] for name in names] for row in rows], dtype=np.float64)
    return np.clip(np.nan_to_num(table, nan=0.0, posinf=DESCRIPTOR_LIMIT, neginf=-DESCRIPTOR_LIMIT),
                   -DESCRIPTOR_LIMIT, DESCRIPTOR_LIMIT).reshape(len(rows), len(names))


@dataclass(frozen=True)
class DescriptorScale:
    """Which descriptors a model reads and the training molecules' mean and spread of each."""

    names: tuple[str, ...]
    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, smiles: Sequence[str]) -> "DescriptorScale":
        """Mean and standard deviation of every descriptor over the training molecules (a constant
        one gets spread 1, so it reads as 0)."""
        table = descriptors(smiles)
        std = table.std(axis=0)
        return cls(descriptor_names(), table.mean(axis=0), np.where(std > 0, std, 1.0))

    def features(self, smiles: Sequence[str]) -> np.ndarray:
        """Standardised descriptors [N, D] float32, clipped to +-FEATURE_CLIP."""
        table = (descriptors(smiles, self.names) - self.mean) / self.std
        return np.clip(table, -FEATURE_CLIP, FEATURE_CLIP).astype(np.float32)
