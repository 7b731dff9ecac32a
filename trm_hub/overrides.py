"""`key=value` overrides (nested `a.b=v`, JSON values) resolved into a task's pydantic config."""

from __future__ import annotations

import copy
import difflib
import json
import re
import types
import typing
from typing import Any, Iterable

from pydantic import BaseModel, ValidationError

from trm_hub.config import TrainConfig
from trm_hub.errors import HubError, one_line

_KEY = re.compile(r"^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)*$")


class OverrideError(HubError):
    """An override is malformed, names an unknown key or holds a bad value."""


def parse_value(text: str) -> Any:
    """A value as JSON when it parses (numbers, true/false/null, lists, objects), else the raw string."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def split_override(arg: str) -> tuple[str, str]:
    """`a.b=v` -> ("a.b", "v"), with a one-line error for anything else."""
    key, sep, value = arg.partition("=")
    key = key.strip()
    if not sep:
        raise OverrideError(f"override '{arg}' is not key=value")
    if not _KEY.match(key):
        raise OverrideError(f"override '{arg}' has a bad key '{key}' (use names like lr or model.hidden_size)")
    return key, value


def set_nested(tree: dict[str, Any], key: str, value: Any) -> None:
    """Set `a.b.c` in a nested dict, refusing to mix a value and a section under one name."""
    parts = key.split(".")
    node = tree
    for depth, part in enumerate(parts[:-1]):
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise OverrideError(f"override '{key}' conflicts with '{'.'.join(parts[: depth + 1])}' set to a value")
        node = child
    last = parts[-1]
    if isinstance(node.get(last), dict) and not isinstance(value, dict):
        raise OverrideError(f"override '{key}' conflicts with overrides of keys inside it")
    node[last] = value


def parse_overrides(args: Iterable[str]) -> tuple[dict[str, Any], dict[str, str]]:
    """Overrides -> (nested dict of parsed values, raw text by dotted key)."""
    tree: dict[str, Any] = {}
    raw: dict[str, str] = {}
    for arg in args:
        key, text = split_override(arg)
        set_nested(tree, key, parse_value(text))
        raw[key] = text
    return tree, raw


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """A copy of `base` with `override` merged in, section by section."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _model_class(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found = _model_class(arg)
            if found is not None:
                return found
    return None


def fields_at(cls: type[BaseModel], path: tuple[Any, ...]) -> list[str]:
    """Field names of the config section at `path` (empty when it is not a section)."""
    current: type[BaseModel] | None = cls
    for part in path:
        if current is None or part not in current.model_fields:
            return []
        current = _model_class(current.model_fields[part].annotation)
    return sorted(current.model_fields) if current is not None else []


def _dotted(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc)


def _short(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def explain(exc: ValidationError, cls: type[BaseModel], context: str = "") -> str:
    """One line naming the offending key of a config validation error."""
    errors = exc.errors(include_url=False)
    errors.sort(key=lambda err: (err["type"] != "extra_forbidden", err["type"] != "missing"))
    first = errors[0]
    loc = tuple(part for part in first["loc"] if isinstance(part, (str, int)))
    key = _dotted(loc)
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        known = fields_at(cls, loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), known, n=1)
        prefix = _dotted(loc[:-1]) + "." if len(loc) > 1 else ""
        hint = f" (did you mean '{prefix}{close[0]}'?)" if close else ""
        text = f"unknown key '{key}'{hint}"
    elif first["type"] == "missing":
        text = f"missing key '{key}' (set it with {key}=...)"
    elif key:
        text = f"bad value for '{key}': {message} (got {_short(first.get('input'))})"
    else:
        text = f"bad config: {message}"
    more = len(errors) - 1
    if more:
        text += f" (and {more} more problem{'s' if more > 1 else ''})"
    return one_line(f"{context}: {text}" if context else text)


def preset_values(recipe: type[TrainConfig], preset: str | None) -> dict[str, Any]:
    """The nested override dict of a named preset (default: the recipe's default preset)."""
    presets = recipe.presets
    name = preset or recipe.default_preset
    if name in presets:
        return copy.deepcopy(presets[name])
    if preset is None and not presets:
        return {}
    choices = ", ".join(sorted(presets)) or "none"
    raise OverrideError(f"unknown preset '{name}' for {recipe.__name__} (choose from: {choices})")


def resolve_config(
    recipe: type[TrainConfig],
    overrides: dict[str, Any] | None = None,
    preset: str | None = None,
    raw: dict[str, str] | None = None,
    context: str = "",
) -> TrainConfig:
    """Preset, then overrides, validated by the recipe; errors are one line naming the key."""
    values = deep_merge(preset_values(recipe, preset), overrides or {})
    raw = raw or {}
    for _ in range(len(raw) + 1):
        try:
            return recipe.model_validate(values)
        except ValidationError as exc:
            retried = False
            for err in exc.errors(include_url=False):
                key = _dotted(err["loc"])
                if err["type"] == "string_type" and key in raw:
                    set_nested(values, key, raw.pop(key))
                    retried = True
            if not retried:
                raise OverrideError(explain(exc, recipe, context)) from None
    raise OverrideError(f"{context}: config does not validate" if context else "config does not validate")


def pop_special(tree: dict[str, Any], raw: dict[str, str], names: Iterable[str]) -> dict[str, str]:
    """Remove top-level non-config keys (plugin=, preset=, checkpoint=...) and return their text."""
    found: dict[str, str] = {}
    for name in names:
        if name in tree:
            value = tree.pop(name)
            if isinstance(value, dict):
                raise OverrideError(f"'{name}' takes a single value, not nested keys")
            text = raw.pop(name, str(value)).strip()
            if not text:
                raise OverrideError(f"'{name}=' needs a value")
            found[name] = text
    return found
