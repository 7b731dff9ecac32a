"""The molecule task: property prediction from SMILES (schemas, codec, recipe, view-averaged solve, eval report)."""

from __future__ import annotations

import time
from typing import Any, ClassVar, Iterator, Sequence

import numpy as np

from trm_hub.config import TrainConfig
from trm_hub.task import Answer, Checkpoint, Task, TaskData
from trm_hub_plugins.molecule.properties import PROPERTIES
from trm_hub_plugins.molecule.recipe import MoleculeRecipe, model_name_for
from trm_hub_plugins.molecule.schema import MoleculeProblem, MoleculeSolution, Prediction

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

    def answer_with(self, model: Any, checkpoint: Checkpoint, problems: Sequence[MoleculeProblem]) -> list[Answer]:
        """The parent fragment of each molecule, averaged over several SMILES of it (their spread,
        calibrated on validation data, gives the uncertainty), and its similarity to the model's
        training molecules."""
        from trm_hub_plugins.molecule.calibration import checkpoint_calibration
        from trm_hub_plugins.molecule.chem import parent_molecule
        from trm_hub_plugins.molecule.domain import training_domain
        from trm_hub_plugins.molecule.inference import descriptor_scale, estimate, label_scale

        data = checkpoint.recipe.data
        mean, std = label_scale(data, checkpoint.meta.get("model_name", "?"))
        began = time.perf_counter()
        parents = [parent_molecule(s) for problem in problems for s in problem.smiles]
        fragments = [p.smiles for p in parents]
        result = estimate(model, fragments, data.views, mean, std, scale=descriptor_scale(data),
                          halt_threshold=checkpoint.recipe.halt_threshold)
        domain = training_domain(data.property, data.split, data.split_seed)
        similarity = domain.nearest_similarity(fragments)
        calibration = checkpoint_calibration(checkpoint.meta)
        sd = calibration.sd(result.spread, similarity) if calibration is not None else result.spread
        per_molecule = (time.perf_counter() - began) / max(len(fragments), 1)
        answers, start = [], 0
        for problem in problems:
            part = slice(start, start + len(problem.smiles))
            start = part.stop
            solution = self.decode(problem, result.values[part], sd[part], spreads=result.spread[part],
                                   parents=parents[part], similarity=similarity[part],
                                   similarity_threshold=domain.threshold)
            steps = int(round(float(result.steps[part].mean())))
            answers.append(Answer(self.name, solution, None, steps, per_molecule * len(problem.smiles)))
        return answers

    def export_settings(self, recipe: MoleculeRecipe) -> dict[str, Any]:
        """SMILES vocabulary (id 0 pad, 1 unknown), views averaged, the label scale (value = output * std + mean)
        and, for a model that reads descriptors, their names and scale (feature = clip((value - mean) / std))."""
        from trm_hub_plugins.molecule.inference import label_scale
        from trm_hub_plugins.molecule.tokenizer import default_vocabulary

        data = recipe.data
        mean, std = label_scale(data)
        info = PROPERTIES[data.property]
        settings = {"vocabulary": list(default_vocabulary().tokens), "views": data.views, "label_mean": mean,
                    "label_std": std, "property": info.name, "unit": info.unit}
        if data.descriptors:
            from trm_hub_plugins.molecule.descriptors import FEATURE_CLIP

            settings.update(descriptor_names=data.descriptor_names, descriptor_mean=data.descriptor_mean,
                            descriptor_std=data.descriptor_std, descriptor_clip=FEATURE_CLIP)
        return settings

    def pictures(self, problem: MoleculeProblem, solution: MoleculeSolution | None = None) -> list[str]:
        """One SVG drawing (RDKit) of each molecule of the problem, with its predicted value."""
        from trm_hub_plugins.molecule.drawing import pictures

        return pictures(problem, solution)

    def encode(self, problem: MoleculeProblem, recipe: MoleculeRecipe | None = None) -> np.ndarray:
        """Molecules (their parent fragments) -> token ids [n_molecules, L] with the shipped vocabulary;
        L is the vocabulary's length, or the reading length of the longest molecule."""
        from trm_hub_plugins.molecule.chem import parent_molecule
        from trm_hub_plugins.molecule.inference import reading_length
        from trm_hub_plugins.molecule.tokenizer import default_vocabulary, tokenize

        vocab = default_vocabulary()
        fragments = [parent_molecule(s).smiles for s in problem.smiles]
        longest = max(len(tokenize(s)) for s in fragments)
        return vocab.encode_many(fragments, reading_length(longest, vocab.max_len))

    def decode(
        self,
        problem: MoleculeProblem,
        values: np.ndarray,
        uncertainties: Sequence[float | None] | np.ndarray | None = None,
        *,
        spreads: Sequence[float] | np.ndarray | None = None,
        parents: Sequence[Any] | None = None,
        similarity: Sequence[float] | np.ndarray | None = None,
        similarity_threshold: float | None = None,
    ) -> MoleculeSolution:
        """Predicted values ([n] or [n, 1]) -> one prediction per molecule with the property's unit,
        its uncertainty (a standard deviation) and spread over SMILES, the fragment predicted and
        what was dropped (`parents`, chem.Parent), and the similarity to the training molecules
        (outside the training set below `similarity_threshold`)."""
        flat = np.asarray(values, dtype=np.float64).reshape(-1)
        count = len(problem.smiles)
        if flat.size != count:
            raise ValueError(f"got {flat.size} predicted values for {count} molecules")
        spread = list(uncertainties) if uncertainties is not None else [None] * count
        near = [None if similarity is None else float(similarity[k]) for k in range(count)]
        info = PROPERTIES[problem.property]
        predictions = []
        for k, (s, v, u) in enumerate(zip(problem.smiles, flat, spread)):
            parent = parents[k] if parents is not None else None
            outside = None if near[k] is None or similarity_threshold is None else bool(near[k] < similarity_threshold)
            predictions.append(
                Prediction(
                    smiles=s,
                    property=info.name,
                    value=float(v),
                    unit=info.unit,
                    uncertainty=None if u is None else float(u),
                    spread=None if spreads is None else float(spreads[k]),
                    fragment=parent.smiles if parent is not None else s,
                    dropped=list(parent.dropped) if parent is not None else [],
                    nearest_similarity=None if near[k] is None else round(near[k], 4),
                    outside_training_set=outside,
                )
            )
        return MoleculeSolution(predictions=predictions)

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
