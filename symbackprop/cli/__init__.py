"""The command line: a thin typer layer over the library; only this package imports rich.

Each command lives in its own module of this package and registers itself on :data:`app`
(defined in :mod:`symbackprop.cli.common`). A run imports only the module of the command it runs,
and library modules (and so SymPy) are imported inside the commands; ``symbackprop --help``
prints a text stored in the package (written by :mod:`symbackprop.cli.helptext`) and imports not
even typer.
"""

from __future__ import annotations

import atexit
import gc
import importlib
import os
import sys

# Every command, in the order --help lists them: its name → the module of this package that defines it.
# A new command is one line here; then regenerate the stored help: python -m symbackprop.cli.helptext
COMMANDS = {
    "derive": "derive",
    "check": "check",
    "train": "train",
    "audit": "audit",
    "grade": "grade",
    "variants": "variants",
    "latex": "latex",
    "list": "catalog",
    "show": "catalog",
    "new": "new",
}

# ``symbackprop --help``, as typer prints it on a terminal of WIDE_TERMINAL columns or more (click
# wraps help at min(columns, 80) - 2), stored by symbackprop.cli.helptext.
HELP_FILE = os.path.join(os.path.dirname(__file__), "help.txt")
WIDE_TERMINAL = 80


def load_commands(names: list[str] | None = None) -> None:
    """Import the modules that define the commands ``names`` (default: every command), so they register on ``app``.

    >>> load_commands(["derive"]); "symbackprop.cli.derive" in sys.modules
    True
    """
    modules = list(dict.fromkeys(COMMANDS[name] for name in (COMMANDS if names is None else names)))
    for module in modules:
        importlib.import_module(f"{__name__}.{module}")
    # --help lists the commands in the table's order, whichever module a caller imported first.
    # (A module missing from the table, imported by hand, comes last; a test asks for its row.)
    order = {module: index for index, module in enumerate(dict.fromkeys(COMMANDS.values()))}
    _application().registered_commands.sort(
        key=lambda info: order.get(info.callback.__module__.rpartition(".")[2], len(order))
    )


def main(args: list[str] | None = None) -> None:
    """The console script's entry point: run the command in ``args`` (default: sys.argv) and exit.

    ``--help`` alone prints the stored help. Otherwise only the invoked command's module is
    imported; anything else (an unknown command, --version, no command) loads every command, so
    that typer answers as it would with all of them.
    """
    argv = sys.argv[1:] if args is None else list(args)
    if args is None:  # this process is the command: it ends when the command does
        # Python's collections at exit walk every object still alive (SymPy's caches, the derivation),
        # which costs a third of a short run; the OS frees them with the process. Objects left at exit
        # are not promised their __del__ anyway; the commands close their files themselves, and the
        # standard streams are flushed at exit all the same.
        atexit.register(gc.freeze)
    if argv == ["--help"] and (text := _stored_help()) is not None:
        sys.stdout.write(text)
        sys.exit(0)
    load_commands(argv[:1] if argv[:1] and argv[0] in COMMANDS else None)
    importlib.import_module(f"{__name__}.common").main(argv)


def _stored_help() -> str | None:
    """The stored ``--help`` if it is what typer would print on this terminal, else None (typer then prints it)."""
    import shutil  # what click asks for the width, so that both agree on it

    if shutil.get_terminal_size().columns < WIDE_TERMINAL:
        return None
    try:
        with open(HELP_FILE, encoding="utf-8") as stored:
            return stored.read()
    except OSError:  # an install without the file: typer prints the help
        return None


def _application():
    """The typer application, from the module that defines it."""
    return importlib.import_module(f"{__name__}.common").app


def __getattr__(name: str):
    """``app``: the typer application with every command registered on it (PEP 562, loaded on first use)."""
    if name == "app":
        load_commands()
        return _application()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["COMMANDS", "app", "load_commands", "main"]
