"""Evaluate a finished molecule run, copy its record here, and optionally ship it (weights + registry).

    python training/molecule/record.py runs/molecule/<run> NAME [--ship [--as MODEL]]

writes training/molecule/NAME/{config.json, metrics.jsonl, eval.json, eval.md}; with --ship the
checkpoint goes to plugins/molecule/weights/<model>.safetensors (+ .json, with the uncertainty
calibration fitted on its validation part, and its step graph .onnx) and is recorded in the shipped registry.yaml with its
test RMSE and the baselines'. `--as MODEL` ships a trial run (its own model name, e.g.
molecule-solubility-d24) as MODEL (e.g. molecule-solubility).
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from trm_hub.model import load_checkpoint
from trm_hub.model.export import export_step
from trm_hub.files import atomic_write, atomic_write_text
from trm_hub.overrides import resolve_config
from trm_hub.registry import SHIPPED_REGISTRY, Registry
from trm_hub_plugins.molecule.evaluation import format_report
from trm_hub_plugins.molecule.task import MoleculeTask

sys.path.insert(0, str(Path(__file__).resolve().parent))
from calibrate import write_calibration  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
WEIGHTS = ROOT / "plugins/molecule/weights"


def main(args: list[str]) -> None:
    run, name, ship = Path(args[0]), args[1], "--ship" in args[2:]
    shipped_as = args[args.index("--as") + 1] if "--as" in args[2:] else None
    task = MoleculeTask()
    checkpoints = sorted(run.glob("molecule-*.safetensors"))
    if len(checkpoints) != 1:
        raise SystemExit(f"expected one molecule-*.safetensors in {run}, found {len(checkpoints)}")
    checkpoint = checkpoints[0]
    model, meta = load_checkpoint(checkpoint, "cpu")
    cfg = resolve_config(task.recipe, {"data": meta["train"]["data"]})
    report = {"checkpoint": checkpoint.name, "step": meta.get("step"), **task.evaluate(model, meta, cfg)}
    out = ROOT / "training/molecule" / name
    out.mkdir(parents=True, exist_ok=True)
    for part in ("config.json", "metrics.jsonl"):
        shutil.copy(run / part, out / part)
    (out / "eval.json").write_text(json.dumps(report, indent=1) + "\n")
    (out / "eval.md").write_text(format_report(report) + "\n")
    print(format_report(report))
    if ship:
        model_name = shipped_as or meta["model_name"]
        WEIGHTS.mkdir(parents=True, exist_ok=True)
        target = WEIGHTS / f"{model_name}.safetensors"
        atomic_write(target, lambda tmp: shutil.copyfile(checkpoint, tmp))
        export_step(model, target.with_suffix(".onnx"))
        saved = json.loads(checkpoint.with_suffix(".json").read_text())
        saved["model_name"] = model_name
        atomic_write_text(target.with_suffix(".json"), json.dumps(saved, indent=1) + "\n")
        write_calibration(target, report["calibration"])
        metrics = {
            "split": f"{report['split']} (seed {report['split_seed']})",
            "test_rmse": round(report["trm"]["rmse"], 4),
            "random_forest_test_rmse": round(report["baselines"]["random_forest_rmse"], 4),
            "mean_predictor_test_rmse": round(report["baselines"]["mean_rmse"], 4),
            "descriptor_forest_test_rmse": round(report["baselines"]["descriptor_forest_rmse"], 4),
            "unit": report["unit"],
        }
        if "external" in report:
            metrics["external_set"] = report["external"]["dataset"]
            metrics["external_rmse"] = round(report["external"]["trm"]["rmse"], 4)
        Registry.load().record("molecule", model_name, target, metrics=metrics, target=SHIPPED_REGISTRY)
        print(f"shipped {target.relative_to(ROOT)} as {model_name}")


if __name__ == "__main__":
    main(sys.argv[1:])
