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
    "Exercise": "symbackprop.exercise.model",
    "load": "symbackprop.exercise.model",
    "from_equations": "symbackprop.exercise.model",
    "Graph": "symbackprop.core.graph",
    "Conventions": "symbackprop.core.functions",
    "derive": "symbackprop.engine.derivation",
    "gradients": "symbackprop.engine.derivation",
    "Derivation": "symbackprop.engine.derivation",
    "Gradient": "symbackprop.engine.derivation",
    "SymbolicDerivation": "symbackprop.engine.symbolic",
    "SymbolicGradient": "symbackprop.engine.symbolic",
    "local_derivative": "symbackprop.engine.local",
    "parse": "symbackprop.parse.plain",
    "train": "symbackprop.engine.train",
    "TrainStep": "symbackprop.engine.train",
    "audit": "symbackprop.auditing.checker",
    "expand": "symbackprop.exercise.layers",
    "gradient_latex": "symbackprop.render.latex_solution",
    "derivation_latex": "symbackprop.render.latex_solution",
    "questions_latex": "symbackprop.render.latex_questions",
    "check": "symbackprop.numeric.check",
    "Grader": "symbackprop.grading.grader",
    "grade_class": "symbackprop.grading.classroom",
    "load_for_grading": "symbackprop.grading.questions",
    "read_answers": "symbackprop.grading.answers",
    "grade_answer": "symbackprop.grading.api",
    "Verdict": "symbackprop.grading.verdict",
    "parse_latex": "symbackprop.parse.latex",
}

__all__ = sorted(_API)


def __getattr__(name: str):
    if name in _API:
        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module 'symbackprop' has no attribute {name!r}")


def load_ipython_extension(ipython) -> None:
    """``%load_ext symbackprop``: Jupyter then shows derivations and gradients as their worked solution."""
    importlib.import_module("symbackprop.render.jupyter").load_ipython_extension(ipython)
