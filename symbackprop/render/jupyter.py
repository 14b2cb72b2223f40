"""Jupyter shows a derivation or a gradient as its worked solution, once ``%load_ext symbackprop`` ran.

The engine does not know how it is displayed (render imports the engine, never the
reverse), so the display is registered with IPython's LaTeX formatter from here.
"""

from __future__ import annotations

from typing import Any

from symbackprop.engine.symbolic import SymbolicDerivation, SymbolicGradient
from symbackprop.render.latex_solution import derivation_latex, gradient_latex


def load_ipython_extension(ipython: Any) -> None:
    """Register the LaTeX display of derivations and gradients, with or without a point."""
    # IPython looks a type up along its MRO: Derivation and Gradient are covered too.
    formatter = ipython.display_formatter.formatters["text/latex"]
    formatter.for_type(SymbolicDerivation, derivation_latex)
    formatter.for_type(SymbolicGradient, gradient_latex)
