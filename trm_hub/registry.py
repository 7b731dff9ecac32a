"""The shipped and user registries <-> pydantic models; checkpoint integrity (sha256); atomic writes.

The shipped registry is `registry.yaml` at the top of the repository; a built wheel carries a copy
inside the `trm_hub` package (see setup.py), which is read when it exists. The user registry, where
`trm-hub train` records what it makes, is $TRM_HUB_REGISTRY or `registry.yaml` in the platform's
user data folder; its entries win over shipped ones of the same model name.
"""

from __future__ import annotations

import hashlib
import os
import re
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from trm_hub.errors import HubError, format_validation_error
from trm_hub.files import atomic_write_text

REGISTRY_ENV = "TRM_HUB_REGISTRY"
PACKAGED_REGISTRY = Path(__file__).resolve().parent / "registry.yaml"
CHECKOUT_REGISTRY = Path(__file__).resolve().parent.parent / "registry.yaml"
SHIPPED = "shipped"
USER = "user"
HEADER = (
    "# trm-hub registry: the tasks the hub serves and the checkpoints each uses.\n"
    "# Weights are `package.module:relative/file.safetensors` (package data) or a path, absolute or\n"
    "# relative to this file; sha256 is checked before a checkpoint is loaded, onnx_sha256 before its\n"
    "# step graph (`stem.onnx`, beside the weights) is. Written by `trm-hub`.\n"
)
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_PACKAGE_REF = re.compile(r"^([A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*):(.+)$")


class RegistryError(HubError):
    """The registry or a checkpoint it names is missing, malformed or tampered with."""


class ModelEntry(BaseModel):
    """One checkpoint of a task: its weights file, hashes and recorded metrics."""

    model_config = ConfigDict(extra="forbid")

    weights: str
    sha256: str
    config_sha256: str | None = None
    onnx_sha256: str | None = None
    metrics: dict[str, Any] = Field(default_factory=dict)
    notes: str | None = None

    @field_validator("sha256", "config_sha256", "onnx_sha256")
    @classmethod
    def _hex_digest(cls, value: str | None) -> str | None:
        if value is not None and not _SHA256.match(value):
            raise ValueError("must be 64 lowercase hex digits (a sha256 digest)")
        return value


class TaskEntry(BaseModel):
    """A task's registered checkpoints by model name."""

    model_config = ConfigDict(extra="forbid")

    models: dict[str, ModelEntry] = Field(default_factory=dict)


class RegistryFile(BaseModel):
    """The content of one registry.yaml."""

    model_config = ConfigDict(extra="forbid")

    tasks: dict[str, TaskEntry] = Field(default_factory=dict)

    @field_validator("tasks", mode="before")
    @classmethod
    def _empty_tasks(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {name: (entry if entry is not None else {}) for name, entry in value.items()}
        return value


def shipped_registry_path() -> Path:
    """The shipped registry: the copy inside an installed wheel's package, else the checkout's file."""
    return PACKAGED_REGISTRY if PACKAGED_REGISTRY.is_file() else CHECKOUT_REGISTRY


SHIPPED_REGISTRY = shipped_registry_path()


def default_user_registry() -> Path:
    """registry.yaml in the platform's user data folder (e.g. ~/.local/share/trm-hub on Linux)."""
    import platformdirs

    return platformdirs.user_data_path("trm-hub", appauthor=False) / "registry.yaml"


def user_registry_path() -> Path:
    """The user registry: $TRM_HUB_REGISTRY, else the one in the platform's user data folder."""
    named = os.environ.get(REGISTRY_ENV)
    return Path(named).expanduser() if named else default_user_registry()


def sha256_of(path: Path, chunk: int = 1 << 20) -> str:
    """Hex sha256 digest of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def read_registry_file(path: Path) -> RegistryFile:
    """Parse and validate one registry file (missing file -> RegistryError)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RegistryError(f"registry file {path} does not exist") from None
    except OSError as exc:
        raise RegistryError(f"cannot read registry file {path}: {exc.strerror or exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise RegistryError(f"registry file {path} is not valid YAML{where}") from None
    try:
        return RegistryFile.model_validate(data or {})
    except ValidationError as exc:
        raise RegistryError(format_validation_error(exc, f"registry file {path}")) from None


def write_registry_file(path: Path, content: RegistryFile) -> None:
    """Write a registry file atomically."""
    data = content.model_dump(mode="json", exclude_none=True)
    text = HEADER + yaml.safe_dump(data, sort_keys=False, default_flow_style=False, allow_unicode=True)
    atomic_write_text(path, text)


def resolve_weights(reference: str, base: Path) -> Path:
    """A registry weights reference (`pkg.module:file` or a path relative to `base`) -> Path."""
    match = _PACKAGE_REF.match(reference)
    if match and not Path(reference).is_absolute():
        package, relative = match.groups()
        try:
            root = resources.files(package)
        except (ModuleNotFoundError, TypeError) as exc:
            raise RegistryError(f"weights '{reference}': package '{package}' cannot be imported ({exc})") from None
        return Path(str(root.joinpath(relative)))
    path = Path(reference).expanduser()
    return path if path.is_absolute() else (base / path)


def _package_reference(path: Path) -> str | None:
    """Express a file inside an importable package as `pkg.module:relative/path`."""
    for top in ("trm_hub_plugins", "trm_hub"):
        try:
            root = Path(str(resources.files(top))).resolve()
        except (ModuleNotFoundError, TypeError):
            continue
        try:
            relative = path.resolve().relative_to(root)
        except ValueError:
            continue
        parts = [top]
        folder = root
        rest = list(relative.parts)
        while len(rest) > 1 and (folder / rest[0] / "__init__.py").exists():
            folder = folder / rest[0]
            parts.append(rest.pop(0))
        return f"{'.'.join(parts)}:{'/'.join(rest)}"
    return None


def config_path_for(weights: Path) -> Path:
    """The JSON beside a checkpoint's tensors (`stem.json`)."""
    return weights.with_suffix(".json")


def graph_path_for(weights: Path) -> Path:
    """The ONNX step graph beside a checkpoint's tensors (`stem.onnx`)."""
    return weights.with_suffix(".onnx")


class Registry:
    """The shipped registry, overlaid by a user registry (entries replace by task and model name)."""

    def __init__(self, shipped: Path = SHIPPED_REGISTRY, user: Path | None = None) -> None:
        self.shipped_path = Path(shipped)
        self.user_path = Path(user).expanduser() if user else None
        self.shipped = read_registry_file(self.shipped_path) if self.shipped_path.exists() else RegistryFile()
        self.user = (
            read_registry_file(self.user_path)
            if self.user_path is not None and self.user_path.exists()
            else RegistryFile()
        )
        self._verified: dict[tuple[str, int, int], str] = {}

    @classmethod
    def load(cls, user_path: str | Path | None = None, shipped: Path | None = None) -> "Registry":
        """The shipped registry plus the user one (argument, else `user_registry_path()`; absent = empty)."""
        return cls(shipped or SHIPPED_REGISTRY, Path(user_path) if user_path else user_registry_path())

    @property
    def write_path(self) -> Path:
        """Where `record` and `remove` write: the user registry (never the shipped one)."""
        if self.user_path is None:
            raise RegistryError("no user registry is set: give one with --registry PATH or $TRM_HUB_REGISTRY")
        return self.user_path

    def _layers(self) -> list[tuple[str, RegistryFile, Path]]:
        """(source, content, file) of each registry in use, shipped first so the user's wins."""
        layers = [(SHIPPED, self.shipped, self.shipped_path)]
        if self.user_path is not None:
            layers.append((USER, self.user, self.user_path))
        return layers

    def sources(self, task: str) -> dict[str, tuple[ModelEntry, Path, str]]:
        """The task's models: name -> (entry, its registry file, "shipped" or "user")."""
        found: dict[str, tuple[ModelEntry, Path, str]] = {}
        for source, content, path in self._layers():
            if task in content.tasks:
                for name, entry in content.tasks[task].models.items():
                    found[name] = (entry, path, source)
        return found

    def entries(self, task: str) -> dict[str, tuple[ModelEntry, Path]]:
        """The task's models: name -> (entry, folder its weights path is relative to)."""
        return {name: (entry, path.parent) for name, (entry, path, _) in self.sources(task).items()}

    def entry(self, task: str, model_name: str | None = None) -> tuple[ModelEntry, Path]:
        """One model entry of a task (default model: the one named like the task, else the only one)."""
        models = self.entries(task)
        name = model_name or task
        if name in models:
            return models[name]
        if model_name is None and len(models) == 1:
            return next(iter(models.values()))
        if not models:
            raise RegistryError(
                f"task '{task}' has no trained weights ({self.describe_paths()}); "
                f"make them with `trm-hub train plugin={task}`"
            )
        named = "" if name == task else f" model_name={name}"
        raise RegistryError(
            f"task '{task}' has no model '{name}' (it has: {', '.join(sorted(models))}; {self.describe_paths()}); "
            f"train it with `trm-hub train plugin={task}{named}` and the settings that model needs"
        )

    def describe_paths(self) -> str:
        """Where models were looked for, for messages (the user registry is the one a user changes)."""
        if self.user_path is None:
            return f"registry {self.shipped_path}"
        return f"looked in the shipped registry and in your registry {self.user_path}"

    def weights_path(self, task: str, model_name: str | None = None) -> Path:
        """Where the weights of a task's model should be, without checking them."""
        entry, base = self.entry(task, model_name)
        return resolve_weights(entry.weights, base)

    def _check(self, path: Path, expected: str, what: str) -> None:
        try:
            stat = path.stat()
        except FileNotFoundError:
            raise RegistryError(f"{what} {path} is missing (the registry expects sha256 {expected})") from None
        key = (str(path), stat.st_mtime_ns, stat.st_size)
        actual = self._verified.get(key) or sha256_of(path)
        if actual != expected:
            raise RegistryError(
                f"{what} {path} does not match the registry: expected sha256 {expected}, "
                f"file has sha256 {actual}"
            )
        self._verified[key] = actual

    def weights_for(self, task: str, model_name: str | None = None) -> Path:
        """The verified weights file of a task's model (sha256 checked; config JSON too when recorded)."""
        entry, base = self.entry(task, model_name)
        path = resolve_weights(entry.weights, base)
        self._check(path, entry.sha256, "weights file")
        if entry.config_sha256 is not None:
            self._check(config_path_for(path), entry.config_sha256, "checkpoint config")
        return path

    def graph_for(self, task: str, model_name: str | None = None) -> Path | None:
        """The verified ONNX step graph of a task's model (sha256 checked); None when none is recorded."""
        entry, base = self.entry(task, model_name)
        if entry.onnx_sha256 is None:
            return None
        path = graph_path_for(resolve_weights(entry.weights, base))
        self._check(path, entry.onnx_sha256, "ONNX step graph")
        return path

    def status(self, task: str) -> list[dict[str, Any]]:
        """The task's models: whether each weights file is present (no hashing) and which registry names it."""
        shipped = self.shipped.tasks.get(task, TaskEntry()).models
        rows = []
        for name, (entry, registry_file, source) in sorted(self.sources(task).items()):
            try:
                path = resolve_weights(entry.weights, registry_file.parent)
                present = path.is_file()
            except RegistryError:
                path, present = None, False
            graph = entry.onnx_sha256 is not None and path is not None and graph_path_for(path).is_file()
            rows.append(
                {
                    "name": name,
                    "weights": entry.weights,
                    "path": str(path) if path else None,
                    "present": present,
                    "onnx": bool(graph),
                    "metrics": entry.metrics,
                    "source": source,
                    "registry": str(registry_file),
                    "replaces_shipped": source == USER and name in shipped,
                }
            )
        return rows

    def find(self, model_name: str, task: str | None = None) -> list[tuple[str, str]]:
        """(task, source) of every registered model called `model_name` (in `task` only, when given)."""
        found = []
        for source, content, _ in self._layers():
            for name, entry in content.tasks.items():
                if (task is None or name == task) and model_name in entry.models:
                    found.append((name, source))
        return found

    def record(
        self,
        task: str,
        model_name: str,
        weights: str | Path,
        metrics: dict[str, Any] | None = None,
        notes: str | None = None,
        target: Path | None = None,
    ) -> ModelEntry:
        """Hash a checkpoint and write its entry (atomically) to `target` (default: the user registry)."""
        target = Path(target) if target else self.write_path
        _refuse_installed(target)
        path = resolve_weights(str(weights), target.parent) if isinstance(weights, str) else Path(weights)
        if not path.is_file():
            raise RegistryError(f"cannot record weights file {path}: it does not exist")
        if isinstance(weights, str):
            reference = weights
        else:
            reference = _package_reference(path) or _file_reference(path, target.parent)
        config, graph = config_path_for(path), graph_path_for(path)
        entry = ModelEntry(
            weights=Path(reference).as_posix() if ":" not in reference else reference,
            sha256=sha256_of(path),
            config_sha256=sha256_of(config) if config.is_file() else None,
            onnx_sha256=sha256_of(graph) if graph.is_file() else None,
            metrics=dict(metrics or {}),
            notes=notes,
        )
        content = read_registry_file(target) if target.exists() else RegistryFile()
        content.tasks.setdefault(task, TaskEntry()).models[model_name] = entry
        write_registry_file(target, content)
        self._reload(target, content)
        return entry

    def remove(self, task: str, model_name: str) -> str:
        """Delete a model's entry from the user registry (atomically); returns where its checkpoint
        is (the files stay)."""
        target = self.write_path
        content = read_registry_file(target) if target.exists() else RegistryFile()
        models = content.tasks[task].models if task in content.tasks else {}
        if model_name not in models:
            if model_name in self.shipped.tasks.get(task, TaskEntry()).models:
                raise RegistryError(
                    f"model '{model_name}' of task '{task}' is shipped with trm-hub, not recorded in your "
                    f"registry {target}: only models you recorded can be removed"
                )
            raise RegistryError(f"task '{task}' has no model '{model_name}' in your registry {target}")
        entry = models.pop(model_name)
        if not models:
            del content.tasks[task]
        write_registry_file(target, content)
        self._reload(target, content)
        try:
            return str(resolve_weights(entry.weights, target.parent))
        except RegistryError:
            return entry.weights

    def _reload(self, target: Path, content: RegistryFile) -> None:
        if target == self.shipped_path:
            self.shipped = content
        elif target == self.user_path:
            self.user = content


def _file_reference(path: Path, folder: Path) -> str:
    """A checkpoint path as a registry stores it: relative when under the registry's folder, else absolute."""
    path, folder = path.resolve(), folder.resolve()
    return os.path.relpath(path, folder) if path.is_relative_to(folder) else str(path)


def _refuse_installed(target: Path) -> None:
    """Never write the registry that an installed trm-hub carries inside its package."""
    if target.resolve() == PACKAGED_REGISTRY.resolve():
        raise RegistryError(
            f"{target} is the registry shipped inside the installed trm-hub package and is not written; "
            "record into your registry instead (--registry PATH or $TRM_HUB_REGISTRY)"
        )
