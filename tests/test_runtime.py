"""The onnxruntime runtime answers as torch does; step graphs are checked like weights; bundles."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import ROOT, one_line_error, run_cli
from trm_hub.registry import Registry
from trm_hub.runtime import choose_runtime

sys.path.insert(0, str(ROOT / "benchmarks"))
from held_out import SHIPPED, held_out  # noqa: E402

LIMITS = {"sudoku-4x4": 32, "sudoku-6x6": 32, "sudoku-9x9": 64, "maze": 24, "arc": 3,
          "molecule-solubility": 40, "molecule-hydration_free_energy": 40, "molecule-lipophilicity": 40}
EXAMPLE = ROOT / "plugins" / "sudoku" / "examples" / "sudoku6.json"


def answers_in(runtime: str, model_name: str, monkeypatch: pytest.MonkeyPatch) -> list:
    monkeypatch.setenv("TRM_HUB_ARC_TTT_SECONDS", "0")
    monkeypatch.setenv("TRM_HUB_ARC_SELECT", "vote")  # the experts' log-probabilities are torch's only
    monkeypatch.setenv("TRM_HUB_PRECISION", "float32")
    task, problems = held_out(model_name, LIMITS[model_name])
    return task.solve(problems, device="cpu", runtime=runtime)


@pytest.mark.parametrize("model_name", SHIPPED)
def test_onnxruntime_gives_the_answers_torch_gives_on_held_out_problems(model_name: str, monkeypatch) -> None:
    """Same solutions (molecule values within 1e-3) and the same verified count, problem by problem."""
    torch_answers = answers_in("torch", model_name, monkeypatch)
    onnx_answers = answers_in("onnx", model_name, monkeypatch)
    assert len(torch_answers) == len(onnx_answers) == LIMITS[model_name]
    for a, b in zip(torch_answers, onnx_answers):
        assert a.verified == b.verified and a.steps == b.steps
        if model_name.startswith("molecule"):
            for p, q in zip(a.solution.predictions, b.solution.predictions):
                assert abs(p.value - q.value) < 1e-3 and abs(p.uncertainty - q.uncertainty) < 1e-3
        else:
            assert a.solution == b.solution


def test_auto_answers_with_onnxruntime_on_cpu_where_a_graph_is_recorded() -> None:
    graph = Registry.load().graph_for("sudoku", "sudoku-6x6")
    assert graph is not None and graph.suffix == ".onnx"
    assert choose_runtime("auto", "cpu", graph) == "onnx"
    assert choose_runtime("auto", "cpu", None) == "torch"
    assert choose_runtime("torch", "cpu", graph) == "torch"


def test_both_runtimes_route_the_example_from_the_cli() -> None:
    for runtime in ("torch", "onnx"):
        result = run_cli("route", str(EXAMPLE), "--device", "cpu", "--runtime", runtime)
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["verified"] is True
    line = one_line_error(run_cli("route", str(EXAMPLE), "--runtime", "onnx", "--device", "cuda"))
    assert "onnx" in line and "cpu" in line


def copied_model(tmp_path: Path, model_name: str = "sudoku-6x6") -> tuple[Path, Path]:
    """The shipped model's files copied into tmp_path and recorded in a user registry there."""
    weights = Registry.load().weights_for("sudoku", model_name)
    for suffix in (".safetensors", ".json", ".onnx"):
        shutil.copy2(weights.with_suffix(suffix), tmp_path / f"{model_name}{suffix}")
    registry_path = tmp_path / "registry.yaml"
    Registry.load(registry_path).record("sudoku", model_name, tmp_path / f"{model_name}.safetensors", target=registry_path)
    return tmp_path / f"{model_name}.onnx", registry_path


def test_a_tampered_step_graph_is_refused_like_tampered_weights(tmp_path: Path) -> None:
    graph, registry_path = copied_model(tmp_path)
    fine = run_cli("route", str(EXAMPLE), "--registry", str(registry_path), "--runtime", "onnx")
    assert fine.returncode == 0 and json.loads(fine.stdout)["verified"] is True
    data = bytearray(graph.read_bytes())
    data[len(data) // 2] ^= 0xFF
    graph.write_bytes(bytes(data))
    line = one_line_error(run_cli("route", str(EXAMPLE), "--registry", str(registry_path)))
    assert str(graph) in line and "ONNX step graph" in line and "does not match the registry" in line


def test_an_exported_bundle_answers_as_the_hub_does_and_checks_its_hashes(tmp_path: Path, monkeypatch) -> None:
    from trm_hub.bundle import load_bundle

    monkeypatch.setenv("TRM_HUB_PRECISION", "float32")
    out = tmp_path / "bundle"
    result = run_cli("export", "sudoku-9x9", "--out", str(out), "--quantize", "int8")
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert set(printed["graphs"]) == {"float32", "int8"}
    info = json.loads((out / "sudoku-9x9.json").read_text())
    assert info["task"] == "sudoku" and info["layout"] == "sequence" and info["seq_len"] == 81
    entry, _ = Registry.load().entry("sudoku", "sudoku-9x9")
    shipped = json.loads(Registry.load().weights_path("sudoku", "sudoku-9x9").with_suffix(".json").read_text())
    assert info["halting"] == {"threshold": shipped["train"]["halt_threshold"], "max_steps": 8}
    assert info["task_settings"]["views"] == 8
    assert info["source"]["weights_sha256"] == entry.sha256 and info["source"]["onnx_sha256"] == entry.onnx_sha256

    task, problems = held_out("sudoku-9x9", 32)
    inputs = np.stack([task.encode(p, None) for p in problems])
    hub = task.load_engine(Registry.load(), "sudoku-9x9", "cpu", "torch")[0].infer(inputs, halt_threshold=2.0)
    bundled = load_bundle(out).infer(inputs, halt_threshold=2.0)
    assert (bundled.outputs == hub.outputs).all() and (bundled.steps == hub.steps).all()
    quantised = load_bundle(out, "int8").infer(inputs, halt_threshold=2.0)
    assert quantised.outputs.shape == hub.outputs.shape

    graph = out / "sudoku-9x9.onnx"
    graph.write_bytes(graph.read_bytes()[:-1] + b"\0")
    from trm_hub.errors import HubError

    with pytest.raises(HubError, match="does not match its bundle"):
        load_bundle(out)


def test_export_names_an_unknown_model_in_one_line(tmp_path: Path) -> None:
    line = one_line_error(run_cli("export", "no-such-model", "--out", str(tmp_path)))
    assert "no-such-model" in line and "trm-hub tasks" in line


def test_the_deploy_page_loop_runs_an_exported_bundle(tmp_path: Path) -> None:
    """docs/deploy.md's Python example, run as written against a freshly exported maze bundle."""
    text = (ROOT / "docs" / "deploy.md").read_text()
    code = text.split("```python\n", 1)[1].split("```", 1)[0]
    out = tmp_path / "maze-bundle"
    assert run_cli("export", "maze", "--out", str(out)).returncode == 0
    task, problems = held_out("maze", 40)
    problems = [p for p in problems if (p.height, p.width) == (15, 15)][:4]  # one canvas for every row
    engine, checkpoint = task.load_engine(Registry.load(), "maze", "cpu", "torch")
    inputs = np.stack([task.encode(p, checkpoint.recipe) for p in problems])
    scope: dict = {}
    exec(compile(code, "docs/deploy.md", "exec"), scope)
    outputs, steps = scope["answer"](str(out / "maze.json"), inputs)
    hub = engine.infer(inputs, halt_threshold=checkpoint.recipe.halt_threshold)
    assert (outputs == hub.outputs).all() and (steps == hub.steps).all()


@pytest.mark.parametrize("runtime", ["torch", "onnx"])
def test_settle_stops_the_rows_it_names_after_the_step_it_names_them(runtime: str, monkeypatch) -> None:
    """`settle` sees every running row by its index in the whole batch (across passes) with its
    answer, and a row it stops keeps the answer of that step, as if answered with that step limit."""
    from trm_hub_plugins.sudoku.task import SudokuTask

    monkeypatch.setenv("TRM_HUB_PRECISION", "float32")
    engine, _ = SudokuTask().load_engine(Registry.load(), "sudoku-6x6", "cpu", runtime=runtime)
    _, problems = held_out("sudoku-6x6", 10)
    inputs = np.stack([SudokuTask().encode(p) for p in problems])
    seen: dict[int, list[int]] = {}

    def settle(step: int, rows: np.ndarray, outputs: np.ndarray) -> np.ndarray:
        assert outputs.shape == (len(rows), inputs.shape[1])
        for r in rows.tolist():
            seen.setdefault(r, []).append(step)
        return (rows % 2 == 0) & (step == 2)

    settled = engine.infer(inputs, adaptive=False, max_steps=5, rows=3, settle=settle)
    two, five = (engine.infer(inputs, adaptive=False, max_steps=k, rows=3) for k in (2, 5))
    even = np.arange(len(inputs)) % 2 == 0
    assert seen == {r: [1, 2] if r % 2 == 0 else [1, 2, 3, 4, 5] for r in range(len(inputs))}
    assert settled.steps.tolist() == [2 if e else 5 for e in even]
    assert np.array_equal(settled.outputs[even], two.outputs[even])
    assert np.array_equal(settled.outputs[~even], five.outputs[~even])
