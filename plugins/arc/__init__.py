"""ARC-AGI task plugin for trm-hub."""

from trm_hub.hookspecs import hookimpl
from trm_hub_plugins.arc.task import ArcTask


@hookimpl
def register_tasks(register):
    """Register the ARC task."""
    register(ArcTask())
