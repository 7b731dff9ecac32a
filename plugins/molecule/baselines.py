"""Reference baselines: the training-mean predictor, a random forest on Morgan fingerprints, and one on RDKit 2D descriptors."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Sequence

import numpy as np

from trm_hub_plugins.molecule.data import load_external, split_dataset
from trm_hub_plugins.molecule.descriptors import descriptors

RF_TREES = 300
RF_MAX_FEATURES = 1 / 3
FINGERPRINT_RADIUS = 2
FINGERPRINT_BITS = 2048


@dataclass(frozen=True)
class BaselineResult:
    """Test RMSE of each baseline on one property, split kind and seed (and on the external set, if any)."""

    property: str
    split: str
    seed: int
    train_size: int
    test_size: int
    mean_rmse: float
    random_forest_rmse: float
    descriptor_forest_rmse: float | None = None
    external_size: int | None = None
    external_random_forest_rmse: float | None = None
    external_descriptor_forest_rmse: float | None = None

    def to_json(self) -> dict[str, object]:
        return asdict(self)


def rmse(predicted: np.ndarray, target: np.ndarray) -> float:
    """Root-mean-square error."""
    return float(np.sqrt(np.mean((np.asarray(predicted) - np.asarray(target)) ** 2)))


def morgan(smiles: Sequence[str]) -> np.ndarray:
    from trm_hub_plugins.molecule.chem import morgan_fingerprints

    return morgan_fingerprints(list(smiles), FINGERPRINT_RADIUS, FINGERPRINT_BITS)


@dataclass
class FittedBaselines:
    """The baselines fitted on one training part; `predict(kind, smiles)` for kind 'mean', 'forest', 'descriptors'."""

    train_mean: float
    forest: Any
    descriptor_forest: Any | None

    def predict(self, kind: str, smiles: Sequence[str]) -> np.ndarray:
        if kind == "mean":
            return np.full(len(smiles), self.train_mean)
        if kind == "forest":
            return self.forest.predict(morgan(smiles))
        if kind == "descriptors" and self.descriptor_forest is not None:
            return self.descriptor_forest.predict(descriptors(smiles))
        raise ValueError(f"no baseline '{kind}' was fitted")


def fit_baselines(
    smiles: Sequence[str], values: np.ndarray, seed: int, trees: int = RF_TREES, jobs: int = 1, with_descriptors: bool = True
) -> FittedBaselines:
    """Fit the mean, the fingerprint forest and (optionally) the descriptor forest on training molecules."""
    from sklearn.ensemble import RandomForestRegressor

    def forest() -> Any:
        return RandomForestRegressor(n_estimators=trees, max_features=RF_MAX_FEATURES, random_state=seed, n_jobs=jobs)

    values = np.asarray(values, dtype=np.float64)
    fingerprint_forest = forest().fit(morgan(smiles), values)
    descriptor_forest = forest().fit(descriptors(smiles), values) if with_descriptors else None
    return FittedBaselines(float(values.mean()), fingerprint_forest, descriptor_forest)


def evaluate_baselines(
    property_name: str,
    split: str = "random",
    seed: int = 0,
    trees: int = RF_TREES,
    jobs: int = 1,
    with_descriptors: bool = True,
) -> BaselineResult:
    """Fit the baselines on the training part of the split (validation part unused); return test RMSE
    (and RMSE on the property's external set, when it has one)."""
    data, parts = split_dataset(property_name, split, seed)
    test = [data.smiles[i] for i in parts.test]
    train_y, test_y = data.values[parts.train], data.values[parts.test]
    fitted = fit_baselines([data.smiles[i] for i in parts.train], train_y, seed, trees, jobs, with_descriptors)
    external = load_external(property_name)
    extra: dict[str, Any] = {}
    if with_descriptors:
        extra["descriptor_forest_rmse"] = rmse(fitted.predict("descriptors", test), test_y)
    if external is not None:
        extra["external_size"] = len(external)
        extra["external_random_forest_rmse"] = rmse(fitted.predict("forest", external.smiles), external.values)
        if with_descriptors:
            extra["external_descriptor_forest_rmse"] = rmse(
                fitted.predict("descriptors", external.smiles), external.values
            )
    return BaselineResult(
        property=data.property,
        split=split,
        seed=seed,
        train_size=len(parts.train),
        test_size=len(parts.test),
        mean_rmse=rmse(fitted.predict("mean", test), test_y),
        random_forest_rmse=rmse(fitted.predict("forest", test), test_y),
        **extra,
    )
