"""The TRM's building blocks: RMSNorm, SwiGLU, the three token mixers, the post-norm block."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from trm_hub.config import ModelConfig


def rms_norm(x: torch.Tensor, eps: float, dim: int = -1) -> torch.Tensor:
    """Parameter-free RMSNorm over one axis (the last by default), computed in float32."""
    xf = x.float()
    xf = xf * torch.rsqrt(xf.square().mean(dim, keepdim=True) + eps)
    return xf.to(x.dtype)


def trunc_normal_(t: torch.Tensor, std: float) -> torch.Tensor:
    """Truncated normal init at +-2 std."""
    with torch.no_grad():
        return nn.init.trunc_normal_(t, std=std, a=-2 * std, b=2 * std)


class Linear(nn.Linear):
    """nn.Linear with LeCun truncated-normal init."""

    def __init__(self, in_features: int, out_features: int, bias: bool = False):
        super().__init__(in_features, out_features, bias=bias)

    def reset_parameters(self) -> None:
        trunc_normal_(self.weight, 1.0 / math.sqrt(self.in_features))
        if self.bias is not None:
            nn.init.zeros_(self.bias)


def swiglu_width(width: int, expansion: float, multiple: int = 256) -> int:
    """Inner width: round(2/3 * expansion * width), rounded up to a multiple."""
    inner = round(expansion * width * 2 / 3)
    return -(-inner // multiple) * multiple


def halves(weight: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The gate and up halves of a stored gate/up projection (slices, which ONNX export folds away)."""
    half = weight.shape[0] // 2
    return weight[:half], weight[half:]


class SwiGLU(nn.Module):
    """down(silu(gate) * up); gate and up are the two halves of one stored projection, applied as two
    products so no split of the activations is ever copied."""

    def __init__(self, width: int, expansion: float, multiple: int = 256):
        super().__init__()
        inner = swiglu_width(width, expansion, multiple)
        self.gate_up_proj = Linear(width, 2 * inner)
        self.down_proj = Linear(inner, width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate, up = halves(self.gate_up_proj.weight)
        return self.down_proj(F.silu(F.linear(x, gate)) * F.linear(x, up))


def rotary_tables(length: int, head_dim: int, theta: float) -> tuple[torch.Tensor, torch.Tensor]:
    """cos/sin tables [length, head_dim] for rotary position embedding."""
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim))
    angles = torch.outer(torch.arange(length, dtype=torch.float32), inv_freq)
    angles = torch.cat((angles, angles), dim=-1)
    return angles.cos(), angles.sin()


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    a, b = x.chunk(2, dim=-1)
    return torch.cat((-b, a), dim=-1)


class Attention(nn.Module):
    """Non-causal multi-head self-attention with optional rotary positions."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.heads = cfg.num_heads
        self.head_dim = cfg.hidden_size // cfg.num_heads
        self.qkv_proj = Linear(cfg.hidden_size, 3 * cfg.hidden_size)
        self.o_proj = Linear(cfg.hidden_size, cfg.hidden_size)

    def forward(self, h: torch.Tensor, rope: tuple[torch.Tensor, torch.Tensor] | None,
                key_bias: torch.Tensor | None = None) -> torch.Tensor:
        """`key_bias` [B, 1, 1, S] is added to every query's scores (a large negative value hides a key)."""
        b, s, _ = h.shape
        q, k, v = self.qkv_proj(h).view(b, s, 3, self.heads, self.head_dim).unbind(2)
        if rope is not None:
            cos, sin = (t.to(q.dtype)[:, None, :] for t in rope)
            q = q * cos + rotate_half(q) * sin
            k = k * cos + rotate_half(k) * sin
        mask = None if key_bias is None else key_bias.to(q.dtype)
        out = F.scaled_dot_product_attention(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2), attn_mask=mask)
        return self.o_proj(out.transpose(1, 2).reshape(b, s, -1))


class SequenceMLP(SwiGLU):
    """Mixes tokens with a SwiGLU over the sequence axis, normed over that axis (the `mlp_t` variant)."""

    def __init__(self, cfg: ModelConfig):
        super().__init__(cfg.seq_len + cfg.prefix_len, cfg.expansion, cfg.ffn_multiple)
        self.eps = cfg.rms_norm_eps

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        """The weights multiply [B, L, D] from the left, so the tokens never need transposing."""
        gate, up = halves(self.gate_up_proj.weight)
        mixed = self.down_proj.weight @ (F.silu(gate @ h) * (up @ h))
        return rms_norm(h + mixed, self.eps, dim=1)


def grid_of(cells: int, grid: tuple[int, int]) -> tuple[int, int]:
    """The grid a sequence of `cells` tokens lies on: the model's own, else a square one."""
    if cells == grid[0] * grid[1]:
        return grid
    side = math.isqrt(cells)
    if side * side != cells:
        raise ValueError(f"{cells} cells are not the model's {grid[0]}x{grid[1]} grid nor a square one")
    return side, side


class GridConv(nn.Module):
    """Mixes each grid cell with its 3x3 neighbourhood by a depthwise convolution."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        assert cfg.grid is not None
        self.grid = cfg.grid
        self.prefix = cfg.prefix_len
        self.conv = nn.Conv2d(cfg.hidden_size, cfg.hidden_size, 3, padding=1, groups=cfg.hidden_size)
        trunc_normal_(self.conv.weight, 1.0 / 3.0)
        nn.init.zeros_(self.conv.bias)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        b, length, d = h.shape
        cells = h[:, self.prefix:].transpose(1, 2).reshape(b, d, *grid_of(length - self.prefix, self.grid))
        mixed = self.conv(cells).flatten(2).transpose(1, 2)
        if self.prefix:
            mixed = torch.cat((torch.zeros_like(h[:, : self.prefix]), mixed), dim=1)
        return mixed


class Block(nn.Module):
    """Post-norm block: token mixing, then a channel SwiGLU, each followed by RMSNorm."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.kind = cfg.mixer
        self.eps = cfg.rms_norm_eps
        self.mixer = {"attention": Attention, "mlp": SequenceMLP, "conv": GridConv}[cfg.mixer](cfg)
        self.mlp = SwiGLU(cfg.hidden_size, cfg.expansion, cfg.ffn_multiple)

    def forward(self, h: torch.Tensor, rope=None, key_bias: torch.Tensor | None = None) -> torch.Tensor:
        if self.kind == "attention":
            h = rms_norm(h + self.mixer(h, rope, key_bias), self.eps)
        elif self.kind == "mlp":
            h = self.mixer(h)
        else:
            h = rms_norm(h + self.mixer(h), self.eps)
        return rms_norm(h + self.mlp(h), self.eps)
