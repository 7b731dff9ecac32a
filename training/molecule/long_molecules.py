"""How the shipped models read molecules longer than their training length, and how many molecules are that long.

    python training/molecule/long_molecules.py

For each shipped model: the molecules of its data set longer than its `seq_len` (the trainer
skips them, so the model never saw them) are read at a longer length with the same weights;
their RMSE is printed beside the random forest's (fitted on the model's training part) and
beside the model's RMSE on its test molecules that fit. The spread over 16 SMILES of a molecule
measures how much the answer depends on how the molecule is written.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from rdkit import Chem

from trm_hub.model import load_checkpoint
from trm_hub.registry import Registry
from trm_hub_plugins.molecule.baselines import FINGERPRINT_BITS, FINGERPRINT_RADIUS, rmse
from trm_hub_plugins.molecule.chem import morgan_fingerprints
from trm_hub_plugins.molecule.data import load_external, split_dataset
from trm_hub_plugins.molecule.inference import descriptor_scale, estimate, label_scale
from trm_hub_plugins.molecule.properties import PROPERTIES
from trm_hub_plugins.molecule.recipe import MoleculeRecipe
from trm_hub_plugins.molecule.tokenizer import tokenize

DRUGS = Path(__file__).with_name("large_drugs.tsv")


def forest(train_smiles, train_y, seed=0):
    from sklearn.ensemble import RandomForestRegressor

    model = RandomForestRegressor(n_estimators=300, max_features=1 / 3, random_state=seed, n_jobs=1)
    model.fit(morgan_fingerprints(train_smiles, FINGERPRINT_RADIUS, FINGERPRINT_BITS), train_y)
    return lambda smiles: model.predict(morgan_fingerprints(smiles, FINGERPRINT_RADIUS, FINGERPRINT_BITS))


def main() -> None:
    registry = Registry.load()
    with DRUGS.open() as handle:
        drugs = list(csv.DictReader(handle, delimiter="\t"))
    print("| Molecule | Heavy atoms | Tokens (canonical) | Longest of 16 SMILES |")
    print("|---|---|---|---|")
    from trm_hub_plugins.molecule.chem import random_smiles

    for row in drugs:
        mol = Chem.MolFromSmiles(row["smiles"])
        canonical = Chem.MolToSmiles(mol)
        longest = max(len(tokenize(v)) for v in [canonical, *random_smiles(canonical, 15, 0)])
        print(f"| {row['name']} | {mol.GetNumHeavyAtoms()} | {len(tokenize(canonical))} | {longest} |")
    print()
    print("| Model | seq_len | Molecules longer (never trained on) | TRM RMSE on them | Forest RMSE on them | TRM spread on them | TRM RMSE, test molecules that fit | TRM spread on those |")
    print("|---|---|---|---|---|---|---|---|")
    for name in PROPERTIES:
        model, meta = load_checkpoint(registry.weights_for("molecule", f"molecule-{name}"), "cpu")
        data_cfg = MoleculeRecipe.from_checkpoint(meta).data
        mean, std = label_scale(data_cfg)
        scale = descriptor_scale(data_cfg)
        seq_len = model.config.seq_len
        data, parts = split_dataset(name, data_cfg.split, data_cfg.split_seed)
        lengths = np.array([len(tokenize(s)) for s in data.smiles])
        long_rows = np.flatnonzero(lengths > seq_len)
        train = [i for i in parts.train if lengths[i] <= seq_len]
        predict_forest = forest([data.smiles[i] for i in train], data.values[train])
        fit_test = [i for i in parts.test if lengths[i] <= seq_len]
        short = estimate(model, [data.smiles[i] for i in fit_test], 16, mean, std, scale=scale)
        cells = ["-"] * 4
        if len(long_rows):
            long_smiles = [data.smiles[i] for i in long_rows]
            result = estimate(model, long_smiles, 16, mean, std, scale=scale)
            truth = data.values[long_rows]
            cells = [f"{rmse(result.values, truth):.3f}", f"{rmse(predict_forest(long_smiles), truth):.3f}",
                     f"{result.spread.mean():.3f}"]
        print(f"| {name} | {seq_len} | {len(long_rows)} | {' | '.join(cells[:3]) if len(long_rows) else '- | - | -'} | "
              f"{rmse(short.values, data.values[fit_test]):.3f} | {short.spread.mean():.3f} |")
        external = load_external(name)
        if external is not None:
            ext_len = np.array([len(tokenize(s)) for s in external.smiles])
            for label, rows in (("longer than seq_len", ext_len > seq_len), ("that fit", ext_len <= seq_len)):
                smiles = [s for s, keep in zip(external.smiles, rows) if keep]
                result = estimate(model, smiles, 16, mean, std, scale=scale)
                truth = external.values[rows]
                print(f"|   {external_name(name)} molecules {label} | | {len(smiles)} | {rmse(result.values, truth):.3f} | "
                      f"{rmse(predict_forest(smiles), truth):.3f} | {result.spread.mean():.3f} | | |")


def external_name(name: str) -> str:
    from trm_hub_plugins.molecule.properties import EXTERNAL_SETS

    return EXTERNAL_SETS[name].dataset


if __name__ == "__main__":
    main()
