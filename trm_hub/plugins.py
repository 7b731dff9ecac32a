"""Plugin manager: built-in plugins, then installed entry points; one failing plugin never kills the CLI."""

from __future__ import annotations

import difflib
import os
import sys
from dataclasses import dataclass
from importlib import metadata
from typing import Any, Callable

import pluggy

from trm_hub import hookspecs
from trm_hub.errors import HubError, one_line
from trm_hub.task import Task

GROUP = "trm_hub"
BUILTIN_DISTRIBUTION = "trm-hub"
LOAD_ENV = "TRM_HUB_LOAD_PLUGINS"
STRICT_ENV = "TRM_HUB_STRICT_PLUGINS"


class PluginError(HubError):
    """A plugin is broken in a way that must not pass silently."""


class DuplicateTaskError(PluginError):
    """Two plugins registered the same task name."""


@dataclass(frozen=True)
class PluginSource:
    """Where a loaded plugin came from."""

    name: str
    module: str
    distribution: str | None
    version: str | None
    builtin: bool


@dataclass(frozen=True)
class RegisteredTask:
    """A task together with the plugin that registered it."""

    task: Task
    plugin: str


class HubPluginManager(pluggy.PluginManager):
    """pluggy manager for the `trm_hub` hooks that remembers plugin sources and failures."""

    def __init__(self) -> None:
        super().__init__(GROUP)
        self.add_hookspecs(hookspecs)
        self.sources: dict[str, PluginSource] = {}
        self.failures: dict[str, str] = {}
        self.failed_sources: dict[str, PluginSource] = {}
        self.registered_tasks: dict[str, RegisteredTask] | None = None


def strict_plugins() -> bool:
    """Whether plugin failures are hard errors (TRM_HUB_STRICT_PLUGINS set to a true value)."""
    return os.environ.get(STRICT_ENV, "").strip().lower() not in ("", "0", "false", "no", "off")


def allowed_plugins() -> set[str] | None:
    """Names of installed plugins allowed by TRM_HUB_LOAD_PLUGINS; None when it is unset."""
    value = os.environ.get(LOAD_ENV)
    if value is None:
        return None
    return {name.strip() for name in value.split(",") if name.strip()}


def _normalise(name: str | None) -> str:
    return (name or "").lower().replace("_", "-").replace(".", "-")


def _distribution(ep: metadata.EntryPoint) -> tuple[str | None, str | None]:
    dist = getattr(ep, "dist", None)
    if dist is None:
        return None, None
    return dist.metadata["Name"], dist.version


def _entry_points() -> tuple[list[metadata.EntryPoint], list[metadata.EntryPoint]]:
    """Entry points of the group: (built-in ones, third-party ones), duplicates dropped."""
    seen: set[tuple[str, str]] = set()
    builtin: list[metadata.EntryPoint] = []
    other: list[metadata.EntryPoint] = []
    for ep in metadata.entry_points(group=GROUP):
        key = (ep.name, ep.value)
        if key in seen:
            continue
        seen.add(key)
        dist_name, _ = _distribution(ep)
        (builtin if _normalise(dist_name) == BUILTIN_DISTRIBUTION else other).append(ep)
    return builtin, other


def _label(source: PluginSource) -> str:
    if source.distribution:
        return f"plugin '{source.name}' ({source.distribution} {source.version})"
    return f"plugin '{source.name}' ({source.module})"


def report_failure(
    pm: HubPluginManager, name: str, what: str, exc: BaseException, source: PluginSource | None = None
) -> None:
    """Warn on stderr that a plugin failed (re-raise under TRM_HUB_STRICT_PLUGINS)."""
    if strict_plugins():
        raise exc
    source = source or pm.sources.get(name)
    if source is not None:
        pm.failed_sources[name] = source
    label = _label(source) if source else f"plugin '{name}'"
    reason = one_line(f"{type(exc).__name__}: {exc}")
    pm.failures[name] = reason
    print(
        f"trm-hub: warning: {label} {what} and is skipped: {reason} "
        f"(set {STRICT_ENV}=1 to make this an error)",
        file=sys.stderr,
    )


def _register(pm: HubPluginManager, plugin: object, source: PluginSource) -> None:
    existing = pm.sources.get(source.name)
    if existing is not None:
        raise PluginError(
            f"two plugins are named '{source.name}': {_label(existing)} and {_label(source)}; "
            f"leave one out with {LOAD_ENV}"
        )
    try:
        pm.register(plugin, name=source.name)
    except pluggy.PluginValidationError as exc:
        raise PluginError(f"{_label(source)} is invalid: {one_line(str(exc))}") from exc
    except ValueError as exc:
        raise PluginError(f"{_label(source)} could not be registered: {one_line(str(exc))}") from exc
    pm.sources[source.name] = source


def _load_entry_point(pm: HubPluginManager, ep: metadata.EntryPoint, builtin: bool) -> None:
    dist_name, version = _distribution(ep)
    source = PluginSource(ep.name, ep.value, dist_name, version, builtin)
    try:
        plugin = ep.load()
    except Exception as exc:
        report_failure(pm, ep.name, "failed to import", exc, source)
        return
    _register(pm, plugin, source)


def register_plugin(pm: HubPluginManager, plugin: object, name: str | None = None) -> None:
    """Register an in-process plugin object (a module or an instance with @hookimpl methods)."""
    name = name or getattr(plugin, "__name__", None) or type(plugin).__name__
    module = getattr(plugin, "__name__", type(plugin).__module__)
    _register(pm, plugin, PluginSource(name, module, None, None, False))
    pm.registered_tasks = None


def check_hooks(pm: pluggy.PluginManager) -> None:
    """Fail loudly when a plugin implements a hook that does not exist (a misspelt name)."""
    known = sorted(name for name, obj in vars(hookspecs).items() if hasattr(obj, f"{GROUP}_spec"))
    for hook_name in list(vars(pm.hook)):
        if hook_name.startswith("_"):
            continue
        caller = getattr(pm.hook, hook_name)
        if caller.has_spec():
            continue
        for impl in caller.get_hookimpls():
            if impl.optionalhook:
                continue
            close = difflib.get_close_matches(hook_name, known, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            raise PluginError(
                f"plugin '{impl.plugin_name}' implements unknown hook '{hook_name}' "
                f"({hint}known hooks: {', '.join(known)})"
            )
    pm.check_pending()


def create_plugin_manager(*, builtins: bool = True, installed: bool = True) -> HubPluginManager:
    """A fresh plugin manager: built-in plugins first, then the allowed installed entry points."""
    pm = HubPluginManager()
    builtin_eps, other_eps = _entry_points()
    if builtins:
        for ep in builtin_eps:
            _load_entry_point(pm, ep, builtin=True)
    if installed:
        allowed = allowed_plugins()
        for ep in other_eps:
            if allowed is None or ep.name in allowed:
                _load_entry_point(pm, ep, builtin=False)
        unknown = sorted((allowed or set()) - {ep.name for ep in builtin_eps + other_eps})
        if unknown:
            print(
                f"trm-hub: warning: {LOAD_ENV} names plugins that are not installed: {', '.join(unknown)}",
                file=sys.stderr,
            )
    check_hooks(pm)
    return pm


_PM: HubPluginManager | None = None


def get_plugin_manager() -> HubPluginManager:
    """The process-wide plugin manager, created on first use."""
    global _PM
    if _PM is None:
        _PM = create_plugin_manager()
    return _PM


def reset_plugin_manager() -> None:
    """Forget the process-wide plugin manager (the next use reloads plugins and environment)."""
    global _PM
    _PM = None


def _task_adder(found: dict[str, RegisteredTask], plugin: str) -> Callable[[Any], Task]:
    def register(task: Any) -> Task:
        if isinstance(task, type) and issubclass(task, Task):
            task = task()
        if not isinstance(task, Task):
            raise TypeError(f"register() got {task!r}, which is not a trm_hub Task")
        name = getattr(task, "name", None)
        if not isinstance(name, str) or not name.strip():
            raise TypeError(f"register() got a task without a name ({type(task).__name__})")
        if name in found:
            raise DuplicateTaskError(
                f"task '{name}' is registered twice: by plugin '{found[name].plugin}' "
                f"and by plugin '{plugin}'"
            )
        found[name] = RegisteredTask(task, plugin)
        return task

    return register


def collect_tasks(pm: pluggy.PluginManager | None = None) -> dict[str, RegisteredTask]:
    """Call every plugin's register_tasks (in pluggy's call order) and gather the tasks."""
    pm = pm or get_plugin_manager()
    cached = getattr(pm, "registered_tasks", None)
    if cached is not None:
        return cached
    found: dict[str, RegisteredTask] = {}
    for impl in reversed(pm.hook.register_tasks.get_hookimpls()):
        if impl.wrapper or impl.hookwrapper:
            continue
        register = _task_adder(found, impl.plugin_name)
        try:
            impl.function(*[register for _ in impl.argnames])
        except PluginError:
            raise
        except Exception as exc:
            if isinstance(pm, HubPluginManager):
                report_failure(pm, impl.plugin_name, "failed in register_tasks", exc)
            else:
                raise
    if isinstance(pm, HubPluginManager):
        pm.registered_tasks = found
    return found


def load_tasks(pm: pluggy.PluginManager | None = None) -> dict[str, Task]:
    """Every registered task by name."""
    return {name: entry.task for name, entry in collect_tasks(pm).items()}


def plugin_hooks(pm: pluggy.PluginManager, name: str) -> list[str]:
    """Names of the hooks the named plugin implements."""
    plugin = pm.get_plugin(name)
    if plugin is None:
        return []
    return sorted(caller.name for caller in pm.get_hookcallers(plugin) or [])


def plugin_rows(pm: HubPluginManager | None = None) -> list[dict[str, Any]]:
    """One row per plugin (loaded or failed): name, module, distribution, version, hooks, status."""
    pm = pm or get_plugin_manager()
    rows: list[dict[str, Any]] = []
    for name, plugin in pm.list_name_plugin():
        if plugin is None:
            continue
        source = pm.sources.get(name) or PluginSource(name, getattr(plugin, "__name__", "?"), None, None, False)
        rows.append(
            {
                "name": name,
                "module": source.module,
                "distribution": source.distribution,
                "version": source.version,
                "builtin": source.builtin,
                "hooks": plugin_hooks(pm, name),
                "status": "failed" if name in pm.failures else "ok",
                "error": pm.failures.get(name),
            }
        )
    for name, reason in pm.failures.items():
        if pm.get_plugin(name) is None:
            failed = pm.failed_sources.get(name)
            rows.append(
                {
                    "name": name,
                    "module": failed.module if failed else None,
                    "distribution": failed.distribution if failed else None,
                    "version": failed.version if failed else None,
                    "builtin": failed.builtin if failed else None,
                    "hooks": [],
                    "status": "failed",
                    "error": reason,
                }
            )
    return rows
