"""A plugin that adds a CLI command."""

import click

from trm_hub import hookimpl


@hookimpl
def register_commands(cli):
    """Add `toy-hello`."""

    @cli.command(name="toy-hello")
    def toy_hello():
        """Say hello from a plugin."""
        click.echo("hello from a plugin")
