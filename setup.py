"""Build step of trm-hub: a built package carries the repository's top-level registry.yaml.

`registry.yaml` stays at the top of the repository, where people read and review it. Building the
`trm_hub` package (a wheel, or `pip install .`) copies it to `trm_hub/registry.yaml`, so an
installed trm-hub finds its shipped registry as package data beside the shipped weights. An
editable install copies nothing and reads the repository's file. Everything else is in
pyproject.toml.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

REGISTRY = "registry.yaml"


class BuildPyWithRegistry(build_py):
    """build_py that also puts the top-level registry.yaml into the built trm_hub package."""

    def run(self) -> None:
        super().run()
        if not getattr(self, "editable_mode", False):
            target = Path(self.build_lib) / "trm_hub" / REGISTRY
            self.mkpath(str(target.parent))
            self.copy_file(REGISTRY, str(target))


setup(cmdclass={"build_py": BuildPyWithRegistry})
