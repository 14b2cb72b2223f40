"""Float values of SymPy expressions at a point: one rule per node type, no lambdify, no evalf.

Walking the tree with ``math`` is far faster than ``subs``/``evalf`` on the many small
expressions of a network (one per edge), and every missing rule names its op.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import sympy
from sympy import Heaviside

from symbackprop.core.functions import ActivationBase
from symbackprop.errors import EvaluationError


def _power(base: float, exponent: float) -> float:
    if base == 0 and exponent < 0:
        raise ZeroDivisionError("0 to a negative power")
    if base < 0 and not float(exponent).is_integer():
        raise ValueError("a negative number to a fractional power")
    return base**exponent


def _heaviside(x: float, at_zero: float = 0.5) -> float:
    return 1.0 if x > 0 else 0.0 if x < 0 else at_zero


def _sech(x: float) -> float:
    # 2/(eˣ + e⁻ˣ) written with e^(−|x|) only: math.cosh overflows past |x| ≈ 710, where sech is 0.
    small = math.exp(-abs(x))
    return 2.0 * small / (1.0 + small * small)


def _sign(x: float) -> float:
    return 1.0 if x > 0 else -1.0 if x < 0 else 0.0


# The float rule of every SymPy function a graph may contain, besides the library's own.
_FUNCTION_RULES: dict[type, Callable[..., float]] = {
    sympy.exp: math.exp,
    sympy.log: math.log,
    sympy.sin: math.sin,
    sympy.cos: math.cos,
    sympy.sech: _sech,
    sympy.tanh: math.tanh,  # in sech′ = −sech·tanh (a graph's own tanh is the library's Tanh)
    sympy.Abs: abs,
    sympy.Max: max,
    sympy.Min: min,
    sympy.sign: _sign,
    Heaviside: _heaviside,
}


def evaluate(expr: sympy.Expr, env: Mapping[sympy.Symbol, float]) -> float:
    """The float value of ``expr`` with each symbol's value from ``env``.

    >>> from sympy import Symbol
    >>> from symbackprop.core.functions import Sigmoid
    >>> s = Symbol("s")
    >>> round(evaluate(Sigmoid(s) * (1 - Sigmoid(s)), {s: 0.0}), 6)
    0.25
    """
    try:
        return _value(expr, env)
    except (ZeroDivisionError, ValueError, OverflowError) as error:
        raise EvaluationError(f"{expr} has no value at this point ({error})") from None


def _value(expr: sympy.Expr, env: Mapping[sympy.Symbol, float]) -> float:
    if expr.is_Symbol:
        return env[expr]
    if expr.is_Number or expr.is_NumberSymbol:
        return float(expr)
    if expr.is_Add:
        return math.fsum(_value(arg, env) for arg in expr.args)
    if expr.is_Mul:
        result = 1.0
        for arg in expr.args:
            result *= _value(arg, env)
        return result
    if expr.is_Pow:
        return _power(_value(expr.base, env), _value(expr.exp, env))
    args = [_value(arg, env) for arg in expr.args]
    if isinstance(expr, ActivationBase):
        return float(expr.value(*args))
    rule = _FUNCTION_RULES.get(expr.func)
    if rule is None:
        raise EvaluationError(f"no numeric rule for {type(expr).__name__}")
    return float(rule(*args))
