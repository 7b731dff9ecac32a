"""Training recipes for the Sudoku models: one model per size, chosen by `data.size`."""

from __future__ import annotations

import math
from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator

from trm_hub.config import ANSWERING, Strict, TrainConfig
from trm_hub_plugins.sudoku.generate import BANDS, standard_bands
from trm_hub_plugins.sudoku.tokens import vocab_size

STANDARD_TEST_PUZZLES = 1000
TEST_SEED = 0


def model_name_for_size(n: int) -> str:
    return f"sudoku-{n}x{n}"


class SudokuData(Strict):
    """What to generate: grid size, training puzzles per band, augmentation, held-out test sets."""

    size: Literal[4, 6, 9] = 9
    train_puzzles: int = Field(3000, ge=1, description="training puzzles, split evenly over train_bands")
    train_bands: list[str] | None = Field(None, description="bands to train on; None = every band of the size")
    augment: bool = Field(True, description="apply a fresh random transform to every training batch")
    augmentations: int = Field(
        0, ge=0, description="fixed transformed copies of each training puzzle made up front (paper: 1000)"
    )
    test_puzzles: int = Field(
        STANDARD_TEST_PUZZLES, ge=1, description="held-out puzzles per band (smaller for quick runs)"
    )
    test_bands: list[str] | None = Field(None, description="bands to test on; None = every band of the size")
    test_seed: int = Field(TEST_SEED, description="seed of the held-out sets (another seed gives validation puzzles)")
    seed: int = Field(0, description="seed of the training puzzles (a stream the held-out sets never use)")
    workers: int | None = Field(1, ge=1, description="processes generating puzzles; None = every CPU")
    cache: bool = Field(True, description="keep generated puzzles under ~/.cache/trm-hub/sudoku")
    views: int = Field(8, ge=1, le=64, description="transformed views answered at inference; the grid "
                       "most views give is kept (1 = the puzzle as given)", json_schema_extra=ANSWERING)
    first_views: int | None = Field(2, ge=1, description="views answered first; the rest only for puzzles "
                                    "whose first views disagree (None = every view for every puzzle)",
                                    json_schema_extra=ANSWERING)
    checked_views: int = Field(256, ge=0, le=1024, description="0: the vote alone decides. Else the exact checker "
                               "reads every view's answer after every supervision step and a puzzle stops at its "
                               "first valid grid (the model's own grid is kept); views come in waves doubling "
                               "from first_views up to this many",
                               json_schema_extra=ANSWERING)
    checked_steps: int | None = Field(None, ge=1, description="step limit of the views beyond `views` "
                                      "(None = the model's own)", json_schema_extra=ANSWERING)

    judge_puzzles: int = Field(250, ge=0, description="puzzles of each held-out-only band (9x9: hardest) "
                               "judged in the eval report besides the test bands (0 = none)")

    @model_validator(mode="after")
    def _check_bands(self) -> "SudokuData":
        known = list(BANDS[self.size])
        kept_out = [b for b in self.train_bands or [] if BANDS[self.size].get(b) and BANDS[self.size][b].held_out_only]
        if kept_out:
            raise ValueError(f"data.train_bands names {kept_out}: held-out-only bands are never trained on")
        for field in ("train_bands", "test_bands"):
            value = getattr(self, field)
            if value is None:
                continue
            if not value:
                raise ValueError(f"data.{field} is empty; name at least one of {known}")
            unknown = [b for b in value if b not in known]
            if unknown:
                raise ValueError(
                    f"data.{field} has unknown band(s) {unknown} for {self.size}x{self.size}; "
                    f"known: {known}"
                )
        return self

    def bands(self, split: Literal["train", "test"]) -> list[str]:
        """The bands of one split, resolved for the size."""
        chosen = self.train_bands if split == "train" else self.test_bands
        return list(chosen) if chosen is not None else standard_bands(self.size)


SIZE_DEFAULTS: dict[int, dict[str, Any]] = {
    4: {
        "model": {"hidden_size": 64, "T": 2, "n": 2, "halt_max_steps": 6},
        "steps": 1500,
        "batch_size": 64,
        "data": {"train_puzzles": 3000},
    },
    6: {
        "model": {"hidden_size": 64, "T": 2, "n": 3, "halt_max_steps": 8},
        "steps": 3000,
        "batch_size": 64,
        "data": {"train_puzzles": 6000},
    },
    9: {
        "model": {"hidden_size": 64, "T": 2, "n": 3, "halt_max_steps": 8},
        "steps": 3300,
        "batch_size": 64,
        "data": {"train_puzzles": 6000},
    },
}

CPU_PRESET: dict[str, Any] = {
    "model": {
        "vocab_size": vocab_size(9),
        "seq_len": 81,
        "mixer": "mlp",
        "pos_encodings": "none",
        "expansion": 4.0,
        "ffn_multiple": 32,
        "layers": 2,
    },
    "lr": 1e-3,
    "lr_min_ratio": 0.1,
    "warmup_steps": 200,
    "weight_decay": 0.1,
    "loss": "stablemax",
    "ema": True,
    "ema_rate": 0.995,
    "device": "cpu",
    "threads": 1,
    "compile": True,
    "eval_every": 500,
    "eval_samples": 500,
    "checkpoint_every": 500,
    "data": {"size": 9},
}

PAPER_STEPS = 50_000 * 1000 // 768

PAPER_PRESET: dict[str, Any] = {
    "model": {
        "vocab_size": vocab_size(9),
        "seq_len": 81,
        "hidden_size": 512,
        "num_heads": 8,
        "expansion": 4.0,
        "layers": 2,
        "mixer": "mlp",
        "pos_encodings": "none",
        "puzzle_emb_ndim": 512,
        "num_puzzle_identifiers": 1,
        "puzzle_emb_len": 16,
        "T": 3,
        "n": 6,
        "halt_max_steps": 16,
        "halt_exploration_prob": 0.1,
    },
    "steps": PAPER_STEPS,
    "batch_size": 768,
    "lr": 1e-4,
    "lr_min_ratio": 1.0,
    "warmup_steps": 2000,
    "weight_decay": 1.0,
    "beta1": 0.9,
    "beta2": 0.95,
    "puzzle_emb_lr": 1e-4,
    "puzzle_emb_weight_decay": 1.0,
    "grad_clip": None,
    "loss": "stablemax",
    "q_loss_weight": 0.5,
    "ema": True,
    "ema_rate": 0.999,
    "device": "auto",
    "eval_every": PAPER_STEPS // 10,
    "checkpoint_every": PAPER_STEPS // 10,
    "data": {
        "size": 9,
        "train_puzzles": 1000,
        "train_bands": ["extreme"],
        "augment": False,
        "augmentations": 1000,
        "workers": None,
    },
}


class SudokuRecipe(TrainConfig):
    """A Sudoku training run; `data.size` picks the model (sudoku-4x4, -6x6 or -9x9).

    The model's seq_len, vocab_size and grid always follow data.size. Settings left unset by
    the preset and the overrides (model width and depth, steps, batch size, training puzzles)
    take the per-size defaults of SIZE_DEFAULTS, so `preset=cpu data.size=4` is the 4x4 CPU
    recipe. Presets: `cpu` (one core, torch.compile, sequence-MLP of width 64; see
    training/sudoku/trials.md) and `paper` (the paper's Sudoku-Extreme settings: sequence-MLP,
    hidden 512, T=3, n=6, 16 supervision steps, 1000 puzzles x 1000 augmentations, batch 768,
    lr 1e-4, weight decay 1.0, EMA 0.999, no gradient clipping).
    Tokens: 0 pad, 1 blank, 2..n+1 digits; labels are the solution's tokens on every cell.
    """

    presets: ClassVar[dict[str, dict[str, Any]]] = {"cpu": CPU_PRESET, "paper": PAPER_PRESET}
    default_preset: ClassVar[str] = "cpu"

    data: SudokuData = SudokuData()

    @classmethod
    def derive(cls, raw: dict[str, Any]) -> None:
        """The size's defaults for anything not set; the model's shape and vocabulary from the size."""
        data, model = raw["data"], raw["model"]
        size = data.get("size", 9)
        if size not in SIZE_DEFAULTS:
            return
        defaults = SIZE_DEFAULTS[size]
        for key, value in defaults.items():
            if key not in ("model", "data"):
                raw.setdefault(key, value)
        for key, value in defaults["data"].items():
            data.setdefault(key, value)
        for key, value in defaults["model"].items():
            model.setdefault(key, value)
        model.update(seq_len=size * size, vocab_size=vocab_size(size), grid=(size, size))

    @classmethod
    def checkpoint_data(cls, meta: dict[str, Any]) -> dict[str, Any]:
        """A checkpoint whose recipe records no size was trained for its network's side."""
        model = (meta.get("train") or {}).get("model") or meta.get("model") or {}
        side = math.isqrt(int(model.get("seq_len") or 0))
        return {"size": side} if side in SIZE_DEFAULTS and side * side == model.get("seq_len") else {}

    @property
    def model_name(self) -> str:
        """The registered model this run trains."""
        return model_name_for_size(self.data.size)
