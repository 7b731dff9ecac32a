"""Plugin loading: in-process plugins, entry points from installed metadata, failures, duplicates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import make_distribution, one_line_error, run_cli
from trm_hub.plugins import (
    DuplicateTaskError,
    PluginError,
    collect_tasks,
    create_plugin_manager,
    load_tasks,
    plugin_rows,
    register_plugin,
)
from trm_hub.task import Task

BUILTINS = {"sudoku", "maze", "arc", "molecule"}


def test_in_process_plugin_registers_its_task() -> None:
    import trm_toy_plugin

    pm = create_plugin_manager(builtins=False, installed=False)
    register_plugin(pm, trm_toy_plugin, name="toy")
    registered = collect_tasks(pm)
    assert list(registered) == ["toy_reverse"]
    assert registered["toy_reverse"].plugin == "toy"
    assert isinstance(load_tasks(pm)["toy_reverse"], Task)


def test_builtin_plugins_come_from_the_trm_hub_distribution() -> None:
    pm = create_plugin_manager(installed=False)
    rows = {row["name"]: row for row in plugin_rows(pm)}
    assert BUILTINS <= set(rows)
    for name in BUILTINS:
        assert rows[name]["distribution"] == "trm-hub"
        assert rows[name]["builtin"] is True
        assert rows[name]["module"] == f"trm_hub_plugins.{name}"


def test_entry_point_from_installed_metadata(toy_site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(toy_site))
    pm = create_plugin_manager()
    names = [name for name, _ in pm.list_name_plugin()]
    assert "toy" in names
    assert names.index("toy") > max(names.index(b) for b in BUILTINS if b in names), "built-ins register first"
    row = next(row for row in plugin_rows(pm) if row["name"] == "toy")
    assert (row["distribution"], row["version"], row["builtin"]) == ("trm-toy", "2.5", False)
    assert row["hooks"] == ["register_tasks"]
    assert collect_tasks(pm)["toy_reverse"].plugin == "toy"


def test_entry_point_discovered_by_the_cli_in_a_subprocess(toy_site: Path) -> None:
    result = run_cli("tasks", "--json", site=toy_site)
    assert result.returncode == 0, result.stderr
    tasks = {row["name"]: row for row in json.loads(result.stdout)}
    assert tasks["toy_reverse"]["plugin"] == "toy"
    assert tasks["toy_reverse"]["description"] == "Reverse four digits (a test task)."
    plugins = {row["name"]: row for row in json.loads(run_cli("plugins", "--json", site=toy_site).stdout)}
    assert plugins["toy"]["distribution"] == "trm-toy"
    assert plugins["toy"]["version"] == "2.5"


def test_load_plugins_env_limits_installed_plugins(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_distribution(site, "trm-toy", {"toy": "trm_toy_plugin"})
    make_distribution(site, "trm-cmd", {"cmd": "trm_cmd_plugin"})
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("TRM_HUB_LOAD_PLUGINS", "")
    names = {name for name, _ in create_plugin_manager().list_name_plugin()}
    assert "toy" not in names and "cmd" not in names
    assert BUILTINS <= names, "built-ins always load"
    monkeypatch.setenv("TRM_HUB_LOAD_PLUGINS", "cmd")
    names = {name for name, _ in create_plugin_manager().list_name_plugin()}
    assert "cmd" in names and "toy" not in names
    monkeypatch.setenv("TRM_HUB_LOAD_PLUGINS", " toy , cmd ")
    names = {name for name, _ in create_plugin_manager().list_name_plugin()}
    assert {"toy", "cmd"} <= names


def test_load_plugins_env_warns_about_names_not_installed(
    toy_site: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.syspath_prepend(str(toy_site))
    monkeypatch.setenv("TRM_HUB_LOAD_PLUGINS", "toy,tyop")
    names = {name for name, _ in create_plugin_manager().list_name_plugin()}
    assert "toy" in names
    assert "TRM_HUB_LOAD_PLUGINS names plugins that are not installed: tyop" in capsys.readouterr().err


def test_broken_plugin_is_a_warning_naming_it(
    site: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    make_distribution(site, "trm-broken", {"broken": "trm_broken_plugin"})
    make_distribution(site, "trm-toy", {"toy": "trm_toy_plugin"})
    monkeypatch.syspath_prepend(str(site))
    pm = create_plugin_manager()
    err = capsys.readouterr().err
    assert "plugin 'broken' (trm-broken 1.0) failed to import" in err
    assert "toy_reverse" in load_tasks(pm)
    failed = next(row for row in plugin_rows(pm) if row["name"] == "broken")
    assert failed["status"] == "failed" and failed["distribution"] == "trm-broken"


def test_broken_plugin_keeps_the_cli_working_unless_strict(site: Path) -> None:
    make_distribution(site, "trm-broken", {"broken": "trm_broken_plugin"})
    make_distribution(site, "trm-toy", {"toy": "trm_toy_plugin"})
    result = run_cli("tasks", "--json", site=site)
    assert result.returncode == 0
    assert "plugin 'broken'" in result.stderr and "broken on purpose" in result.stderr
    assert "toy_reverse" in {row["name"] for row in json.loads(result.stdout)}
    strict = run_cli("tasks", site=site, env={"TRM_HUB_STRICT_PLUGINS": "1"})
    assert strict.returncode != 0
    assert "broken on purpose" in strict.stderr


def test_register_tasks_failure_is_a_warning(site: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    make_distribution(site, "trm-raising", {"raising": "trm_raising_plugin"})
    monkeypatch.syspath_prepend(str(site))
    tasks = load_tasks(create_plugin_manager())
    assert "plugin 'raising'" in capsys.readouterr().err
    monkeypatch.setenv("TRM_HUB_STRICT_PLUGINS", "1")
    with pytest.raises(ValueError, match="cannot register today"):
        load_tasks(create_plugin_manager())
    assert isinstance(tasks, dict)


def test_duplicate_task_names_name_both_plugins(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_distribution(site, "trm-toy", {"toy": "trm_toy_plugin"})
    make_distribution(site, "trm-dup", {"dup": "trm_dup_plugin"})
    monkeypatch.syspath_prepend(str(site))
    with pytest.raises(DuplicateTaskError) as caught:
        load_tasks(create_plugin_manager())
    message = str(caught.value)
    assert "toy_reverse" in message and "'toy'" in message and "'dup'" in message
    line = one_line_error(run_cli("tasks", site=site))
    assert "registered twice" in line and "'toy'" in line and "'dup'" in line


def test_duplicate_in_process_registration() -> None:
    import trm_dup_plugin
    import trm_toy_plugin

    pm = create_plugin_manager(builtins=False, installed=False)
    register_plugin(pm, trm_toy_plugin, name="first")
    register_plugin(pm, trm_dup_plugin, name="second")
    with pytest.raises(DuplicateTaskError) as caught:
        load_tasks(pm)
    assert "'first'" in str(caught.value) and "'second'" in str(caught.value)


def test_misspelt_hook_fails_loudly(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_distribution(site, "trm-misspelt", {"misspelt": "trm_misspelt_plugin"})
    monkeypatch.syspath_prepend(str(site))
    with pytest.raises(PluginError) as caught:
        create_plugin_manager()
    message = str(caught.value)
    assert "'misspelt'" in message and "'register_task'" in message and "did you mean 'register_tasks'" in message
    line = one_line_error(run_cli("tasks", site=site))
    assert "unknown hook 'register_task'" in line


def test_register_commands_adds_a_command(site: Path) -> None:
    make_distribution(site, "trm-cmd", {"cmd": "trm_cmd_plugin"})
    assert "toy-hello" in run_cli("--help", site=site).stdout
    result = run_cli("toy-hello", site=site)
    assert result.returncode == 0 and result.stdout.strip() == "hello from a plugin"


def test_register_rejects_things_that_are_not_tasks() -> None:
    from trm_hub import hookimpl

    class Bad:
        @hookimpl
        def register_tasks(self, register):
            register(object())

    pm = create_plugin_manager(builtins=False, installed=False)
    register_plugin(pm, Bad(), name="bad")
    assert load_tasks(pm) == {}
    assert "not a trm_hub Task" in pm.failures["bad"]
