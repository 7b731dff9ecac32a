"""MoleculeNet regression sets shipped with the plugin: checked loading and seeded random / scaffold splits."""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

import numpy as np

from trm_hub_plugins.molecule.properties import EXTERNAL_SETS, PropertyInfo, resolve_property

SplitKind = Literal["random", "scaffold"]
SPLIT_KINDS: tuple[str, ...] = ("random", "scaffold")
FRACTIONS = (0.8, 0.1, 0.1)


@dataclass(frozen=True)
class MoleculeData:
    """One property's data: canonical SMILES, the file's own SMILES, and float values."""

    property: str
    smiles: tuple[str, ...]
    raw_smiles: tuple[str, ...]
    values: np.ndarray

    def __len__(self) -> int:
        return len(self.smiles)


@dataclass(frozen=True)
class SplitIndices:
    """Row indices of the train, validation and test parts of a split."""

    train: np.ndarray
    valid: np.ndarray
    test: np.ndarray


def data_dir() -> Path:
    """Folder of the shipped CSV files."""
    return Path(str(resources.files("trm_hub_plugins.molecule").joinpath("data")))


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_rows(info: PropertyInfo, folder: Path | None = None) -> tuple[list[str], np.ndarray]:
    """The (SMILES, value) rows of a property's CSV after checking its sha256."""
    path = (folder or data_dir()) / info.file
    if not path.is_file():
        raise FileNotFoundError(f"data file {path} for '{info.name}' is missing")
    payload = path.read_bytes()
    digest = hashlib.sha256(payload).hexdigest()
    if digest != info.sha256:
        raise ValueError(f"data file {path} has sha256 {digest}, expected {info.sha256}; it was changed or damaged")
    reader = csv.DictReader(io.StringIO(payload.decode("utf-8")))
    smiles, values = [], []
    for row in reader:
        smiles.append(row[info.smiles_column].strip())
        values.append(float(row[info.value_column]))
    if len(smiles) != info.rows:
        raise ValueError(f"data file {path} has {len(smiles)} rows, expected {info.rows}")
    return smiles, np.asarray(values, dtype=np.float64)


@lru_cache(maxsize=None)
def _load(name: str) -> MoleculeData:
    from trm_hub_plugins.molecule.chem import canonical_smiles

    info = resolve_property(name)
    raw, values = read_rows(info)
    canonical = tuple(canonical_smiles(s, f"{info.file} row {i + 1} SMILES") for i, s in enumerate(raw))
    values.setflags(write=False)
    return MoleculeData(info.name, canonical, tuple(raw), values)


def load_dataset(name: str) -> MoleculeData:
    """The checked, canonicalised data of a property (by property or data set name); cached."""
    return _load(resolve_property(name).name)


@lru_cache(maxsize=None)
def load_external(name: str) -> MoleculeData | None:
    """The checked external test set of a property (molecules outside its training data), or None if it has none."""
    from trm_hub_plugins.molecule.chem import canonical_smiles

    info = EXTERNAL_SETS.get(resolve_property(name).name)
    if info is None:
        return None
    raw, values = read_rows(info)
    canonical = tuple(canonical_smiles(s, f"{info.file} row {i + 1} SMILES") for i, s in enumerate(raw))
    values.setflags(write=False)
    return MoleculeData(info.name, canonical, tuple(raw), values)


def _groups(keys: list[str]) -> dict[str, list[int]]:
    groups: dict[str, list[int]] = {}
    for index, key in enumerate(keys):
        groups.setdefault(key, []).append(index)
    return groups


def _fill(groups: list[list[int]], total: int, fractions: tuple[float, float, float]) -> SplitIndices:
    """Place whole groups in order: in train while it has room, else in valid while it has room, else in test."""
    caps = (fractions[0] * total, fractions[1] * total)
    train: list[int] = []
    valid: list[int] = []
    test: list[int] = []
    for group in groups:
        if len(train) + len(group) <= caps[0]:
            train.extend(group)
        elif len(valid) + len(group) <= caps[1]:
            valid.extend(group)
        else:
            test.extend(group)
    return SplitIndices(*(np.asarray(sorted(part), dtype=np.int64) for part in (train, valid, test)))


def random_split(
    smiles: tuple[str, ...], seed: int, fractions: tuple[float, float, float] = FRACTIONS
) -> SplitIndices:
    """Seeded random split that keeps repeated molecules (same canonical SMILES) on one side."""
    groups = list(_groups(list(smiles)).values())
    order = np.random.default_rng(seed).permutation(len(groups))
    return _fill([groups[i] for i in order], len(smiles), fractions)


@lru_cache(maxsize=8)
def _scaffolds(smiles: tuple[str, ...]) -> tuple[str, ...]:
    from trm_hub_plugins.molecule.chem import murcko_scaffold

    return tuple(murcko_scaffold(s) for s in smiles)


def scaffold_split(
    smiles: tuple[str, ...], seed: int, fractions: tuple[float, float, float] = FRACTIONS
) -> SplitIndices:
    """Seeded Bemis-Murcko scaffold split: no scaffold is shared between parts.

    Scaffold groups too large for the validation or test part go to training first (largest
    first); the rest follow in an order shuffled by the seed.
    """
    groups = list(_groups(list(_scaffolds(smiles))).values())
    limit = min(fractions[1], fractions[2]) * len(smiles) / 2
    big = sorted((g for g in groups if len(g) > limit), key=lambda g: (-len(g), g[0]))
    small = [g for g in groups if len(g) <= limit]
    order = np.random.default_rng(seed).permutation(len(small))
    return _fill(big + [small[i] for i in order], len(smiles), fractions)


def split_dataset(name: str, kind: str, seed: int) -> tuple[MoleculeData, SplitIndices]:
    """A property's data and its `kind` ('random' or 'scaffold') split for `seed`."""
    if kind not in SPLIT_KINDS:
        raise ValueError(f"unknown split '{kind}'; known splits: {', '.join(SPLIT_KINDS)}")
    data = load_dataset(name)
    if kind == "random":
        return data, random_split(data.smiles, seed)
    return data, scaffold_split(data.smiles, seed)
