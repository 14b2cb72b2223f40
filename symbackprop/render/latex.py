r"""The lecture's LaTeX: names as the decks print them (w_{1}, W^{1}_{12}, δ), and the printer.

Every option of the LaTeX output is in :data:`SETTINGS`. The worked solution built with this
printer is :mod:`symbackprop.render.latex_solution`, the figure
:mod:`symbackprop.render.latex_figure`, the whole document :mod:`symbackprop.render.latex_document`.
"""

from __future__ import annotations

import re
from typing import ClassVar

import sympy
from sympy.printing.latex import LatexPrinter, greek_letters_set, tex_greek_dictionary
from sympy.printing.precedence import PRECEDENCE

from symbackprop.engine.symbolic import CLOSED_MAX_SIZE
from symbackprop.errors import SymbackpropError
from symbackprop.parse.printer import lecture_order, product
from symbackprop.render.plain import layered_name

CLOSED_SHORT_SIZE = 40  # nodes: a closed form of a few lines, like lecture 003's −(y_t − y)w₄h₂(1 − h₂)…

# Every option of the LaTeX output, in one place; pass any of them as keyword arguments.
SETTINGS: dict[str, object] = {
    "product_separator": " ",  # between the factors of a chain: "w_{4} h_{2}(1 - h_{2})"
    "heaviside": "cases",  # the unit step of a ReLU derivative: "cases" (the lecture's) or "iverson"
    "line_width": 50,  # a line longer than this many visible symbols breaks (at a + or −, else between factors)
    "digits": 6,  # significant digits of a value, as the terminal rounds
    # A closed form of more nodes than this (None: no bound) is left out with a note giving its
    # size (a dense net's runs to megabytes of TeX that pdflatex cannot set); the δ form above
    # it says the same step by step.
    "closed_max_nodes": CLOSED_MAX_SIZE,
    # Beside the other forms (not asked for alone) a closed form is set only up to this many
    # nodes (None: up to closed_max_nodes): a handout of pages of σ nests helps no one.
    "closed_short_nodes": CLOSED_SHORT_SIZE,
}

_INDEXED = re.compile(r"([A-Za-z]+?)_?(\d+)")
_SUBSCRIPTED = re.compile(r"([A-Za-z]+)_([A-Za-z0-9]+)")
_ACCENTS = {"tilde", "hat", "bar", "dot"}


def _stem(text: str) -> str:
    r"""A name's letters: a Greek name as its letter (beta → \beta), a word upright (\mathrm{net}), a letter as is.

    >>> _stem("beta"), _stem("Gamma"), _stem("target"), _stem("x"), _stem("o1")
    ('\\beta', '\\Gamma', '\\mathrm{target}', 'x', 'o1')
    """
    if text in greek_letters_set:
        return f"\\{text}"
    if text in tex_greek_dictionary:
        return tex_greek_dictionary[text]
    # A word of several letters is set upright, as the lectures set out and net: in italic
    # TeX would space it as a product of one-letter variables. An index such as o1 stays as it is.
    return rf"\mathrm{{{text}}}" if len(text) > 1 and text.isalpha() else text


def latex_name(name: str) -> str:
    r"""A graph name as the lecture prints it.

    >>> [latex_name(n) for n in ("w1", "x_t", "y_t", "W1_12", "W1_1_10", "beta", "y_tilde")]
    ['w_{1}', 'x_{t}', 'y_{t}', 'W^{1}_{12}', 'W^{1}_{1,10}', '\\beta', '\\tilde{y}']
    >>> [latex_name(n) for n in ("net1_2", "target_o1", "E_total", "out1")]
    ['\\mathrm{net}^{1}_{2}', '\\mathrm{target}_{o1}', 'E_{\\mathrm{total}}', '\\mathrm{out}_{1}']
    """
    if layered := layered_name(name):
        stem, layer, indices = layered
        return f"{_stem(stem)}^{{{layer}}}_{{{','.join(indices)}}}"
    if match := _INDEXED.fullmatch(name) or _SUBSCRIPTED.fullmatch(name):
        stem, index = match.groups()
        if index in _ACCENTS:  # y_tilde → ỹ, as lecture 002 writes its output
            return f"\\{index}{{{_stem(stem)}}}"
        return f"{_stem(stem)}_{{{_stem(index)}}}"
    if "_" in name:
        return r"\mathit{" + name.replace("_", r"\_") + "}"
    return _stem(name)


def delta_name(node: str) -> str:
    r"""The error term of a node: net1_2 → δ¹₂ as lecture 001 writes it, s1 → δ with s₁ below.

    >>> delta_name("net1_2"), delta_name("s1")
    ('\\delta^{1}_{2}', '\\delta_{s_{1}}')
    """
    layered = layered_name(node)
    if layered and layered[0] == "net":
        _, layer, indices = layered
        return f"\\delta^{{{layer}}}_{{{','.join(indices)}}}"
    return f"\\delta_{{{latex_name(node)}}}"


class LecturePrinter(LatexPrinter):
    r"""SymPy's LaTeX printer speaking the lecture's notation: σ, subscripted names, y_t − y.

    >>> from symbackprop.core.functions import Sigmoid
    >>> h, s = sympy.Symbol("h1"), sympy.Symbol("s1")
    >>> LecturePrinter().doprint(h * (1 - h) + Sigmoid(s))
    'h_{1} \\left(1 - h_{1}\\right) + \\sigma\\left(s_{1}\\right)'
    """

    _default_settings: ClassVar[dict] = {**LatexPrinter._default_settings, **SETTINGS, "order": "none"}

    def _print_Symbol(self, expr, style="plain"):
        return latex_name(expr.name)

    def _print_Add(self, expr, order=None):
        # Positive terms first, as the lectures write a difference: y_t - y, 1 - h.
        tex = ""
        for index, term in enumerate(lecture_order(list(expr.args))):
            if index and term.could_extract_minus_sign():
                tex += " - "
                term = -term
            elif index:
                tex += " + "
            text = self._print(term)
            tex += self._add_parens(text) if self._needs_add_brackets(term) else text
        return tex

    def _print_Mul(self, expr):
        if len(expr.args) == 2 and expr.args[0] == -1 and expr.args[1].is_Add:
            return f"-({self._print(expr.args[1])})"  # the lecture's −(y_t − y), kept unevaluated
        return _tight_minus(super()._print_Mul(expr))

    def _print_Rational(self, expr):
        return _tight_minus(super()._print_Rational(expr))

    def _call(self, name: str, *args, exp=None) -> str:
        # A power of a function (σ²) comes with ``exp``, as SymPy's own printers take it.
        text = f"{name}\\left({', '.join(args)}\\right)"
        return f"{text}^{{{exp}}}" if exp is not None else text

    def _scaled(self, name: str, expr, exp=None) -> str:
        """f(x, β) of lecture 000 is f(βx): written so."""
        x, *beta = expr.args
        if not beta or beta[0] == 1:
            return self._call(name, self._print(x), exp=exp)
        inner = f"{self._print(beta[0])} {self.parenthesize(x, PRECEDENCE['Mul'], strict=True)}"
        return self._call(name, inner, exp=exp)

    def _print_ActivationBase(self, expr, exp=None):
        # Every activation alike, by the LaTeX name its class declares (core.activation).
        if expr.beta_inside:
            return self._scaled(expr.latex, expr, exp)
        indices, args = expr.args[: expr.indices], expr.args[expr.indices :]
        name = expr.latex + "".join(f"_{{{self._print(index)}}}" for index in indices)
        return self._call(name, *[self._print(arg) for arg in args], exp=exp)

    def _print_Heaviside(self, expr, exp=None):
        # The unit step of a ReLU derivative, with the value taken at 0 (the exercise's convention).
        x, *at_zero = expr.args
        inner = self._print(x)
        at_zero = at_zero[0] if at_zero else sympy.S.Half
        if self._settings["heaviside"] == "iverson":
            if at_zero in (0, 1):
                relation = ">" if at_zero == 0 else r"\geq"
                return f"[{inner} {relation} 0]"
            return self._call("H", inner, exp=exp)
        if at_zero == 0:
            cases = rf"1, & {inner} > 0 \\ 0, & {inner} \leq 0"
        elif at_zero == 1:
            cases = rf"1, & {inner} \geq 0 \\ 0, & {inner} < 0"
        else:
            cases = rf"1, & {inner} > 0 \\ {self._print(at_zero)}, & {inner} = 0 \\ 0, & {inner} < 0"
        text = rf"\left(\begin{{cases}} {cases} \end{{cases}}\right)"
        return f"{text}^{{{exp}}}" if exp is not None else text

    def product(self, factors: list[sympy.Expr]) -> str:
        r"""Factors from the loss back to the param, as :func:`symbackprop.parse.printer.product` orders them.

        >>> y, t, w = sympy.symbols("y y_t w4")
        >>> LecturePrinter().product([sympy.Mul(-1, t - y, evaluate=False), w, 1 / (t + w) ** 2])
        '-\\frac{(y_{t} - y) w_{4}}{\\left(w_{4} + y_{t}\\right)^{2}}'
        """
        return product(factors, self._factor, self._settings["product_separator"], fraction=_frac)

    def _factor(self, expr: sympy.Expr) -> str:
        """One factor, printed once per printer: a dense net's paths share their local factors."""
        printed = self.__dict__.setdefault("_printed_factors", {})
        if expr not in printed:
            printed[expr] = self.doprint(expr)
        return printed[expr]

    def number(self, value: float) -> str:
        r"""A value rounded as the terminal rounds it, in LaTeX: 1e-07 → 1 \times 10^{-7}.

        >>> LecturePrinter().number(-0.0158464123), LecturePrinter().number(1.5e-7)
        ('-0.0158464', '1.5 \\times 10^{-7}')
        """
        text = f"{value + 0.0:.{self._settings['digits']}g}"  # + 0.0: never "-0"
        mantissa, _, exponent = text.partition("e")
        return f"{mantissa} \\times 10^{{{int(exponent)}}}" if exponent else mantissa


def _tight_minus(text: str) -> str:
    """SymPy's "- x" as the lectures' "-x"."""
    return "-" + text[2:] if text.startswith("- ") else text


def _frac(top: str, bottom: str, parts: int) -> str:
    r"""``\frac{top}{bottom}``, the sign kept in front: the fraction bar groups the denominator."""
    sign = "-" if top.startswith("-") else ""
    return f"{sign}\\frac{{{top.removeprefix('-')}}}{{{bottom}}}"


def printer(**settings) -> LecturePrinter:
    """A printer with :data:`SETTINGS` overridden by ``settings``; unknown options are errors."""
    unknown = set(settings) - set(LecturePrinter._default_settings)
    if unknown:
        raise SymbackpropError(f"unknown LaTeX option(s): {', '.join(sorted(unknown))}")
    return LecturePrinter(settings)


def latex(expr: sympy.Expr, **settings) -> str:
    r"""An expression in the lecture's LaTeX.

    >>> y, t = sympy.symbols("y y_t")
    >>> latex((t - y) ** 2 / 2)
    '\\frac{\\left(y_{t} - y\\right)^{2}}{2}'
    """
    return printer(**settings).doprint(expr)
