"""Routing: explicit "task" key, then claim_problem hooks, then the tasks' schemas and a fitted classifier.

A problem no task's schema accepts is rejected; among the tasks whose schema accepts it the
classifier picks the likeliest, unless a generic "none" class (learnt from JSON shapes that name
no task) is likelier still.
"""

from __future__ import annotations

import difflib
import json
import os
import sys
from pathlib import Path
from typing import Any, Sequence

from trm_hub.errors import HubError
from trm_hub.router.evaluate import evaluate_router, format_report, problem_format  # noqa: F401
from trm_hub.router.fit import TASK_KEY, RoutingExamplesError, refusal, without_task_key  # noqa: F401
from trm_hub.router.model import Decision, RouterModel, signature, task_set_id
from trm_hub.task import Task

SHIPPED_PATH = Path(__file__).with_name("router.json")
CACHE_ENV = "TRM_HUB_CACHE"


def cache_dir() -> Path:
    """Per-user cache folder for routers fit on this machine ($TRM_HUB_CACHE, else XDG cache)."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache").expanduser() / "trm-hub"


def cache_path(tasks: dict[str, Task]) -> Path:
    """Where the router fit for exactly this task set is kept."""
    return cache_dir() / f"router-{task_set_id(signature(tasks))}.json"


_LOADED: dict[str, RouterModel | None] = {}


def forget_loaded() -> None:
    """Drop the routers this process has loaded or fit (the next use reads or fits them again)."""
    _LOADED.clear()


def _try_load(path: Path, set_id: str) -> RouterModel | None:
    try:
        model = RouterModel.load(path)
        return model if model.set_id == set_id and model.current else None
    except Exception:
        return None


def _change_from_shipped(new: list[tuple[str, str]]) -> str:
    """How a task set differs from the one the shipped router was fit on."""
    try:
        with open(SHIPPED_PATH) as fh:
            old = {str(a): str(b) for a, b in json.load(fh)["tasks"]}
    except Exception:
        old = {}
    now = dict(new)
    parts = [f"{what} {', '.join(sorted(names))}" for what, names in (
        ("added", set(now) - set(old)), ("removed", set(old) - set(now)),
        ("new version of", {k for k in set(old) & set(now) if old[k] != now[k]})) if names]
    return "; ".join(parts) or "different task set"


def router_for(tasks: dict[str, Task], *, quiet: bool = False) -> RouterModel | None:
    """The fitted router for this task set: the user's own fit, the shipped one, or one refit now
    (saying so once on stderr, and saving it to the user cache for the next runs)."""
    set_id = task_set_id(signature(tasks))
    if set_id in _LOADED:
        return _LOADED[set_id]
    if not tasks:
        return None
    model = _try_load(cache_path(tasks), set_id) or _try_load(SHIPPED_PATH, set_id)
    if model is None:
        from trm_hub.router.fit import fit

        try:
            model = fit(tasks)
        except RoutingExamplesError as exc:
            if not quiet:
                print(f"trm-hub: cannot fit the router: {exc}; name a task with a \"task\" key", file=sys.stderr)
            _LOADED[set_id] = None
            return None
        where = cache_path(tasks)
        try:
            saved = f"saved to {model.save(where)}"
        except OSError as exc:
            saved = f"not saved ({exc.strerror or exc})"
        if not quiet:
            skipped = model.info.get("unroutable") or {}
            note = f"; not routable: {'; '.join(skipped.values())}" if skipped else ""
            print(f"trm-hub: installed tasks differ from the router's ({_change_from_shipped(signature(tasks))}): "
                  f"refit the router in {model.info.get('fit_seconds', 0):.1f} s, {saved}{note}", file=sys.stderr)
    _LOADED[set_id] = model
    return model


def _explicit(problem: Any, tasks: dict[str, Task]) -> Decision | None:
    if not isinstance(problem, dict) or problem.get(TASK_KEY) is None:
        return None
    known = ", ".join(sorted(tasks)) or "none installed"
    name = problem[TASK_KEY]
    if not isinstance(name, str):
        return Decision(None, 0.0, {}, f'the "task" key must name a task as a string; known: {known}')
    folded = [name] if name in tasks else [t for t in tasks if t.lower() == name.strip().lower()]
    if len(folded) == 1:
        return Decision(folded[0], 1.0, {folded[0]: 1.0}, 'explicit "task" key')
    close = difflib.get_close_matches(name, list(tasks), n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return Decision(None, 0.0, {}, f"unknown task '{name}'{hint}; known: {known}")


_HOOK_WARNED: set[str] = set()


def _claimed(problem: Any, tasks: dict[str, Task], pm: Any) -> Decision | None:
    if pm is None:
        return None
    try:
        name = pm.hook.claim_problem(problem=problem)
    except Exception as exc:
        msg = " ".join(f"trm-hub: warning: a claim_problem hook failed and was ignored: {type(exc).__name__}: {exc}".split())
        if msg not in _HOOK_WARNED:
            _HOOK_WARNED.add(msg)
            print(msg, file=sys.stderr)
        return None
    if isinstance(name, str) and name in tasks:
        return Decision(name, 1.0, {name: 1.0}, f"claimed by the {name} plugin's claim_problem hook")
    return None


def decide(problems: Sequence[Any], tasks: dict[str, Task], pm: Any = None) -> list[Decision]:
    """Route each problem: explicit "task" key, then claim_problem, then schemas and classifier (batched)."""
    out: list[Decision | None] = [_explicit(p, tasks) or _claimed(p, tasks, pm) for p in problems]
    pending = [i for i, d in enumerate(out) if d is None]
    if pending:
        model = router_for(tasks)
        if model is None or not model.tasks:
            reason = "no task fits: no tasks are installed" if not tasks else \
                "no task fits: no installed task can be routed to; name one with a \"task\" key"
            for i in pending:
                out[i] = Decision(None, 0.0, {}, reason)
        else:
            raw = [without_task_key(problems[i]) for i in pending]
            for i, decision in zip(pending, model.verdicts(raw, lambda p, name: refusal(p, tasks[name]))):
                out[i] = decision
    return [d for d in out if d is not None]


def fit_router(tasks: dict[str, Task], path: Path | str | None = None, *, n: int | None = None,
               seed: int = 0) -> dict[str, Any]:
    """Refit the router for these tasks and store it (default: the user cache); returns a summary."""
    from trm_hub.router.fit import N_TRAIN, fit

    if not tasks:
        raise HubError("no tasks are installed, so there is nothing to route to")
    model = fit(tasks, n=n or N_TRAIN, seed=seed)
    where = model.save(Path(path) if path is not None else cache_path(tasks))
    _LOADED[model.set_id] = model
    return {"path": str(where), "tasks": model.tasks, "task_set": [list(p) for p in model.signature],
            "features": len(model.features), **{k: model.info[k] for k in (
                "examples_per_task", "negatives", "permissive_schemas", "unroutable")}, "seconds": model.info["fit_seconds"]}
