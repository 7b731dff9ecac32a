"""trm-hub: structured reasoning problems answered by tiny recursive models, routed to task plugins."""

from typing import Any

from trm_hub.hookspecs import hookimpl
from trm_hub.task import Answer, Checkpoint, Problem, Solution, Task

__all__ = ["hookimpl", "Task", "Problem", "Solution", "Answer", "Checkpoint", "route", "solve", "load_tasks"]


def __getattr__(name: str) -> Any:
    """Import route(), solve() and load_tasks() on first use."""
    if name in ("route", "solve"):
        from trm_hub import pipeline

        return getattr(pipeline, name)
    if name == "load_tasks":
        from trm_hub.plugins import load_tasks

        return load_tasks
    raise AttributeError(f"module 'trm_hub' has no attribute '{name}'")
