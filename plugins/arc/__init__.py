"""ARC-AGI task plugin for trm-hub."""

from trm_hub.hookspecs import hookimpl


@hookimpl
def register_tasks(register):
    """Register the ARC task."""
    from trm_hub_plugins.arc.task import ArcTask

    register(ArcTask())


@hookimpl
def register_commands(cli):
    """Add `trm-hub arc` (answering with a test-time training budget)."""
    from trm_hub_plugins.arc.commands import add_commands

    add_commands(cli)
