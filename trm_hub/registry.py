"""registry.yaml <-> pydantic models; checkpoint integrity (sha256); atomic writes."""

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
SHIPPED_REGISTRY = Path(__file__).resolve().parent.parent / "registry.yaml"
HEADER = (
    "# trm-hub registry: the tasks the hub serves and the checkpoints each uses.\n"
    "# Weights are `package.module:relative/file.safetensors` (package data) or a path relative\n"
    "# to this file; sha256 is checked before a checkpoint is loaded. Written by `trm-hub`.\n"
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
    metrics: dict[str, Any] = Field(default_factory=dict)
    notes: str | None = None

    @field_validator("sha256", "config_sha256")
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


class Registry:
    """The shipped registry, optionally overlaid by a user registry (entries replace by task/model)."""

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
        """The shipped registry plus the user one (argument, else $TRM_HUB_REGISTRY; absent = empty)."""
        user = user_path or os.environ.get(REGISTRY_ENV) or None
        return cls(shipped or SHIPPED_REGISTRY, Path(user) if user else None)

    @property
    def write_path(self) -> Path:
        """Where `record` writes: the user registry if one is set, else the shipped one."""
        return self.user_path or self.shipped_path

    def task_names(self) -> list[str]:
        """Every task named in either registry."""
        return sorted(set(self.shipped.tasks) | set(self.user.tasks))

    def entries(self, task: str) -> dict[str, tuple[ModelEntry, Path]]:
        """The task's models: name -> (entry, folder its weights path is relative to)."""
        found: dict[str, tuple[ModelEntry, Path]] = {}
        for content, path in ((self.shipped, self.shipped_path), (self.user, self.user_path)):
            if path is None or task not in content.tasks:
                continue
            for name, entry in content.tasks[task].models.items():
                found[name] = (entry, path.parent)
        return found

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
                f"task '{task}' has no trained weights in the registry ({self.describe_paths()}); "
                f"make them with `trm-hub train plugin={task}`"
            )
        raise RegistryError(
            f"task '{task}' has no model '{name}' in the registry (it has: {', '.join(sorted(models))}); "
            f"make it with `trm-hub train plugin={task}`"
        )

    def describe_paths(self) -> str:
        """The registry files in use, for messages."""
        paths = [str(self.shipped_path)] + ([str(self.user_path)] if self.user_path else [])
        return " + ".join(paths)

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

    def status(self, task: str) -> list[dict[str, Any]]:
        """The task's registered models with whether each weights file is present (no hashing)."""
        rows = []
        for name, (entry, base) in sorted(self.entries(task).items()):
            try:
                path = resolve_weights(entry.weights, base)
                present = path.is_file()
            except RegistryError:
                path, present = None, False
            rows.append(
                {
                    "name": name,
                    "weights": entry.weights,
                    "path": str(path) if path else None,
                    "present": present,
                    "metrics": entry.metrics,
                }
            )
        return rows

    def record(
        self,
        task: str,
        model_name: str,
        weights: str | Path,
        metrics: dict[str, Any] | None = None,
        notes: str | None = None,
        target: Path | None = None,
    ) -> ModelEntry:
        """Hash a checkpoint and write its entry (atomically) to `target` (default: `write_path`)."""
        target = Path(target) if target else self.write_path
        path = resolve_weights(str(weights), target.parent) if isinstance(weights, str) else Path(weights)
        if not path.is_file():
            raise RegistryError(f"cannot record weights file {path}: it does not exist")
        if isinstance(weights, str):
            reference = weights
        else:
            reference = _package_reference(path) or os.path.relpath(path.resolve(), target.parent.resolve())
        config = config_path_for(path)
        entry = ModelEntry(
            weights=Path(reference).as_posix() if ":" not in reference else reference,
            sha256=sha256_of(path),
            config_sha256=sha256_of(config) if config.is_file() else None,
            metrics=dict(metrics or {}),
            notes=notes,
        )
        content = read_registry_file(target) if target.exists() else RegistryFile()
        content.tasks.setdefault(task, TaskEntry()).models[model_name] = entry
        write_registry_file(target, content)
        if target == self.shipped_path:
            self.shipped = content
        elif target == self.user_path:
            self.user = content
        return entry
