"""The terminal's printer: subscripts, σ, superscript powers, · for products; names as the lecture writes them.

The plain syntax's printer, which this one extends, is :mod:`symbackprop.parse.printer`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

import sympy
from sympy.printing.precedence import PRECEDENCE

from symbackprop.core.functions import UNICODE_NAMES
from symbackprop.parse.printer import PlainPrinter

_SUBSCRIPTABLE = "0123456789aehijklmnoprstuvx"  # the letters Unicode has subscripts for
_SUBSCRIPT = str.maketrans(_SUBSCRIPTABLE, "₀₁₂₃₄₅₆₇₈₉ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ")
_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


# A name with a layer and its indices, as the layer expansion writes them: W1_12, net2_1, and
# W1_1_10 once a layer has ten or more units (the digits of 1 and 10 would run together).
_LAYERED = re.compile(r"([A-Za-z]+)(\d+)_(\d+)(?:_(\d+))?")


def layered_name(name: str) -> tuple[str, str, tuple[str, ...]] | None:
    """A layered name's stem, layer and indices; None for any other name.

    >>> layered_name("W1_12"), layered_name("W2_1_10"), layered_name("w1")
    (('W', '1', ('12',)), ('W', '2', ('1', '10')), None)
    """
    match = _LAYERED.fullmatch(name)
    if match is None:
        return None
    stem, layer, *indices = match.groups()
    return stem, layer, tuple(index for index in indices if index is not None)


def pretty_name(name: str) -> str:
    """A name as the lecture writes it: w1 → w₁, x_t → xₜ, net1_2 → net¹₂, W1_12 → W¹₁₂.

    >>> [pretty_name(n) for n in ("w1", "x_t", "net1_2", "W2_12", "W1_1_10", "delta", "y_true")]
    ['w₁', 'xₜ', 'net¹₂', 'W²₁₂', 'W¹₁,₁₀', 'delta', 'y_true']
    """
    if layered := layered_name(name):
        stem, layer, indices = layered
        return stem + layer.translate(_SUPERSCRIPT) + ",".join(index.translate(_SUBSCRIPT) for index in indices)
    indexed = re.fullmatch(r"([A-Za-z]+?)_?(\d+)", name)
    if indexed:
        return indexed.group(1) + indexed.group(2).translate(_SUBSCRIPT)
    subscripted = re.fullmatch(r"([A-Za-z]+)_([A-Za-z0-9]+)", name)
    # One letter reads as an index (x_t, t_k); a longer word (y_true) stays as written.
    if subscripted and len(subscripted.group(2)) == 1 and subscripted.group(2) in _SUBSCRIPTABLE:
        return subscripted.group(1) + subscripted.group(2).translate(_SUBSCRIPT)
    return name


_UNICODE_FUNCTIONS = UNICODE_NAMES  # the activations' own symbols (σ), read from the registry


class UnicodePrinter(PlainPrinter):
    """The terminal's form: subscripts, σ, superscript powers, · for products.

    >>> from sympy import Symbol
    >>> h = Symbol("h1")
    >>> UnicodePrinter().doprint(h * (1 - h))
    'h₁(1 - h₁)'
    >>> UnicodePrinter().doprint(2 * h**(h - 1))
    '2·h₁^(h₁ - 1)'
    """

    def _print_Symbol(self, expr):
        return pretty_name(expr.name)

    def _print_ActivationBase(self, expr):
        name = _UNICODE_FUNCTIONS.get(expr.name, expr.name)
        return f"{name}({', '.join(self._print(arg) for arg in expr.args)})"

    def _print_Heaviside(self, expr):
        # The unit step of a ReLU derivative: 1 above 0, 0 below, the convention at 0.
        x, *at_zero = expr.args
        inner = self._print(x)
        if at_zero == [0]:
            return f"[{inner} > 0]"
        if at_zero == [1]:
            return f"[{inner} ≥ 0]"
        return f"H({inner})"

    def _print_Exp1(self, expr):
        return "e"

    def _print_Pi(self, expr):
        return "π"

    def _print_Pow(self, expr, rational=False):
        base, exponent = expr.args
        if exponent.is_Integer and exponent > 1:
            text = self.parenthesize(base, PRECEDENCE["Pow"])
            return text + str(exponent).translate(_SUPERSCRIPT)
        # ^ rather than **, which _print_Mul would read as two products.
        return super()._print_Pow(expr, rational).replace("**", "^")

    def _print_Mul(self, expr):
        text = super()._print_Mul(expr)
        # "a*b*(c - d)" → "a·b(c - d)": juxtapose before a parenthesis as the lecture does.
        text = text.replace("*(", "(").replace("*", "·")
        return text


_unicode = UnicodePrinter()


def unicode(expr: sympy.Expr) -> str:
    """The terminal's form of an expression."""
    return _unicode.doprint(expr)


def memoized(printer: Callable[[sympy.Expr], str]) -> Callable[[sympy.Expr], str]:
    """``printer`` printing each distinct expression once: a dense net's paths share their local factors.

    >>> calls = []
    >>> once = memoized(lambda expr: calls.append(expr) or str(expr))
    >>> x = sympy.Symbol("x")
    >>> once(x + 1), once(x + 1), len(calls)
    ('x + 1', 'x + 1', 1)
    """
    return functools.lru_cache(maxsize=None)(printer)


def value_text(value: sympy.Expr, render=None) -> str:
    """A point's value as the user wrote it: 0.5 rather than 1/2, but π as π (``render``: unicode by default).

    >>> value_text(sympy.Rational(1, 2)), value_text(sympy.Integer(-4)), value_text(sympy.pi / 2)
    ('0.5', '-4', 'π/2')
    """
    if value.is_Rational and not value.is_Integer:
        decimal = float(value)
        if sympy.Rational(repr(decimal)) == value:
            return repr(decimal)
    return (render or unicode)(value)


def delta_symbol(node: str) -> str:
    """The error term of a node in the terminal: net1_2 → δ¹₂ as lecture 001 writes it, s1 → δ_s₁.

    >>> delta_symbol("net2_1"), delta_symbol("s1"), delta_symbol("out_o1")
    ('δ²₁', 'δ_s₁', 'δ_out_o1')
    """
    layered = layered_name(node)
    if layered and layered[0] == "net":
        return "δ" + pretty_name(node).removeprefix("net")
    return f"δ_{pretty_name(node)}"


def delta_negated(delta_sign: str) -> bool:
    """Whether δ is −∂L/∂n (lecture 001's ``"-dL/dnet"``) rather than ∂L/∂n (``"dL/dnet"``).

    >>> delta_negated("-dL/dnet"), delta_negated("dL/dnet")
    (True, False)
    """
    return delta_sign.startswith("-")


def delta_convention(loss: str, delta_sign: str) -> str:
    """The line that says which δ is in force, as the terminal prints it.

    >>> delta_convention("E", "-dL/dnet")
    'δₙ = -∂E/∂n for every node n ([conventions] delta_sign = "-dL/dnet", lecture 001\\'s)'
    >>> delta_convention("E", "dL/dnet")
    'δₙ = ∂E/∂n for every node n ([conventions] delta_sign = "dL/dnet", the default)'
    """
    sign = "-" if delta_negated(delta_sign) else ""
    whose = "lecture 001's" if sign else "the default"
    return f'δₙ = {sign}∂{pretty_name(loss)}/∂n for every node n ([conventions] delta_sign = "{delta_sign}", {whose})'
