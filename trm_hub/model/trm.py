"""The Tiny Recursive Model: one small network refining an answer y and a latent z."""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import torch
from torch import nn

from trm_hub.config import ModelConfig
from trm_hub.model.layers import Block, Linear, rotary_tables, trunc_normal_


@dataclass
class State:
    """The carried recursion state: answer y and latent z, [B, prefix + seq_len, hidden]."""

    y: torch.Tensor
    z: torch.Tensor

    def __getitem__(self, index) -> "State":
        return State(self.y[index], self.z[index])

    def detach(self) -> "State":
        return State(self.y.detach(), self.z.detach())


@dataclass
class Inference:
    """Result of `TRM.infer`: outputs per example, supervision steps used, last q_halt logit."""

    outputs: torch.Tensor
    steps: torch.Tensor
    q_halt: torch.Tensor
    log_probs: torch.Tensor | None = None


class TRM(nn.Module):
    """Embedding, a 2-block network shared across the recursion, and output/halting heads."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = cfg = config
        d = cfg.hidden_size
        self.prefix = cfg.prefix_len
        self.embed_scale = math.sqrt(d)
        self.embed_tokens = nn.Embedding(cfg.vocab_size, d)
        trunc_normal_(self.embed_tokens.weight, 1.0 / self.embed_scale)
        self.puzzle_emb = None
        if cfg.puzzle_emb_ndim:
            self.puzzle_emb = nn.Embedding(cfg.num_puzzle_identifiers, cfg.puzzle_emb_ndim)
            nn.init.zeros_(self.puzzle_emb.weight)
        self.feature_proj = None
        if cfg.feature_dim:
            self.feature_proj = nn.Linear(cfg.feature_dim, d, bias=False)
            trunc_normal_(self.feature_proj.weight, 1.0 / (self.embed_scale * math.sqrt(cfg.feature_dim)))
        length = cfg.seq_len + self.prefix
        self.embed_pos = None
        if cfg.pos_encodings == "learned":
            self.embed_pos = nn.Embedding(length, d)
            trunc_normal_(self.embed_pos.weight, 1.0 / self.embed_scale)
        if cfg.pos_encodings == "rope" and cfg.mixer == "attention":
            cos, sin = rotary_tables(length, d // cfg.num_heads, cfg.rope_theta)
            self.register_buffer("rope_cos", cos, persistent=False)
            self.register_buffer("rope_sin", sin, persistent=False)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.layers))
        if cfg.head == "tokens":
            self.lm_head = Linear(d, cfg.vocab_size)
        else:
            self.value_head = Linear(d, cfg.out_dim, bias=True)
        self.q_head = Linear(d, 2, bias=True)
        nn.init.zeros_(self.q_head.weight)
        nn.init.constant_(self.q_head.bias, -5.0)
        self.register_buffer("y_init", trunc_normal_(torch.empty(d), 1.0))
        self.register_buffer("z_init", trunc_normal_(torch.empty(d), 1.0))

    def embed(self, inputs: torch.Tensor, puzzle_ids: torch.Tensor | None,
              features: torch.Tensor | None = None) -> torch.Tensor:
        """x: token embeddings with the puzzle-embedding prefix, scaled by sqrt(hidden). With
        `feature_dim`, each example's features [B, feature_dim] are projected and added to every
        token position (a whole-input description, such as a molecule's descriptors)."""
        x = self.embed_tokens(inputs.long())
        if self.feature_proj is not None:
            if features is None:
                raise ValueError(f"this model reads {self.config.feature_dim} features per example beside its tokens")
            x = x + self.project_features(features.to(x.dtype))[:, None, :]
        if self.puzzle_emb is not None:
            if puzzle_ids is None:
                puzzle_ids = torch.zeros(inputs.shape[0], dtype=torch.long, device=inputs.device)
            p = self.puzzle_emb(puzzle_ids.long())
            p = nn.functional.pad(p, (0, self.prefix * x.shape[-1] - p.shape[-1]))
            x = torch.cat((p.view(-1, self.prefix, x.shape[-1]).to(x.dtype), x), dim=1)
        if self.embed_pos is not None:
            x = 0.707106781 * (x + self.embed_pos.weight.to(x.dtype))
        return self.embed_scale * x

    def project_features(self, features: torch.Tensor) -> torch.Tensor:
        """[B, feature_dim] -> [B, hidden]: a product and sum per row, which autocast leaves in
        float32 (the exported graphs compute it the same way)."""
        return (features[:, :, None] * self.feature_proj.weight.t()[None]).sum(dim=1)

    def net(self, h: torch.Tensor, injection: torch.Tensor, key_bias: torch.Tensor | None = None) -> torch.Tensor:
        """The one network: add the injection, then run the blocks."""
        rope = self.rope_for(h.shape[1]) if hasattr(self, "rope_cos") else None
        h = h + injection
        for block in self.blocks:
            h = block(h, rope, key_bias)
        return h

    def token_mask(self, inputs: torch.Tensor) -> torch.Tensor | None:
        """[B, prefix + L] float: 1 where a position is read, 0 at padding (`pad_token`); None
        without `pad_token` (every position is read)."""
        if self.config.pad_token is None:
            return None
        keep = (inputs != self.config.pad_token).float()
        if self.prefix:
            keep = torch.cat((keep.new_ones(keep.shape[0], self.prefix), keep), dim=1)
        return keep

    def readout(self, y: torch.Tensor, keep: torch.Tensor | None) -> torch.Tensor:
        """Mean of y over the token positions. With `keep`, padding is left out: the mean over the
        other positions (`pad_readout="mean"`) or their sum over the model's own length ("sum",
        which, like the mean over a padded sequence, grows with the number of tokens)."""
        tokens = y[:, self.prefix:]
        if keep is None:
            return tokens.mean(dim=1)
        weights = keep[:, self.prefix:, None].to(tokens.dtype)
        total = (tokens * weights).sum(dim=1)
        if self.config.pad_readout == "sum":
            return total / self.config.seq_len
        return total / weights.sum(dim=1).clamp(min=1.0)

    def rope_for(self, length: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Rotary tables for `length` positions: the model's own, else made once per length (in the
        graph itself while exporting, where the length may vary)."""
        if torch.compiler.is_exporting():
            cos, sin = rotary_tables(length, self.rope_cos.shape[1], self.config.rope_theta)
            return cos.to(self.rope_cos.device), sin.to(self.rope_cos.device)
        if length == self.rope_cos.shape[0]:
            return self.rope_cos, self.rope_sin
        key = (length, self.rope_cos.device)
        tables: dict[Any, tuple[torch.Tensor, torch.Tensor]] = self.__dict__.setdefault("_rope_tables", {})
        if key not in tables:
            cos, sin = rotary_tables(length, self.rope_cos.shape[1], self.config.rope_theta)
            tables[key] = (cos.to(self.rope_cos.device), sin.to(self.rope_cos.device))
        return tables[key]

    def recurse(self, y: torch.Tensor, z: torch.Tensor, x: torch.Tensor,
                key_bias: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """One round: n latent updates from (x, y, z), then one answer update from (y, z)."""
        for _ in range(self.config.n):
            z = self.net(z, y + x, key_bias)
        y = self.net(y, z, key_bias)
        return y, z

    def accepts_length(self, length: int) -> bool:
        """Whether the model reads sequences of `length` tokens: its own length; any length for
        attention without learned positions; any square grid for a grid-local model with no position
        embedding (no weight of these depends on the length)."""
        if length == self.config.seq_len:
            return True
        if self.embed_pos is not None:
            return False
        if self.config.mixer == "attention":
            return length > 0
        return self.config.mixer == "conv" and math.isqrt(length) ** 2 == length

    def initial_state(self, batch_size: int, device: torch.device | str | None = None, length: int | None = None) -> State:
        """y and z at their learnt initial values for `batch_size` sequences of `length` tokens
        (default: the model's own length)."""
        shape = (batch_size, (length or self.config.seq_len) + self.prefix, self.config.hidden_size)
        device = device or self.y_init.device
        return State(self.y_init.to(device).expand(shape).clone(), self.z_init.to(device).expand(shape).clone())

    def reset_state(self, state: State, mask: torch.Tensor) -> State:
        """Rows where mask is True go back to the initial state."""
        m = mask.view(-1, 1, 1)
        return State(torch.where(m, self.y_init, state.y), torch.where(m, self.z_init, state.z))

    def step(self, state: State, inputs: torch.Tensor, puzzle_ids: torch.Tensor | None = None,
             features: torch.Tensor | None = None):
        """One supervision step: T rounds, all but the last without gradient.

        Returns (detached new state, logits [B, L, V] or values [B, out_dim], q_halt logits [B]).
        With `pad_token`, attention ignores padded keys and the mean readouts skip padded positions,
        so the answer does not depend on how much padding a sequence got.
        """
        x = self.embed(inputs, puzzle_ids, features)
        keep = self.token_mask(inputs)
        key_bias = None if keep is None else ((keep - 1.0) * 1e9)[:, None, None, :]
        y, z = state.y, state.z
        with torch.no_grad():
            for _ in range(self.config.T - 1):
                y, z = self.recurse(y, z, x, key_bias)
        y, z = self.recurse(y, z, x, key_bias)
        summary = y[:, 0] if self.config.halt_input == "first" else self.readout(y, keep)
        q_halt = self.q_head(summary).float()[:, 0]
        if self.config.head == "tokens":
            outputs = self.lm_head(y[:, self.prefix:])
        else:
            outputs = self.value_head(self.readout(y, keep)).float()
        return State(y.detach(), z.detach()), outputs, q_halt

    forward = step

    @torch.inference_mode()
    def infer(
        self,
        inputs: torch.Tensor,
        puzzle_ids: torch.Tensor | None = None,
        *,
        features: torch.Tensor | None = None,
        halt_threshold: float = 0.0,
        max_steps: int | None = None,
        adaptive: bool = True,
        rows: int | None = None,
        precision: str = "auto",
        log_probs: bool = False,
        settle: Callable[[int, torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    ) -> Inference:
        """Batched inference; with `adaptive`, each example stops once q_halt > threshold.

        Halted examples leave the batch so the rest run faster. `rows` answers the batch in
        chunks of at most that many examples (large batches of small models run slower per
        example on CPU). `precision` is float32, bfloat16 or auto (`fastest_precision`).
        With `log_probs` (token head), also the float32 token log-probabilities [B, L, V] at
        each example's halting step. `settle(step, rows, outputs)`, called after every step with its
        number (from 1), the indices of the examples still running and their outputs, returns which
        of them stop there too (a task's exact check, say).
        """
        if rows is not None and inputs.shape[0] > rows:
            parts = [self.infer(inputs[i : i + rows], None if puzzle_ids is None else puzzle_ids[i : i + rows],
                                features=None if features is None else features[i : i + rows],
                                halt_threshold=halt_threshold, max_steps=max_steps, adaptive=adaptive,
                                precision=precision, log_probs=log_probs,
                                settle=None if settle is None else partial(_offset_settle, settle, i))
                     for i in range(0, inputs.shape[0], rows)]
            fields = ("outputs", "steps", "q_halt", "log_probs")[: 4 if log_probs else 3]
            return Inference(*(torch.cat([getattr(p, f) for p in parts]) for f in fields))
        max_steps = max_steps or self.config.halt_max_steps
        (b, length), device = inputs.shape, inputs.device
        if not self.accepts_length(length):
            raise ValueError(f"this model reads {self.config.seq_len} tokens per problem, not {length}")
        if precision == "auto":
            precision = fastest_precision(device, b)
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of auto, {', '.join(PRECISIONS)}; got {precision!r}")
        autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bfloat16")
        outputs: torch.Tensor | None = None
        kept_log_probs: torch.Tensor | None = None
        steps = torch.full((b,), max_steps, dtype=torch.long, device=device)
        q_final = torch.zeros(b, device=device)
        active = torch.arange(b, device=device)
        state = self.initial_state(b, device, length)
        with autocast:
            for k in range(max_steps):
                ids = None if puzzle_ids is None else puzzle_ids[active]
                feats = None if features is None else features[active]
                state, out, q = self.step(state, inputs[active], ids, feats)
                step_log_probs = torch.log_softmax(out.float(), -1) if log_probs else None
                out = out.argmax(-1) if self.config.head == "tokens" else out.float()
                if outputs is None:
                    outputs = torch.zeros((b, *out.shape[1:]), dtype=out.dtype, device=device)
                done = (q > halt_threshold) if adaptive else torch.zeros_like(q, dtype=torch.bool)
                if settle is not None:
                    done = done | settle(k + 1, active, out)
                if k == max_steps - 1:
                    done = torch.ones_like(done)
                finished = active[done]
                outputs[finished] = out[done]
                steps[finished] = k + 1
                q_final[finished] = q[done].float()
                if step_log_probs is not None:
                    if kept_log_probs is None:
                        kept_log_probs = torch.zeros((b, *step_log_probs.shape[1:]), device=device)
                    kept_log_probs[finished] = step_log_probs[done]
                if bool(done.all()):
                    break
                if bool(done.any()):
                    keep = ~done
                    active, state = active[keep], state[keep]
        return Inference(outputs, steps, q_final, kept_log_probs)


def _offset_settle(settle: Callable[[int, torch.Tensor, torch.Tensor], torch.Tensor], offset: int,
                   step: int, rows: torch.Tensor, outputs: torch.Tensor) -> torch.Tensor:
    """`settle` of a whole batch asked about a chunk of it that starts at `offset`."""
    return settle(step, rows + offset, outputs)


PRECISION_ENV = "TRM_HUB_PRECISION"
PRECISIONS = ("float32", "bfloat16")
BF16_CPU_ROWS = 32  # below this many rows a CPU step is not reliably faster in bfloat16 (benchmarks/bench_precision.py)


def cpu_has_bf16() -> bool:
    """True when torch runs bfloat16 kernels natively on this CPU (AVX-512 BF16 or AMX, and not
    held to a lower kernel set by ATEN_CPU_CAPABILITY)."""
    native = torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()
    return native and torch.backends.cpu.get_cpu_capability().startswith("AVX512")


def fastest_precision(device: torch.device, rows: int) -> str:
    """The precision a step of `rows` rows runs fastest in on `device`, keeping the answers:
    bfloat16 on a GPU and on a CPU with native bfloat16 from BF16_CPU_ROWS rows, else float32.
    $TRM_HUB_PRECISION (float32 or bfloat16) overrides it."""
    chosen = os.environ.get(PRECISION_ENV)
    if chosen:
        return chosen
    if device.type == "cuda":
        return "bfloat16"
    return "bfloat16" if rows >= BF16_CPU_ROWS and cpu_has_bf16() else "float32"


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """'auto' picks cuda when available, else cpu."""
    if str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if str(device).startswith("cuda") and not torch.cuda.is_available():
        raise ValueError("device 'cuda' was asked for but no CUDA GPU is available")
    return torch.device(device)
