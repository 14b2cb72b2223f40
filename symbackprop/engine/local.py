"""Local derivatives: ∂v/∂u on every edge u → v, taken from v's right side alone.

They are written in the lecture's terms (∂h/∂s = h(1 − h), ∂E/∂y = −(y_t − y)): each
derivative rule keeps its factors apart, and a function whose derivative reads best through
its own output (σ, tanh) is written in the node that holds that output.
"""

from __future__ import annotations

from collections.abc import Mapping

import sympy

from symbackprop.core.functions import ActivationBase, conventions_in_force, outer_derivative
from symbackprop.errors import SymbackpropError
from symbackprop.exercise.model import Exercise

Edge = tuple[str, str]  # (child, parent): ∂child/∂parent

# A term of a local derivative: numeric coefficient times factors kept apart, so that
# −(y_t − y) stays a negated difference instead of SymPy's distributed y − y_t.
Term = tuple[sympy.Expr, tuple[sympy.Expr, ...]]


def _terms(expr: sympy.Expr, var: sympy.Symbol, outputs: Mapping[sympy.Expr, sympy.Symbol]) -> list[Term]:
    """∂expr/∂var as a list of terms, one derivative rule per kind of node."""
    if expr == var:
        return [(sympy.Integer(1), ())]
    if not expr.has(var):
        return []
    if expr.is_Add:
        return [term for arg in expr.args for term in _terms(arg, var, outputs)]
    if expr.is_Mul:
        return _product_terms(expr, var, outputs)
    if expr.is_Pow and not expr.exp.has(var):
        base, exponent = expr.args
        reduced = base ** (exponent - 1)
        return [(exponent * number, (reduced, *inner)) for number, inner in _terms(base, var, outputs)]
    # Max and Min are not sympy.Function subclasses, but take their derivative (and its value
    # at a tie) from the conventions like every other function.
    if isinstance(expr, (sympy.Function, sympy.Max, sympy.Min)):
        return _function_terms(expr, var, outputs)
    if expr.is_Pow:  # a variable exponent: SymPy's own derivative, as one factor
        return [(sympy.Integer(1), (sympy.diff(expr, var),))]
    raise SymbackpropError(f"no derivative rule for {type(expr).__name__} (in {expr})")


def _product_terms(expr: sympy.Expr, var: sympy.Symbol, outputs: Mapping[sympy.Expr, sympy.Symbol]) -> list[Term]:
    """The product rule: each factor differentiated in turn, the others kept as they are."""
    coefficient, factors = expr.as_coeff_mul()
    found = []
    for index, factor in enumerate(factors):
        others = factors[:index] + factors[index + 1 :]
        for number, inner in _terms(factor, var, outputs):
            found.append((coefficient * number, others + inner))
    return found


def _function_terms(expr: sympy.Expr, var: sympy.Symbol, outputs: Mapping[sympy.Expr, sympy.Symbol]) -> list[Term]:
    """The chain rule through a function: its outer derivative per argument, in its output's name."""
    found = []
    for index, arg in enumerate(expr.args):
        if arg.has(var):
            outer = outer_derivative(expr, index + 1).xreplace(outputs)
            found += [(number, (outer, *inner)) for number, inner in _terms(arg, var, outputs)]
    return found


def _term_expr(coefficient: sympy.Expr, factors: tuple[sympy.Expr, ...]) -> sympy.Expr:
    number, body = sympy.Mul(*factors).as_coeff_Mul()
    number *= coefficient
    if number != 1 and body.is_Add:
        return sympy.Mul(number, body, evaluate=False)  # −(y_t − y), not y − y_t
    return number * body


def local_derivative(
    rhs: sympy.Expr, var: sympy.Symbol, outputs: Mapping[sympy.Expr, sympy.Symbol] | None = None
) -> sympy.Expr:
    """∂rhs/∂var written as the lecture writes it; ``outputs`` maps σ(s) back to its node h.

    >>> from sympy import Symbol
    >>> from symbackprop.core.functions import Sigmoid
    >>> from symbackprop.parse.printer import plain
    >>> y, t, s, h = (Symbol(n) for n in ("y", "y_t", "s", "h"))
    >>> plain(local_derivative((t - y)**2 / 2, y))
    '-(y_t - y)'
    >>> plain(local_derivative(Sigmoid(s), s, {Sigmoid(s): h}))
    'h*(1 - h)'
    """
    terms = _terms(rhs, var, outputs or {})
    if not terms:
        return sympy.Integer(0)
    return sympy.Add(*[_term_expr(number, factors) for number, factors in terms])


def local_derivatives(exercise: Exercise) -> dict[Edge, sympy.Expr]:
    """∂child/∂parent on every edge, keyed (child, parent), in the lecture's terms; no point needed.

    >>> from symbackprop.exercise.model import from_equations
    >>> local_derivatives(from_equations({"t": "x + y", "z": "t**2"}))
    {('t', 'x'): 1, ('t', 'y'): 1, ('z', 't'): 2*t}
    """
    sym = exercise.symbols
    # σ(s) and tanh(s) differentiate to h(1 − h) and 1 − h² in the node h that holds them.
    outputs = {
        rhs: sym[node]
        for node, rhs in exercise.equations.items()
        if isinstance(rhs, ActivationBase) and rhs.derivative_uses_output
    }
    local = {}
    with conventions_in_force(exercise.conventions):
        for node, rhs in exercise.equations.items():
            for parent in exercise.graph.parents[node]:
                local[node, parent] = local_derivative(rhs, sym[parent], outputs)
    return local
