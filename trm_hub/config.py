"""Model and training configuration schemas (pydantic; importing this never imports torch)."""

from __future__ import annotations

import copy
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, model_validator


ANSWERING = {"answering": True}
"""`json_schema_extra` of a data field that says how a trained model answers, not how it trains."""


def answering_fields(data: type[BaseModel]) -> set[str]:
    """A data section's fields marked ANSWERING: a resumed run may change them."""
    return {name for name, field in data.model_fields.items()
            if isinstance(field.json_schema_extra, dict) and field.json_schema_extra.get("answering")}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class ModelConfig(Strict):
    """The TRM network: sizes, token mixer, recursion depth, halting, output head."""

    vocab_size: int
    seq_len: int
    hidden_size: int = 128
    num_heads: int = 4
    expansion: float = 4.0
    ffn_multiple: int = 256
    layers: int = 2
    mixer: Literal["attention", "mlp", "conv"] = "attention"
    pos_encodings: Literal["rope", "learned", "none"] = "rope"
    grid: tuple[int, int] | None = None
    puzzle_emb_ndim: int = 0
    num_puzzle_identifiers: int = 1
    puzzle_emb_len: int = 0
    T: int = 3
    n: int = 6
    halt_max_steps: int = 16
    halt_exploration_prob: float = 0.1
    rms_norm_eps: float = 1e-5
    rope_theta: float = 10000.0
    halt_input: Literal["first", "mean"] = "first"
    head: Literal["tokens", "regression"] = "tokens"
    out_dim: int = 1
    pad_token: int | None = None
    pad_readout: Literal["mean", "sum"] = "mean"
    feature_dim: int = 0

    @model_validator(mode="after")
    def _check(self) -> "ModelConfig":
        if self.mixer == "conv":
            if self.grid is None or self.grid[0] * self.grid[1] != self.seq_len:
                raise ValueError("mixer 'conv' needs grid=(rows, cols) with rows*cols == seq_len")
        if self.mixer == "attention" and self.hidden_size % self.num_heads:
            raise ValueError("hidden_size must be a multiple of num_heads")
        if self.pad_token is not None and self.mixer != "attention":
            raise ValueError("pad_token (masking padding) needs mixer 'attention'")
        return self

    @property
    def prefix_len(self) -> int:
        """Positions taken by the puzzle embedding before the tokens."""
        if self.puzzle_emb_ndim == 0:
            return 0
        if self.puzzle_emb_len:
            return self.puzzle_emb_len
        return -(-self.puzzle_emb_ndim // self.hidden_size)


class TrainConfig(Strict):
    """One training run. Plugins subclass it to add a `data` section and presets.

    A plugin whose model shape follows from its data (a canvas, a grid size, a vocabulary)
    overrides `derive(raw)`, which gets the raw settings with `raw["data"]` and `raw["model"]`
    as plain dicts, before validation.
    """

    presets: ClassVar[dict[str, dict[str, Any]]] = {}
    default_preset: ClassVar[str] = "cpu"

    model: ModelConfig
    steps: int = 1000
    batch_size: int = 64
    lr: float = 1e-3
    lr_min_ratio: float = 1.0
    warmup_steps: int = 100
    weight_decay: float = 0.1
    beta1: float = 0.9
    beta2: float = 0.95
    puzzle_emb_lr: float | None = None
    puzzle_emb_weight_decay: float = 0.1
    grad_clip: float | None = 1.0
    loss: Literal["stablemax", "softmax"] = "softmax"
    q_loss_weight: float = 0.5
    value_tolerance: float = 0.3
    ema: bool = True
    ema_rate: float = 0.999
    seed: int = 0
    device: Literal["auto", "cpu", "cuda"] = "auto"
    eval_every: int = 500
    eval_samples: int = 1000
    checkpoint_every: int = 500
    log_every: int = 10
    halt_threshold: float = 0.0
    threads: int | None = None
    compile: bool = False
    out_dir: str | None = None
    resume: bool = False
    init_from: str | None = None
    keep_best: bool = False

    @classmethod
    def derive(cls, raw: dict[str, Any]) -> None:
        """Fill settings that follow from `raw["data"]` (in place). Nothing by default."""

    @classmethod
    def from_checkpoint(cls, meta: dict[str, Any]) -> "TrainConfig":
        """The recipe a checkpoint was trained with: its meta's `train` section (the network from the
        meta's `model` when that section has none), where a field added since takes its default and
        a data setting the section lacks comes from `checkpoint_data(meta)`."""
        raw = copy.deepcopy(meta.get("train") or {})
        if not raw.get("model") and meta.get("model"):
            raw["model"] = copy.deepcopy(meta["model"])
        if "data" in cls.model_fields:
            raw["data"] = {**cls.checkpoint_data(meta), **(raw.get("data") or {})}
        return cls.model_validate(raw)

    @classmethod
    def checkpoint_data(cls, meta: dict[str, Any]) -> dict[str, Any]:
        """Data settings a checkpoint implies when its recipe does not record them (e.g. a canvas read
        from the network's shape); nothing by default."""
        return {}

    @model_validator(mode="before")
    @classmethod
    def _derive_from_data(cls, raw: Any) -> Any:
        if not isinstance(raw, dict) or "data" not in cls.model_fields:
            return raw
        data = raw.get("data")
        if data is None:
            data = cls.model_fields["data"].get_default(call_default_factory=True)
        raw = {**raw, "data": _plain(data), "model": _plain(raw.get("model") or {})}
        if isinstance(raw["data"], dict) and isinstance(raw["model"], dict):
            cls.derive(raw)
        if not raw["model"]:
            del raw["model"]
        return raw


def _plain(value: Any) -> Any:
    """A settings section as a fresh plain dict (pydantic models are dumped)."""
    return value.model_dump() if isinstance(value, BaseModel) else copy.deepcopy(value)


def set_derived(model: dict[str, Any], values: dict[str, Any], source: str) -> None:
    """Set model fields that `source` (e.g. "data.canvas=15") decides; a different given value is an error."""
    for key, value in values.items():
        given = model.get(key)
        if given is not None and (tuple(given) if isinstance(value, tuple) else given) != value:
            fix = f"; set {source.split('=')[0]} instead" if "=" in source else ""
            raise ValueError(f"model.{key}={given} does not match {source} (it must be {value}){fix}")
        model[key] = value
