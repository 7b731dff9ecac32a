"""The ARC training recipe: data section (task sets, canvas, views, held-out tasks) and presets."""

from __future__ import annotations

import math
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from trm_hub.config import ANSWERING, Strict, TrainConfig, set_derived
from trm_hub_plugins.arc.tokens import VOCAB_SIZE
from trm_hub_plugins.arc.schema import MAX_SIDE

DEFAULT_TTT_SECONDS = 115.0
TTT_ENV = "TRM_HUB_ARC_TTT_SECONDS"
VIEWS_ENV = "TRM_HUB_ARC_VIEWS"
SELECT_ENV = "TRM_HUB_ARC_SELECT"
SELECTIONS = ("vote", "vote+experts", "experts")
PAPER_STEPS = 518_000


def _check_sets(names: list[str]) -> list[str]:
    from trm_hub_plugins.arc.data import SET_NAMES

    for name in names:
        if name not in SET_NAMES:
            raise ValueError(f"unknown ARC set '{name}'; known sets: {', '.join(SET_NAMES)}")
    return names


class ArcData(Strict):
    """Which ARC tasks a run trains and evaluates on, and how they are put on the canvas."""

    canvas: int = Field(12, ge=3, le=MAX_SIDE, description="canvas side; tasks with a larger grid are skipped")
    train_sets: list[str] = Field(["arc1/train"], description="sets whose tasks (all pairs) are trained on")
    eval_set: str = Field("arc1/eval", description="evaluation set; its test pairs are never trained on")
    eval_demos: bool = Field(True, description="also train on the evaluation tasks' demonstration pairs (paper)")
    augmentations: int = Field(8, ge=1, description="views per task (identity + random symmetry and colours)")
    translate: bool = Field(True, description="move each training pair to a random place on the canvas")
    max_tasks: int | None = Field(None, ge=1, description="use only the first N training tasks that fit")
    max_eval_tasks: int | None = Field(None, ge=1, description="use only the first N evaluation tasks that fit")
    held_out: int = Field(0, ge=0, description="training-set tasks kept out of training, to measure novel tasks")
    seed: int = Field(0, description="seed of the augmentations and of the held-out choice")
    views: int = Field(8, ge=1, description="views voted over when answering", json_schema_extra=ANSWERING)
    ttt_seconds: float = Field(DEFAULT_TTT_SECONDS, ge=0, description="test-time training budget per novel task",
                               json_schema_extra=ANSWERING)
    ttt_lr_scale: float = Field(3.0, gt=0, description="test-time training learning rates = the run's times this",
                                json_schema_extra=ANSWERING)
    ttt_schedule: Literal["constant", "cosine"] = Field(
        "constant", description="test-time learning rate: constant after warm-up, or cosine down to zero at the budget's end",
        json_schema_extra=ANSWERING)
    ttt_known: bool = Field(False, description="test-time train evaluation tasks whose demonstrations were "
                            "trained on too, from their trained views", json_schema_extra=ANSWERING)
    ttt_until_fit: bool = Field(False, description="stop test-time training early once every demonstration "
                                "view comes out exact", json_schema_extra=ANSWERING)
    ttt_compile: bool = Field(True, description="test-time train through torch.compile (its compile time counts "
                              "against the budget; eager when it cannot compile)", json_schema_extra=ANSWERING)
    select: Literal["vote", "vote+experts", "experts"] = Field(
        "vote", description="how the two attempts are chosen among the views' answers: most votes (ties: summed "
        "Q-halt probability), most votes with ties to the higher log-probability summed over the views, or that "
        "log-probability alone (product of experts; the last two need the torch runtime, else vote)",
        json_schema_extra=ANSWERING)
    eval_limit: int | None = Field(None, ge=1, description="evaluate at most N tasks per set (quick checks)")

    @field_validator("train_sets")
    @classmethod
    def _known_train_sets(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("data.train_sets is empty; name at least one of arc1/train, arc2/train, ...")
        return _check_sets(value)

    @field_validator("eval_set")
    @classmethod
    def _known_eval_set(cls, value: str) -> str:
        _check_sets([value])
        return value

    @model_validator(mode="after")
    def _eval_not_trained(self) -> "ArcData":
        if self.eval_set in self.train_sets:
            raise ValueError(f"data.eval_set '{self.eval_set}' is also in data.train_sets; its test pairs would be trained on")
        return self


CPU_PRESET: dict[str, Any] = {
    "data": {"canvas": 10, "train_sets": ["arc1/train"], "eval_set": "arc1/eval", "augmentations": 8,
             "held_out": 12, "views": 32, "ttt_schedule": "cosine", "ttt_known": True,
             "select": "vote+experts"},
    "model": {"mixer": "attention", "pos_encodings": "rope", "hidden_size": 64, "num_heads": 4,
              "expansion": 4.0, "ffn_multiple": 32, "T": 2, "n": 2, "halt_max_steps": 8,
              "halt_input": "mean", "puzzle_emb_ndim": 64},
    "steps": 4000, "batch_size": 32, "lr": 1e-3, "warmup_steps": 200, "weight_decay": 0.1,
    "puzzle_emb_lr": 1e-2, "puzzle_emb_weight_decay": 0.1, "loss": "softmax", "ema": True,
    "ema_rate": 0.999, "device": "cpu", "threads": 2, "eval_every": 1000, "eval_samples": 256,
    "checkpoint_every": 250,
}

PAPER_PRESET: dict[str, Any] = {
    "data": {"canvas": 30, "train_sets": ["arc1/train"], "eval_set": "arc1/eval", "eval_demos": True,
             "augmentations": 1000, "translate": True, "held_out": 0, "views": 1000, "ttt_seconds": 0},
    "model": {"mixer": "attention", "pos_encodings": "rope", "hidden_size": 512, "num_heads": 8,
              "expansion": 4.0, "layers": 2, "T": 3, "n": 4, "halt_max_steps": 16,
              "halt_exploration_prob": 0.1, "puzzle_emb_ndim": 512, "puzzle_emb_len": 16},
    "steps": PAPER_STEPS, "batch_size": 768, "lr": 1e-4, "lr_min_ratio": 1.0, "warmup_steps": 2000,
    "weight_decay": 0.1, "beta1": 0.9, "beta2": 0.95, "puzzle_emb_lr": 1e-2,
    "puzzle_emb_weight_decay": 0.1, "grad_clip": None, "loss": "stablemax", "q_loss_weight": 0.5,
    "ema": True, "ema_rate": 0.999, "device": "auto", "eval_every": PAPER_STEPS // 10,
    "eval_samples": 4000, "checkpoint_every": 10_000,
}


class ArcRecipe(TrainConfig):
    """An ARC training run; model.seq_len, vocab_size (and grid for the conv mixer) follow data.canvas.

    model.num_puzzle_identifiers is set by `build_dataset` to 1 + the number of (task, view)
    pairs (id 0 is the blank identifier used for tasks the model has not seen).
    Presets: `cpu` (canvas 10, small attention model, 2 cores) and `paper` (ARC-AGI-1 training +
    evaluation demonstrations, 1000 views per task, attention, hidden 512, T=3, n=4, 16 steps,
    puzzle-embedding lr 1e-2, batch 768, as the paper's release; for GPUs).
    """

    presets: ClassVar[dict[str, dict[str, Any]]] = {"cpu": CPU_PRESET, "paper": PAPER_PRESET}
    default_preset: ClassVar[str] = "cpu"

    data: ArcData = ArcData()

    @classmethod
    def checkpoint_data(cls, meta: dict[str, Any]) -> dict[str, Any]:
        """A checkpoint whose recipe records no canvas was trained on its network's length (canvas squared)."""
        seq_len = int(((meta.get("train") or {}).get("model") or meta.get("model") or {}).get("seq_len") or 0)
        side = math.isqrt(seq_len)
        return {"canvas": side} if side and side * side == seq_len else {}

    @classmethod
    def derive(cls, raw: dict[str, Any]) -> None:
        canvas = raw["data"].get("canvas", ArcData.model_fields["canvas"].default)
        if isinstance(canvas, int) and not isinstance(canvas, bool):
            derived: dict[str, Any] = {"seq_len": canvas * canvas, "vocab_size": VOCAB_SIZE}
            if raw["model"].get("mixer") == "conv":
                derived["grid"] = (canvas, canvas)
            set_derived(raw["model"], derived, f"data.canvas={canvas}")
