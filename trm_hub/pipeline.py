"""Answering problems: read JSON or JSONL, route, solve per task; one result per problem, in order."""

from __future__ import annotations

import inspect
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from pydantic import ValidationError

from trm_hub.errors import HubError, describe_error, format_validation_error, one_line
from trm_hub.plugins import get_plugin_manager, load_tasks
from trm_hub.registry import Registry
from trm_hub.task import Answer, Task

DEBUG_ENV = "TRM_HUB_DEBUG"
NO_FIT = "no task fits"


class InputError(HubError):
    """The input could not be read as a problem."""


class UnknownTaskError(HubError):
    """A task name that no plugin registered."""


@dataclass
class LineError:
    """A JSONL line that could not be read as a problem."""

    message: str


Item = dict[str, Any] | LineError


def debugging() -> bool:
    """Whether TRM_HUB_DEBUG asks for tracebacks instead of one-line errors."""
    return os.environ.get(DEBUG_ENV, "").strip() not in ("", "0")


def read_text(source: str) -> str:
    """The text of a file, or of stdin for '-'."""
    if source == "-":
        data = sys.stdin.buffer.read()
        name = "stdin"
    else:
        path = Path(source)
        if path.is_dir():
            raise InputError(f"{source} is a folder, not a problem file")
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise InputError(f"problem file {source} does not exist") from None
        except OSError as exc:
            raise InputError(f"cannot read {source}: {exc.strerror or exc}") from None
        name = source
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{name} is not UTF-8 text") from None


def _kind(value: Any) -> str:
    return {list: "a list", str: "a string", int: "a number", float: "a number", bool: "a boolean"}.get(
        type(value), "null" if value is None else type(value).__name__
    )


JSONL_HINT = " (put one problem per line, JSONL, to send many)"


def _not_object(value: Any) -> str:
    hint = JSONL_HINT if isinstance(value, list) else ""
    return f"a problem must be a JSON object, got {_kind(value)}{hint}"


def parse_problems(text: str, source: str = "input", jsonl: bool | None = None) -> tuple[list[Item], bool]:
    """Text -> (problems, is_jsonl). One JSON object, or JSON Lines where bad lines become LineError."""
    if not text.strip():
        raise InputError(f"{source} is empty")
    if jsonl is None:
        jsonl = source.endswith(".jsonl")
    if not jsonl:
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            first = text.strip().splitlines()[0]
            if exc.msg == "Extra data" and _parses(first):
                jsonl = True
            else:
                raise InputError(
                    f"invalid JSON in {source}: {exc.msg} (line {exc.lineno}, column {exc.colno})"
                ) from None
        else:
            if not isinstance(value, dict):
                raise InputError(f"{source}: {_not_object(value)}")
            return [value], False
    items: list[Item] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            items.append(LineError(f"line {number}: invalid JSON: {exc.msg} (column {exc.colno})"))
            continue
        items.append(value if isinstance(value, dict) else LineError(f"line {number}: {_not_object(value)}"))
    return items, True


def _parses(line: str) -> bool:
    try:
        json.loads(line)
    except ValueError:
        return False
    return True


def error_result(message: str) -> dict[str, Any]:
    """The output object of a problem that got no answer."""
    return {"task": None, "error": one_line(message)}


def unknown_task_message(name: Any, tasks: dict[str, Task]) -> str:
    """One line saying a task name is unknown and listing the known ones."""
    known = ", ".join(sorted(tasks)) or "none installed"
    return f"unknown task '{name}' (known tasks: {known})"


def no_fit_message(decision: Any) -> str:
    """One line saying no task fits, naming the closest tasks and their scores."""
    reason = one_line(getattr(decision, "reason", "") or "")
    scores = dict(getattr(decision, "scores", None) or {})
    if reason.startswith(NO_FIT) or (reason and not scores):
        return reason
    ranked = sorted(scores.items(), key=lambda item: -item[1])[:3]
    closest = ", ".join(f"{name} {score:.2f}" for name, score in ranked) or "none"
    return f"{NO_FIT}: {reason or 'rejected by the router'} (closest: {closest})"


def strip_task_key(raw: dict[str, Any]) -> dict[str, Any]:
    """The problem without the routing-only "task" key."""
    return {key: value for key, value in raw.items() if key != "task"}


def parse_for(task: Task, raw: dict[str, Any]) -> Any:
    """Validate a raw problem with the task's schema; one-line HubError when it does not fit."""
    try:
        return task.parse(strip_task_key(raw))
    except ValidationError as exc:
        raise InputError(format_validation_error(exc, f"not a valid {task.name} problem")) from None


def _failure(exc: Exception) -> str:
    if debugging():
        raise exc
    return describe_error(exc)


def _solve(task: Task, problems: list[Any], device: str, registry: Registry, settings: Sequence[str] = ()) -> list[Any]:
    """Call `task.solve`, passing the registry (and answering settings) when the task's solve accepts them."""
    parameters = inspect.signature(task.solve).parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
    extra: dict[str, Any] = {}
    if "registry" in parameters or takes_any:
        extra["registry"] = registry
    if settings:
        if "settings" not in parameters and not takes_any:
            raise InputError(f"task '{task.name}' takes no answering settings (--set)")
        extra["settings"] = settings
    return task.solve(problems, device=device, **extra)


def solve_parsed(
    task: Task, problems: Sequence[Any], device: str = "auto", registry: Registry | None = None,
    settings: Sequence[str] = (),
) -> list[Answer | Exception]:
    """Answer validated problems with one task: an Answer or the exception met, for each, in order.

    A readable (HubError) failure fails the whole batch; any other failure of a batch is
    retried one problem at a time, so one bad problem does not fail its neighbours."""
    if not problems:
        return []
    registry = registry or Registry.load()
    try:
        answers = _solve(task, list(problems), device, registry, settings)
        if len(answers) != len(problems):
            raise RuntimeError(f"task '{task.name}' returned {len(answers)} answers for {len(problems)} problems")
        return list(answers)
    except HubError as exc:
        return [exc for _ in problems]
    except Exception as exc:
        if len(problems) == 1:
            return [exc]
    found: list[Answer | Exception] = []
    for problem in problems:
        try:
            found.append(_solve(task, [problem], device, registry, settings)[0])
        except Exception as one:
            found.append(one)
    return found


def answer_with(
    task: Task,
    problems: Sequence[dict[str, Any]],
    confidences: Sequence[float | None] | None = None,
    device: str = "auto",
    registry: Registry | None = None,
    settings: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """Solve raw problems with one task; a result or an error object for each, in order."""
    results: list[dict[str, Any] | None] = [None] * len(problems)
    parsed: list[tuple[int, Any]] = []
    for index, raw in enumerate(problems):
        try:
            parsed.append((index, parse_for(task, raw)))
        except Exception as exc:
            results[index] = error_result(_failure(exc))
    solved = solve_parsed(task, [problem for _, problem in parsed], device, registry, settings)
    for (index, _), answer in zip(parsed, solved):
        if isinstance(answer, Exception):
            results[index] = error_result(_failure(answer))
            continue
        if confidences is not None:
            answer.confidence = confidences[index]
        results[index] = answer.to_json()
    return [result if result is not None else error_result("no answer") for result in results]


def decide_tasks(problems: list[dict[str, Any]], tasks: dict[str, Task], pm: Any) -> list[Any]:
    """Router decisions for many problems at once; a failing batch is retried one by one."""
    try:
        from trm_hub import router
    except Exception as exc:
        if debugging():
            raise
        return [exc for _ in problems]
    try:
        decisions = router.decide(problems, tasks, pm)
        if len(decisions) == len(problems):
            return list(decisions)
    except Exception:
        if debugging():
            raise
    found: list[Any] = []
    for problem in problems:
        try:
            found.append(router.decide([problem], tasks, pm)[0])
        except Exception as exc:
            found.append(exc)
    return found


def route_items(
    items: Sequence[Item],
    *,
    dry_run: bool = False,
    device: str = "auto",
    registry: Registry | None = None,
    tasks: dict[str, Task] | None = None,
    settings: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """Route (and unless dry_run, solve) each item; one output object per item, in order.
    `settings` (`KEY=VALUE`) change the recipe of whichever model answers (e.g. `data.views=1`)."""
    pm = get_plugin_manager()
    tasks = load_tasks(pm) if tasks is None else tasks
    results: list[dict[str, Any] | None] = [None] * len(items)
    pending: list[int] = []
    for index, item in enumerate(items):
        if isinstance(item, LineError):
            results[index] = error_result(item.message)
        else:
            pending.append(index)
    if not pending:
        return [result or error_result("no answer") for result in results]
    decisions = decide_tasks([items[i] for i in pending], tasks, pm)
    by_task: dict[str, list[int]] = {}
    for index, decision in zip(pending, decisions):
        if isinstance(decision, Exception):
            results[index] = error_result(_failure(decision))
        elif decision.task is None:
            results[index] = error_result(no_fit_message(decision))
        elif dry_run:
            results[index] = {
                "task": decision.task,
                "confidence": decision.confidence,
                "scores": dict(decision.scores or {}),
            }
        else:
            by_task.setdefault(decision.task, []).append(index)
    confidence = dict(zip(pending, (getattr(d, "confidence", None) for d in decisions)))
    for name, indices in by_task.items():
        answered = answer_with(
            tasks[name],
            [items[i] for i in indices],  # type: ignore[misc]
            [confidence[i] for i in indices],
            device=device,
            registry=registry,
            settings=settings,
        )
        for index, result in zip(indices, answered):
            results[index] = result
    return [result or error_result("no answer") for result in results]


def solve_items(
    task: str, items: Sequence[Item], *, device: str = "auto", registry: Registry | None = None,
    settings: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """Solve each item with a named task, skipping the router; one output object per item."""
    tasks = load_tasks()
    if task not in tasks:
        raise UnknownTaskError(unknown_task_message(task, tasks))
    results: list[dict[str, Any] | None] = [None] * len(items)
    good = [index for index, item in enumerate(items) if isinstance(item, dict)]
    for index, item in enumerate(items):
        if isinstance(item, LineError):
            results[index] = error_result(item.message)
    answered = answer_with(tasks[task], [items[i] for i in good], None, device=device, registry=registry,  # type: ignore[misc]
                           settings=settings)
    for index, result in zip(good, answered):
        results[index] = result
    return [result or error_result("no answer") for result in results]


def route(
    problems: dict[str, Any] | Sequence[dict[str, Any]],
    *,
    dry_run: bool = False,
    device: str = "auto",
    registry: Registry | None = None,
    settings: Sequence[str] = (),
) -> dict[str, Any] | list[dict[str, Any]]:
    """Route and solve one problem (dict) or many (list); the same objects `trm-hub route` prints
    (`settings`: as `--set`)."""
    single = isinstance(problems, dict)
    items = [problems] if single else list(problems)
    results = route_items(items, dry_run=dry_run, device=device, registry=registry, settings=settings)  # type: ignore[arg-type]
    return results[0] if single else results


def solve(
    task: str,
    problems: dict[str, Any] | Sequence[dict[str, Any]],
    *,
    device: str = "auto",
    registry: Registry | None = None,
    settings: Sequence[str] = (),
) -> dict[str, Any] | list[dict[str, Any]]:
    """Solve one problem (dict) or many (list) with a named task, skipping the router (`settings`: as `--set`)."""
    single = isinstance(problems, dict)
    items = [problems] if single else list(problems)
    results = solve_items(task, items, device=device, registry=registry, settings=settings)  # type: ignore[arg-type]
    return results[0] if single else results
