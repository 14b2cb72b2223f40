"""The command line: a thin typer layer over the library; only this package imports rich.

Each command lives in its own module of this package and registers itself on :data:`app`.
Library modules (and so SymPy) are imported inside the commands, so ``symbackprop --help``
stays fast.
"""

import importlib
import pkgutil

from symbackprop.cli.app import app, main

# Commands appear in --help in this order; a module not named here comes after them.
_ORDER = ("derive", "check", "train", "audit", "grade", "variants", "latex", "catalog")


def _register_commands() -> None:
    names = [info.name for info in pkgutil.iter_modules(__path__) if info.name != "app"]
    for name in sorted(names, key=lambda n: (_ORDER.index(n) if n in _ORDER else len(_ORDER), n)):
        importlib.import_module(f"{__name__}.{name}")


_register_commands()

__all__ = ["app", "main"]
