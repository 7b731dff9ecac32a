"""Export bundles: a model's ONNX step graph(s) and the JSON an app needs to run the halting loop.

A bundle folder holds `MODEL.onnx` (float32), optionally `MODEL.int8.onnx` (weights dynamically
quantised to int8), and `MODEL.json`: the shapes, learnt initial state, halting threshold and step
limit, the task's vocabulary and views, and the sha256 of every file (with the registry's hashes
of the weights it came from). `load_bundle` checks those hashes before a graph is loaded.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from trm_hub.errors import HubError
from trm_hub.files import atomic_write, atomic_write_text
from trm_hub.registry import Registry, config_path_for, sha256_of
from trm_hub.runtime import input_names, layout_of, read_meta, require_torch
from trm_hub.task import Task, halt_threshold

FORMAT = "trm-hub-bundle/1"
QUANTIZATIONS = ("int8",)


def step_graph(registry: Registry, task: Task, model_name: str, weights: Path, workdir: Path) -> Path:
    """The model's verified step graph from the registry, else one exported now (needs torch)."""
    graph = registry.graph_for(task.name, model_name)
    if graph is not None:
        return graph
    require_torch(f"model '{model_name}' has no recorded ONNX graph; exporting one")
    from trm_hub.model import load_checkpoint
    from trm_hub.model.export import export_step

    return export_step(load_checkpoint(weights, "cpu")[0], workdir / f"{model_name}.onnx")


def manifest(task: Task, model_name: str, meta: dict[str, Any], weights: Path) -> dict[str, Any]:
    """What an app needs besides the graph: shapes, initial state, halting, the task's codec."""
    from trm_hub.config import ModelConfig
    from trm_hub.runtime.onnx_engine import initial_vectors

    cfg = ModelConfig.model_validate(meta["model"])
    y_init, z_init = initial_vectors(weights)
    layout = layout_of(cfg)
    return {
        "format": FORMAT,
        "task": task.name,
        "model_name": model_name,
        "inputs": input_names(cfg),
        "outputs": ["y_next", "z_next", "outputs", "q_halt"],
        "layout": layout,
        "state_shape": ["batch", "height", "width", cfg.hidden_size] if layout == "grid"
        else ["batch", f"length + {cfg.prefix_len}" if cfg.prefix_len else "length", cfg.hidden_size],
        "seq_len": cfg.seq_len,
        "grid": list(cfg.grid) if cfg.grid else None,
        "prefix_len": cfg.prefix_len,
        "hidden_size": cfg.hidden_size,
        "vocab_size": cfg.vocab_size,
        "head": cfg.head,
        "halting": {"threshold": halt_threshold(None, meta), "max_steps": cfg.halt_max_steps},
        "y_init": [float(v) for v in y_init],
        "z_init": [float(v) for v in z_init],
        "task_settings": task.export_settings(task.checkpoint(meta).recipe),
        "model": cfg.model_dump(mode="json"),
    }


def export_bundle(registry: Registry, task: Task, model_name: str, out: Path, quantize: str | None = None) -> dict[str, Any]:
    """Write the bundle of a registered model into `out`; returns its manifest."""
    if quantize is not None and quantize not in QUANTIZATIONS:
        raise HubError(f"unknown quantisation '{quantize}': choose {', '.join(QUANTIZATIONS)}")
    entry, _ = registry.entry(task.name, model_name)
    weights = registry.weights_for(task.name, model_name)
    meta = read_meta(weights)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    info = manifest(task, model_name, meta, weights)
    files = {"float32": f"{model_name}.onnx"}
    with tempfile.TemporaryDirectory() as tmp:
        graph = step_graph(registry, task, model_name, weights, Path(tmp))
        atomic_write(out / files["float32"], lambda path: shutil.copyfile(graph, path))
        if quantize == "int8":
            files["int8"] = f"{model_name}.int8.onnx"
            quantize_int8(out / files["float32"], out / files["int8"])
    info["graphs"] = files
    info["sha256"] = {name: sha256_of(out / name) for name in files.values()}
    info["source"] = {
        "weights_sha256": entry.sha256,
        "config_sha256": entry.config_sha256 or sha256_of(config_path_for(weights)),
        "onnx_sha256": entry.onnx_sha256,
    }
    atomic_write_text(out / f"{model_name}.json", json.dumps(info, indent=1) + "\n")
    return info


def quantize_int8(source: Path, target: Path) -> Path:
    """A dynamically quantised copy of a step graph (int8 weights of its matrix products); needs the
    `onnx` package, which onnxruntime's quantiser reads graphs with."""
    import importlib.util

    if importlib.util.find_spec("onnx") is None:
        raise HubError("--quantize needs the onnx package: pip install onnx")
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    logging.getLogger().setLevel(max(logging.getLogger().level, logging.ERROR))
    return atomic_write(target, lambda tmp: quantize_dynamic(str(source), str(tmp), weight_type=QuantType.QInt8))


def load_bundle(path: Path | str, graph: str = "float32") -> Any:
    """An OnnxEngine for a bundle (its JSON, or the folder holding one), after checking every hash."""
    from trm_hub.config import ModelConfig
    from trm_hub.runtime.onnx_engine import OnnxEngine

    path = Path(path)
    if path.is_dir():
        found = sorted(path.glob("*.json"))
        if len(found) != 1:
            raise HubError(f"{path} should hold exactly one bundle JSON, found {len(found)}")
        path = found[0]
    info = json.loads(path.read_text())
    if info.get("format") != FORMAT:
        raise HubError(f"{path} is not a trm-hub bundle ({FORMAT})")
    if graph not in info["graphs"]:
        raise HubError(f"bundle {path} has no {graph} graph (it has {', '.join(info['graphs'])})")
    name = info["graphs"][graph]
    actual, expected = sha256_of(path.parent / name), info["sha256"][name]
    if actual != expected:
        raise HubError(f"{path.parent / name} does not match its bundle: expected sha256 {expected}, file has sha256 {actual}")
    cfg = ModelConfig.model_validate(info["model"])
    return OnnxEngine(path.parent / name, cfg, np.asarray(info["y_init"]), np.asarray(info["z_init"]), info["layout"])
