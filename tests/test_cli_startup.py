"""How a run of the command line starts and ends: the stored --help, only the invoked command's module,
a command alone run with its defaults, and a process's output whole at exit."""

from __future__ import annotations

import csv
import functools
import inspect
import json
import os
import pkgutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import typer
from conftest import EXAMPLES
from typer.testing import CliRunner

import symbackprop.cli
from symbackprop.cli import COMMANDS, HELP_FILE, app, helptext, load_commands

STALE = "the stored help is stale: regenerate it with  python -m symbackprop.cli.helptext"


# Runs the command line as ``python -m symbackprop`` does, and lists every module it imported when it exits.
AS_A_USER = (
    "import atexit, runpy, sys; atexit.register(lambda: print(*sys.modules, sep='\\n', file=sys.stderr));"
    "sys.argv[0] = 'symbackprop'; runpy.run_module('symbackprop', run_name='__main__')"
)


def run(*args: str, columns: int = 100, code: str = AS_A_USER) -> tuple[str, set[str]]:
    """``symbackprop ARGS`` as a user runs it (or the Python ``code``): its output and every module it imported."""
    env = {**os.environ, "COLUMNS": str(columns)}
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env)
    return done.stdout, set(done.stderr.split())


def test_help_imports_neither_sympy_nor_typer_and_prints_the_stored_text():
    out, imported = run("--help")
    assert not {"sympy", "numpy", "typer", "rich"} & imported
    with open(HELP_FILE, encoding="utf-8") as stored:
        assert out == stored.read() and out.startswith("Usage: symbackprop [OPTIONS] COMMAND")


def test_the_stored_help_is_the_one_typer_prints_now():
    with open(HELP_FILE, encoding="utf-8") as stored:
        assert stored.read() == helptext.generated(), STALE


def test_the_stored_help_is_what_typer_prints_on_a_wide_terminal_and_a_narrow_one_gets_typers():
    typer_prints = "from symbackprop.cli import app; app(['--help'], prog_name='symbackprop')"
    for columns in (80, 120):
        assert run("--help", columns=columns)[0] == run(code=typer_prints, columns=columns)[0], columns
    narrow, imported = run("--help", columns=60)
    assert narrow == run(code=typer_prints, columns=60)[0] and "typer" in imported
    with open(HELP_FILE, encoding="utf-8") as stored:
        assert narrow != stored.read()  # wrapped narrower than the stored text


def test_a_command_imports_its_own_module_only():
    out, imported = run("list")
    assert "two-branch-sigmoid" in out
    assert "symbackprop.cli.catalog" in imported
    assert not {f"symbackprop.cli.{name}" for name in ("derive", "grade", "train", "latex")} & imported


def test_every_command_module_is_in_the_table_and_the_table_is_the_order_of_help():
    modules = {info.name for info in pkgutil.iter_modules(symbackprop.cli.__path__)} - {"common", "helptext"}
    assert modules <= set(COMMANDS.values()), "add the command to COMMANDS in symbackprop/cli/__init__.py"
    assert list(typer.main.get_command(app).commands) == list(COMMANDS)


def test_the_packages_app_is_the_application_with_every_command():
    assert (
        isinstance(symbackprop.cli.app, typer.Typer)
        and symbackprop.cli.app is sys.modules["symbackprop.cli.common"].app
    )
    names = {info.name or info.callback.__name__ for info in symbackprop.cli.app.registered_commands if info.callback}
    assert names == set(COMMANDS)


def commands_taking_defaults() -> dict[str, Callable]:
    """Each command that runs with no arguments at all: its name and function."""
    load_commands()
    found = {}
    for info in symbackprop.cli.app.registered_commands:
        assert info.callback is not None
        parameters = inspect.signature(info.callback).parameters.values()
        if all(parameter.default is not parameter.empty for parameter in parameters):
            found[info.name or info.callback.__name__] = info.callback
    return found


def values_typer_passes_with_no_arguments(command: Callable) -> dict[str, object]:
    """What typer calls ``command`` with when the user gives it no argument: a twin of it, run by typer, records it."""
    received: dict[str, object] = {}

    @functools.wraps(command)  # the same signature, annotations and module globals
    def twin(**values):
        received.update(values)

    probe = typer.Typer(add_completion=False)
    probe.command()(twin)
    result = CliRunner().invoke(probe, [])
    assert result.exit_code == 0, result.output
    return received


def test_a_command_given_no_arguments_runs_with_the_values_typer_would_pass():
    found = commands_taking_defaults()
    assert {"derive", "list"} <= set(found)
    for name, command in found.items():
        defaults = {key: parameter.default for key, parameter in inspect.signature(command).parameters.items()}
        assert values_typer_passes_with_no_arguments(command) == defaults, name


def test_derive_with_no_arguments_does_not_build_typers_converters_and_prints_what_typer_runs():
    out, imported = run("derive")
    assert "pydantic" not in imported and "∂E/∂w₁" in out
    result = CliRunner().invoke(app, ["derive"], env={"COLUMNS": "100"})
    assert result.exit_code == 0 and result.stdout == out


def test_a_command_run_as_a_process_leaves_its_output_whole(tmp_path):
    # The process exits without Python's collections at exit (gc.freeze): files and pipes are still complete.
    reports = [str(tmp_path / "r.json"), str(tmp_path / "r.csv")]
    class_file = EXAMPLES / "four-paths-class.csv"
    run("grade", str(EXAMPLES / "four-paths-grading.toml"), str(class_file), "--jobs", "2", "--json", reports[0],
        "--csv", reports[1])  # fmt: skip
    students = [line.split(",")[0] for line in class_file.read_text().splitlines()[1:]]
    assert set(json.loads(Path(reports[0]).read_text())["students"]) == set(students)
    with open(reports[1], newline="", encoding="utf-8") as rows:
        assert list(dict.fromkeys(row["student"] for row in csv.DictReader(rows))) == students
    steps = json.loads(run("train", "bp-2-2-1-sigmoid", "--steps", "3000", "--json")[0])["steps"]
    assert [step["step"] for step in steps] == list(range(3001))
