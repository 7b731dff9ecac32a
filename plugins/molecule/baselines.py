"""Reference baselines: the training-mean predictor and a random forest on Morgan fingerprints."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from trm_hub_plugins.molecule.data import split_dataset

RF_TREES = 300
RF_MAX_FEATURES = 1 / 3
FINGERPRINT_RADIUS = 2
FINGERPRINT_BITS = 2048


@dataclass(frozen=True)
class BaselineResult:
    """Test RMSE of each baseline on one property, split kind and seed."""

    property: str
    split: str
    seed: int
    train_size: int
    test_size: int
    mean_rmse: float
    random_forest_rmse: float

    def to_json(self) -> dict[str, object]:
        return asdict(self)


def rmse(predicted: np.ndarray, target: np.ndarray) -> float:
    """Root-mean-square error."""
    return float(np.sqrt(np.mean((np.asarray(predicted) - np.asarray(target)) ** 2)))


def evaluate_baselines(
    property_name: str, split: str = "random", seed: int = 0, trees: int = RF_TREES, jobs: int = 1
) -> BaselineResult:
    """Fit both baselines on the training part of the split (validation part unused); return test RMSE."""
    from sklearn.ensemble import RandomForestRegressor

    from trm_hub_plugins.molecule.chem import morgan_fingerprints

    data, parts = split_dataset(property_name, split, seed)
    train_x = morgan_fingerprints([data.smiles[i] for i in parts.train], FINGERPRINT_RADIUS, FINGERPRINT_BITS)
    test_x = morgan_fingerprints([data.smiles[i] for i in parts.test], FINGERPRINT_RADIUS, FINGERPRINT_BITS)
    train_y, test_y = data.values[parts.train], data.values[parts.test]
    forest = RandomForestRegressor(
        n_estimators=trees, max_features=RF_MAX_FEATURES, random_state=seed, n_jobs=jobs
    )
    forest.fit(train_x, train_y)
    return BaselineResult(
        property=data.property,
        split=split,
        seed=seed,
        train_size=len(parts.train),
        test_size=len(parts.test),
        mean_rmse=rmse(np.full(len(test_y), train_y.mean()), test_y),
        random_forest_rmse=rmse(forest.predict(test_x), test_y),
    )
