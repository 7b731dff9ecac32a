"""The molecule task: property prediction from SMILES (schemas, codec, recipe, view-averaged solve, eval report)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, ClassVar, Iterator, Sequence

import numpy as np

from trm_hub.config import TrainConfig
from trm_hub.task import Answer, Task, TaskData, halt_threshold, trained_data
from trm_hub_plugins.molecule.properties import PROPERTIES
from trm_hub_plugins.molecule.recipe import MoleculeRecipe, model_name_for
from trm_hub_plugins.molecule.schema import MoleculeProblem, MoleculeSolution, Prediction

if TYPE_CHECKING:
    from trm_hub.registry import Registry

PROPERTY_SPELLINGS = {
    "solubility": ("solubility", "ESOL", "logS"),
    "hydration_free_energy": ("hydration_free_energy", "FreeSolv", "hydration"),
    "lipophilicity": ("lipophilicity", "Lipophilicity", "logD"),
}


class MoleculeTask(Task):
    """Molecular property prediction from SMILES: solubility, hydration free energy, lipophilicity."""

    name: ClassVar[str] = "molecule"
    description: ClassVar[str] = (
        "molecular properties from SMILES: solubility (ESOL), hydration free energy (FreeSolv), lipophilicity"
    )
    Problem = MoleculeProblem
    Solution = MoleculeSolution
    recipe: ClassVar[type[MoleculeRecipe]] = MoleculeRecipe

    def model_name(self, problem: MoleculeProblem) -> str:
        return model_name_for(problem.property)

    def checkpoint_name(self, cfg: TrainConfig) -> str:
        """The model a training recipe produces (follows cfg.data.property)."""
        data = getattr(cfg, "data", None)
        return model_name_for(data.property) if data is not None else self.name

    def build_dataset(self, cfg: TrainConfig) -> TaskData:
        """Standardised labels and randomised-SMILES augmentation for cfg.data.property."""
        from trm_hub_plugins.molecule.training_data import build_task_data

        if not isinstance(cfg, MoleculeRecipe):
            raise ValueError(f"the molecule task trains with a MoleculeRecipe, got {type(cfg).__name__}")
        return build_task_data(cfg)

    def evaluate(self, model: Any, meta: dict[str, Any], cfg: TrainConfig) -> dict[str, Any]:
        """Test RMSE on the checkpoint's own split and seed, beside the mean and random-forest baselines."""
        from trm_hub_plugins.molecule.evaluation import evaluate_checkpoint

        return evaluate_checkpoint(model, meta, cfg)

    def solve(
        self, problems: Sequence[MoleculeProblem], device: str = "auto", registry: "Registry | None" = None
    ) -> list[Answer]:
        """Per property model: average over several SMILES of each molecule; the spread is the uncertainty."""
        from trm_hub.model import resolve_device
        from trm_hub.registry import Registry
        from trm_hub_plugins.molecule.inference import estimate, label_scale

        registry = registry or Registry.load()
        groups: dict[str, list[int]] = {}
        for index, problem in enumerate(problems):
            groups.setdefault(self.model_name(problem), []).append(index)
        weights = {name: registry.weights_for(self.name, name) for name in groups}
        target = resolve_device(device)
        answers: list[Answer | None] = [None] * len(problems)
        for name, indices in groups.items():
            model, meta = self.load_model(weights[name], target)
            mean, std = label_scale(meta)
            views = int(trained_data(meta).get("views", 1))
            threshold = halt_threshold(None, meta)
            began = time.perf_counter()
            smiles = [s for i in indices for s in problems[i].smiles]
            result = estimate(model, smiles, views, mean, std, halt_threshold=threshold)
            per_molecule = (time.perf_counter() - began) / len(smiles)
            start = 0
            for i in indices:
                part = slice(start, start + len(problems[i].smiles))
                start = part.stop
                solution = self.decode(problems[i], result.values[part], result.spread[part])
                steps = int(round(float(result.steps[part].mean())))
                answers[i] = Answer(self.name, solution, None, steps, per_molecule * len(problems[i].smiles))
        return [answer for answer in answers if answer is not None]

    def pictures(self, problem: MoleculeProblem) -> list[str]:
        """One SVG drawing (RDKit) of each molecule of the problem."""
        from trm_hub_plugins.molecule.chem import drawing

        return [drawing(s) for s in problem.smiles]

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
