"""registry.yaml: pydantic validation, sha256 integrity, user overrides, atomic writes."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
import yaml

import trm_hub
from trm_hub import registry as registry_module
from trm_hub.registry import (
    SHIPPED_REGISTRY,
    Registry,
    RegistryError,
    read_registry_file,
    resolve_weights,
    write_registry_file,
)


def write_weights(folder: Path, name: str = "toy", payload: bytes = b"tensors") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    weights = folder / f"{name}.safetensors"
    weights.write_bytes(payload)
    (folder / f"{name}.json").write_text('{"task": "toy_reverse"}\n')
    return weights


@pytest.fixture
def shipped(tmp_path: Path) -> Path:
    path = tmp_path / "shipped" / "registry.yaml"
    path.parent.mkdir()
    path.write_text("tasks:\n  toy_reverse:\n    models: {}\n  other: {}\n")
    return path


def test_shipped_registry_is_valid_and_names_the_builtin_tasks() -> None:
    content = read_registry_file(SHIPPED_REGISTRY)
    assert {"sudoku", "maze", "arc", "molecule"} <= set(content.tasks)


def test_record_then_verify_round_trip(shipped: Path) -> None:
    weights = write_weights(shipped.parent / "weights")
    registry = Registry(shipped)
    entry = registry.record("toy_reverse", "toy_reverse", weights, metrics={"exact": 0.5}, notes="test run", target=shipped)
    assert entry.weights == "weights/toy.safetensors"
    assert entry.sha256 == hashlib.sha256(b"tensors").hexdigest()
    assert entry.config_sha256 == hashlib.sha256(b'{"task": "toy_reverse"}\n').hexdigest()
    reloaded = Registry(shipped)
    assert reloaded.weights_for("toy_reverse") == weights
    assert reloaded.entries("toy_reverse")["toy_reverse"][0].metrics == {"exact": 0.5}
    assert shipped.read_text().startswith("# trm-hub registry")
    assert "other" in read_registry_file(shipped).tasks
    assert sorted(p.name for p in shipped.parent.iterdir()) == ["registry.yaml", "weights"]


def test_tampered_weights_error_names_the_file_and_both_hashes(shipped: Path) -> None:
    weights = write_weights(shipped.parent / "weights")
    Registry(shipped).record("toy_reverse", "toy_reverse", weights, target=shipped)
    expected = hashlib.sha256(b"tensors").hexdigest()
    weights.write_bytes(b"tampered")
    actual = hashlib.sha256(b"tampered").hexdigest()
    with pytest.raises(RegistryError) as caught:
        Registry(shipped).weights_for("toy_reverse")
    message = str(caught.value)
    assert str(weights) in message and expected in message and actual in message
    assert "\n" not in message


def test_tampered_checkpoint_config_is_refused(shipped: Path) -> None:
    weights = write_weights(shipped.parent / "weights")
    Registry(shipped).record("toy_reverse", "toy_reverse", weights, target=shipped)
    weights.with_suffix(".json").write_text('{"task": "something else"}')
    with pytest.raises(RegistryError, match="checkpoint config .*toy.json does not match"):
        Registry(shipped).weights_for("toy_reverse")


def test_missing_weights_file_is_named(shipped: Path) -> None:
    weights = write_weights(shipped.parent / "weights")
    Registry(shipped).record("toy_reverse", "toy_reverse", weights, target=shipped)
    weights.unlink()
    with pytest.raises(RegistryError, match=r"weights file .*toy\.safetensors is missing"):
        Registry(shipped).weights_for("toy_reverse")


def test_task_without_weights_says_how_to_make_them(shipped: Path) -> None:
    with pytest.raises(RegistryError, match=r"task 'toy_reverse' has no trained weights.*trm-hub train plugin=toy_reverse"):
        Registry(shipped).weights_for("toy_reverse")
    with pytest.raises(RegistryError, match="task 'nope' has no trained weights"):
        Registry(shipped).weights_for("nope")


def test_user_registry_overrides_shipped_entries(shipped: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Registry(shipped).record("toy_reverse", "toy_reverse", write_weights(shipped.parent / "weights"), target=shipped)
    user = tmp_path / "user" / "mine.yaml"
    mine = write_weights(tmp_path / "user" / "ckpt", payload=b"my tensors")
    Registry(shipped, user).record("toy_reverse", "toy_reverse", mine, metrics={"exact": 1.0})
    assert read_registry_file(user).tasks["toy_reverse"].models["toy_reverse"].weights == "ckpt/toy.safetensors"
    assert Registry(shipped).weights_for("toy_reverse") == shipped.parent / "weights" / "toy.safetensors"
    monkeypatch.setenv("TRM_HUB_REGISTRY", str(user))
    combined = Registry.load(shipped=shipped)
    assert combined.weights_for("toy_reverse") == mine
    assert combined.status("toy_reverse")[0]["metrics"] == {"exact": 1.0}


def test_model_names_and_defaults(shipped: Path) -> None:
    registry = Registry(shipped)
    registry.record("toy_reverse", "small", write_weights(shipped.parent / "w", "small"), target=shipped)
    assert registry.weights_for("toy_reverse").name == "small.safetensors", "the only model is the default"
    registry.record("toy_reverse", "large", write_weights(shipped.parent / "w", "large", b"large"), target=shipped)
    assert registry.weights_for("toy_reverse", "large").name == "large.safetensors"
    with pytest.raises(RegistryError, match="no model 'toy_reverse'.*it has: large, small"):
        registry.weights_for("toy_reverse")


def test_package_references_resolve_to_package_files(tmp_path: Path) -> None:
    path = resolve_weights("trm_hub:config.py", tmp_path)
    assert path == Path(trm_hub.__file__).parent / "config.py"
    assert registry_module._package_reference(path) == "trm_hub:config.py"
    with pytest.raises(RegistryError, match="package 'no_such_package' cannot be imported"):
        resolve_weights("no_such_package:weights/x.safetensors", tmp_path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tasks: [1, 2", "not valid YAML"),
        ("tasks:\n  t:\n    models:\n      m: {weights: a, sha256: xyz}\n", "tasks.t.models.m.sha256: must be 64"),
        ("tasks: {}\nextra: 1\n", "extra: Extra inputs are not permitted"),
    ],
)
def test_malformed_registry_gives_one_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "registry.yaml"
    path.write_text(text)
    with pytest.raises(RegistryError) as caught:
        read_registry_file(path)
    assert message in str(caught.value) and str(path) in str(caught.value)
    assert "\n" not in str(caught.value)


def test_failed_write_leaves_the_old_file_and_no_temp(shipped: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = shipped.read_text()

    def fail(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(registry_module.os, "replace", fail)
    with pytest.raises(OSError):
        write_registry_file(shipped, read_registry_file(shipped))
    assert shipped.read_text() == before
    assert [p.name for p in shipped.parent.iterdir()] == ["registry.yaml"]


def test_written_file_is_plain_yaml(shipped: Path) -> None:
    Registry(shipped).record(
        "toy_reverse", "toy_reverse", write_weights(shipped.parent / "weights"), metrics={"acc": 0.25}, target=shipped
    )
    data = yaml.safe_load(shipped.read_text())
    assert data["tasks"]["toy_reverse"]["models"]["toy_reverse"]["metrics"] == {"acc": 0.25}
    assert os.stat(shipped).st_mode & 0o777 == 0o644


def test_the_default_user_registry_is_in_the_user_data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert registry_module.user_registry_path() == tmp_path / "data" / "trm-hub" / "registry.yaml"
    assert Registry.load().user_path == tmp_path / "data" / "trm-hub" / "registry.yaml"
    monkeypatch.setenv("TRM_HUB_REGISTRY", str(tmp_path / "mine.yaml"))
    assert Registry.load().user_path == tmp_path / "mine.yaml"
    assert Registry.load(tmp_path / "arg.yaml").user_path == tmp_path / "arg.yaml"


def test_recording_goes_to_the_user_registry_and_never_the_shipped_one(
    shipped: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    before = shipped.read_text()
    weights = write_weights(tmp_path / "runs" / "toy")
    registry = Registry.load(shipped=shipped)
    registry.record("toy_reverse", "toy_reverse", weights, metrics={"exact": 0.75})
    user = tmp_path / "data" / "trm-hub" / "registry.yaml"
    assert shipped.read_text() == before
    entry = read_registry_file(user).tasks["toy_reverse"].models["toy_reverse"]
    assert entry.weights == str(weights.resolve()), "a checkpoint outside the registry's folder is stored absolute"
    assert entry.sha256 == hashlib.sha256(b"tensors").hexdigest() and entry.metrics == {"exact": 0.75}
    assert Registry.load(shipped=shipped).weights_for("toy_reverse") == weights.resolve()
    with pytest.raises(RegistryError, match="no user registry is set"):
        Registry(shipped).record("toy_reverse", "toy_reverse", weights)


def test_the_registry_inside_an_installed_package_is_never_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    packaged = tmp_path / "site" / "trm_hub" / "registry.yaml"
    packaged.parent.mkdir(parents=True)
    packaged.write_text("tasks: {}\n")
    monkeypatch.setattr(registry_module, "PACKAGED_REGISTRY", packaged)
    with pytest.raises(RegistryError, match="shipped inside the installed trm-hub package and is not written"):
        Registry(packaged).record("toy_reverse", "toy_reverse", write_weights(tmp_path / "w"), target=packaged)
    assert packaged.read_text() == "tasks: {}\n"


def test_user_entries_win_and_status_says_where_each_model_comes_from(shipped: Path, tmp_path: Path) -> None:
    Registry(shipped).record("toy_reverse", "toy_reverse", write_weights(shipped.parent / "weights"), target=shipped)
    Registry(shipped).record("toy_reverse", "other", write_weights(shipped.parent / "weights", "other"), target=shipped)
    user = tmp_path / "user.yaml"
    mine = write_weights(tmp_path / "mine", payload=b"mine")
    registry = Registry(shipped, user)
    registry.record("toy_reverse", "toy_reverse", mine)
    assert registry.weights_for("toy_reverse") == mine
    rows = {row["name"]: row for row in registry.status("toy_reverse")}
    assert (rows["toy_reverse"]["source"], rows["toy_reverse"]["registry"]) == ("user", str(user))
    assert rows["toy_reverse"]["replaces_shipped"] is True and rows["toy_reverse"]["path"] == str(mine)
    assert (rows["other"]["source"], rows["other"]["registry"], rows["other"]["replaces_shipped"]) == (
        "shipped", str(shipped), False,
    )
    assert registry.find("toy_reverse") == [("toy_reverse", "shipped"), ("toy_reverse", "user")]


def test_remove_deletes_only_the_user_entry(shipped: Path, tmp_path: Path) -> None:
    shipped_weights = write_weights(shipped.parent / "weights")
    Registry(shipped).record("toy_reverse", "toy_reverse", shipped_weights, target=shipped)
    user = tmp_path / "user.yaml"
    registry = Registry(shipped, user)
    mine = write_weights(tmp_path / "mine", payload=b"mine")
    registry.record("toy_reverse", "toy_reverse", mine)
    registry.record("toy_reverse", "extra", write_weights(tmp_path / "mine", "extra"))
    assert registry.remove("toy_reverse", "toy_reverse") == str(mine)
    assert mine.exists(), "removing an entry keeps the checkpoint files"
    assert registry.weights_for("toy_reverse", "toy_reverse") == shipped_weights
    assert set(read_registry_file(user).tasks["toy_reverse"].models) == {"extra"}
    registry.remove("toy_reverse", "extra")
    assert read_registry_file(user).tasks == {}
    with pytest.raises(RegistryError, match="'toy_reverse' of task 'toy_reverse' is shipped with trm-hub.*only models you recorded"):
        registry.remove("toy_reverse", "toy_reverse")
    with pytest.raises(RegistryError, match="task 'toy_reverse' has no model 'nope' in your registry"):
        registry.remove("toy_reverse", "nope")
    assert "toy_reverse" in read_registry_file(shipped).tasks


def test_messages_name_the_users_registry_and_a_command_that_works(shipped: Path, tmp_path: Path) -> None:
    user = tmp_path / "user.yaml"
    with pytest.raises(RegistryError) as caught:
        Registry(shipped, user).weights_for("toy_reverse")
    message = str(caught.value)
    assert f"your registry {user}" in message and "make them with `trm-hub train plugin=toy_reverse`" in message
    assert str(shipped) not in message, "a message does not point users at the shipped file"
    Registry(shipped, user).record("toy_reverse", "small", write_weights(tmp_path / "w", "small"))
    Registry(shipped, user).record("toy_reverse", "large", write_weights(tmp_path / "w", "large", b"large"))
    with pytest.raises(RegistryError, match=r"no model 'huge'.*`trm-hub train plugin=toy_reverse model_name=huge`"):
        Registry(shipped, user).weights_for("toy_reverse", "huge")
