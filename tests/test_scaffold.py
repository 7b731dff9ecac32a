"""`trm-hub new-plugin`: names, target folder, the written package, and the plugin end to end."""

from __future__ import annotations

import ast
import fnmatch
import importlib.util
import json
import os
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import ROOT, one_line_error, run_cli
from trm_hub.cli import cli
from trm_hub.registry import read_registry_file, sha256_of
from trm_hub.scaffold import ScaffoldError, plugin_names, render, template_root, write_plugin

CASES = Path(__file__).resolve().parent / "router_cases"
BUILTIN_CASES = ["sudoku--string-dots-9x9", "maze--ascii-rows", "arc--tiny-flip", "molecule--caffeine"]


def test_names_follow_the_plugin_name() -> None:
    names = plugin_names("digit-sort")
    assert (names.name, names.module, names.distribution, names.cls) == (
        "digit-sort", "trm_hub_digit_sort", "trm-hub-digit-sort", "DigitSortTask",
    )
    assert plugin_names("sort3").cls == "Sort3Task"
    assert plugin_names("class").module == "trm_hub_class"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Sort", "bad plugin name 'Sort': use lowercase letters"),
        ("3sort", "starting with a letter"),
        ("digit__sort", "words joined by '_' or '-'"),
        ("sort-", "words joined by '_' or '-'"),
        ("a" * 41, "at most 40 characters"),
        ("plugins", "it is reserved \\(trm_hub_plugins is the package of the built-in plugins\\)"),
    ],
)
def test_bad_names_are_refused_with_one_line(name: str, message: str) -> None:
    with pytest.raises(ScaffoldError, match=message):
        plugin_names(name)


def test_a_name_taken_by_an_installed_task_is_refused() -> None:
    with pytest.raises(ScaffoldError, match="a task named 'maze' is already installed"):
        plugin_names("maze", taken=["sudoku", "maze"])


def test_an_existing_target_is_refused_but_an_empty_folder_is_used(tmp_path: Path) -> None:
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine")
    (tmp_path / "file").write_text("x")
    with pytest.raises(ScaffoldError, match="already exists and is not empty"):
        write_plugin("digitsort", tmp_path / "full")
    with pytest.raises(ScaffoldError, match="already exists and is a file"):
        write_plugin("digitsort", tmp_path / "file")
    assert (tmp_path / "full" / "keep.txt").read_text() == "mine"
    (tmp_path / "empty").mkdir()
    folder, files = write_plugin("digitsort", tmp_path / "empty")
    assert folder == tmp_path / "empty" and "trm_hub_digitsort/task.py" in files


def test_the_plugin_is_written_like_a_builtin(tmp_path: Path) -> None:
    folder, files = write_plugin("digit-sort", tmp_path / "p")
    assert files == [
        "README.md", "pyproject.toml", "tests/test_digit_sort.py",
        "trm_hub_digit_sort/__init__.py", "trm_hub_digit_sort/task.py",
    ]
    project = tomllib.loads((folder / "pyproject.toml").read_text())
    assert project["project"]["name"] == "trm-hub-digit-sort"
    assert project["project"]["entry-points"]["trm_hub"] == {"digit-sort": "trm_hub_digit_sort"}
    init = ast.parse((folder / "trm_hub_digit_sort/__init__.py").read_text())
    hooks = [node for node in init.body if isinstance(node, ast.FunctionDef)]
    assert [hook.name for hook in hooks] == ["register_tasks"]
    assert [ast.unparse(d) for d in hooks[0].decorator_list] == ["hookimpl"]
    for path in files:
        if path.endswith(".py"):
            tree = ast.parse((folder / path).read_text())
            imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                        for alias in node.names}
            imported |= {(node.module or "").split(".")[0] for node in tree.body if isinstance(node, ast.ImportFrom)}
            assert "torch" not in imported, path
    task_py = (folder / "trm_hub_digit_sort/task.py").read_text()
    assert 'name: ClassVar[str] = "digit-sort"' in task_py and '{"cpu": CPU_PRESET}' in task_py


def test_the_template_is_package_data() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = project["tool"]["setuptools"]["package-data"]["trm_hub"]
    package = ROOT / "trm_hub"
    templates = [p.relative_to(package).as_posix() for p in Path(str(template_root())).rglob("*") if p.is_file()]
    assert templates
    for relative in templates:
        assert any(fnmatch.fnmatch(relative, pattern) and relative.count("/") == pattern.count("/")
                   for pattern in patterns), f"{relative} is not package data"


def test_the_cli_writes_the_plugin(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["new-plugin", "digitsort", "--dir", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "wrote plugin 'digitsort'" in result.output and "pip install -e" in result.output
    expected = render(plugin_names("digitsort"))
    assert {p: (tmp_path / "out" / p).read_text() for p in expected} == expected


def test_the_cli_refuses_a_bad_name_and_a_builtin_name_in_one_line(tmp_path: Path) -> None:
    assert "bad plugin name 'My Plugin'" in one_line_error(run_cli("new-plugin", "My Plugin", "--dir", str(tmp_path / "a")))
    assert "a task named 'sudoku' is already installed" in one_line_error(
        run_cli("new-plugin", "sudoku", "--dir", str(tmp_path / "b"))
    )
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def can_build_offline() -> bool:
    """Whether this environment's setuptools can build a wheel itself (else pip fetches one to build with)."""
    try:
        version = tuple(int(part) for part in metadata.version("setuptools").split(".")[:2])
    except (metadata.PackageNotFoundError, ValueError):
        return False
    return version >= (70, 1) or (version >= (61, 0) and importlib.util.find_spec("wheel") is not None)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """`trm-hub new-plugin e2esort` installed with real distribution metadata into a throwaway site."""
    root = tmp_path_factory.mktemp("e2e")
    made = run_cli("new-plugin", "e2esort", "--dir", str(root / "trm-hub-e2esort"))
    assert made.returncode == 0, made.stderr
    offline = ["--no-build-isolation", "--no-index"] if can_build_offline() else []
    pip = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", *offline,
         "--target", str(root / "site"), str(root / "trm-hub-e2esort")],
        capture_output=True, text=True, timeout=300,
    )
    assert pip.returncode == 0, pip.stderr
    return {"root": root, "site": root / "site", "plugin": root / "trm-hub-e2esort"}


def hub_env(root: Path) -> dict[str, str]:
    return {"TRM_HUB_CACHE": str(root / "cache"), "TRM_HUB_REGISTRY": str(root / "registry.yaml")}


def test_the_installed_plugin_is_listed_with_its_distribution(installed: dict[str, Path]) -> None:
    result = run_cli("plugins", "--json", site=installed["site"], env=hub_env(installed["root"]))
    assert result.returncode == 0, result.stderr
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert rows["e2esort"]["distribution"] == "trm-hub-e2esort" and rows["e2esort"]["status"] == "ok"
    assert rows["e2esort"]["hooks"] == ["register_tasks"] and not rows["e2esort"]["builtin"]


def test_the_scaffolded_plugins_own_tests_pass(installed: dict[str, Path]) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("TRM_HUB_")}
    env["PYTHONPATH"] = os.pathsep.join([str(installed["site"]), str(ROOT)])
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=installed["plugin"], env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert " passed" in result.stdout and "failed" not in result.stdout


def test_train_then_eval_and_route_use_the_new_model_in_a_fresh_home(installed: dict[str, Path]) -> None:
    """What a new user does: scaffold, install, train (tiny), eval, route; then forget the model."""
    root, site = installed["root"], installed["site"]
    home = root / "home"
    home.mkdir()
    env = {"TRM_HUB_CACHE": str(root / "cache"), "HOME": str(home)}
    drop = ("XDG_DATA_HOME",)
    tiny = ["eval_every=0", "checkpoint_every=0", "eval_samples=64", "data.train_size=2000", "data.test_size=64",
            "threads=1"]
    trained = run_cli("train", "plugin=e2esort", "steps=30", *tiny, f"out_dir={root / 'runs'}",
                      site=site, env=env, drop=drop, timeout=300)
    assert trained.returncode == 0, trained.stderr[-2000:]
    summary = json.loads(trained.stdout)
    weights = Path(summary["checkpoint"])
    user_registry = home / ".local" / "share" / "trm-hub" / "registry.yaml"
    assert summary["model_name"] == "e2esort" and summary["recorded_in"] == str(user_registry)
    entry = read_registry_file(user_registry).tasks["e2esort"].models["e2esort"]
    assert entry.sha256 == sha256_of(weights)
    assert Path(summary["curves"]).read_bytes()[:4] == b"\x89PNG"

    report = run_cli("eval", "plugin=e2esort", *tiny, site=site, env=env, drop=drop, timeout=300)
    assert report.returncode == 0, report.stderr[-2000:]
    evaluated = json.loads(report.stdout)
    assert Path(evaluated["checkpoint"]) == weights and evaluated["test"]["examples"] == 64

    problem = root / "problem.json"
    problem.write_text('{"digits": [3, 1, 2]}')
    routed = run_cli("route", str(problem), site=site, env=env, drop=drop, timeout=300)
    assert routed.returncode == 0, routed.stderr
    answer = json.loads(routed.stdout)
    assert answer["task"] == "e2esort" and answer["confidence"] > 0.5
    assert len(answer["solution"]["digits"]) == 3 and isinstance(answer["verified"], bool)
    refit = [line for line in routed.stderr.splitlines() if "refit the router" in line]
    assert len(refit) == 1 and "added e2esort" in refit[0]

    listed = run_cli("tasks", "--json", site=site, env=env, drop=drop)
    (model,) = {row["name"]: row for row in json.loads(listed.stdout)}["e2esort"]["weights"]
    assert (model["source"], model["registry"], model["path"]) == ("user", str(user_registry), str(weights))

    forgotten = run_cli("forget", "e2esort", site=site, env=env, drop=drop)
    assert forgotten.returncode == 0, forgotten.stderr
    line = one_line_error(run_cli("route", str(problem), site=site, env=env, drop=drop, timeout=300))
    assert f"your registry {user_registry}" in line and "/site-packages/" not in line
    suggested = line.split("`")[1]
    assert suggested == "trm-hub train plugin=e2esort"
    works = run_cli(*suggested.split()[1:], "--print-config", site=site, env=env, drop=drop)
    assert works.returncode == 0 and json.loads(works.stdout)["task"] == "e2esort"

    many = root / "many.jsonl"
    lines = [json.loads((CASES / f"{case}.json").read_text()) for case in BUILTIN_CASES]
    many.write_text("\n".join(json.dumps(p) for p in [*lines, {"digits": "9 4 7 0"}]) + "\n")
    dry = run_cli("route", "--dry-run", str(many), site=site, env=env, drop=drop, timeout=300)
    assert dry.returncode == 0, dry.stderr
    routed_to = [json.loads(line)["task"] for line in dry.stdout.splitlines()]
    assert routed_to == [case.split("--")[0] for case in BUILTIN_CASES] + ["e2esort"]
    assert "refit" not in dry.stderr


@pytest.mark.slow
def test_the_cpu_preset_trains_a_model_that_sorts(installed: dict[str, Path]) -> None:
    root, site = installed["root"], installed["site"]
    env = {**hub_env(root), "TRM_HUB_REGISTRY": str(root / "full-registry.yaml")}
    trained = run_cli("train", "plugin=e2esort", f"out_dir={root / 'full'}", site=site, env=env, timeout=1800)
    assert trained.returncode == 0, trained.stderr[-2000:]
    report = run_cli("eval", "plugin=e2esort", site=site, env=env, timeout=600)
    assert report.returncode == 0, report.stderr[-2000:]
    assert json.loads(report.stdout)["test"]["exact_accuracy"] >= 0.97
    many = root / "lists.jsonl"
    many.write_text("".join(json.dumps({"digits": digits}) + "\n" for digits in
                            [[3, 1, 2], [9, 0], [5, 5, 1, 7, 0, 2, 8, 4], "4 4 2", [7]]))
    routed = run_cli("route", str(many), site=site, env=env, timeout=600)
    assert routed.returncode == 0, routed.stderr
    answers = [json.loads(line) for line in routed.stdout.splitlines()]
    assert [a["task"] for a in answers] == ["e2esort"] * 5
    assert sum(a["verified"] for a in answers) >= 4, answers
