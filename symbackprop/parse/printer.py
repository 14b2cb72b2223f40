"""The plain syntax written back: the printer whose output :mod:`symbackprop.parse.plain` reads.

It writes a sum with its positive terms first, as the lectures do (``y_t - y``, ``1 - h1``),
and a chain's product of local factors as the lecture writes it. It sits here, beside the
parser, because everything above (the layer expansion, the engine, feedback on answers)
writes expressions in plain syntax; the terminal's and LaTeX's printers are in ``render``.
"""

from __future__ import annotations

from typing import ClassVar

import sympy
from sympy.printing.precedence import PRECEDENCE, precedence
from sympy.printing.str import StrPrinter


def lecture_order(terms: list[sympy.Expr]) -> list[sympy.Expr]:
    """Positive terms first, keeping SymPy's order otherwise: y_t - y rather than -y + y_t."""
    return sorted(terms, key=lambda term: term.could_extract_minus_sign())


class PlainPrinter(StrPrinter):
    """The plain syntax of exercise files: ``sigmoid(s1)``, ``max(a, b)``, ``(y_t - y)**2/2``.

    >>> from sympy import symbols
    >>> y, t = symbols("y y_t")
    >>> PlainPrinter().doprint(sympy.Mul(-1, t - y, evaluate=False))
    '-(y_t - y)'
    """

    _default_settings: ClassVar[dict] = {**StrPrinter._default_settings, "order": "none"}

    def _print_Add(self, expr, order=None):
        terms = lecture_order(list(expr.args))
        parts = []
        for index, term in enumerate(terms):
            text = self._print(term)
            if text.startswith("-"):
                sign, text = "-", text[1:]
            else:
                sign = "+"
            if precedence(term) < PRECEDENCE["Add"] or (sign == "-" and _is_unevaluated_negated_sum(term)):
                text = f"({text})" if not text.startswith("(") else text
            parts.append(text if index == 0 and sign == "+" else (f"-{text}" if index == 0 else f" {sign} {text}"))
        return "".join(parts)

    def _print_ActivationBase(self, expr):
        return f"{expr.name}({', '.join(self._print(arg) for arg in expr.args)})"

    def _print_Max(self, expr):
        return f"max({', '.join(self._print(arg) for arg in expr.args)})"

    def _print_Min(self, expr):
        return f"min({', '.join(self._print(arg) for arg in expr.args)})"

    def _print_Abs(self, expr):
        return f"abs({self._print(expr.args[0])})"

    def _print_Heaviside(self, expr):
        return f"heaviside({', '.join(self._print(arg) for arg in expr.args)})"

    def _print_Exp1(self, expr):
        return "e"

    def _print_Pi(self, expr):
        return "pi"


def _is_unevaluated_negated_sum(term: sympy.Expr) -> bool:
    return term.is_Mul and len(term.args) == 2 and term.args[0] == -1 and term.args[1].is_Add


_plain = PlainPrinter()


def plain(expr: sympy.Expr) -> str:
    """Plain syntax, parseable by :func:`symbackprop.parse.plain.parse`."""
    return _plain.doprint(expr)


def slash(top: str, bottom: str, parts: int) -> str:
    """A fraction in one line: a/b, with the denominator in parentheses when it is a product."""
    return f"{top}/({bottom})" if parts > 1 else f"{top}/{bottom}"


def product(factors: list[sympy.Expr], printer=plain, separator: str = "*", fraction=slash) -> str:
    """A product of local factors in the order given, the numeric coefficient pulled in front
    and negative powers gathered under one fraction bar.

    ``factors`` run from the loss back to the param, as the lecture writes a chain;
    ``fraction(top, bottom, parts)`` writes the fraction (LaTeX passes ``\\frac``).

    >>> from sympy import symbols, Mul
    >>> y, t, w, x = symbols("y y_t w5 x")
    >>> product([Mul(-1, t - y, evaluate=False), sympy.Integer(1), w])
    '-(y_t - y)*w5'
    >>> product([-1 / (x + t)**2, 2 * w])
    '-2*w5/(x + y_t)**2'
    """
    coefficient = sympy.Integer(1)
    numerator: list[sympy.Expr] = []
    denominator: list[sympy.Expr] = []
    for factor in factors:
        number, rest = factor.as_coeff_Mul()
        coefficient *= number
        for part in sympy.Mul.make_args(rest):
            if part.is_Pow and part.exp.is_number and part.exp.is_negative:
                denominator.append(part.base ** (-part.exp))
            elif part != 1:
                numerator.append(part)
    p, q = sympy.fraction(coefficient)
    if abs(p) != 1:
        numerator.insert(0, abs(p))
    if q != 1:
        denominator.insert(0, q)

    def joined(parts: list[sympy.Expr]) -> str:
        text = ""
        for part in parts:
            piece = f"({printer(part)})" if part.is_Add else printer(part)
            # "h₂(1 - h₂)" as the lecture writes it; plain syntax keeps its "*" to stay parseable
            glue = "" if not text or (part.is_Add and separator != "*") else separator
            text += glue + piece
        return text

    text = joined(numerator) or "1"
    if denominator:
        text = fraction(text, joined(denominator), len(denominator))
    return f"-{text}" if p < 0 else text
