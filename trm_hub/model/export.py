"""Export of one supervision step to ONNX, so the halting loop can run anywhere onnxruntime does.

The graph is `TRM.step` with the carried state as inputs and outputs:
`(tokens, y, z[, puzzle_ids][, features]) -> (y_next, z_next, outputs, q_halt)`, where `outputs`
are the predicted token ids (argmax) or the regression values. Shapes:

- sequence layout: tokens [batch, length], y/z [batch, prefix + length, hidden];
- grid layout (the conv mixer): tokens [batch, height, width], y/z [batch, height, width, hidden].

The batch is always dynamic; the length (attention) or the grid (conv) is dynamic where the model
reads other lengths with the same weights (`TRM.accepts_length`), else fixed to the model's own.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from pathlib import Path

import torch
from torch import nn

from trm_hub.files import atomic_write
from trm_hub.model.trm import TRM, State
from trm_hub.runtime import layout_of

OUTPUTS = ("y_next", "z_next", "outputs", "q_halt")


class StepGraph(nn.Module):
    """`TRM.step` as a function of arrays: what the ONNX graph computes."""

    def __init__(self, model: TRM):
        super().__init__()
        self.model = model
        self.grid = layout_of(model.config) == "grid"

    def forward(self, tokens, y, z, puzzle_ids=None, features=None):
        model = self.model
        if self.grid:
            b, h, w = tokens.shape
            for block in model.blocks:
                block.mixer.grid = (h, w)
            tokens, y, z = tokens.reshape(b, h * w), y.reshape(b, h * w, -1), z.reshape(b, h * w, -1)
        state, outputs, q_halt = model.step(State(y, z), tokens, puzzle_ids, features)
        if model.config.head == "tokens":
            outputs = outputs.argmax(-1)
        y, z = state.y, state.z
        if self.grid:
            y, z = y.reshape(b, h, w, -1), z.reshape(b, h, w, -1)
        return y, z, outputs, q_halt


def example_inputs(model: TRM, batch: int = 2) -> dict[str, torch.Tensor]:
    """Inputs of the model's own shape to trace the step with, by name (`input_names`)."""
    cfg = model.config
    state = model.initial_state(batch, "cpu")
    tokens = torch.zeros(batch, cfg.seq_len, dtype=torch.long)
    if layout_of(model.config) == "grid":
        tokens = tokens.view(batch, *cfg.grid)
        state = State(state.y.view(batch, *cfg.grid, -1), state.z.view(batch, *cfg.grid, -1))
    inputs = {"tokens": tokens, "y": state.y, "z": state.z}
    if model.puzzle_emb is not None:
        inputs["puzzle_ids"] = torch.zeros(batch, dtype=torch.long)
    if cfg.feature_dim:
        inputs["features"] = torch.zeros(batch, cfg.feature_dim)
    return inputs


def dynamic_shapes(model: TRM) -> dict[str, dict[int, object]]:
    """Which axes of each input may change between calls: always the batch; the grid of a conv
    model and the length of an attention model where the weights allow (`TRM.accepts_length`)."""
    from torch.export import Dim

    cfg = model.config
    batch = Dim("batch", min=1, max=1 << 16)
    tokens: dict[int, object] = {0: batch}
    state: dict[int, object] = {0: batch}
    if layout_of(model.config) == "grid" and model.prefix == 0 and model.accepts_length(4):
        tokens = {0: batch, 1: Dim("height", min=2, max=1024), 2: Dim("width", min=2, max=1024)}
        state = dict(tokens)
    elif cfg.mixer == "attention" and model.accepts_length(cfg.seq_len + 1):
        length = Dim("length", min=2, max=1 << 14)
        tokens, state = {0: batch, 1: length}, {0: batch, 1: length + model.prefix}
    shapes = {"tokens": tokens, "y": state, "z": dict(state)}
    if model.puzzle_emb is not None:
        shapes["puzzle_ids"] = {0: batch}
    if cfg.feature_dim:
        shapes["features"] = {0: batch}
    return shapes


def export_step(model: TRM, path: Path | str) -> Path:
    """Write the model's step graph to `path` (ONNX, written atomically); returns the path."""
    path = Path(path)
    model = model.to("cpu").eval()
    grid = model.config.grid
    graph = StepGraph(model).eval()
    inputs = example_inputs(model)
    names = list(inputs)
    try:
        with torch.no_grad(), warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            program = torch.onnx.export(
                graph, (), kwargs=inputs, dynamo=True, dynamic_shapes=dynamic_shapes(model),
                input_names=names, output_names=list(OUTPUTS), verbose=False,
            )
    finally:
        for block in model.blocks:
            if hasattr(block.mixer, "grid"):
                block.mixer.grid = grid
    proto = compact(program.model_proto)
    atomic_write(path, lambda tmp: Path(tmp).write_bytes(proto.SerializeToString()))
    return path


def compact(proto):
    """The graph without the exporter's per-node trace metadata, and with each repeated constant
    (the exporter folds a transposed weight once per use) stored once."""
    graph = proto.graph
    for node in graph.node:
        del node.metadata_props[:]
        node.doc_string = ""
    del graph.value_info[:]
    first: dict[tuple[int, tuple[int, ...], bytes], str] = {}
    renamed: dict[str, str] = {}
    kept = []
    for tensor in graph.initializer:
        key = (tensor.data_type, tuple(tensor.dims), tensor.SerializeToString().replace(tensor.name.encode(), b""))
        if key in first:
            renamed[tensor.name] = first[key]
        else:
            first[key] = tensor.name
            kept.append(tensor)
    if renamed:
        del graph.initializer[:]
        graph.initializer.extend(kept)
        for node in graph.node:
            for i, name in enumerate(node.input):
                if name in renamed:
                    node.input[i] = renamed[name]
    return proto
