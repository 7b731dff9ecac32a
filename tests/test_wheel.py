"""A built wheel carries the shipped registry and weights; a plain (not editable) install finds and checks them."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, one_line_error

SOURCES = ["pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "registry.yaml", "trm_hub", "plugins"]
NOT_LINKED = ("trm_hub", "trm-hub", "__editable__", "__pycache__")
TRAIN_ONLY = {"torch", "functorch", "torchgen", "onnx", "onnxscript", "onnx_ir"}  # the `train` extra
EXAMPLE = ROOT / "plugins" / "sudoku" / "examples" / "sudoku6.json"


def package_path(reference: str) -> str:
    """`pkg.module:relative/file` -> the file's path inside a wheel."""
    package, relative = reference.split(":", 1)
    return f"{package.replace('.', '/')}/{relative}"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project built as a wheel from a copy of its sources (so no build/ folder is left in the checkout)."""
    root = tmp_path_factory.mktemp("wheel")
    source = root / "source"
    source.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(ROOT / name, source / name)
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
         str(source), "-w", str(root / "dist")],
        capture_output=True, text=True, timeout=300,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    (found,) = (root / "dist").glob("trm_hub-*.whl")
    return found


def test_the_wheel_carries_the_registry_and_every_file_it_names(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        assert "trm_hub/registry.yaml" in names
        assert archive.read("trm_hub/registry.yaml") == (ROOT / "registry.yaml").read_bytes()
        registry = yaml.safe_load(archive.read("trm_hub/registry.yaml"))
        checked = 0
        for task in registry["tasks"].values():
            for model in task["models"].values():
                weights = package_path(model["weights"])
                assert weights in names, f"{weights} is not in the wheel"
                assert hashlib.sha256(archive.read(weights)).hexdigest() == model["sha256"]
                config = weights.removesuffix(".safetensors") + ".json"
                assert hashlib.sha256(archive.read(config)).hexdigest() == model["config_sha256"]
                checked += 1
    assert checked >= 8


def site_packages(venv: Path) -> Path:
    return venv / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A fresh environment with the wheel installed (not editable) and the test environment's other
    packages linked in, except torch and the ONNX exporter (a plain install has neither), so that
    neither the repository checkout nor torch is importable from it."""
    root = tmp_path_factory.mktemp("installed")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    site = site_packages(venv)
    here = {Path(sysconfig.get_paths()[key]) for key in ("purelib", "platlib")}
    for folder in here:
        for entry in folder.iterdir():
            package = entry.name.split("-")[0].lower()
            if entry.name.lower().startswith(NOT_LINKED) or package in TRAIN_ONLY or (site / entry.name).exists():
                continue
            (site / entry.name).symlink_to(entry)
    pip = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", "--target", str(site), str(wheel)],
        capture_output=True, text=True, timeout=300,
    )
    assert pip.returncode == 0, pip.stderr[-3000:]
    work = root / "work"
    work.mkdir()
    shutil.copy2(EXAMPLE, work / "sudoku6.json")
    return {"python": venv / "bin" / "python", "site": site, "work": work, "root": root}


def run_installed(installed: dict[str, Path], *args: str, code: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed trm-hub from a folder outside the repository, with nothing of the checkout on the path."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("TRM_HUB_") and key != "PYTHONPATH"}
    env.update({"XDG_DATA_HOME": str(installed["root"] / "data"), "TRM_HUB_CACHE": str(installed["root"] / "cache")})
    command = [str(installed["python"]), *(["-c", code] if code else ["-m", "trm_hub"]), *args]
    return subprocess.run(command, cwd=installed["work"], env=env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=300)


def test_a_plain_install_reads_its_packaged_registry_not_the_checkout(installed: dict[str, Path]) -> None:
    shown = run_installed(installed, code=(
        "import json, trm_hub, trm_hub_plugins; from trm_hub.registry import SHIPPED_REGISTRY; "
        "print(json.dumps([trm_hub.__file__, trm_hub_plugins.__file__, str(SHIPPED_REGISTRY)]))"
    ))
    assert shown.returncode == 0, shown.stderr
    site = installed["site"]
    assert [Path(p) for p in json.loads(shown.stdout)] == [
        site / "trm_hub" / "__init__.py", site / "trm_hub_plugins" / "__init__.py", site / "trm_hub" / "registry.yaml",
    ]
    tasks = run_installed(installed, "tasks", "--json")
    assert tasks.returncode == 0, tasks.stderr
    models = [model for row in json.loads(tasks.stdout) for model in row["weights"]]
    assert len(models) >= 8 and all(model["present"] and model["source"] == "shipped" for model in models)
    assert {model["registry"] for model in models} == {str(site / "trm_hub" / "registry.yaml")}


def test_a_plain_install_answers_with_verified_weights_and_refuses_tampered_ones(installed: dict[str, Path]) -> None:
    routed = run_installed(installed, "route", "sudoku6.json", "--device", "cpu")
    assert routed.returncode == 0, routed.stderr
    answer = json.loads(routed.stdout)
    assert answer["task"] == "sudoku" and answer["verified"] is True

    weights = installed["site"] / "trm_hub_plugins" / "sudoku" / "weights" / "sudoku-6x6.safetensors"
    assert not weights.is_symlink()
    original = weights.read_bytes()
    data = bytearray(original)
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    try:
        line = one_line_error(run_installed(installed, "route", "sudoku6.json", "--device", "cpu"))
    finally:
        weights.write_bytes(original)
    assert str(weights) in line and "does not match the registry" in line


def test_a_plain_install_has_no_torch_and_answers_every_shipped_example_with_onnxruntime(installed: dict[str, Path]) -> None:
    probe = run_installed(installed, code="import importlib.util as u; print(u.find_spec('torch') is None, u.find_spec('onnxruntime') is not None)")
    assert probe.stdout.split() == ["True", "True"], probe.stderr
    for example in sorted((ROOT / "plugins").glob("*/examples/*.json")):
        shutil.copy2(example, installed["work"] / example.name)
        routed = run_installed(installed, "route", example.name)
        assert routed.returncode == 0, f"{example.name}: {routed.stderr}"
        answer = json.loads(routed.stdout)
        assert answer["task"] == example.parent.parent.name and answer["solution"], example.name
        if answer["task"] in ("sudoku", "maze"):
            assert answer["verified"] is True, example.name


def test_a_plain_install_says_in_one_line_what_needs_torch(installed: dict[str, Path]) -> None:
    line = one_line_error(run_installed(installed, "train", "plugin=sudoku", "steps=1"))
    assert "needs torch" in line and "trm-hub[train]" in line
    line = one_line_error(run_installed(installed, "route", "sudoku6.json", "--runtime", "torch"))
    assert "needs torch" in line and "pip install" in line


def test_a_plain_install_answers_a_new_arc_task_without_test_time_training_and_says_why(installed: dict[str, Path]) -> None:
    problem = installed["work"] / "new_arc.json"
    problem.write_text(json.dumps({"train": [{"input": [[1, 2], [3, 4]], "output": [[4, 3], [2, 1]]}],
                                   "test": [{"input": [[5, 6], [7, 8]]}]}))
    solved = run_installed(installed, "solve", "arc", problem.name)
    assert solved.returncode == 0, solved.stderr
    answer = json.loads(solved.stdout)
    assert answer["solution"]["puzzle_ids"] == "blank" and answer["solution"]["ttt"] is None
    assert "test-time training needs torch" in solved.stderr and "trm-hub[train]" in solved.stderr
