"""The forms of a derivation that ``derive`` and ``latex`` show, in one place and without SymPy.

``--help`` lists them, so this module imports nothing heavy. A new form of a scalar derivation
is one more entry in :data:`SCALAR_FORMS`, then its rendering in the terminal and the LaTeX
printers; ``layer`` (the general rules of a ``[layers]`` net) is a form of its own, not in ``all``.
"""

from __future__ import annotations

from symbackprop.errors import SymbackpropError

SCALAR_FORMS = ("chain", "paths", "delta", "closed")  # in the order they are shown; "all" shows every one
ALL = "all"
LAYER = "layer"  # the general rules of a [layers] net: another derivation, so not part of "all"
FORMS = (*SCALAR_FORMS, ALL, LAYER)  # every value --form takes


def forms_help() -> str:
    """The scalar forms and ``all``, as ``--form``'s help names them (the commands describe ``layer`` after them).

    >>> forms_help()
    'chain, paths, delta, closed or all.'
    """
    return f"{', '.join(SCALAR_FORMS)} or {ALL}."


def selected_forms(form: str) -> frozenset[str]:
    """The forms ``--form FORM`` shows; an unknown form is an error naming every known one, ``layer`` too.

    >>> sorted(selected_forms("all")), sorted(selected_forms("delta")), sorted(selected_forms("layer"))
    (['chain', 'closed', 'delta', 'paths'], ['delta'], ['layer'])
    >>> selected_forms("bogus")
    Traceback (most recent call last):
    ...
    symbackprop.errors.SymbackpropError: --form: unknown form 'bogus' (one of chain, paths, delta, closed, all, layer)
    """
    if form not in FORMS:
        raise SymbackpropError(f"unknown form {form!r} (one of {', '.join(FORMS)})", key="--form")
    return frozenset(SCALAR_FORMS) if form == ALL else frozenset({form})
