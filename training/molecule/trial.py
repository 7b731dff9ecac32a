"""Short recipe trials: train with overrides, then report validation RMSE (label units) and time."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

from trm_hub.overrides import parse_overrides, resolve_config
from trm_hub.train.loop import Trainer
from trm_hub_plugins.molecule.baselines import rmse
from trm_hub_plugins.molecule.data import split_dataset
from trm_hub_plugins.molecule.inference import descriptor_scale, estimate
from trm_hub_plugins.molecule.task import MoleculeTask
from trm_hub_plugins.molecule.tokenizer import tokenize


def main(args: list[str]) -> None:
    """python training/molecule/trial.py NAME key=value ... -> one JSON line appended to trials.jsonl."""
    name, overrides = args[0], args[1:]
    tree, raw = parse_overrides(overrides)
    task = MoleculeTask()
    cfg = resolve_config(task.recipe, tree, tree.pop("preset", None), raw)
    out = Path("runs/molecule/trials") / name
    cfg.out_dir = str(out)
    began = time.perf_counter()
    trainer = Trainer(task, cfg)
    trainer.run()
    train_seconds = time.perf_counter() - began
    model = trainer.eval_model().eval()
    d = cfg.data
    data, parts = split_dataset(d.property, d.split, d.split_seed)
    smiles = [data.smiles[i] for i in parts.valid if len(tokenize(data.smiles[i])) <= cfg.model.seq_len]
    target = np.array([data.values[i] for i in parts.valid if len(tokenize(data.smiles[i])) <= cfg.model.seq_len])
    result = {"name": name, "overrides": overrides, "train_seconds": round(train_seconds, 1)}
    for views in (1, d.views):
        est = estimate(model, smiles, views, d.label_mean, d.label_std, scale=descriptor_scale(d),
                       halt_threshold=cfg.halt_threshold)
        result[f"valid_rmse_views{views}"] = round(rmse(est.values, target), 4)
        result[f"mean_steps_views{views}"] = round(float(est.steps.mean()), 2)
    result["valid_mean_rmse"] = round(rmse(np.full(len(target), d.label_mean), target), 4)
    print(json.dumps(result))
    with open("training/molecule/trials.jsonl", "a") as handle:
        handle.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
