"""Shared test helpers: throwaway plugins, fake installed distributions, CLI runs in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Iterator

import pytest

from trm_hub.plugins import reset_plugin_manager

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_PLUGINS = Path(__file__).resolve().parent / "fixtures_plugins"
HUB_ENV = ("TRM_HUB_LOAD_PLUGINS", "TRM_HUB_STRICT_PLUGINS", "TRM_HUB_REGISTRY", "TRM_HUB_DEBUG", "TRM_HUB_RUNTIME")

USER_DATA = tempfile.TemporaryDirectory(prefix="trm-hub-test-data-")
os.environ["XDG_DATA_HOME"] = USER_DATA.name

if str(FIXTURE_PLUGINS) not in sys.path:
    sys.path.insert(0, str(FIXTURE_PLUGINS))


@pytest.fixture(autouse=True)
def clean_hub_state(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Each test starts with no trm-hub environment variables, a fresh plugin manager and an empty
    user data folder of its own (so the user registry is never the real one, here or in a subprocess)."""
    for name in HUB_ENV:
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("user-data")))
    reset_plugin_manager()
    yield
    reset_plugin_manager()


def make_distribution(site: Path, name: str, entry_points: dict[str, str], version: str = "1.0") -> Path:
    """Write `<name>-<version>.dist-info` with METADATA and a `trm_hub` entry-point group into `site`."""
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    lines = "".join(f"{key} = {value}\n" for key, value in entry_points.items())
    (info / "entry_points.txt").write_text(f"[trm_hub]\n{lines}")
    return info


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """An empty folder that will hold fake installed distributions."""
    folder = tmp_path / "site"
    folder.mkdir()
    return folder


@pytest.fixture
def toy_site(site: Path) -> Path:
    """A site with the `trm-toy` distribution installed (entry point `toy` -> trm_toy_plugin)."""
    make_distribution(site, "trm-toy", {"toy": "trm_toy_plugin"}, version="2.5")
    return site


def run_cli(
    *args: str,
    site: Path | None = None,
    env: dict[str, str] | None = None,
    stdin: str | None = None,
    code: str | None = None,
    timeout: float = 120,
    drop: tuple[str, ...] = (),
) -> subprocess.CompletedProcess[str]:
    """Run `python -m trm_hub ARGS` (or `python -c CODE`) with `site` and the fixture plugins importable
    (`drop` names environment variables to leave out)."""
    paths = [str(FIXTURE_PLUGINS)] + ([str(site)] if site else [])
    full_env = {key: value for key, value in os.environ.items() if key not in HUB_ENV and key not in drop}
    full_env["PYTHONPATH"] = os.pathsep.join(paths + [full_env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    full_env.update(env or {})
    command = [sys.executable, "-c", code, *args] if code else [sys.executable, "-m", "trm_hub", *args]
    return subprocess.run(
        command,
        input=stdin,
        stdin=subprocess.DEVNULL if stdin is None else None,
        capture_output=True,
        text=True,
        env=full_env,
        cwd=ROOT,
        timeout=timeout,
    )


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    """Assert a failed run printed exactly one error line and no traceback; return that line."""
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip() and "warning:" not in line]
    assert len(lines) == 1, result.stderr
    return lines[0]


def in_process_error(result) -> str:
    """Assert an in-process CLI run (click's CliRunner) failed with one error line and no exception
    escaping; return that line."""
    assert result.exit_code != 0, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]
