"""The `trm-hub` command line: thin click commands that parse, call the core and print."""

from __future__ import annotations

import json
import os
import re
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Sequence

import click
from pydantic import ValidationError

from trm_hub.errors import HubError, format_validation_error, one_line
from trm_hub.pipeline import NO_FIT

DEVICE = re.compile(r"^(auto|cpu|cuda(:\d+)?|mps)$")


class CliError(click.ClickException):
    """A one-line error with a chosen exit code."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(one_line(message))
        self.exit_code = exit_code


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn the core's readable errors into one-line CLI errors."""
    try:
        yield
    except click.ClickException:
        raise
    except ValidationError as exc:
        raise CliError(format_validation_error(exc)) from None
    except HubError as exc:
        raise CliError(str(exc)) from None


class HubGroup(click.Group):
    """The top-level group; plugin commands are added (once) when commands are first looked up."""

    plugins_loaded = False

    def _load_plugin_commands(self) -> None:
        if self.plugins_loaded:
            return
        self.plugins_loaded = True
        from trm_hub.plugins import get_plugin_manager

        with user_errors():
            get_plugin_manager().hook.register_commands(cli=self)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load_plugin_commands()
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands:
            self._load_plugin_commands()
        return super().get_command(ctx, cmd_name)


def _device(ctx: click.Context, param: click.Parameter, value: str) -> str:
    if not DEVICE.match(value):
        raise click.BadParameter("use auto, cpu, cuda or cuda:N")
    return value


def _registry(path: str | None) -> Any:
    """The registry, with the user one from --registry made visible to every part of this process."""
    from trm_hub.registry import REGISTRY_ENV, Registry

    if path:
        os.environ[REGISTRY_ENV] = str(Path(path).expanduser().resolve())
    return Registry.load(path)


registry_option = click.option(
    "--registry",
    "registry_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Your registry, whose entries win over the shipped ones "
    "(default: $TRM_HUB_REGISTRY, else registry.yaml in your user data folder).",
)
device_option = click.option(
    "--device", default="auto", show_default=True, callback=_device, help="auto, cpu, cuda or cuda:N."
)
def _runtime(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """Make --runtime the runtime of every model this process loads."""
    from trm_hub.runtime import RUNTIME_ENV

    os.environ[RUNTIME_ENV] = value
    return value


runtime_option = click.option(
    "--runtime", type=click.Choice(["auto", "torch", "onnx"]), default=lambda: os.environ.get("TRM_HUB_RUNTIME", "auto"),
    show_default="auto", callback=_runtime, expose_value=False,
    help="What runs the model: onnxruntime (CPU) or torch (CPU or GPU); auto picks onnxruntime on a CPU "
    "where the model has a step graph, else torch. Also $TRM_HUB_RUNTIME.",
)
jsonl_option = click.option("--jsonl", is_flag=True, help="Read the input as JSON Lines even if it is one line.")


@click.group(cls=HubGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="trm-hub", prog_name="trm-hub")
def cli() -> None:
    """Answer structured reasoning problems with tiny recursive models.

    A router picks the task plugin that owns a problem (JSON) and that plugin's
    small TRM solves it. Set TRM_HUB_DEBUG=1 to see tracebacks.
    """


def _emit(results: Sequence[dict[str, Any]], jsonl: bool) -> None:
    """Print results: JSONL prints every line (exit 1 if any failed); one problem fails as one line."""
    if jsonl:
        for result in results:
            click.echo(json.dumps(result, ensure_ascii=False))
        failed = sum(1 for result in results if result.get("error"))
        if failed:
            raise CliError(f"{failed} of {len(results)} problems got no answer (see their error lines)")
        return
    result = results[0]
    if result.get("error"):
        raise CliError(result["error"], exit_code=2 if result["error"].startswith(NO_FIT) else 1)
    click.echo(json.dumps(result, ensure_ascii=False))


def _read(problem: str, jsonl: bool) -> tuple[list[Any], bool]:
    from trm_hub.pipeline import parse_problems, read_text

    source = "stdin" if problem == "-" else problem
    return parse_problems(read_text(problem), source, True if jsonl else None)


settings_option = click.option(
    "--set", "settings", multiple=True, metavar="KEY=VALUE",
    help="Answer with this recipe setting instead of the model's own (repeatable), e.g. --set "
         "data.checked_views=0 (sudoku: the vote of its views, no checker), or --set data.views=1 --set "
         "data.checked_views=0 (sudoku: one view, the fast setting).")


@cli.command()
@click.argument("problem", metavar="PROBLEM.json|-")
@click.option("--dry-run", is_flag=True, help="Print only the routing decision; load no model.")
@jsonl_option
@device_option
@runtime_option
@settings_option
@registry_option
def route(problem: str, dry_run: bool, jsonl: bool, device: str, settings: tuple[str, ...], registry_path: str | None) -> None:
    """Route a problem to its task and solve it (JSON Lines in: one answer line per line)."""
    from trm_hub.pipeline import route_items

    with user_errors():
        items, many = _read(problem, jsonl)
        registry = None if dry_run else _registry(registry_path)
        results = route_items(items, dry_run=dry_run, device=device, registry=registry, settings=settings)
    _emit(results, many)


@cli.command()
@click.argument("task")
@click.argument("problem", metavar="PROBLEM.json|-")
@jsonl_option
@device_option
@runtime_option
@settings_option
@registry_option
def solve(task: str, problem: str, jsonl: bool, device: str, settings: tuple[str, ...], registry_path: str | None) -> None:
    """Solve a problem with the named TASK, skipping the router (confidence is null)."""
    from trm_hub.pipeline import solve_items

    with user_errors():
        items, many = _read(problem, jsonl)
        results = solve_items(task, items, device=device, registry=_registry(registry_path), settings=settings)
    _emit(results, many)


def _task_for(name: str | None, command: str) -> Any:
    """The task named by `plugin=` (a task name, or a plugin that registers exactly one task)."""
    from trm_hub.plugins import collect_tasks

    registered = collect_tasks()
    if not name:
        raise CliError(f"say which task: trm-hub {command} plugin=NAME (tasks: {', '.join(sorted(registered)) or 'none'})")
    if name in registered:
        return registered[name].task
    owned = [entry.task for entry in registered.values() if entry.plugin == name]
    if len(owned) == 1:
        return owned[0]
    if owned:
        names = ", ".join(sorted(task.name for task in owned))
        raise CliError(f"plugin '{name}' registers several tasks ({names}); name one with plugin=TASK")
    raise CliError(f"unknown plugin or task '{name}' (tasks: {', '.join(sorted(registered)) or 'none'})")


def _config(args: Sequence[str], command: str, extra: Sequence[str] = ()) -> tuple[Any, Any, dict[str, str]]:
    """Parse `key=value` arguments into (task, validated recipe config, special keys)."""
    from trm_hub.overrides import parse_overrides, pop_special, resolve_config

    tree, raw = parse_overrides(args)
    special = pop_special(tree, raw, ["plugin", "task", "preset", "model_name", *extra])
    if "plugin" in special and "task" in special:
        raise CliError("give plugin= or task=, not both")
    task = _task_for(special.get("plugin") or special.get("task"), command)
    cfg = resolve_config(task.recipe, tree, special.get("preset"), raw, context=f"{task.name} config")
    return task, cfg, special


def _print_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


@cli.command(context_settings={"ignore_unknown_options": True})
@click.argument("overrides", nargs=-1, metavar="plugin=NAME [preset=P] [KEY=VALUE]...")
@click.option("--print-config", is_flag=True, help="Print the resolved config and stop.")
@click.option("--record/--no-record", default=True, show_default=True,
              help="Record the new checkpoint (sha256, metrics) in your registry, so that eval, route and solve use it.")
@click.option("--export/--no-export", "export_graph", default=True, show_default=True,
              help="Export the checkpoint's ONNX step graph beside it (what onnxruntime answers with).")
@registry_option
def train(overrides: tuple[str, ...], print_config: bool, record: bool, export_graph: bool, registry_path: str | None) -> None:
    """Train a task's model with its recipe: presets, then key=value overrides (nested a.b=v).

    Values are JSON when they parse (numbers, true, [9, 9]), else text. Special keys:
    plugin= (task or plugin name), preset=, model_name=. The checkpoint is recorded in your
    registry (--no-record skips that), its ONNX step graph exported beside it (--no-export skips
    that) and its curves drawn to curves.png. Run under torchrun for DDP.
    """
    with user_errors():
        task, cfg, special = _config(overrides, "train")
        if print_config:
            _print_json({"task": task.name, "config": cfg.model_dump(mode="json")})
            return
        from trm_hub.runtime import require_torch

        require_torch("trm-hub train")
        from trm_hub.train import train as train_model

        stem = Path(train_model(task, cfg, model_name=special.get("model_name")))
        stem.with_suffix(".onnx").unlink(missing_ok=True)
        weights = stem.with_suffix(".safetensors")
        meta_path = stem.with_suffix(".json")
        meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
        model_name = meta.get("model_name") or special.get("model_name") or task.checkpoint_name(cfg)
        if os.environ.get("RANK", "0") != "0":
            return
        summary: dict[str, Any] = {"task": task.name, "model_name": model_name, "checkpoint": str(weights)}
        curves = weights.parent / "curves.png"
        if curves.is_file():
            summary["curves"] = str(curves)
        if export_graph:
            summary["onnx"] = _export_graph(weights)
        if record:
            from trm_hub.registry import RegistryError

            try:
                registry = _registry(registry_path)
                registry.record(task.name, model_name, weights, metrics=meta.get("metrics") or {})
            except RegistryError as exc:
                raise CliError(f"trained {weights}, but did not record it: {exc}") from None
            summary["recorded_in"] = str(registry.write_path)
        _print_json(summary)


def _export_graph(weights: Path) -> str | None:
    """Export a checkpoint's step graph beside it; None (with a note) where the exporter is missing."""
    try:
        import onnxscript  # noqa: F401  (torch's ONNX exporter needs it)

        from trm_hub.model import load_checkpoint
        from trm_hub.model.export import export_step
    except ImportError as exc:
        click.echo(f"trm-hub train: no ONNX graph exported ({exc}); pip install onnx onnxscript", err=True)
        return None
    return str(export_step(load_checkpoint(weights, "cpu")[0], weights.with_suffix(".onnx")))


@cli.command(name="eval", context_settings={"ignore_unknown_options": True})
@click.argument("overrides", nargs=-1, metavar="plugin=NAME [checkpoint=PATH] [KEY=VALUE]...")
@click.option("--print-config", is_flag=True, help="Print the resolved config and stop.")
@registry_option
def eval_command(overrides: tuple[str, ...], print_config: bool, registry_path: str | None) -> None:
    """Evaluate a checkpoint (default: the task's registered one) on the task's test split."""
    with user_errors():
        task, cfg, special = _config(overrides, "eval", extra=["checkpoint"])
        if print_config:
            _print_json({"task": task.name, "checkpoint": special.get("checkpoint"), "config": cfg.model_dump(mode="json")})
            return
        from trm_hub.runtime import require_torch

        require_torch("trm-hub eval")
        checkpoint = special.get("checkpoint")
        if checkpoint is None:
            model_name = special.get("model_name") or task.checkpoint_name(cfg)
            path = _registry(registry_path).weights_for(task.name, model_name)
        else:
            path = Path(checkpoint)
            if not path.with_suffix(".safetensors").exists():
                raise CliError(f"checkpoint {checkpoint} does not exist")
        from trm_hub.train import evaluate

        _print_json(evaluate(task, cfg, checkpoint=path))


@cli.group()
def router() -> None:
    """Fit the router or report its accuracy and rejection."""


@router.command("fit")
@click.option("--out", type=click.Path(dir_okay=False), default=None, help="Where to store it (default: the user cache).")
@click.option("--examples", type=click.IntRange(min=10), default=None, help="Routing examples per task.")
@click.option("--seed", type=int, default=0, show_default=True)
def router_fit(out: str | None, examples: int | None, seed: int) -> None:
    """Refit the router on every registered task's routing examples."""
    from trm_hub import router as routing
    from trm_hub.plugins import load_tasks

    with user_errors():
        _print_json(routing.fit_router(load_tasks(), out, n=examples, seed=seed))


@router.command("eval")
@click.option("--examples", type=click.IntRange(min=10), default=200, show_default=True, help="Held-out problems per task.")
@click.option("--json", "as_json", is_flag=True, help="Print the full report as JSON.")
def router_eval(examples: int, as_json: bool) -> None:
    """Report the router's accuracy per task and its rejection of out-of-scope problems."""
    from trm_hub import router as routing
    from trm_hub.plugins import load_tasks

    with user_errors():
        report = routing.evaluate_router(load_tasks(), n=examples)
    if as_json:
        _print_json(report)
    else:
        click.echo(routing.format_report(report))


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip() for row in [header, *rows]]
    return "\n".join(lines)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def plugins(as_json: bool) -> None:
    """List installed plugins: name, package, version, hooks."""
    from trm_hub.plugins import plugin_rows

    with user_errors():
        rows = plugin_rows()
    if as_json:
        _print_json(rows)
        return
    table = [
        [
            row["name"] + ("" if row["status"] == "ok" else " (failed)"),
            row["distribution"] or row["module"] or "-",
            row["version"] or "-",
            ", ".join(row["hooks"]) or "-",
        ]
        for row in rows
    ]
    click.echo(_table(table, ["PLUGIN", "PACKAGE", "VERSION", "HOOKS"]))


def _weights_cell(model: dict[str, Any]) -> str:
    """One model in the tasks table: name, which registry names it, whether its file is there."""
    where = "user, replaces shipped" if model["replaces_shipped"] else model["source"]
    graph = ", onnx" if model.get("onnx") else ""
    return f"{model['name']} ({where}, {'present' if model['present'] else 'missing'}{graph})"


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@registry_option
def tasks(as_json: bool, registry_path: str | None) -> None:
    """List tasks: plugin, description, models (from the shipped or your registry, present or missing)."""
    from trm_hub.plugins import collect_tasks

    keys = ("name", "present", "onnx", "path", "source", "registry", "replaces_shipped")
    with user_errors():
        registered = collect_tasks()
        registry = _registry(registry_path)
        rows = [
            {
                "name": name,
                "plugin": entry.plugin,
                "description": entry.task.describe(),
                "weights": [{key: model[key] for key in keys} for model in registry.status(name)],
            }
            for name, entry in sorted(registered.items())
        ]
    if as_json:
        _print_json(rows)
        return
    table = [
        [row["name"], row["plugin"], ", ".join(_weights_cell(w) for w in row["weights"]) or "none", row["description"]]
        for row in rows
    ]
    click.echo(_table(table, ["TASK", "PLUGIN", "WEIGHTS", "DESCRIPTION"]))
    user = registry.user_path
    click.echo(f"\nshipped registry: {registry.shipped_path}")
    click.echo(f"your registry:    {user}" + ("" if user.exists() else " (not created yet: `trm-hub train` makes it)"))


@cli.command()
@click.argument("model_name")
@click.option("--task", "task_name", default=None, help="The task the model belongs to (when several have one of that name).")
@registry_option
def forget(model_name: str, task_name: str | None, registry_path: str | None) -> None:
    """Remove MODEL_NAME from your registry (the checkpoint files stay where they are).

    A shipped model of the same name is served again; shipped models themselves cannot be removed.
    """
    with user_errors():
        registry = _registry(registry_path)
        found = registry.find(model_name, task_name)
        mine = sorted({task for task, source in found if source == "user"})
        if len(mine) > 1:
            raise CliError(f"several tasks have a model '{model_name}' in your registry ({', '.join(mine)}); "
                           f"say which with `trm-hub forget {model_name} --task {mine[0]}`")
        task = mine[0] if mine else (found[0][0] if found else task_name)
        if task is None:
            raise CliError(f"no task has a model '{model_name}' in your registry {registry.write_path} "
                           "(`trm-hub tasks` lists the models and where each comes from)")
        weights = registry.remove(task, model_name)
        click.echo(f"removed model '{model_name}' of task '{task}' from {registry.write_path}; "
                   f"its checkpoint stays at {weights}")
        if model_name in registry.entries(task):
            click.echo(f"the shipped model '{model_name}' is used again")


@cli.command()
@click.argument("runs", nargs=-1, required=True, metavar="RUN_DIR...")
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="PNG to write (default: RUN_DIR/curves.png for one run folder).")
@click.option("--tensorboard", "tensorboard_dir", type=click.Path(file_okay=False), default=None,
              help="Also write the runs as TensorBoard event files under this folder (needs tensorboard).")
def plot(runs: tuple[str, ...], out: str | None, tensorboard_dir: str | None) -> None:
    """Draw runs' metrics logs (RUN_DIR/metrics.jsonl, or a .jsonl file) as one PNG.

    Loss, exact accuracy, mean supervision steps and learning rate against steps; several runs
    are overlaid. Evaluations are dots, training batches a smoothed line.
    """
    from trm_hub import plot as plotting

    with user_errors():
        paths = [Path(run) for run in runs]
        written = plotting.plot_runs(paths, Path(out) if out else plotting.default_picture(paths))
        click.echo(f"wrote {written}")
        if tensorboard_dir:
            for folder in plotting.write_tensorboard(paths, Path(tensorboard_dir)):
                click.echo(f"wrote TensorBoard events to {folder}")


@cli.command()
@click.argument("model_name")
@click.option("--out", "out", type=click.Path(file_okay=False), required=True, help="Folder to write the bundle into.")
@click.option("--quantize", type=click.Choice(["int8"]), default=None,
              help="Also write a dynamically quantised graph (int8 weights).")
@click.option("--task", "task_name", default=None, help="The task the model belongs to (when several have one of that name).")
@registry_option
def export(model_name: str, out: str, quantize: str | None, task_name: str | None, registry_path: str | None) -> None:
    """Write MODEL_NAME as a bundle for onnxruntime on another machine or device.

    The bundle is the model's ONNX step graph (MODEL.onnx, and MODEL.int8.onnx with --quantize)
    and MODEL.json: shapes, initial state, halting threshold and step limit, the task's vocabulary
    and views, and the sha256 of each file. docs/deploy.md shows the loop that runs it.
    """
    from trm_hub.bundle import export_bundle
    from trm_hub.plugins import load_tasks

    with user_errors():
        registry = _registry(registry_path)
        found = sorted({task for task, _ in registry.find(model_name, task_name)})
        if not found:
            raise CliError(f"no task has a model '{model_name}' (`trm-hub tasks` lists them)")
        if len(found) > 1:
            raise CliError(f"several tasks have a model '{model_name}' ({', '.join(found)}); say which with --task")
        tasks = load_tasks()
        if found[0] not in tasks:
            raise CliError(f"model '{model_name}' belongs to task '{found[0]}', which no installed plugin serves")
        info = export_bundle(registry, tasks[found[0]], model_name, Path(out), quantize)
        _print_json({"bundle": str(Path(out) / f"{model_name}.json"), "graphs": info["graphs"], "sha256": info["sha256"]})


@cli.command("new-plugin", short_help="Write a working task plugin to start your own from.")
@click.argument("name")
@click.option("--dir", "target", type=click.Path(), default=None,
              help="Folder to write the plugin into (default: ./trm-hub-NAME); must not exist or be empty.")
def new_plugin(name: str, target: str | None) -> None:
    """Write a working task plugin NAME to start your own from.

    The package (pyproject.toml with the trm_hub entry point, the task, its tests) holds a
    small real task, sorting a list of digits, that trains on CPU in minutes. Install it with
    pip install -e, then see docs/writing-a-plugin.md.
    """
    from trm_hub.plugins import collect_tasks
    from trm_hub.scaffold import write_plugin

    with user_errors():
        folder, files = write_plugin(name, target, taken=collect_tasks())
    click.echo(f"wrote plugin '{name}' to {folder}:")
    for relative in files:
        click.echo(f"  {relative}")
    shown = str(folder) if str(folder).startswith((".", "/", "~")) else f"./{folder}"
    click.echo(f"next: pip install -e {shown} && trm-hub plugins")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback unless told otherwise).")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option("--max-body-bytes", type=click.IntRange(min=1), default=1_048_576, show_default=True,
              help="Largest request body accepted (413 above).")
@click.option("--max-depth", type=click.IntRange(min=1), default=20, show_default=True,
              help="Deepest JSON nesting accepted (400 above).")
@click.option("--batch-wait-ms", type=click.FloatRange(min=0), default=5.0, show_default=True,
              help="How long a batch waits for more problems for the same model.")
@click.option("--batch-size", type=click.IntRange(min=1), default=64, show_default=True,
              help="Most problems answered in one batch.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Batches answered at once [default: 1 on a GPU, else one per CPU core].")
@click.option("--threads", type=click.IntRange(min=1), default=None,
              help="CPU threads per batch, torch or onnxruntime [default: CPU cores / workers].")
@click.option("--log-level", type=click.Choice(["critical", "error", "warning", "info", "debug"]), default="info",
              show_default=True)
@device_option
@runtime_option
@registry_option
def serve(host: str, port: int, max_body_bytes: int, max_depth: int, batch_wait_ms: float, batch_size: int,
          workers: int | None, threads: int | None, log_level: str, device: str, registry_path: str | None) -> None:
    """Serve the hub over HTTP (POST /v1/route, /v1/solve/TASK, GET /v1/tasks, /healthz) and a web page at /.

    Each task's models load once and stay loaded; concurrent requests for one model are answered
    in one batch. Ctrl-C or SIGTERM finishes the requests in flight and exits 0.
    """
    try:
        from trm_hub.serve import ServeSettings, run
    except ImportError as exc:
        raise CliError(f"trm-hub serve needs FastAPI and uvicorn ({exc}); pip install 'trm-hub[serve]'") from None
    with user_errors():
        if registry_path:
            _registry(registry_path)
        from trm_hub.runtime import check_device

        check_device(device)
        settings = ServeSettings(device=device, max_body_bytes=max_body_bytes, max_depth=max_depth,
                                 batch_wait_ms=batch_wait_ms, batch_size=batch_size, workers=workers,
                                 threads=threads, registry_path=registry_path)
    run(host, port, settings, log_level=log_level)


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point: unexpected errors become one line unless TRM_HUB_DEBUG is set."""
    from trm_hub.pipeline import debugging

    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="trm-hub")
    except Exception as exc:
        if debugging():
            raise
        click.echo(f"Error: internal error: {one_line(f'{type(exc).__name__}: {exc}')} "
                   "(set TRM_HUB_DEBUG=1 for the traceback)", err=True)
        sys.exit(1)
