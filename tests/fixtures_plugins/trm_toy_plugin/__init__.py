"""A throwaway third-party plugin for tests: registers the `toy_reverse` task."""

from trm_hub import hookimpl
from trm_toy_plugin.task import ToyReverse


@hookimpl
def register_tasks(register):
    """Register the toy task."""
    register(ToyReverse())
