"""How many RDKit descriptors carry the information: forests on the top-k descriptors, scored on validation parts.

    python training/molecule/descriptor_count.py

For each property (random split, seed 0) a 300-tree forest on all RDKit 2D descriptors of the
training part ranks them by importance (mean over the three properties); forests on the top
k = 16, 24, 32, 48 are then scored on the validation part beside the forest on all of them.
Test parts are not used.
"""

from __future__ import annotations

import numpy as np
from sklearn.ensemble import RandomForestRegressor

from trm_hub_plugins.molecule.baselines import RF_MAX_FEATURES, rmse
from trm_hub_plugins.molecule.descriptors import descriptor_names, descriptors
from trm_hub_plugins.molecule.data import split_dataset
from trm_hub_plugins.molecule.properties import PROPERTIES


def forest(x: np.ndarray, y: np.ndarray) -> RandomForestRegressor:
    return RandomForestRegressor(300, max_features=RF_MAX_FEATURES, random_state=0, n_jobs=1).fit(x, y)


def main() -> None:
    score: dict[str, float] = {}
    parts_of = {}
    for prop in PROPERTIES:
        data, parts = split_dataset(prop, "random", 0)
        train = descriptors([data.smiles[i] for i in parts.train])
        valid = descriptors([data.smiles[i] for i in parts.valid])
        names = descriptor_names()
        fitted = forest(train, data.values[parts.train])
        parts_of[prop] = (train, valid, data.values[parts.train], data.values[parts.valid], fitted)
        for name, importance in zip(names, fitted.feature_importances_):
            score[name] = score.get(name, 0.0) + importance / len(PROPERTIES)
    ranked = sorted(score, key=lambda name: -score[name])
    print("| Descriptors | " + " | ".join(PROPERTIES) + " |")
    print("|---|" + "---|" * len(PROPERTIES))
    row = [rmse(f.predict(v), yv) for _, v, _, yv, f in parts_of.values()]
    print(f"| all {len(names)} | " + " | ".join(f"{r:.3f}" for r in row) + " |")
    for k in (16, 24, 32, 48):
        cols = [names.index(name) for name in ranked[:k]]
        row = [rmse(forest(t[:, cols], y).predict(v[:, cols]), yv) for t, v, y, yv, _ in parts_of.values()]
        print(f"| top {k} | " + " | ".join(f"{r:.3f}" for r in row) + " |")


if __name__ == "__main__":
    main()
