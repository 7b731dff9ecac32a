"""The hooks a trm-hub plugin may implement."""

import pluggy

hookspec = pluggy.HookspecMarker("trm_hub")
hookimpl = pluggy.HookimplMarker("trm_hub")


@hookspec
def register_tasks(register):
    """Register Task instances by calling register(task)."""


@hookspec(firstresult=True)
def claim_problem(problem):
    """Return a task name to claim this raw problem (dict) outright, or None to let the router decide."""


@hookspec
def register_commands(cli):
    """Add click commands to the trm-hub CLI group."""
