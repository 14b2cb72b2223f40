"""symbackprop: backpropagation worked exactly, the way the lectures work it.

The public API is imported lazily, so that ``symbackprop --help`` does not load SymPy.

>>> from symbackprop import load, derive
>>> derive(load("fx-plus-y-times-z")).gradient("x").value   # ∂f/∂x = z = −4 (lecture 001)
-4.0
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# Public name → module that defines it.
_API = {
    "SymbackpropError": "symbackprop.errors",
    "ParseError": "symbackprop.errors",
    "EvaluationError": "symbackprop.errors",
    "Exercise": "symbackprop.exercise",
    "load": "symbackprop.exercise",
    "from_equations": "symbackprop.exercise",
    "Graph": "symbackprop.graph",
    "Conventions": "symbackprop.functions",
    "derive": "symbackprop.engine",
    "gradients": "symbackprop.engine",
    "Derivation": "symbackprop.engine",
    "Gradient": "symbackprop.engine",
    "local_derivative": "symbackprop.engine",
    "parse": "symbackprop.syntax",
    "train": "symbackprop.train",
    "TrainStep": "symbackprop.train",
    "audit": "symbackprop.audit",
    "expand": "symbackprop.layers",
    "gradient_latex": "symbackprop.latex",
    "derivation_latex": "symbackprop.latex",
    "check": "symbackprop.check",
    "Grader": "symbackprop.grade",
    "grade_class": "symbackprop.grade",
    "load_for_grading": "symbackprop.grade",
    "read_answers": "symbackprop.answers",
    "parse_latex": "symbackprop.latex_syntax",
}

__all__ = sorted(_API)


def __getattr__(name: str):
    if name in _API:
        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module 'symbackprop' has no attribute {name!r}")
