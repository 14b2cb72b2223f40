"""The forms of a derivation that ``derive`` and ``latex`` show, in one place and without SymPy.

``--help`` lists them, so this module imports nothing heavy. A new form is one more entry in
:data:`FORMS` (before ``"all"``), then its rendering in the terminal and the LaTeX printers.
"""

from __future__ import annotations

from symbackprop.errors import SymbackpropError

# Every form, in the order they are shown; "all" shows every one before it.
FORMS = ("chain", "paths", "delta", "closed", "all")


def forms_help() -> str:
    """The forms as ``--form``'s help names them.

    >>> forms_help()
    'chain, paths, delta, closed or all.'
    """
    return f"{', '.join(FORMS[:-1])} or {FORMS[-1]}."


def selected_forms(form: str) -> frozenset[str]:
    """The forms ``--form FORM`` shows; an unknown form is an error naming the known ones.

    >>> sorted(selected_forms("all")), sorted(selected_forms("delta"))
    (['chain', 'closed', 'delta', 'paths'], ['delta'])
    """
    if form not in FORMS:
        raise SymbackpropError(f"unknown form {form!r} (one of {', '.join(FORMS)})", key="--form")
    return frozenset(FORMS[:-1]) if form == "all" else frozenset({form})
