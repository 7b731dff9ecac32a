"""The maze task plugin: shortest paths through grid mazes."""

from trm_hub.hookspecs import hookimpl


@hookimpl
def register_tasks(register):
    """Register the maze task."""
    from trm_hub_plugins.maze.task import MazeTask

    register(MazeTask())
