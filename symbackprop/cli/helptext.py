"""Store ``symbackprop --help`` in the package, so that printing it imports neither typer nor SymPy.

The stored text is typer's own help as a terminal of 80 columns or more gets it. After adding a
command or changing a command's docstring, regenerate it with ``python -m symbackprop.cli.helptext``;
a test fails while it is stale.
"""

from __future__ import annotations

import contextlib
import io
import sys

from symbackprop.cli import HELP_FILE, WIDE_TERMINAL, load_commands


def generated() -> str:
    """The help typer prints for the application with every command, on a wide terminal.

    >>> generated().startswith("Usage: symbackprop [OPTIONS] COMMAND [ARGS]...")
    True
    """
    from symbackprop.cli.common import app

    load_commands()
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        # click's width on a terminal of WIDE_TERMINAL columns or more: min(columns, 80) - 2
        app(["--help"], prog_name="symbackprop", standalone_mode=False, terminal_width=WIDE_TERMINAL - 2)
    return printed.getvalue()


def write() -> None:
    """Store the help that typer prints now."""
    with open(HELP_FILE, "w", encoding="utf-8", newline="") as stored:
        stored.write(generated())
    sys.stdout.write(f"wrote {HELP_FILE}\n")


if __name__ == "__main__":
    write()
