"""Export the ONNX step graph of every shipped model beside its weights and record its sha256.

    python training/export_graphs.py

Writes plugins/*/weights/MODEL.onnx and rewrites registry.yaml (entries keep their metrics and
notes). Run after changing shipped weights or the step's code.
"""

from __future__ import annotations

from trm_hub.model import load_checkpoint
from trm_hub.model.export import export_step
from trm_hub.registry import CHECKOUT_REGISTRY, Registry, graph_path_for


def main() -> None:
    registry = Registry(CHECKOUT_REGISTRY)
    for task, entry in registry.shipped.tasks.items():
        for name, model in entry.models.items():
            weights = registry.weights_for(task, name)
            graph = export_step(load_checkpoint(weights, "cpu")[0], graph_path_for(weights))
            registry.record(task, name, model.weights, metrics=model.metrics, notes=model.notes, target=CHECKOUT_REGISTRY)
            print(f"{task}/{name}: {graph} ({graph.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
