"""`trm-hub eval plugin=molecule`: test RMSE of a checkpoint beside the mean and random-forest baselines."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from trm_hub.config import TrainConfig
from trm_hub.task import halt_threshold, trained_data
from trm_hub_plugins.molecule.baselines import evaluate_baselines, rmse
from trm_hub_plugins.molecule.data import split_dataset
from trm_hub_plugins.molecule.inference import estimate, label_scale
from trm_hub_plugins.molecule.properties import PROPERTIES
from trm_hub_plugins.molecule.recipe import MoleculeData
from trm_hub_plugins.molecule.tokenizer import tokenize


def checkpoint_data(meta: dict[str, Any], cfg: TrainConfig) -> MoleculeData:
    """The data section a checkpoint was trained with (its split must be the one tested)."""
    saved = trained_data(meta)
    if saved:
        return MoleculeData.model_validate(saved)
    data = getattr(cfg, "data", None)
    return data if isinstance(data, MoleculeData) else MoleculeData()


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    if len(a) < 3:
        return float("nan")
    ra, rb = np.argsort(np.argsort(a)), np.argsort(np.argsort(b))
    return float(np.corrcoef(ra, rb)[0, 1])


def evaluate_checkpoint(
    model: Any, meta: dict[str, Any], cfg: TrainConfig, *, baselines: bool = True
) -> dict[str, Any]:
    """Test-part RMSE (averaged views and canonical SMILES only) and, on the same split and seed, the baselines."""
    data_cfg = checkpoint_data(meta, cfg)
    info = PROPERTIES[data_cfg.property]
    data, parts = split_dataset(data_cfg.property, data_cfg.split, data_cfg.split_seed)
    mean, std = label_scale(meta)
    threshold = halt_threshold(None, meta)
    seq_len = model.config.seq_len
    test_smiles = [data.smiles[i] for i in parts.test]
    target = data.values[parts.test]
    fit = np.array([len(tokenize(s)) <= seq_len for s in test_smiles])
    readable = [s for s, ok in zip(test_smiles, fit) if ok]
    began = time.perf_counter()
    averaged = estimate(model, readable, data_cfg.views, mean, std, halt_threshold=threshold)
    seconds = time.perf_counter() - began
    canonical = estimate(model, readable, 1, mean, std, halt_threshold=threshold)
    predicted = np.full(len(test_smiles), mean)
    single = np.full(len(test_smiles), mean)
    predicted[fit], single[fit] = averaged.values, canonical.values
    errors = np.abs(predicted[fit] - target[fit])
    report: dict[str, Any] = {
        "property": info.name,
        "dataset": info.dataset,
        "unit": info.unit,
        "split": data_cfg.split,
        "split_seed": data_cfg.split_seed,
        "train_size": len(parts.train),
        "test_size": len(parts.test),
        "too_long_for_model": int((~fit).sum()),
        "views": data_cfg.views,
        "trm": {
            "rmse": rmse(predicted, target),
            "mae": float(np.abs(predicted - target).mean()),
            "rmse_canonical_only": rmse(single, target),
            "mean_uncertainty": float(averaged.spread.mean()) if len(readable) else float("nan"),
            "uncertainty_error_spearman": _spearman(averaged.spread, errors),
            "mean_steps": float(averaged.steps.mean()) if len(readable) else 0.0,
            "max_steps": int(model.config.halt_max_steps),
            "seconds_per_molecule": seconds / max(len(readable), 1),
        },
    }
    if baselines:
        base = evaluate_baselines(data_cfg.property, data_cfg.split, data_cfg.split_seed, trees=data_cfg.baseline_trees)
        report["baselines"] = {"mean_rmse": base.mean_rmse, "random_forest_rmse": base.random_forest_rmse}
    report["table"] = format_report(report).splitlines()
    return report


def format_report(report: dict[str, Any]) -> str:
    """A markdown table of the report's test RMSE figures."""
    lines = [
        f"{report['dataset']} ({report['property']}, {report['unit']}), {report['split']} split, seed "
        f"{report['split_seed']}: train {report['train_size']}, test {report['test_size']}",
        "",
        "| Model | Test RMSE |",
        "|---|---|",
        f"| TRM, mean of {report['views']} SMILES | {report['trm']['rmse']:.3f} |",
        f"| TRM, canonical SMILES only | {report['trm']['rmse_canonical_only']:.3f} |",
    ]
    if "baselines" in report:
        lines.append(f"| random forest (Morgan r=2, 2048 bits) | {report['baselines']['random_forest_rmse']:.3f} |")
        lines.append(f"| training mean | {report['baselines']['mean_rmse']:.3f} |")
    return "\n".join(lines)
