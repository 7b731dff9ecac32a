"""The plugin docs cannot fall behind: every hook and Task member documented, snippets and commands real."""

from __future__ import annotations

import ast
import inspect
import re
import shlex
import textwrap
from pathlib import Path

import click
import pluggy
import pytest

from trm_hub import hookspecs
from trm_hub.cli import cli
from trm_hub.scaffold import plugin_names, render
from trm_hub.task import Task

DOCS = Path(__file__).resolve().parent.parent / "docs"
REFERENCE = DOCS / "reference.md"
TUTORIAL = DOCS / "writing-a-plugin.md"
OPTIONAL_TASK_MEMBERS = ["evaluate"]
FENCE = re.compile(r"```(\w*)\n(.*?)```", re.S)
TEMPLATE_MARK = re.compile(r"<!-- template: (\S+) -->\n```\w*\n(.*?)```", re.S)


def hook_names() -> list[str]:
    """The hooks pluggy finds in trm_hub.hookspecs."""
    pm = pluggy.PluginManager("trm_hub")
    pm.add_hookspecs(hookspecs)
    return sorted(name for name in vars(pm.hook) if not name.startswith("_"))


def task_members() -> list[str]:
    """Task's public class attributes (declared or assigned) and methods, plus optional ones the core looks up."""
    names = {name for name in vars(Task) if not name.startswith("_")}
    names |= {name for name in Task.__annotations__ if not name.startswith("_")}
    return sorted(names | set(OPTIONAL_TASK_MEMBERS))


def sections(text: str) -> dict[str, str]:
    """Markdown heading line -> the text up to the next heading."""
    parts = re.split(r"^(#{1,6} .*)$", text, flags=re.M)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def documented(heading_pattern: str) -> list[str]:
    """Bodies of the reference sections whose heading matches the pattern."""
    return [body for heading, body in sections(REFERENCE.read_text()).items() if re.search(heading_pattern, heading)]


def test_introspection_finds_the_hooks_and_members() -> None:
    assert hook_names() == ["claim_problem", "register_commands", "register_tasks"]
    members = task_members()
    assert {"name", "Problem", "recipe", "encode", "decode", "verify", "routing_examples", "solve"} <= set(members)


def defined_functions(body: str) -> dict[str, list[str]]:
    """Functions defined in a section's Python examples: name -> parameter names."""
    found: dict[str, list[str]] = {}
    for lang, block in FENCE.findall(body):
        if lang == "python":
            for node in ast.walk(ast.parse(textwrap.dedent(block))):
                if isinstance(node, ast.FunctionDef):
                    found[node.name] = [arg.arg for arg in node.args.args]
    return found


@pytest.mark.parametrize("hook", hook_names())
def test_every_hook_has_a_reference_section_with_an_example(hook: str) -> None:
    bodies = documented(rf"^###\s+`{hook}\(")
    assert len(bodies) == 1, f"docs/reference.md needs one '### `{hook}(...)`' heading"
    pm = pluggy.PluginManager("trm_hub")
    pm.add_hookspecs(hookspecs)
    spec = getattr(pm.hook, hook).spec
    assert defined_functions(bodies[0]).get(hook) == list(spec.argnames), f"the {hook} example's signature"


@pytest.mark.parametrize("member", task_members())
def test_every_task_member_has_a_reference_section_with_an_example(member: str) -> None:
    bodies = documented(rf"^###\s+`Task\.{member}\b")
    assert len(bodies) == 1, f"docs/reference.md needs one '### `Task.{member}`' heading"
    assert "```python" in bodies[0]
    defined = defined_functions(bodies[0]).get(member)
    method = getattr(Task, member, None)
    if defined is not None and callable(method) and not isinstance(method, type):
        assert defined == list(inspect.signature(method).parameters)[: len(defined)], f"the {member} example's signature"


@pytest.mark.parametrize("doc", [REFERENCE, TUTORIAL], ids=lambda p: p.name)
def test_python_examples_are_valid_python(doc: Path) -> None:
    blocks = [body for lang, body in FENCE.findall(doc.read_text()) if lang == "python"]
    assert blocks
    for block in blocks:
        ast.parse(textwrap.dedent(block))


def test_tutorial_snippets_are_the_scaffolded_plugin_verbatim() -> None:
    files = render(plugin_names("digitsort"))
    marked = TEMPLATE_MARK.findall(TUTORIAL.read_text())
    assert len(marked) >= 8
    for path, snippet in marked:
        assert path in files, f"the tutorial quotes {path}, which new-plugin does not write"
        assert snippet in files[path], f"the tutorial's snippet of {path} differs from the template:\n{snippet}"


def _command_lines(doc: Path | str) -> list[str]:
    text = doc.read_text() if isinstance(doc, Path) else doc
    lines = []
    for lang, body in FENCE.findall(text):
        if lang == "bash":
            for line in body.splitlines():
                command = line.split(" # ")[0].split("&&")[-1].split("|")[-1].strip()
                if command.startswith("trm-hub "):
                    lines.append(command)
    return lines


def _check_command(line: str) -> None:
    words = shlex.split(line)[1:]
    command: click.Command = cli
    ctx = click.Context(cli)
    while isinstance(command, click.Group) and words and not words[0].startswith("-"):
        found = command.get_command(ctx, words[0])
        assert found is not None, f"'{line}': no command '{words[0]}'"
        command, words = found, words[1:]
    options = {opt for param in command.params for opt in getattr(param, "opts", [])} | {"--help", "-h"}
    for word in words:
        if word.startswith("--"):
            assert word.split("=")[0] in options, f"'{line}': {command.name} has no option {word}"


@pytest.mark.parametrize("doc", [TUTORIAL, DOCS.parent / "README.md"], ids=lambda p: p.name)
def test_commands_in_the_docs_exist(doc: Path) -> None:
    lines = _command_lines(doc)
    assert lines
    for line in lines:
        _check_command(line)
    if doc == TUTORIAL:
        assert any(line.startswith("trm-hub new-plugin") for line in lines)
        assert any(line.startswith("trm-hub train plugin=digitsort") for line in lines)
        assert any(line.startswith("trm-hub forget digitsort") for line in lines)


def test_commands_in_the_scaffolded_readme_exist() -> None:
    lines = _command_lines(render(plugin_names("digitsort"))["README.md"])
    assert "trm-hub train plugin=digitsort" in lines and "trm-hub eval plugin=digitsort" in lines
    for line in lines:
        _check_command(line)
