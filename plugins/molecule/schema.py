"""Molecule problem and answer schemas: SMILES validated and canonicalised with RDKit."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

from trm_hub.task import Problem, Solution
from trm_hub_plugins.molecule.properties import DEFAULT_PROPERTY, resolve_property


class MoleculeProblem(Problem):
    """One or more molecules (SMILES) and the property to predict for them."""

    smiles: list[str]
    property: str = DEFAULT_PROPERTY

    @model_validator(mode="before")
    @classmethod
    def _normalise(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            raise ValueError(f"a molecule problem must be an object with 'smiles', got {type(data).__name__}")
        extra = sorted(set(data) - {"smiles", "property"})
        if extra:
            raise ValueError(f"unexpected key(s) {extra}; a molecule problem has 'smiles' and optionally 'property'")
        if "smiles" not in data:
            raise ValueError("a molecule problem needs 'smiles': one SMILES string or a list of them")
        info = resolve_property(data.get("property", DEFAULT_PROPERTY))
        raw = data["smiles"]
        if isinstance(raw, str):
            items, names = [raw], ["SMILES"]
        elif isinstance(raw, list):
            if not raw:
                raise ValueError("'smiles' is an empty list; give at least one SMILES string")
            items, names = raw, [f"smiles[{i}]" for i in range(len(raw))]
        else:
            raise ValueError(f"'smiles' must be a SMILES string or a list of them, got {type(raw).__name__}")
        from trm_hub_plugins.molecule.chem import canonical_smiles, parent_molecule
        from trm_hub_plugins.molecule.inference import MAX_TOKENS
        from trm_hub_plugins.molecule.tokenizer import tokenize

        smiles = [canonical_smiles(s, where) for s, where in zip(items, names)]
        for text, where in zip(smiles, names):
            tokens = len(tokenize(parent_molecule(text).smiles))
            if tokens > MAX_TOKENS:
                raise ValueError(
                    f"{where} '{text[:60]}...' has {tokens} tokens; the molecule models read at most {MAX_TOKENS} "
                    "(about 200 heavy atoms)"
                )
        return {"smiles": smiles, "property": info.name}


class Prediction(BaseModel):
    """A predicted property value for one molecule.

    `uncertainty` is a standard deviation in the property's unit: calibrated on the model's
    validation molecules from `spread` (the standard deviation over several SMILES of the
    molecule) where the checkpoint records a calibration, else `spread` itself.
    `fragment` is the molecule the value is for: `smiles` itself, or a salt's or mixture's parent
    (its largest organic fragment, neutralised), with the other fragments in `dropped`.
    `nearest_similarity` is the highest Tanimoto similarity (Morgan, radius 2, 2048 bits) of the
    fragment to the model's training molecules; `outside_training_set` is true below the model's
    threshold, chosen on its validation molecules.
    """

    model_config = ConfigDict(extra="forbid")

    smiles: str
    property: str
    value: float
    unit: str
    uncertainty: float | None = None
    spread: float | None = None
    fragment: str | None = None
    dropped: list[str] = []
    nearest_similarity: float | None = None
    outside_training_set: bool | None = None


class MoleculeSolution(Solution):
    """One prediction per molecule, in the problem's order."""

    predictions: list[Prediction]
