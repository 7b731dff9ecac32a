"""A plugin that registers a task name another plugin already uses."""

from trm_hub import hookimpl
from trm_toy_plugin.task import ToyReverse


@hookimpl
def register_tasks(register):
    """Register a second `toy_reverse`."""
    register(ToyReverse())
