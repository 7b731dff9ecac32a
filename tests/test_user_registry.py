"""Your registry from the command line: train records there, eval and solve use it at once, tasks
says where each model comes from, forget removes what you recorded and nothing shipped."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import in_process_error

from trm_hub.cli import cli
from trm_hub.registry import SHIPPED_REGISTRY, Registry, read_registry_file, resolve_weights, sha256_of


@pytest.fixture(autouse=True)
def toy(toy_site: Path, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The toy_reverse plugin installed; routers fit here go to a temporary cache."""
    monkeypatch.syspath_prepend(str(toy_site))
    monkeypatch.setenv("TRM_HUB_CACHE", str(tmp_path_factory.getbasetemp() / "router-cache"))
    return toy_site


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def user_registry() -> Path:
    return Path(os.environ["XDG_DATA_HOME"]) / "trm-hub" / "registry.yaml"


def train_toy(out: Path, *extra: str) -> dict:
    result = invoke("train", "plugin=toy_reverse", "eval_every=0", "checkpoint_every=0", "eval_samples=8",
                    f"out_dir={out}", *extra)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_train_records_in_your_registry_and_eval_and_solve_use_it(tmp_path: Path) -> None:
    assert not user_registry().exists()
    summary = train_toy(tmp_path / "run")
    weights = Path(summary["checkpoint"])
    assert summary["recorded_in"] == str(user_registry())
    assert Path(summary["curves"]) == tmp_path / "run" / "curves.png"
    assert (tmp_path / "run" / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    entry = read_registry_file(user_registry()).tasks["toy_reverse"].models["toy_reverse"]
    assert entry.sha256 == sha256_of(weights) and entry.config_sha256 == sha256_of(weights.with_suffix(".json"))
    assert Path(summary["onnx"]) == weights.with_suffix(".onnx") and entry.onnx_sha256 == sha256_of(weights.with_suffix(".onnx"))
    assert resolve_weights(entry.weights, user_registry().parent) == weights.resolve()
    assert read_registry_file(SHIPPED_REGISTRY).tasks.get("toy_reverse") is None

    report = invoke("eval", "plugin=toy_reverse")
    assert report.exit_code == 0, report.output
    assert Path(json.loads(report.stdout)["checkpoint"]).resolve() == weights.resolve()

    problem = tmp_path / "p.json"
    problem.write_text(json.dumps({"reverse": [1, 2, 3, 4]}))
    answers = []
    for runtime in ("torch", "onnx"):
        solved = invoke("solve", "toy_reverse", str(problem), "--device", "cpu", "--runtime", runtime)
        assert solved.exit_code == 0, solved.output
        answers.append(json.loads(solved.stdout))
    assert answers[0]["task"] == "toy_reverse" and answers[0]["solution"] == answers[1]["solution"]

    rows = {row["name"]: row for row in json.loads(invoke("tasks", "--json").stdout)}
    (model,) = rows["toy_reverse"]["weights"]
    assert (model["source"], model["registry"], model["present"]) == ("user", str(user_registry()), True)
    table = invoke("tasks").stdout
    assert "toy_reverse (user, present, onnx)" in table and f"your registry:    {user_registry()}\n" in table


def test_no_record_leaves_your_registry_alone(tmp_path: Path) -> None:
    summary = train_toy(tmp_path / "run", "--no-record")
    assert "recorded_in" not in summary and Path(summary["checkpoint"]).is_file()
    assert not user_registry().exists()
    assert "has no trained weights" in in_process_error(invoke("eval", "plugin=toy_reverse"))


def test_the_registry_option_and_variable_choose_where_train_records(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    chosen = tmp_path / "chosen.yaml"
    assert train_toy(tmp_path / "a", "--registry", str(chosen))["recorded_in"] == str(chosen.resolve())
    monkeypatch.setenv("TRM_HUB_REGISTRY", str(tmp_path / "env.yaml"))
    assert train_toy(tmp_path / "b")["recorded_in"] == str(tmp_path / "env.yaml")
    assert "toy_reverse" in read_registry_file(chosen).tasks and not user_registry().exists()


def test_forget_removes_your_model_and_eval_then_says_how_to_make_one(tmp_path: Path) -> None:
    summary = train_toy(tmp_path / "run")
    removed = invoke("forget", "toy_reverse")
    assert removed.exit_code == 0, removed.output
    assert f"removed model 'toy_reverse' of task 'toy_reverse' from {user_registry()}" in removed.stdout
    assert Path(summary["checkpoint"]).is_file(), "forget keeps the checkpoint files"
    assert read_registry_file(user_registry()).tasks == {}
    line = in_process_error(invoke("eval", "plugin=toy_reverse"))
    assert f"your registry {user_registry()}" in line and "`trm-hub train plugin=toy_reverse`" in line
    assert str(SHIPPED_REGISTRY) not in line
    assert invoke("train", "plugin=toy_reverse", "--print-config").exit_code == 0, "the suggested command runs"
    assert "no task has a model 'toy_reverse' in your registry" in in_process_error(invoke("forget", "toy_reverse"))


def test_forget_refuses_shipped_models(tmp_path: Path) -> None:
    line = in_process_error(invoke("forget", "sudoku-4x4"))
    assert "model 'sudoku-4x4' of task 'sudoku' is shipped with trm-hub" in line and "only models you recorded" in line
    assert "sudoku-4x4" in read_registry_file(SHIPPED_REGISTRY).tasks["sudoku"].models


def test_a_recorded_model_replaces_the_shipped_one_until_it_is_forgotten(tmp_path: Path) -> None:
    shipped = Registry.load().weights_for("sudoku", "sudoku-4x4")
    mine = tmp_path / "mine" / "sudoku-4x4.safetensors"
    mine.parent.mkdir()
    shutil.copy2(shipped, mine)
    shutil.copy2(shipped.with_suffix(".json"), mine.with_suffix(".json"))
    Registry.load().record("sudoku", "sudoku-4x4", mine, metrics={"note": 1})
    assert Registry.load().weights_for("sudoku", "sudoku-4x4") == mine
    assert "sudoku-4x4 (user, replaces shipped, present" in invoke("tasks").stdout
    removed = invoke("forget", "sudoku-4x4", "--task", "sudoku")
    assert removed.exit_code == 0, removed.output
    assert "the shipped model 'sudoku-4x4' is used again" in removed.stdout
    assert Registry.load().weights_for("sudoku", "sudoku-4x4") == shipped
    assert "sudoku-4x4 (shipped, present, onnx)" in invoke("tasks").stdout


def test_a_registry_that_cannot_be_read_fails_the_recording_but_names_the_checkpoint(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("tasks: [1, 2")
    result = invoke("train", "plugin=toy_reverse", "eval_every=0", "checkpoint_every=0", "eval_samples=8",
                    f"out_dir={tmp_path / 'run'}", "--registry", str(broken))
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    line = result.stderr.strip().splitlines()[-1]
    assert "Traceback" not in result.stderr
    weights = tmp_path / "run" / "toy_reverse.safetensors"
    assert f"trained {weights}, but did not record it" in line and "not valid YAML" in line
    assert weights.is_file() and broken.read_text() == "tasks: [1, 2"
