"""A plugin with a misspelt hook name."""

from trm_hub import hookimpl


@hookimpl
def register_task(register):
    """Misspelt: the hook is register_tasks."""
