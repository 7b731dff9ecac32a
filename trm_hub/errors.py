"""User-facing errors: one readable line each, never a traceback."""

from __future__ import annotations

from pydantic import ValidationError


class HubError(ValueError):
    """An error whose message is shown to the user as one line."""


def one_line(text: str) -> str:
    """Collapse a message onto one line."""
    return " ".join(str(text).split())


def format_validation_error(exc: ValidationError, what: str = "") -> str:
    """One line describing the first problem in a pydantic ValidationError."""
    errors = exc.errors(include_url=False)
    if not errors:
        return one_line(f"{what}: {exc}" if what else str(exc))
    first = errors[0]
    loc = ".".join(str(part) for part in first.get("loc", ()))
    message = first.get("msg", "invalid value")
    if message.startswith("Value error, "):
        message = message[len("Value error, "):]
    text = f"{loc}: {message}" if loc else message
    if len(errors) > 1:
        text += f" (and {len(errors) - 1} more error{'s' if len(errors) > 2 else ''})"
    return one_line(f"{what}: {text}" if what else text)


def describe_error(exc: BaseException) -> str:
    """One line for any exception met while answering a problem."""
    if isinstance(exc, ValidationError):
        return format_validation_error(exc)
    if isinstance(exc, (HubError, ValueError, KeyError, TypeError, FileNotFoundError)):
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        return one_line(str(message)) or type(exc).__name__
    return one_line(f"internal error: {type(exc).__name__}: {exc}")
