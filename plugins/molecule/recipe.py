"""Training recipes for the molecule models: one regression TRM per property, chosen by `data.property`."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator

from trm_hub.config import ANSWERING, Strict, TrainConfig, set_derived
from trm_hub_plugins.molecule.properties import DEFAULT_PROPERTY, resolve_property
from trm_hub_plugins.molecule.tokenizer import default_vocabulary

SEQ_LEN: dict[str, int] = {"solubility": 64, "hydration_free_energy": 48, "lipophilicity": 96}


def model_name_for(property_name: str) -> str:
    """The registered model that predicts a property."""
    return f"molecule-{resolve_property(property_name).name}"


def feature_count(data: dict[str, Any]) -> int:
    """Features per molecule a data section asks for: its descriptors (all of RDKit's unless named), or none."""
    if not data.get("descriptors"):
        return 0
    if data.get("descriptor_names"):
        return len(data["descriptor_names"])
    from trm_hub_plugins.molecule.descriptors import descriptor_names

    return len(descriptor_names())


class MoleculeData(Strict):
    """Which property and split to learn, how to augment, and how to read the answer."""

    property: str = Field(DEFAULT_PROPERTY, description="solubility, hydration_free_energy or lipophilicity")
    split: Literal["random", "scaffold"] = Field("random", description="80/10/10 split kind")
    split_seed: int = Field(0, description="seed of the split (the baselines use the same split and seed)")
    augment: Literal["none", "batch", "fixed"] = Field(
        "batch",
        description="randomised SMILES: none, a fresh one per training batch, or `copies` made up front",
    )
    copies: int = Field(20, ge=0, description="randomised copies of each training molecule (augment=fixed)")
    views: int = Field(16, ge=1, description="SMILES per molecule averaged at inference (canonical + random)",
                       json_schema_extra=ANSWERING)
    label_mean: float | None = Field(None, description="training-label mean; filled by build_dataset")
    label_std: float | None = Field(None, description="training-label standard deviation; filled by build_dataset")
    baseline_trees: int = Field(300, ge=1, description="random-forest trees in the eval report's baseline")
    descriptors: bool = Field(
        False, description="read RDKit's 2D descriptors beside the SMILES (standardised on the training part)"
    )
    descriptor_names: list[str] | None = Field(None, description="descriptors read; filled by build_dataset")
    descriptor_mean: list[float] | None = Field(None, description="training-part means; filled by build_dataset")
    descriptor_std: list[float] | None = Field(None, description="training-part spreads; filled by build_dataset")

    @field_validator("property")
    @classmethod
    def _known(cls, value: str) -> str:
        return resolve_property(value).name


MODEL_BASE: dict[str, Any] = {
    "head": "regression",
    "out_dim": 1,
    "halt_input": "mean",
    "pos_encodings": "rope",
    "layers": 2,
}

CPU_PRESET: dict[str, Any] = {
    "model": {
        **MODEL_BASE,
        "mixer": "attention",
        "hidden_size": 64,
        "num_heads": 4,
        "expansion": 4.0,
        "ffn_multiple": 32,
        "T": 2,
        "n": 2,
        "halt_max_steps": 2,
    },
    "steps": 2000,
    "batch_size": 64,
    "compile": True,
    "lr": 1e-3,
    "lr_min_ratio": 0.1,
    "warmup_steps": 100,
    "weight_decay": 0.1,
    "q_loss_weight": 0.1,
    "value_tolerance": 0.3,
    "ema": True,
    "ema_rate": 0.995,
    "device": "cpu",
    "eval_every": 250,
    "eval_samples": 1000,
    "keep_best": True,
    "checkpoint_every": 1000,
    "log_every": 20,
    "data": {"descriptors": True},
}

GPU_PRESET: dict[str, Any] = {
    "model": {
        **MODEL_BASE,
        "mixer": "attention",
        "hidden_size": 256,
        "num_heads": 8,
        "expansion": 4.0,
        "ffn_multiple": 64,
        "T": 3,
        "n": 4,
        "halt_max_steps": 6,
    },
    "steps": 30000,
    "batch_size": 256,
    "lr": 3e-4,
    "lr_min_ratio": 0.1,
    "warmup_steps": 1000,
    "weight_decay": 0.1,
    "q_loss_weight": 0.1,
    "value_tolerance": 0.3,
    "ema": True,
    "ema_rate": 0.999,
    "device": "auto",
    "eval_every": 2000,
    "eval_samples": 1000,
    "keep_best": True,
    "checkpoint_every": 2000,
    "data": {"augment": "fixed", "copies": 100, "views": 32, "descriptors": True},
}


class MoleculeRecipe(TrainConfig):
    """A molecule training run: a regression TRM on atom-level SMILES tokens for `data.property`.

    Labels are standardised with the training part's mean and standard deviation (stored in
    `data.label_mean` / `data.label_std`), so `value_tolerance` (the Q-halt target) is in
    standard deviations. `model.seq_len` defaults to the property's length in SEQ_LEN and
    `model.vocab_size`, `head` and `out_dim` always follow the plugin's vocabulary.
    Presets: `cpu` (2 CPU cores, minutes per property) and `gpu` (one GPU, wider and deeper).
    `model.pad_token=0 model.pad_readout=sum` masks padding (attention ignores it; the readout
    sums the real tokens over `seq_len`), so a molecule's prediction does not depend on the
    length it is read at: better on validation for lipophilicity (shipped masked), not for
    solubility or FreeSolv (training/molecule/masked/), so the presets leave it off.
    Both presets read RDKit's 2D descriptors beside the SMILES (`data.descriptors`, projected
    into every token's input; better on every validation part, training/molecule/descriptors/).
    """

    presets: ClassVar[dict[str, dict[str, Any]]] = {"cpu": CPU_PRESET, "gpu": GPU_PRESET}
    default_preset: ClassVar[str] = "cpu"

    data: MoleculeData = MoleculeData()

    @classmethod
    def derive(cls, raw: dict[str, Any]) -> None:
        """The model's vocabulary and regression head, and (unless set) the property's sequence length."""
        try:
            prop = resolve_property(raw["data"].get("property", DEFAULT_PROPERTY)).name
        except ValueError:
            prop = DEFAULT_PROPERTY
        raw["model"].setdefault("seq_len", SEQ_LEN[prop])
        set_derived(raw["model"], {"vocab_size": len(default_vocabulary()), "head": "regression", "out_dim": 1},
                    "the molecule vocabulary and regression readout")
        set_derived(raw["model"], {"feature_dim": feature_count(raw["data"])}, "data.descriptors")

    @property
    def model_name(self) -> str:
        """The registered model this run trains."""
        return model_name_for(self.data.property)
