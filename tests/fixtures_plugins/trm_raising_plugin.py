"""A plugin whose register_tasks raises."""

from trm_hub import hookimpl


@hookimpl
def register_tasks(register):
    """Fail while registering."""
    raise ValueError("cannot register today")
