"""The NumPy evaluator's rules: each op's value and its local derivatives, one line each where it can.

``Rule(forward, local, kink)``: ``forward(*args)`` is the op's value on arrays (one value per
sample) or floats (one for every sample); ``local(out, args, i, conv)`` is ∂out/∂args[i],
given the value ``out`` and the conventions ``conv`` at kinks; ``kink(*args)``, for ops that
are not smooth everywhere, says on which side of the kink each sample lies (0: exactly at it).
The reverse pass multiplies each local derivative by the gradient arriving at the op, as the
lectures chain them. This is tinygrad's ``gradient.py`` table, one derivative per argument.

:data:`RULES` holds SymPy's own ops; every activation brings its own rule from its class
(:mod:`symbackprop.core.functions`). Nothing here calls SymPy's ``diff``/``fdiff``.

>>> rule_of(sympy.exp(sympy.Symbol("a"))).local(2.0, [0.7], 0, Conventions())  # (eᵃ)′ = eᵃ
2.0
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import sympy
from sympy import Heaviside

from symbackprop.core.activation import ActivationBase, Array, Conventions, kink_at_zero, slopes
from symbackprop.errors import SymbackpropError


@dataclass(frozen=True)
class Rule:
    """One op: its value, its local derivative in each argument, and (for kinked ops) its kink."""

    forward: Callable[..., Array]
    local: Callable[[Array, list, int, Conventions], Array]
    kink: Callable[..., Array] | None = None


def _product(factors: Sequence[Array]) -> Array:
    # Left to right, in SymPy's order (numbers first): c·(a·b) could overflow where (c·a)·b does not.
    return functools.reduce(np.multiply, factors) if factors else 1.0


def _power(base: Array, exponent: Array) -> Array:
    return base if isinstance(exponent, float) and exponent == 1.0 else np.power(base, exponent)


def _sech(x: Array) -> Array:
    # 2/(eˣ + e⁻ˣ) with e^(−|x|) only, which never overflows (cosh does past |x| ≈ 710).
    small = np.exp(-np.abs(x))
    return 2.0 * small / (1.0 + small * small)


def _extreme_slope(args: list, i: int, conv: Conventions, larger: bool) -> Array:
    """max or min: the argument that wins takes the gradient; at a tie each tied one takes the convention."""
    margin = _margin(args, i, np.maximum if larger else np.minimum)
    wins = margin > 0 if larger else margin < 0
    return np.where(wins, 1.0, np.where(margin == 0, conv.max_grad_at_tie, 0.0))


def _margin(args: Sequence[Array], i: int, pick: np.ufunc) -> Array:
    """The argument minus the best of the others (max or min)."""
    return args[i] - functools.reduce(pick, [*args[:i], *args[i + 1 :]])


def _margins(pick: np.ufunc) -> Callable[..., Array]:
    """max's or min's kink: each argument's side of the best of the others."""
    return lambda *a: np.stack(np.broadcast_arrays(*[np.sign(_margin(a, i, pick)) for i in range(len(a))]))


# SymPy's ops, one rule each. Anything else in an equation is refused by name (see rule_of).
RULES: dict[type, Rule] = {
    sympy.Add: Rule(lambda *a: functools.reduce(np.add, a), lambda out, a, i, c: 1.0),
    # Products of the other factors, not out/arg: an argument may be exactly zero.
    sympy.Mul: Rule(lambda *a: _product(a), lambda out, a, i, c: _product([*a[:i], *a[i + 1 :]])),
    sympy.Pow: Rule(np.power, lambda out, a, i, c: a[1] * _power(a[0], a[1] - 1.0) if i == 0 else out * np.log(a[0])),
    sympy.exp: Rule(np.exp, lambda out, a, i, c: out),
    sympy.log: Rule(np.log, lambda out, a, i, c: 1.0 / a[0]),
    sympy.sin: Rule(np.sin, lambda out, a, i, c: np.cos(a[0])),
    sympy.cos: Rule(np.cos, lambda out, a, i, c: -np.sin(a[0])),
    sympy.sech: Rule(_sech, lambda out, a, i, c: -out * np.tanh(a[0])),
    sympy.Max: Rule(
        lambda *a: functools.reduce(np.maximum, a),
        lambda out, a, i, c: _extreme_slope(a, i, c, larger=True),
        _margins(np.maximum),
    ),
    sympy.Min: Rule(
        lambda *a: functools.reduce(np.minimum, a),
        lambda out, a, i, c: _extreme_slope(a, i, c, larger=False),
        _margins(np.minimum),
    ),
    sympy.Abs: Rule(np.abs, lambda out, a, i, c: slopes(a[0], -1.0, c.abs_grad_at_zero, 1.0), kink_at_zero),
    # Flat on both sides of the jump, taken as 0 at it (the step's convention); the value at
    # the jump is the second argument, so that is what it moves.
    Heaviside: Rule(
        lambda x, at_zero=0.5: slopes(x, 0.0, at_zero, 1.0),
        lambda out, a, i, c: 0.0 * a[0] if i == 0 else np.where(a[0] == 0, 1.0, 0.0),
        kink_at_zero,
    ),
}


def rule_of(expr: sympy.Expr) -> Rule:
    """The rule for ``expr``'s op: SymPy's from :data:`RULES`, an activation's from its class."""
    rule = RULES.get(type(expr)) or RULES.get(expr.func)
    if rule is None and isinstance(expr, ActivationBase):
        rule = Rule(expr.forward, expr.local, expr.kink)
    if rule is None:
        raise SymbackpropError(f"the NumPy evaluator has no rule for {type(expr).__name__} (in {expr})")
    return rule
