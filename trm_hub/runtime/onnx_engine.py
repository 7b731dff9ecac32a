"""The onnxruntime runtime: the TRM's halting loop in numpy around its exported step graph.

The loop is `TRM.infer`'s: every example starts from the learnt initial state, takes supervision
steps, and leaves the batch once its halting logit passes the threshold (or at the step limit).
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from trm_hub.config import ModelConfig
from trm_hub.runtime import Result, Settle, layout_of


CACHE_COPIES = 3  # activation tensors of a pass that should share one core's L2 cache (benchmarks/bench_rows.py)


@lru_cache(maxsize=1)
def l2_cache_bytes() -> int:
    """One core's L2 cache size (Linux sysfs), else 1 MiB."""
    for index in Path("/sys/devices/system/cpu/cpu0/cache").glob("index*"):
        try:
            if (index / "level").read_text().strip() == "2" and (index / "type").read_text().strip() != "Instruction":
                size = (index / "size").read_text().strip().upper()
                scale = {"K": 2**10, "M": 2**20}.get(size[-1], 1)
                return int(size.rstrip("KM")) * scale
        except (OSError, ValueError):
            continue
    return 2**20


def one_core_session(graph: Path) -> Any:
    """An onnxruntime session of a step graph that runs on the calling thread alone (passes of a
    batch share the cores by running side by side, each on one)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return ort.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])


def initial_vectors(weights: Path) -> tuple[np.ndarray, np.ndarray]:
    """The learnt initial answer and latent vectors [hidden] of a checkpoint (safetensors, read as numpy)."""
    from safetensors import safe_open

    with safe_open(str(weights), framework="np") as tensors:
        return tensors.get_tensor("y_init").astype(np.float32), tensors.get_tensor("z_init").astype(np.float32)


class OnnxEngine:
    """A step graph in onnxruntime answering numpy token arrays on the CPU."""

    runtime = "onnx"
    device = "cpu"

    def __init__(self, graph: Path, config: ModelConfig, y_init: np.ndarray, z_init: np.ndarray, layout: str):
        self.graph = Path(graph)
        self.weights: Path | None = None
        self.config = config
        self.y_init, self.z_init = np.asarray(y_init, np.float32), np.asarray(z_init, np.float32)
        self.layout = layout
        self.prefix = config.prefix_len
        self.threads = len(os.sched_getaffinity(0))  # cores that answer passes of a batch side by side
        self.session = one_core_session(self.graph)
        self.dynamic_length = any(not isinstance(d, int) for d in self.session.get_inputs()[0].shape[1:])

    @classmethod
    def from_checkpoint(cls, graph: Path, weights: Path, meta: dict[str, Any]) -> "OnnxEngine":
        config = ModelConfig.model_validate(meta["model"])
        y_init, z_init = initial_vectors(weights)
        engine = cls(graph, config, y_init, z_init, layout_of(config))
        engine.weights = Path(weights)
        return engine

    def accepts_length(self, length: int) -> bool:
        """The model's own length; others where the graph's shape is dynamic (as `TRM.accepts_length`)."""
        if length == self.config.seq_len:
            return True
        if not self.dynamic_length:
            return False
        if self.layout == "grid":
            return math.isqrt(length) ** 2 == length
        return length > 0

    def grid_shape(self, length: int) -> tuple[int, int]:
        if length == self.config.seq_len and self.config.grid is not None:
            return tuple(self.config.grid)
        side = math.isqrt(length)
        return side, side

    def initial_state(self, batch: int, length: int) -> tuple[np.ndarray, np.ndarray]:
        shape = (batch, *self.grid_shape(length)) if self.layout == "grid" else (batch, length + self.prefix)
        shape += (self.config.hidden_size,)
        return np.broadcast_to(self.y_init, shape).copy(), np.broadcast_to(self.z_init, shape).copy()

    def step(self, y: np.ndarray, z: np.ndarray, tokens: np.ndarray, puzzle_ids: np.ndarray | None,
             features: np.ndarray | None = None):
        """One supervision step: (y, z, outputs, q_halt)."""
        feed = {"tokens": tokens.reshape(y.shape[:-1]) if self.layout == "grid" else tokens, "y": y, "z": z}
        if self.config.puzzle_emb_ndim:
            feed["puzzle_ids"] = np.zeros(len(tokens), np.int64) if puzzle_ids is None else puzzle_ids
        if self.config.feature_dim:
            if features is None:
                raise ValueError(f"this model reads {self.config.feature_dim} features per example beside its tokens")
            feed["features"] = features
        y, z, outputs, q_halt = self.session.run(None, feed)
        return y, z, outputs, q_halt

    def rows_per_pass(self, length: int) -> int:
        """Rows one pass takes: as many as keep its activations (about CACHE_COPIES tensors of
        rows x length x hidden floats) within one core's L2 cache; larger passes cost more per row."""
        per_row = CACHE_COPIES * length * self.config.hidden_size * 4
        return max(1, l2_cache_bytes() // per_row)

    def infer(self, inputs: Any, puzzle_ids: Any = None, *, features: Any = None, halt_threshold: float = 0.0,
              max_steps: int | None = None, adaptive: bool = True, rows: int | None = None,
              settle: Settle | None = None) -> Result:
        """Batched inference; with `adaptive`, each example stops once q_halt > threshold (and
        once `settle` says so, see `Settle`).

        The batch is answered in cache-sized passes (`rows_per_pass`, or `rows` when smaller),
        one core each, spread over `threads` cores."""
        inputs = np.ascontiguousarray(inputs, dtype=np.int64)
        ids = None if puzzle_ids is None else np.asarray(puzzle_ids, dtype=np.int64)
        feats = None if features is None else np.ascontiguousarray(features, dtype=np.float32)
        size = self.rows_per_pass(inputs.shape[1])
        size = min(size, rows) if rows is not None else size
        parts = [slice(i, i + size) for i in range(0, len(inputs), size)]
        run = lambda part: self._answer_pass(inputs[part], None if ids is None else ids[part],  # noqa: E731
                                             None if feats is None else feats[part], halt_threshold, max_steps,
                                             adaptive, settle, part.start)
        if len(parts) <= 1:
            return run(slice(0, len(inputs)))
        if self.threads <= 1:
            return Result.concat([run(part) for part in parts])
        with ThreadPoolExecutor(min(self.threads, len(parts))) as pool:
            return Result.concat(list(pool.map(run, parts)))

    def _answer_pass(self, inputs: np.ndarray, ids: np.ndarray | None, feats: np.ndarray | None,
                     halt_threshold: float, max_steps: int | None, adaptive: bool,
                     settle: Settle | None = None, offset: int = 0) -> Result:
        """`TRM.infer`'s halting loop over one pass of rows (the batch's from `offset` on), on one core."""
        max_steps = max_steps or self.config.halt_max_steps
        batch, length = inputs.shape
        if not self.accepts_length(length):
            raise ValueError(f"this model reads {self.config.seq_len} tokens per problem, not {length}")
        y, z = self.initial_state(batch, length)
        outputs: np.ndarray | None = None
        steps = np.full(batch, max_steps, dtype=np.int64)
        q_final = np.zeros(batch, dtype=np.float32)
        active = np.arange(batch)
        for k in range(max_steps):
            y, z, out, q = self.step(y, z, inputs[active], None if ids is None else ids[active],
                                     None if feats is None else feats[active])
            if outputs is None:
                outputs = np.zeros((batch, *out.shape[1:]), dtype=out.dtype)
            done = q > halt_threshold if adaptive else np.zeros(len(q), dtype=bool)
            if settle is not None:
                done |= np.asarray(settle(k + 1, active + offset, out), dtype=bool)
            if k == max_steps - 1:
                done[:] = True
            finished = active[done]
            outputs[finished], steps[finished], q_final[finished] = out[done], k + 1, q[done]
            if done.all():
                break
            if done.any():
                keep = ~done
                active, y, z = active[keep], y[keep], z[keep]
        return Result(outputs, steps, q_final)
