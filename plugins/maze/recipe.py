"""The maze training recipe: data section (canvas, generator settings, test sets) and presets."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator

from trm_hub.config import ANSWERING, Strict, TrainConfig, set_derived
from trm_hub_plugins.maze.tokens import VOCAB_SIZES

Size = tuple[int, int]
TEST_SEED = 20_251_007
MIN_CANVAS = 5


def default_test_sizes(canvas: int) -> list[Size]:
    """Held-out sizes for a canvas: a spread of square sizes up to the canvas and one oblong."""
    sizes = set()
    smallest = min(canvas, 9)
    for frac in (0.6, 0.73, 0.87):
        s = max(smallest, int(round(canvas * frac)))
        sizes.add(s if s % 2 else s + 1)
    sizes.add(canvas if canvas % 2 else canvas - 1)
    sizes.add(canvas)
    square = sorted((s, s) for s in sizes if s <= canvas)
    oblong = int(round(canvas * 0.73))
    oblong = max(smallest, oblong if oblong % 2 else oblong + 1)
    return square + ([(oblong, canvas)] if oblong < canvas else [])


class MazeData(Strict):
    """What the maze dataset holds and how its mazes are generated."""

    canvas: int = Field(15, ge=MIN_CANVAS, le=256, description="model canvas side (cells)")
    train_size: int = Field(20_000, ge=1, description="training mazes (before augmentation)")
    min_size: int = Field(5, ge=3, description="smallest training maze side")
    square_fraction: float = Field(0.5, ge=0.0, le=1.0, description="training mazes that are square")
    sizes: list[Size] | None = Field(None, description="training sizes (rows, cols); None = all")
    test_sizes: list[Size] | None = Field(None, description="held-out sizes; None = a spread")
    test_per_size: int = Field(1000, ge=1)
    test_seed: int = Field(TEST_SEED, description="seed of the held-out sets")
    seed: int | None = Field(None, description="seed of the training mazes; None = the run's seed")
    loop_fraction: float = Field(0.5, ge=0.0, le=1.0, description="mazes with walls knocked out")
    max_loop_rate: float = Field(0.2, ge=0.0, le=1.0)
    hard_fraction: float = Field(0.75, ge=0.0, le=1.0, description="mazes with G far from S")
    hard_keep: float = Field(0.5, gt=0.0, le=1.0, description="share of hard candidates kept")
    door_fraction: float = Field(0.25, ge=0.0, le=1.0, description="S or G as an entrance")
    borderless_fraction: float = Field(0.15, ge=0.0, le=1.0)
    rooms_fraction: float = Field(0.0, ge=0.0, le=1.0, description="mazes with open rectangular rooms carved in")
    unique_fraction: float = Field(1.0, ge=0.0, le=1.0, description="mazes that must have one shortest path "
                                   "(the others may have several; every cell on one is labelled)")
    foreign_per_size: int = Field(300, ge=0, description="evaluation mazes per other generator")
    large_sizes: list[int] = Field([21, 31, 41], description="held-out square sizes beyond the canvas, "
                                   "each answered on its own canvas (sizes within the canvas are skipped)")
    large_per_size: int = Field(50, ge=0, description="evaluation mazes per large size and generator")
    random_offset: bool = Field(True, description="place training mazes anywhere in the canvas")
    augment: bool = Field(True, description="random symmetry of the square per training batch")
    labels: Literal["path", "distance"] = Field("path", description="what the model learns to mark: the cells "
                                                "on a shortest path, or every open cell's distance to G modulo 3 "
                                                "(the route steps down them from S)")
    own_canvas: bool = Field(False, description="answer each maze on a canvas of its own longer side "
                             "instead of padding it to data.canvas (a grid-local model reads any size)",
                             json_schema_extra=ANSWERING)
    views: int = Field(8, ge=1, le=8, description="symmetric views answered at inference; the "
                       "shortest S..G route they propose is kept (1 = the maze as given)",
                       json_schema_extra=ANSWERING)
    first_views: int | None = Field(2, ge=1, description="views answered first; the rest only for mazes whose "
                                    "first views do not settle (None = every view)",
                                    json_schema_extra=ANSWERING)
    settle_q: float | None = Field(4.0, description="the first views settle a maze when they mark the same "
                                   "route and each one's Q-halt logit exceeds this (None: agreement alone)",
                                   json_schema_extra=ANSWERING)

    @model_validator(mode="after")
    def _sizes_fit(self) -> "MazeData":
        for name in ("sizes", "test_sizes"):
            for h, w in getattr(self, name) or []:
                if not (3 <= h <= self.canvas and 3 <= w <= self.canvas):
                    raise ValueError(f"data.{name} has {h}x{w}, which is not within 3..{self.canvas}"
                                     f" (the canvas is {self.canvas}x{self.canvas})")
        if self.min_size > self.canvas:
            raise ValueError(f"data.min_size={self.min_size} is larger than data.canvas={self.canvas}")
        return self

    def resolved_test_sizes(self) -> list[Size]:
        return list(self.test_sizes) if self.test_sizes else default_test_sizes(self.canvas)


class MazeRecipe(TrainConfig):
    """Training run for the maze task; model.seq_len, grid and vocab come from data.canvas."""

    presets: ClassVar[dict[str, dict[str, Any]]] = {
        "cpu": {
            "data": {"canvas": 15, "train_size": 20_000, "labels": "distance", "rooms_fraction": 0.3,
                     "unique_fraction": 0.5, "test_per_size": 100,
                     "test_sizes": [(15, 15), (9, 9), (11, 11), (13, 13), (11, 15)]},
            "model": {"mixer": "conv", "pos_encodings": "none", "hidden_size": 64,
                      "num_heads": 4, "expansion": 2.0, "ffn_multiple": 32, "T": 2, "n": 3,
                      "halt_max_steps": 8, "halt_input": "mean"},
            "steps": 6000, "batch_size": 32, "lr": 1e-3, "lr_min_ratio": 0.1,
            "warmup_steps": 100, "weight_decay": 0.1, "loss": "softmax", "eval_every": 500,
            "eval_samples": 128, "checkpoint_every": 100, "threads": 1, "compile": True,
        },
        "paper": {
            "data": {"canvas": 30, "train_size": 1000, "hard_fraction": 1.0},
            "model": {"mixer": "attention", "pos_encodings": "rope", "hidden_size": 512,
                      "num_heads": 8, "expansion": 4.0, "T": 3, "n": 4, "halt_max_steps": 16,
                      "puzzle_emb_ndim": 512, "puzzle_emb_len": 16},
            "steps": 65_000, "batch_size": 768, "lr": 1e-4, "lr_min_ratio": 1.0,
            "warmup_steps": 2000, "weight_decay": 1.0, "puzzle_emb_lr": 1e-4,
            "puzzle_emb_weight_decay": 1.0, "loss": "stablemax", "ema_rate": 0.999,
            "eval_every": 5000, "checkpoint_every": 5000,
        },
    }

    data: MazeData = MazeData()

    @classmethod
    def checkpoint_data(cls, meta: dict[str, Any]) -> dict[str, Any]:
        """A checkpoint whose recipe records no canvas was trained on its network's grid."""
        grid = (meta.get("model") or {}).get("grid")
        return {"canvas": int(grid[0])} if grid else {}

    @classmethod
    def derive(cls, raw: dict[str, Any]) -> None:
        canvas = raw["data"].get("canvas", MazeData.model_fields["canvas"].default)
        if isinstance(canvas, int) and not isinstance(canvas, bool):
            set_derived(raw["model"], {"seq_len": canvas * canvas, "grid": (canvas, canvas)}, f"data.canvas={canvas}")
        labels = raw["data"].get("labels", MazeData.model_fields["labels"].default)
        if labels in VOCAB_SIZES:
            set_derived(raw["model"], {"vocab_size": VOCAB_SIZES[labels]}, f"data.labels={labels}")
