"""What a run of the command line imports: the stored --help, and only the invoked command's module."""

from __future__ import annotations

import os
import pkgutil
import subprocess
import sys

import typer

import symbackprop.cli
from symbackprop.cli import COMMANDS, HELP_FILE, app, helptext

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
    assert "grade     Grade a class's answers:" not in narrow  # wrapped narrower than the stored text


def test_a_command_imports_its_own_module_only():
    out, imported = run("list")
    assert "two-branch-sigmoid" in out
    assert "symbackprop.cli.catalog" in imported
    assert not {f"symbackprop.cli.{name}" for name in ("derive", "grade", "train", "latex")} & imported


def test_every_command_module_is_in_the_table_and_the_table_is_the_order_of_help():
    modules = {info.name for info in pkgutil.iter_modules(symbackprop.cli.__path__)} - {"app", "helptext"}
    assert modules <= set(COMMANDS.values()), "add the command to COMMANDS in symbackprop/cli/__init__.py"
    assert list(typer.main.get_command(app).commands) == list(COMMANDS)


def test_app_is_the_application_even_after_its_module_is_imported():
    module = sys.modules["symbackprop.cli.app"]  # imported, so the import system bound it to the package
    assert isinstance(module.app, typer.Typer) and symbackprop.cli.app is module.app
