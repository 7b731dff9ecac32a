"""The molecule task: property prediction from SMILES (schemas, token codec, routing examples)."""

from __future__ import annotations

from typing import Any, ClassVar, Iterator, Sequence

import numpy as np

from trm_hub.task import Task
from trm_hub_plugins.molecule.properties import PROPERTIES, resolve_property
from trm_hub_plugins.molecule.schema import MoleculeProblem, MoleculeSolution, Prediction

PROPERTY_SPELLINGS = {
    "solubility": ("solubility", "ESOL", "logS"),
    "hydration_free_energy": ("hydration_free_energy", "FreeSolv", "hydration"),
    "lipophilicity": ("lipophilicity", "Lipophilicity", "logD"),
}


def model_name_for(property_name: str) -> str:
    """The registered model that predicts a property."""
    return f"molecule-{resolve_property(property_name).name}"


class MoleculeTask(Task):
    """Molecular property prediction from SMILES: solubility, hydration free energy, lipophilicity."""

    name: ClassVar[str] = "molecule"
    description: ClassVar[str] = (
        "molecular properties from SMILES: solubility (ESOL), hydration free energy (FreeSolv), lipophilicity"
    )
    Problem = MoleculeProblem
    Solution = MoleculeSolution

    def model_name(self, problem: MoleculeProblem) -> str:
        return model_name_for(problem.property)

    def encode(self, problem: MoleculeProblem) -> np.ndarray:
        """Molecules -> token ids [n_molecules, max_len] with the shipped vocabulary."""
        from trm_hub_plugins.molecule.tokenizer import default_vocabulary

        return default_vocabulary().encode_many(problem.smiles)

    def decode(
        self,
        problem: MoleculeProblem,
        values: np.ndarray,
        uncertainties: Sequence[float | None] | np.ndarray | None = None,
    ) -> MoleculeSolution:
        """Predicted values ([n] or [n, 1]) -> one prediction per molecule with the property's unit."""
        flat = np.asarray(values, dtype=np.float64).reshape(-1)
        if flat.size != len(problem.smiles):
            raise ValueError(f"got {flat.size} predicted values for {len(problem.smiles)} molecules")
        spread = list(uncertainties) if uncertainties is not None else [None] * flat.size
        info = PROPERTIES[problem.property]
        return MoleculeSolution(
            predictions=[
                Prediction(
                    smiles=s,
                    property=info.name,
                    value=float(v),
                    unit=info.unit,
                    uncertainty=None if u is None else float(u),
                )
                for s, v, u in zip(problem.smiles, flat, spread)
            ]
        )

    def routing_examples(self, n: int, seed: int) -> Iterator[dict[str, Any]]:
        """Real SMILES from the data sets: one or a list, with or without a property, as written or canonical."""
        from trm_hub_plugins.molecule.data import load_dataset

        rng = np.random.default_rng(seed)
        pools = {name: load_dataset(name) for name in PROPERTIES}
        names = list(PROPERTIES)
        for _ in range(n):
            prop = names[int(rng.integers(len(names)))]
            data = pools[prop]
            count = 1 if rng.random() < 0.55 else int(rng.integers(2, 9))
            rows = rng.choice(len(data), size=count, replace=False)
            source = data.raw_smiles if rng.random() < 0.5 else data.smiles
            smiles = [source[int(i)] for i in rows]
            problem: dict[str, Any] = {"smiles": smiles[0] if count == 1 and rng.random() < 0.8 else smiles}
            if rng.random() < 0.6:
                spellings = PROPERTY_SPELLINGS[prop]
                pick = 0 if rng.random() < 0.7 else int(rng.integers(len(spellings)))
                problem["property"] = spellings[pick]
            yield problem
