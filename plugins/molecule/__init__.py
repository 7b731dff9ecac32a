"""Molecular property prediction task plugin for trm-hub."""

from trm_hub.hookspecs import hookimpl
from trm_hub_plugins.molecule.task import MoleculeTask


@hookimpl
def register_tasks(register):
    """Register the molecule task."""
    register(MoleculeTask())
