"""Answering with a trained model on a runtime: torch (the TRM itself) or onnxruntime (its step graph).

Both give an `Engine`: `engine.infer(inputs, puzzle_ids, features=..., halt_threshold=..., max_steps=...)`
takes numpy token arrays (and float features per example for a model with `feature_dim`) and
returns a numpy `Result` (`settle=` lets a task stop examples after any step, e.g. once its exact
check passes), so a task's views and voting never see which runtime answered. `load_engine` picks the runtime: the one asked for, else onnxruntime on a CPU
when the model has a step graph, else torch.
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from trm_hub.config import ModelConfig
from trm_hub.errors import HubError

RUNTIMES = ("auto", "torch", "onnx")
RUNTIME_ENV = "TRM_HUB_RUNTIME"
SMALL_CPU_BATCH = 16  # below this many rows a CPU runs one thread (more only add contention)
TRAIN_EXTRA = "pip install 'trm-hub[train]' (in a checkout: pip install torch==2.13.0 -e '.[train]')"


@dataclass
class Result:
    """Per example: outputs (token ids [B, L] or values [B, out_dim]), supervision steps used [B],
    and the last halting logit [B]."""

    outputs: np.ndarray
    steps: np.ndarray
    q_halt: np.ndarray

    @staticmethod
    def concat(parts: list["Result"]) -> "Result":
        return Result(*(np.concatenate([getattr(p, f) for p in parts]) for f in ("outputs", "steps", "q_halt")))


Settle = Callable[[int, np.ndarray, np.ndarray], np.ndarray]
"""`settle(step, rows, outputs) -> stop`: after every supervision step (1, 2, ...), the indices of
the examples still running and their outputs; True where that example stops now (as if its halting
head had said so). Passes of one batch may run side by side in threads."""


class Engine(Protocol):
    """What answers a task's encoded problems: a model on one runtime and device."""

    runtime: str
    device: str
    config: ModelConfig

    def infer(self, inputs: np.ndarray, puzzle_ids: np.ndarray | None = None, *, features: np.ndarray | None = None,
              halt_threshold: float = 0.0, max_steps: int | None = None, adaptive: bool = True,
              rows: int | None = None, settle: Settle | None = None) -> Result: ...

    def accepts_length(self, length: int) -> bool: ...


def layout_of(config: ModelConfig) -> str:
    """How a step graph takes its tokens: 'grid' ([B, H, W]) for the conv mixer, else 'sequence' ([B, L])."""
    return "grid" if config.mixer == "conv" else "sequence"


def input_names(config: ModelConfig) -> list[str]:
    """A step graph's inputs: tokens, y, z, then puzzle_ids and features where the model reads them."""
    extra = [name for name, used in (("puzzle_ids", config.puzzle_emb_ndim), ("features", config.feature_dim)) if used]
    return ["tokens", "y", "z", *extra]


def read_meta(path: Path) -> dict[str, Any]:
    """The JSON metadata beside a checkpoint (`stem.json`)."""
    meta_path = Path(path).with_suffix(".json")
    if not meta_path.exists():
        raise FileNotFoundError(f"checkpoint metadata not found: {meta_path}")
    return json.loads(meta_path.read_text())


def has_torch() -> bool:
    return importlib.util.find_spec("torch") is not None


def has_onnxruntime() -> bool:
    return importlib.util.find_spec("onnxruntime") is not None


class NeedsTorch(HubError):
    """Something only torch can do was asked for where torch is not installed."""


def require_torch(what: str) -> None:
    """A one-line error naming the install command when torch is missing."""
    if not has_torch():
        raise NeedsTorch(f"{what} needs torch, which is not installed: {TRAIN_EXTRA}")


def wants_cuda(device: str) -> bool:
    """Whether `device` means a GPU ('cuda...', or 'auto' with one present; torch is only imported
    to check where an NVIDIA driver is loaded)."""
    if str(device).startswith("cuda"):
        return True
    if str(device) != "auto" or not has_torch() or not Path("/proc/driver/nvidia/version").exists():
        return False
    import torch

    return torch.cuda.is_available()


def check_device(device: str) -> None:
    """A one-line error when `device` names a GPU this machine cannot use."""
    if not str(device).startswith("cuda"):
        return
    require_torch(f"--device {device}")
    import torch

    if not torch.cuda.is_available():
        raise HubError(f"device '{device}' was asked for but no CUDA GPU is available")


def choose_runtime(runtime: str, device: str, graph: Path | None) -> str:
    """The runtime to answer with: the one asked for, else onnxruntime on CPU when the model has a
    step graph (it is the faster one there), else torch."""
    if runtime not in RUNTIMES:
        raise HubError(f"unknown runtime '{runtime}': choose one of {', '.join(RUNTIMES)}")
    if runtime == "torch":
        require_torch("--runtime torch")
        return "torch"
    if runtime == "onnx":
        if not has_onnxruntime():
            raise HubError("--runtime onnx needs onnxruntime, which is not installed: pip install onnxruntime")
        if wants_cuda(device):
            raise HubError("--runtime onnx answers on the CPU; leave --device at cpu (or use --runtime torch)")
        if graph is None:
            raise HubError("this model has no ONNX step graph recorded (`trm-hub train` records one beside each "
                           "checkpoint it makes); use --runtime torch")
        return "onnx"
    if graph is not None and has_onnxruntime() and not wants_cuda(device):
        return "onnx"
    if has_torch():
        return "torch"
    if graph is None:
        raise NeedsTorch(f"this model has no ONNX step graph, so answering with it needs torch: {TRAIN_EXTRA}")
    raise HubError("neither onnxruntime nor torch is installed: pip install onnxruntime")


def load_engine(weights: Path, graph: Path | None, meta: dict[str, Any], runtime: str = "auto",
                device: str = "auto") -> Engine:
    """An engine for a verified checkpoint (`weights`, its `meta`) and its step graph, if any."""
    chosen = choose_runtime(runtime, device, graph)
    if chosen == "onnx":
        from trm_hub.runtime.onnx_engine import OnnxEngine

        return OnnxEngine.from_checkpoint(graph, weights, meta)
    from trm_hub.model import load_checkpoint, resolve_device
    from trm_hub.runtime.torch_engine import TorchEngine

    model, _ = load_checkpoint(weights, device=resolve_device(device))
    return TorchEngine(model)


def as_engine(model: Any) -> Engine:
    """An engine as is; a torch TRM wrapped in a TorchEngine."""
    if hasattr(model, "runtime"):
        return model
    from trm_hub.runtime.torch_engine import TorchEngine

    return TorchEngine(model)


def as_array(values: Any) -> np.ndarray:
    """A numpy array of token ids or values (torch tensors are moved to the CPU)."""
    if hasattr(values, "detach"):
        return values.detach().cpu().numpy()
    return np.asarray(values)
