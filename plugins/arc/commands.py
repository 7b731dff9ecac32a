"""The `trm-hub arc` command: solve ARC tasks with a chosen test-time training budget and view count."""

from __future__ import annotations

import os

import click

from trm_hub_plugins.arc.recipe import DEFAULT_TTT_SECONDS, SELECT_ENV, SELECTIONS, TTT_ENV, VIEWS_ENV

HELP = f"""Solve ARC tasks (JSON, or JSON Lines with --jsonl) with the ARC model, skipping the router.

Each test input is predicted under many augmented views (symmetries and colour permutations),
mapped back, and the top 2 distinct grids per test input are kept, with their votes, Q-halt
confidence and, when --select uses it, their log-probability summed over the views. A task the model was trained on uses its trained views; a new task
first gets test-time training on its own demonstration pairs for --ttt-seconds (progress on
stderr), or, with 0, the blank puzzle id.

`trm-hub route` and `trm-hub solve arc` read the same settings from the environment:
{TTT_ENV} (default {DEFAULT_TTT_SECONDS:g} s for the cpu model), {VIEWS_ENV} and {SELECT_ENV}.
"""


def add_commands(cli: click.Group) -> None:
    """Add `arc` to the CLI group."""

    @cli.command("arc", help=HELP, short_help="Solve ARC tasks with voting and test-time training.")
    @click.argument("problem", metavar="PROBLEM.json|-")
    @click.option("--ttt-seconds", type=click.FloatRange(min=0), default=None,
                  help=f"Test-time training budget per new task in seconds; 0 = off. "
                       f"[default: ${TTT_ENV}, else the model's recipe ({DEFAULT_TTT_SECONDS:g} for the cpu model)]")
    @click.option("--views", type=click.IntRange(min=1), default=None,
                  help=f"Augmented views voted over per test input. [default: ${VIEWS_ENV}, else the recipe's (8)]")
    @click.option("--select", type=click.Choice(SELECTIONS), default=None,
                  help=f"How the 2 attempts are chosen among the views' answers: most votes (ties: Q-halt), most "
                       f"votes with ties to the higher log-probability summed over the views, or that log-probability "
                       f"alone (the last two need torch). [default: ${SELECT_ENV}, else the recipe's]")
    @click.option("--jsonl", is_flag=True, help="Read the input as JSON Lines even if it is one line.")
    @click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda or cuda:N.")
    @click.option("--registry", "registry_path", type=click.Path(dir_okay=False), default=None,
                  help="User registry overriding entries of the shipped one (default: $TRM_HUB_REGISTRY).")
    @click.pass_context
    def arc(ctx: click.Context, problem: str, ttt_seconds: float | None, views: int | None, select: str | None,
            jsonl: bool, device: str, registry_path: str | None) -> None:
        if ttt_seconds is not None:
            os.environ[TTT_ENV] = repr(float(ttt_seconds))
        if views is not None:
            os.environ[VIEWS_ENV] = str(int(views))
        if select is not None:
            os.environ[SELECT_ENV] = select
        solve = ctx.parent.command.get_command(ctx.parent, "solve") if ctx.parent else None
        if solve is None:
            raise click.ClickException("the core `solve` command is not available")
        ctx.invoke(solve, task="arc", problem=problem, jsonl=jsonl, device=device, registry_path=registry_path)
