"""`trm-hub new-plugin`: write a working task-plugin package from the template in trm_hub/templates/plugin."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from string import Template
from typing import Iterable, Iterator

from trm_hub.errors import HubError

TEMPLATE = ("templates", "plugin")
SUFFIX = ".tmpl"
MAX_NAME = 40
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9]*(?:[_-][a-z0-9]+)*$")
RESERVED = {"plugins": "trm_hub_plugins is the package of the built-in plugins"}


class ScaffoldError(HubError):
    """The plugin name or the target folder cannot be used."""


@dataclass(frozen=True)
class PluginNames:
    """Every name derived from the plugin NAME that the template uses."""

    name: str
    ident: str
    module: str
    distribution: str
    prefix: str
    cls: str

    def substitutions(self) -> dict[str, str]:
        return asdict(self)


def plugin_names(name: str, taken: Iterable[str] = ()) -> PluginNames:
    """Validate NAME and derive the module, distribution and class names (one-line error if bad)."""
    if not NAME_PATTERN.match(name) or len(name) > MAX_NAME:
        raise ScaffoldError(
            f"bad plugin name '{name}': use lowercase letters and digits, starting with a letter, "
            f"words joined by '_' or '-', at most {MAX_NAME} characters (for example digitsort)"
        )
    ident = name.replace("-", "_")
    if ident in RESERVED:
        raise ScaffoldError(f"bad plugin name '{name}': it is reserved ({RESERVED[ident]}); choose another")
    taken = set(taken)
    if name in taken:
        raise ScaffoldError(f"a task named '{name}' is already installed; choose another name")
    prefix = "".join(part.capitalize() for part in ident.split("_"))
    return PluginNames(
        name=name,
        ident=ident,
        module=f"trm_hub_{ident}",
        distribution=f"trm-hub-{name.replace('_', '-')}",
        prefix=prefix,
        cls=f"{prefix}Task",
    )


def default_target(names: PluginNames) -> Path:
    """Where the plugin goes without --dir: ./<distribution name>."""
    return Path(names.distribution)


def template_root() -> Traversable:
    """The template folder shipped as package data."""
    root = resources.files("trm_hub")
    for part in TEMPLATE:
        root = root.joinpath(part)
    return root


def _template_files(folder: Traversable, prefix: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Traversable]]:
    for entry in sorted(folder.iterdir(), key=lambda item: item.name):
        if entry.name == "__pycache__" or entry.name.startswith("."):
            continue
        if entry.is_dir():
            yield from _template_files(entry, (*prefix, entry.name))
        elif entry.name.endswith(SUFFIX):
            yield (*prefix, entry.name), entry


def _target_parts(parts: tuple[str, ...], names: PluginNames) -> list[str]:
    return [part.removesuffix(SUFFIX).replace("MODULE", names.module).replace("NAME", names.ident) for part in parts]


def render(names: PluginNames) -> dict[str, str]:
    """The plugin's files (relative POSIX path -> text) for these names."""
    values = names.substitutions()
    files: dict[str, str] = {}
    for parts, entry in _template_files(template_root()):
        text = Template(entry.read_text(encoding="utf-8")).substitute(values)
        files["/".join(_target_parts(parts, names))] = text
    if not files:
        raise ScaffoldError("the plugin template is missing from this trm-hub installation")
    return files


def check_target(target: Path) -> None:
    """Refuse a target that exists (anything but an empty folder)."""
    if target.is_dir():
        if any(target.iterdir()):
            raise ScaffoldError(f"{target} already exists and is not empty; choose another --dir")
    elif target.exists():
        raise ScaffoldError(f"{target} already exists and is a file; choose another --dir")


def write_plugin(name: str, target: str | Path | None = None, taken: Iterable[str] = ()) -> tuple[Path, list[str]]:
    """Write the plugin package for NAME into `target` (default ./trm-hub-NAME); returns (folder, files)."""
    names = plugin_names(name, taken)
    folder = Path(target).expanduser() if target is not None else default_target(names)
    check_target(folder)
    files = render(names)
    for relative, text in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder, sorted(files)
