"""The molecular properties the plugin predicts, and the MoleculeNet data set behind each."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PropertyInfo:
    """One predictable property and the CSV it is learned from."""

    name: str
    dataset: str
    file: str
    sha256: str
    rows: int
    smiles_column: str
    value_column: str
    unit: str
    description: str


PROPERTIES: dict[str, PropertyInfo] = {
    info.name: info
    for info in (
        PropertyInfo(
            name="solubility",
            dataset="ESOL",
            file="ESOL.csv",
            sha256="d377c80bf4cd01c55eeab751cc7ed93f6e53532d74a530278b2d389bc3520b15",
            rows=1128,
            smiles_column="smiles",
            value_column="measured log solubility in mols per litre",
            unit="log10(mol/L)",
            description="aqueous solubility (ESOL, Delaney 2004)",
        ),
        PropertyInfo(
            name="hydration_free_energy",
            dataset="FreeSolv",
            file="FreeSolv.csv",
            sha256="ab5895d914ee87cb563bd7b9611e869527bba45bec6b014d34dc495a0f9dcb72",
            rows=642,
            smiles_column="smiles",
            value_column="expt",
            unit="kcal/mol",
            description="experimental hydration free energy (FreeSolv, Mobley & Guthrie 2014)",
        ),
        PropertyInfo(
            name="lipophilicity",
            dataset="Lipophilicity",
            file="Lipophilicity.csv",
            sha256="aed41590cb30609d51d8e08ad3ff06495a76e80e211358801f596b10da69bacd",
            rows=4200,
            smiles_column="smiles",
            value_column="exp",
            unit="logD (octanol/water, pH 7.4)",
            description="octanol/water distribution coefficient at pH 7.4 (ChEMBL, AstraZeneca deposition)",
        ),
    )
}
DEFAULT_PROPERTY = "solubility"

EXTERNAL_SETS: dict[str, PropertyInfo] = {
    "solubility": PropertyInfo(
        name="solubility",
        dataset="Huuskonen-external",
        file="Huuskonen-external.csv",
        sha256="097b39ef04b49bc8646085e4ed12351ea03b8f1d0b5df1e38cb742516c9e98ec",
        rows=535,
        smiles_column="smiles",
        value_column="logS",
        unit="log10(mol/L)",
        description="aqueous solubility of the RDKit solubility set's molecules not in ESOL (Huuskonen 2000)",
    ),
}
_ALIASES = {alias: info.name for info in PROPERTIES.values() for alias in (info.name, info.dataset.lower())}
_ALIASES.update({"logs": "solubility", "logd": "lipophilicity", "hydration": "hydration_free_energy"})


def known_properties() -> str:
    """'solubility (ESOL, log10(mol/L)), ...' for messages."""
    return ", ".join(f"{p.name} ({p.dataset}, {p.unit})" for p in PROPERTIES.values())


def resolve_property(name: str) -> PropertyInfo:
    """The property called `name` (or its data set's name, any case), or a ValueError listing the known ones."""
    if not isinstance(name, str):
        raise ValueError(f"'property' must be a string naming one of: {known_properties()}")
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    if key not in _ALIASES:
        raise ValueError(f"unknown property '{name}'; known properties: {known_properties()}")
    return PROPERTIES[_ALIASES[key]]
