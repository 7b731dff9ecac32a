"""`trm-hub eval plugin=molecule`: test RMSE, interval coverage and applicability domain of a checkpoint,
beside the mean, fingerprint-forest and descriptor-forest baselines, on the test part and the external set."""

from __future__ import annotations

import time
from typing import Any, Sequence

import numpy as np

from trm_hub.config import TrainConfig
from trm_hub.task import halt_threshold
from trm_hub_plugins.molecule.baselines import fit_baselines, rmse
from trm_hub_plugins.molecule.calibration import Calibration, coverage, fit_calibration
from trm_hub_plugins.molecule.data import MoleculeData as LoadedData
from trm_hub_plugins.molecule.data import load_external, split_dataset
from trm_hub_plugins.molecule.domain import training_domain
from trm_hub_plugins.molecule.inference import descriptor_scale, estimate, label_scale
from trm_hub_plugins.molecule.properties import EXTERNAL_SETS, PROPERTIES
from trm_hub_plugins.molecule.recipe import MoleculeData, MoleculeRecipe
from trm_hub_plugins.molecule.tokenizer import tokenize


def checkpoint_data(meta: dict[str, Any], cfg: TrainConfig | None) -> MoleculeData:
    """The data section a checkpoint was trained with (its split must be the one tested)."""
    if (meta.get("train") or {}).get("data"):
        return MoleculeRecipe.from_checkpoint(meta).data
    data = getattr(cfg, "data", None)
    return data if isinstance(data, MoleculeData) else MoleculeData()


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    if len(a) < 3:
        return float("nan")
    ra, rb = np.argsort(np.argsort(a)), np.argsort(np.argsort(b))
    return float(np.corrcoef(ra, rb)[0, 1])


def validation_scores(model: Any, meta: dict[str, Any], cfg: TrainConfig | None = None) -> tuple[Calibration, float]:
    """The uncertainty calibration of a checkpoint, fitted on its own validation part, and its
    validation RMSE (mean of `views` SMILES, in the property's unit)."""
    data_cfg = checkpoint_data(meta, cfg)
    data, parts = split_dataset(data_cfg.property, data_cfg.split, data_cfg.split_seed)
    mean, std = label_scale(data_cfg, meta.get("model_name", "?"))
    smiles = [data.smiles[i] for i in parts.valid]
    result = estimate(model, smiles, data_cfg.views, mean, std, scale=descriptor_scale(data_cfg),
                      halt_threshold=halt_threshold(None, meta))
    errors = result.values - data.values[parts.valid]
    similarity = training_domain(data_cfg.property, data_cfg.split, data_cfg.split_seed).nearest_similarity(smiles)
    calibration = fit_calibration(result.spread, errors, f"validation part ({len(smiles)} molecules)", similarity)
    return calibration, rmse(result.values, data.values[parts.valid])


def validation_calibration(model: Any, meta: dict[str, Any], cfg: TrainConfig | None = None) -> Calibration:
    """The uncertainty calibration of a checkpoint, fitted on its own validation part."""
    return validation_scores(model, meta, cfg)[0]


def _scores(
    model: Any, smiles: Sequence[str], target: np.ndarray, views: int, meta: dict[str, Any],
    calibration: Calibration, domain: Any, canonical: bool = False,
) -> dict[str, Any]:
    """RMSE, interval coverage and domain figures of the model on one set of molecules."""
    data_cfg = checkpoint_data(meta, None)
    mean, std = label_scale(data_cfg, meta.get("model_name", "?"))
    scale, threshold = descriptor_scale(data_cfg), halt_threshold(None, meta)
    began = time.perf_counter()
    averaged = estimate(model, smiles, views, mean, std, scale=scale, halt_threshold=threshold)
    seconds = time.perf_counter() - began
    errors = averaged.values - target
    similarity = domain.nearest_similarity(smiles)
    outside = domain.outside(similarity)
    sd = calibration.sd(averaged.spread, similarity)
    scores: dict[str, Any] = {
        "molecules": len(smiles),
        "rmse": rmse(averaged.values, target),
        "mae": float(np.abs(errors).mean()),
        "mean_spread": float(averaged.spread.mean()),
        "spread_error_spearman": _spearman(averaged.spread, np.abs(errors)),
        "coverage_2_spread": coverage(errors, averaged.spread),
        "mean_sd": float(sd.mean()),
        "coverage_2_sd": coverage(errors, sd),
        "outside_training_set": int(outside.sum()),
        "rmse_inside": rmse(averaged.values[~outside], target[~outside]) if (~outside).any() else None,
        "rmse_outside": rmse(averaged.values[outside], target[outside]) if outside.any() else None,
        "coverage_2_sd_outside": coverage(errors[outside], sd[outside]) if outside.any() else None,
        "similarity_error_spearman": _spearman(-similarity, np.abs(errors)),
        "mean_steps": float(averaged.steps.mean()),
        "seconds_per_molecule": seconds / max(len(smiles), 1),
        "longer_than_seq_len": sum(len(tokenize(s)) > model.config.seq_len for s in smiles),
    }
    if canonical:
        single = estimate(model, smiles, 1, mean, std, scale=scale, halt_threshold=threshold)
        scores["rmse_canonical_only"] = rmse(single.values, target)
    return scores


def evaluate_checkpoint(
    model: Any, meta: dict[str, Any], cfg: TrainConfig | None, *, baselines: bool = True
) -> dict[str, Any]:
    """The checkpoint on its test part and its property's external set, beside baselines fitted on its training part.

    The uncertainty calibration (sd from the spread over SMILES) is fitted on the validation part;
    coverage is the fraction of molecules whose true value lies within +-2 of the named width.
    """
    data_cfg = checkpoint_data(meta, cfg)
    info = PROPERTIES[data_cfg.property]
    data, parts = split_dataset(data_cfg.property, data_cfg.split, data_cfg.split_seed)
    calibration, valid_rmse = validation_scores(model, meta, cfg)
    domain = training_domain(data_cfg.property, data_cfg.split, data_cfg.split_seed)
    test_smiles = [data.smiles[i] for i in parts.test]
    target = data.values[parts.test]
    report: dict[str, Any] = {
        "property": info.name,
        "dataset": info.dataset,
        "unit": info.unit,
        "split": data_cfg.split,
        "split_seed": data_cfg.split_seed,
        "train_size": len(parts.train),
        "test_size": len(parts.test),
        "views": data_cfg.views,
        "valid_rmse": valid_rmse,
        "calibration": calibration.to_json(),
        "similarity_threshold": domain.threshold,
        "trm": {
            **_scores(model, test_smiles, target, data_cfg.views, meta, calibration, domain, canonical=True),
            "max_steps": int(model.config.halt_max_steps),
        },
    }
    external: LoadedData | None = load_external(data_cfg.property)
    if external is not None:
        report["external"] = {
            "dataset": EXTERNAL_SETS[data_cfg.property].dataset,
            "description": EXTERNAL_SETS[data_cfg.property].description,
            "trm": _scores(model, external.smiles, external.values, data_cfg.views, meta, calibration, domain),
        }
    if baselines:
        fitted = fit_baselines([data.smiles[i] for i in parts.train], data.values[parts.train],
                               data_cfg.split_seed, data_cfg.baseline_trees)
        report["baselines"] = {
            "mean_rmse": rmse(fitted.predict("mean", test_smiles), target),
            "random_forest_rmse": rmse(fitted.predict("forest", test_smiles), target),
            "descriptor_forest_rmse": rmse(fitted.predict("descriptors", test_smiles), target),
        }
        if external is not None:
            report["external"]["baselines"] = {
                kind: rmse(fitted.predict(key, external.smiles), external.values)
                for kind, key in (("mean_rmse", "mean"), ("random_forest_rmse", "forest"),
                                  ("descriptor_forest_rmse", "descriptors"))
            }
    report["table"] = format_report(report).splitlines()
    return report


def _cell(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def format_report(report: dict[str, Any]) -> str:
    """Markdown tables of the report: RMSE beside the baselines, then coverage and domain figures."""
    sets = [("test part", report["trm"], report.get("baselines", {}))]
    if "external" in report:
        ext = report["external"]
        sets.append((f"{ext['dataset']} ({ext['trm']['molecules']} molecules)", ext["trm"], ext.get("baselines", {})))
    lines = [
        f"{report['dataset']} ({report['property']}, {report['unit']}), {report['split']} split, seed "
        f"{report['split_seed']}: train {report['train_size']}, test {report['test_size']}; "
        f"TRM validation RMSE {report['valid_rmse']:.3f}",
        "",
        "| Model | " + " | ".join(f"RMSE, {name}" for name, _, _ in sets) + " |",
        "|---|" + "---|" * len(sets),
        f"| TRM, mean of {report['views']} SMILES | " + " | ".join(_cell(s["rmse"]) for _, s, _ in sets) + " |",
    ]
    if "rmse_canonical_only" in report["trm"]:
        lines.append("| TRM, canonical SMILES only | " + " | ".join(_cell(s.get("rmse_canonical_only")) for _, s, _ in sets) + " |")
    if "baselines" in report:
        for label, key in (("random forest, Morgan r=2 2048 bits", "random_forest_rmse"),
                           ("random forest, RDKit 2D descriptors", "descriptor_forest_rmse"),
                           ("training mean", "mean_rmse")):
            lines.append(f"| {label} | " + " | ".join(_cell(b.get(key)) for _, _, b in sets) + " |")
    cal = report["calibration"]
    lines += [
        "",
        f"Uncertainty: sd = sqrt(({cal['spread_scale']:g} x spread)^2 + {cal['floor']:g}^2"
        + (f" + ({cal['distance_scale']:g} x (1 - nearest similarity))^2" if cal.get("distance_scale") else "")
        + f"), fitted on the "
        f"{cal['fitted_on']}; outside the training set: nearest Tanimoto similarity < {report['similarity_threshold']:g}.",
        "",
        "| Set | Inside +-2 spread | Inside +-2 sd | Outside training set | RMSE inside / outside | Inside +-2 sd, outside molecules |",
        "|---|---|---|---|---|---|",
    ]
    for name, s, _ in sets:
        lines.append(
            f"| {name} | {s['coverage_2_spread']:.1%} | {s['coverage_2_sd']:.1%} | {s['outside_training_set']} of {s['molecules']} | "
            f"{_cell(s['rmse_inside'])} / {_cell(s['rmse_outside'])} | "
            f"{'-' if s['coverage_2_sd_outside'] is None else format(s['coverage_2_sd_outside'], '.1%')} |"
        )
    return "\n".join(lines)
