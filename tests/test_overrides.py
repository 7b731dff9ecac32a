"""key=value overrides: parsing, presets, and one-line errors naming the key."""

from __future__ import annotations

import pytest
from trm_toy_plugin.task import ToyRecipe

from trm_hub.overrides import OverrideError, parse_overrides, pop_special, resolve_config


def resolve(*args: str, preset: str | None = None) -> ToyRecipe:
    tree, raw = parse_overrides(args)
    return resolve_config(ToyRecipe, tree, preset, raw)  # type: ignore[return-value]


def test_values_are_json_when_they_parse_else_text() -> None:
    tree, raw = parse_overrides(
        ["lr=1e-3", "ema=false", "model.grid=[2, 2]", "out_dir=runs/x", "grad_clip=null", "data.tags=[\"a\"]"]
    )
    assert tree == {
        "lr": 0.001,
        "ema": False,
        "model": {"grid": [2, 2]},
        "out_dir": "runs/x",
        "grad_clip": None,
        "data": {"tags": ["a"]},
    }
    assert raw["out_dir"] == "runs/x"


def test_default_preset_then_overrides() -> None:
    cfg = resolve("steps=3", "model.hidden_size=32", "data.train_size=8", "lr=0.01")
    assert (cfg.steps, cfg.model.hidden_size, cfg.model.num_heads, cfg.data.train_size, cfg.lr) == (3, 32, 2, 8, 0.01)
    assert cfg.model.vocab_size == 11, "the cpu preset fills the model"


def test_named_preset() -> None:
    assert resolve(preset="paper").model.hidden_size == 64
    assert resolve("steps=7", preset="paper").steps == 7


def test_text_for_a_string_field_that_looks_like_json() -> None:
    assert resolve("out_dir=123").out_dir == "123"
    assert resolve("data.tags=[\"x\", \"y\"]").data.tags == ["x", "y"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["lerning_rate=1"], "unknown key 'lerning_rate'"),
        (["model.hiden_size=8"], "unknown key 'model.hiden_size' (did you mean 'model.hidden_size'?)"),
        (["data.train_sise=8"], "unknown key 'data.train_sise' (did you mean 'data.train_size'?)"),
        (["lr=fast"], "bad value for 'lr'"),
        (["model.mixer=transformer"], "bad value for 'model.mixer'"),
        (["steps=[1, 2]"], "bad value for 'steps'"),
        (["model=3"], "bad value for 'model'"),
        (["model.hidden_size=30", "model.num_heads=4"], "hidden_size must be a multiple of num_heads"),
        (["lr"], "override 'lr' is not key=value"),
        (["a..b=1"], "bad key 'a..b'"),
        (["=1"], "bad key ''"),
        (["model=1", "model.T=2"], "conflicts"),
    ],
)
def test_errors_are_one_line_and_name_the_key(args: list[str], message: str) -> None:
    with pytest.raises(OverrideError) as caught:
        resolve(*args)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_unknown_preset_lists_the_choices() -> None:
    with pytest.raises(OverrideError, match=r"unknown preset 'huge' for ToyRecipe \(choose from: cpu, paper\)"):
        resolve(preset="huge")


def test_missing_required_key_without_preset() -> None:
    class Bare(ToyRecipe):
        presets = {}

    with pytest.raises(OverrideError, match=r"missing key 'model'"):
        resolve_config(Bare, {}, None)
    with pytest.raises(OverrideError, match=r"missing key 'model.seq_len'"):
        resolve_config(Bare, {"model": {"vocab_size": 4}}, None)


def test_special_keys_are_taken_out_as_text() -> None:
    tree, raw = parse_overrides(["plugin=maze", "preset=cpu", "model_name=007", "lr=1"])
    special = pop_special(tree, raw, ["plugin", "preset", "model_name", "checkpoint"])
    assert special == {"plugin": "maze", "preset": "cpu", "model_name": "007"}
    assert tree == {"lr": 1}
    with pytest.raises(OverrideError, match="needs a value"):
        pop_special(*parse_overrides(["plugin="]), ["plugin"])
