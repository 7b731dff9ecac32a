"""Built-in Sudoku task plugin (4x4, 6x6 and 9x9)."""

from trm_hub.hookspecs import hookimpl
from trm_hub_plugins.sudoku.task import SudokuTask


@hookimpl
def register_tasks(register):
    """Register the Sudoku task."""
    register(SudokuTask())
