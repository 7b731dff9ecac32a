"""The trm-hub command line: fast commands, routing output, one-line errors, JSONL, train/eval configs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from conftest import ROOT, in_process_error, one_line_error, run_cli
from trm_hub.cli import cli

EXAMPLES = sorted(ROOT.glob("plugins/*/examples/*.json"))
ANSWER_KEYS = {"task", "confidence", "solution", "verified", "steps", "seconds"}


@pytest.fixture(autouse=True)
def router_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Routers fit during the tests go to one temporary cache, not the user's."""
    folder = tmp_path_factory.getbasetemp() / "router-cache"
    folder.mkdir(exist_ok=True)
    monkeypatch.setenv("TRM_HUB_CACHE", str(folder))
    return folder


def invoke(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=stdin)


def test_help_plugins_tasks_and_dry_run_import_no_torch() -> None:
    dry_run = ["route", "--dry-run", str(EXAMPLES[0])] if EXAMPLES else ["--help"]
    code = (
        "import json, sys\n"
        "from trm_hub.cli import cli\n"
        "def run(args):\n"
        "    try:\n"
        "        cli.main(args=args, prog_name='trm-hub', standalone_mode=False)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "def heavy():\n"
        "    return sorted(m for m in ('torch', 'sklearn', 'safetensors', 'scipy') if m in sys.modules)\n"
        "for args in (['--help'], ['plugins'], ['tasks'], ['tasks', '--json'], ['route', '--help']):\n"
        "    run(args)\n"
        "fast = heavy()\n"
        f"run({dry_run!r})\n"
        "print(json.dumps({'fast': fast, 'dry_run': heavy()}))\n"
    )
    result = run_cli(code=code)
    assert result.returncode == 0, result.stderr
    imported = json.loads(result.stdout.strip().splitlines()[-1])
    assert imported["fast"] == []
    assert "torch" not in imported["dry_run"] and "safetensors" not in imported["dry_run"]


def test_module_entry_point_matches_the_command() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("route", "solve", "train", "eval", "router", "plugins", "tasks"):
        assert f"  {command} " in result.stdout


def test_tasks_lists_the_builtin_tasks_with_their_plugins() -> None:
    result = invoke("tasks", "--json")
    assert result.exit_code == 0, result.output
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    for name, row in rows.items():
        assert row["plugin"] and row["description"]
        assert all(set(w) == {"name", "present", "onnx", "path", "source", "registry", "replaces_shipped"} for w in row["weights"])
    assert {w["source"] for w in rows["sudoku"]["weights"]} == {"shipped"}
    assert all(w["present"] and w["onnx"] for w in rows["sudoku"]["weights"])
    table = invoke("tasks").stdout
    assert table.startswith("TASK") and "sudoku-4x4 (shipped, present, onnx)" in table
    assert "your registry:" in table and "not created yet" in table


def test_plugins_lists_name_package_version_and_hooks() -> None:
    rows = json.loads(invoke("plugins", "--json").stdout)
    assert {row["name"] for row in rows} >= {"sudoku", "maze", "arc", "molecule"}
    assert all(row["distribution"] == "trm-hub" for row in rows if row["builtin"])
    assert invoke("plugins").stdout.startswith("PLUGIN")


@pytest.mark.parametrize("example", EXAMPLES, ids=[f"{p.parent.parent.name}/{p.name}" for p in EXAMPLES])
def test_dry_run_routes_each_shipped_example_to_its_plugin(example: Path) -> None:
    result = invoke("route", "--dry-run", str(example))
    assert result.exit_code == 0, result.output
    decision = json.loads(result.stdout)
    assert set(decision) == {"task", "confidence", "scores"}
    assert decision["task"] == example.parent.parent.name
    assert 0 < decision["confidence"] <= 1


def test_dry_run_reads_stdin() -> None:
    result = invoke("route", "--dry-run", "-", stdin='{"task": "arc", "train": [], "test": []}')
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["task"] == "arc"


def test_problem_no_task_accepts_exits_2_naming_the_closest_tasks(tmp_path: Path) -> None:
    problem = tmp_path / "recipe.json"
    problem.write_text(json.dumps({"recipe": "pancakes", "eggs": 2, "steps": ["mix", "fry"]}))
    line = in_process_error(result := invoke("route", "--dry-run", str(problem)))
    assert result.exit_code == 2
    assert "no task fits" in line and "closest" in line
    assert invoke("route", str(problem)).exit_code == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "invalid JSON in"),
        ("", "is empty"),
        ("[1, 2, 3]", "a problem must be a JSON object, got a list"),
        ('"sudoku"', "got a string"),
        ('{"task": "sudokku", "puzzle": "1"}', "unknown task 'sudokku'"),
        ('{"task": 3}', '"task" key must name a task'),
    ],
)
def test_bad_single_input_is_one_line(tmp_path: Path, content: str, message: str) -> None:
    problem = tmp_path / "problem.json"
    problem.write_text(content)
    for args in (["route", "--dry-run"], ["route"]):
        assert message in in_process_error(invoke(*args, str(problem)))


def test_missing_file_folder_and_binary_input(tmp_path: Path) -> None:
    assert "does not exist" in in_process_error(invoke("route", str(tmp_path / "nope.json")))
    assert "is a folder" in in_process_error(invoke("route", str(tmp_path)))
    binary = tmp_path / "blob.json"
    binary.write_bytes(b"\xff\xfe\x00\x81")
    assert "not UTF-8" in in_process_error(invoke("route", str(binary)))


def test_solve_with_an_unknown_task(tmp_path: Path) -> None:
    problem = tmp_path / "p.json"
    problem.write_text("{}")
    line = in_process_error(invoke("solve", "sudokuu", str(problem)))
    assert "unknown task 'sudokuu'" in line and "known tasks:" in line


def test_bad_input_via_the_real_command_has_no_traceback(tmp_path: Path) -> None:
    problem = tmp_path / "p.json"
    problem.write_text("{oops")
    assert "invalid JSON" in one_line_error(run_cli("route", str(problem)))
    usage = run_cli("route", "--device", "gpu9", str(problem))
    assert usage.returncode == 2 and "Traceback" not in usage.stderr
    assert usage.stderr.strip().splitlines()[-1] == "Error: Invalid value for '--device': use auto, cpu, cuda or cuda:N"


def test_jsonl_gives_one_line_per_input_line_in_order(tmp_path: Path) -> None:
    arc_example = ROOT / "plugins/arc/examples/arc_task.json"
    arc = json.loads(arc_example.read_text()) if arc_example.exists() else None
    lines = [
        json.dumps({"task": "arc", "train": [], "test": []}),
        "{broken",
        "",
        "[1, 2]",
        json.dumps({"task": "nope"}),
        json.dumps({"recipe": "pancakes", "eggs": 2}),
    ]
    if arc is not None:
        lines.append(json.dumps(arc))
    source = tmp_path / "many.jsonl"
    source.write_text("\n".join(lines) + "\n")
    result = invoke("route", "--dry-run", str(source))
    assert result.exit_code == 1
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == len(lines) - 1, "blank lines are skipped; every other line is answered"
    assert out[0]["task"] == "arc"
    assert out[1] == {"task": None, "error": out[1]["error"]} and out[1]["error"].startswith("line 2: invalid JSON")
    assert out[2]["task"] is None and "line 4" in out[2]["error"]
    assert out[3]["task"] is None and "unknown task 'nope'" in out[3]["error"]
    assert out[4]["task"] is None and "no task fits" in out[4]["error"]
    if arc is not None:
        assert out[5]["task"] == "arc"
    assert "problems got no answer" in result.stderr


def test_multi_line_json_objects_are_jsonl_without_the_flag(tmp_path: Path) -> None:
    source = tmp_path / "two.json"
    source.write_text('{"task": "arc", "train": [], "test": []}\n{"task": "arc", "train": [], "test": []}\n')
    result = invoke("route", "--dry-run", str(source))
    assert result.exit_code == 0
    assert [json.loads(line)["task"] for line in result.stdout.splitlines()] == ["arc", "arc"]
    single = tmp_path / "one.json"
    single.write_text('{"task": "arc", "train": [], "test": []}\n')
    flagged = invoke("route", "--dry-run", "--jsonl", str(single))
    assert flagged.exit_code == 0 and len(flagged.stdout.splitlines()) == 1


# --- train / eval configuration (the toy plugin, installed through a fake distribution) ---


@pytest.fixture
def toy_installed(toy_site: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.syspath_prepend(str(toy_site))
    return toy_site


def test_train_print_config_applies_preset_and_overrides(toy_installed: Path) -> None:
    result = invoke("train", "plugin=toy_reverse", "preset=paper", "steps=3", "model.hidden_size=32",
                    "data.tags=[\"a\",\"b\"]", "--print-config")
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed["task"] == "toy_reverse"
    config = printed["config"]
    assert (config["steps"], config["model"]["hidden_size"], config["model"]["num_heads"]) == (3, 32, 4)
    assert config["data"]["tags"] == ["a", "b"]
    by_plugin = json.loads(invoke("train", "plugin=toy", "--print-config").stdout)
    assert by_plugin["task"] == "toy_reverse" and by_plugin["config"]["steps"] == 10


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["plugin=toy_reverse", "lerning_rate=0.1"], "unknown key 'lerning_rate'"),
        (["plugin=toy_reverse", "model.hiden_size=8"], "did you mean 'model.hidden_size'"),
        (["plugin=toy_reverse", "lr=fast"], "bad value for 'lr'"),
        (["plugin=toy_reverse", "preset=huge"], "unknown preset 'huge'"),
        (["plugin=toy_reverse", "checkpoint=x"], "unknown key 'checkpoint'"),
        (["plugin=nope"], "unknown plugin or task 'nope'"),
        (["steps=3"], "say which task: trm-hub train plugin=NAME"),
        (["plugin=toy_reverse", "steps"], "override 'steps' is not key=value"),
    ],
)
def test_train_config_errors_are_one_line(toy_installed: Path, args: list[str], message: str) -> None:
    assert message in in_process_error(invoke("train", *args, "--print-config"))
    assert message in in_process_error(invoke("train", *args))


def test_eval_print_config_takes_a_checkpoint(toy_installed: Path) -> None:
    result = invoke("eval", "plugin=toy_reverse", "checkpoint=runs/x", "data.test_size=4", "--print-config")
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed["checkpoint"] == "runs/x" and printed["config"]["data"]["test_size"] == 4
    assert "does not exist" in in_process_error(invoke("eval", "plugin=toy_reverse", "checkpoint=runs/none"))
    assert "no trained weights" in in_process_error(invoke("eval", "plugin=toy_reverse"))


# --- answering end to end with a real (untrained) checkpoint of the toy task ---


@pytest.fixture
def toy_registry(tmp_path: Path) -> Path:
    """A user registry holding a freshly initialised toy_reverse checkpoint."""
    import torch
    from trm_toy_plugin.task import ToyRecipe

    from trm_hub.model import TRM, save_checkpoint
    from trm_hub.registry import Registry

    cfg = ToyRecipe.model_validate(ToyRecipe.presets["cpu"])
    torch.manual_seed(0)
    weights = save_checkpoint(
        tmp_path / "ckpt" / "toy_reverse",
        TRM(cfg.model),
        {"task": "toy_reverse", "task_version": "0.1.0", "model_name": "toy_reverse",
         "train": cfg.model_dump(mode="json"), "metrics": {"exact": 0.0}, "step": 0},
    )
    user = tmp_path / "user-registry.yaml"
    Registry.load(user).record("toy_reverse", "toy_reverse", weights, metrics={"exact": 0.0})
    return user


def check_answer(answer: dict[str, Any], confidence: float | None) -> None:
    assert set(answer) == ANSWER_KEYS
    assert answer["task"] == "toy_reverse" and answer["confidence"] == confidence
    assert len(answer["solution"]["digits"]) == 4
    assert isinstance(answer["verified"], bool)
    assert 1 <= answer["steps"] <= 2 and answer["seconds"] >= 0


def test_solve_and_route_answer_with_a_registered_checkpoint(toy_site: Path, toy_registry: Path, tmp_path: Path) -> None:
    problem = tmp_path / "p.json"
    problem.write_text(json.dumps({"reverse": [1, 2, 3, 4]}))
    solved = run_cli("solve", "toy_reverse", str(problem), "--registry", str(toy_registry), "--device", "cpu", site=toy_site)
    assert solved.returncode == 0, solved.stderr
    check_answer(json.loads(solved.stdout), None)

    many = tmp_path / "many.jsonl"
    many.write_text("\n".join([
        json.dumps({"task": "toy_reverse", "reverse": [1, 2, 3, 4]}),
        json.dumps({"task": "toy_reverse", "reverse": [1, 2, 3]}),
        json.dumps({"task": "toy_reverse", "reverse": [9, 8, 7, 6]}),
    ]))
    routed = run_cli("route", str(many), "--device", "cpu", site=toy_site, env={"TRM_HUB_REGISTRY": str(toy_registry)})
    assert routed.returncode == 1
    out = [json.loads(line) for line in routed.stdout.splitlines()]
    assert len(out) == 3
    check_answer(out[0], 1.0)
    assert out[1]["task"] is None and "not a valid toy_reverse problem: reverse: needs exactly 4 digits" in out[1]["error"]
    check_answer(out[2], 1.0)


def test_tampered_checkpoint_is_refused_with_both_hashes(toy_site: Path, toy_registry: Path, tmp_path: Path) -> None:
    weights = tmp_path / "ckpt" / "toy_reverse.safetensors"
    expected = next(line for line in toy_registry.read_text().splitlines() if "sha256:" in line and "config" not in line)
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    problem = tmp_path / "p.json"
    problem.write_text(json.dumps({"reverse": [1, 2, 3, 4]}))
    line = one_line_error(run_cli("solve", "toy_reverse", str(problem), "--registry", str(toy_registry), site=toy_site))
    assert str(weights) in line and expected.split()[-1] in line and line.count("sha256") == 2


def test_route_without_weights_says_how_to_train(toy_site: Path, tmp_path: Path) -> None:
    problem = tmp_path / "p.json"
    problem.write_text(json.dumps({"task": "toy_reverse", "reverse": [1, 2, 3, 4]}))
    line = one_line_error(run_cli("route", str(problem), site=toy_site))
    assert "task 'toy_reverse' has no trained weights" in line and "trm-hub train plugin=toy_reverse" in line
