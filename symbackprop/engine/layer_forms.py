"""The layer rules written out: index form and matrix form, in the plain syntax and in LaTeX.

They sit beside the rules (not in ``render``) because grading and the audit print them too.

The plain forms are what :mod:`symbackprop.parse.layer_answers` reads back: ``delta^{l+1}_k``,
``W^{l+1}_{ki}``, ``f'(net^l_i)``, ``sum_k(…)``; in matrix form ``(W^{l+1})^T delta^{l+1}``,
``.*`` for the Hadamard product and ``delta^l (x^{l-1})^T`` for the outer product.
"""

from __future__ import annotations

import sympy
from sympy import Derivative, Indexed, Sum
from sympy.printing.latex import LatexPrinter

from symbackprop.engine.layer_rules import Rule, i, j, n
from symbackprop.parse.printer import PlainPrinter, lecture_order

LATEX_NAMES = {"delta": r"\delta", "net": r"\mathrm{net}", "W": "W", "x": "x", "b": "b", "t": "t", "y": "y"}


def layer_text(layer: sympy.Expr) -> str:
    """A layer as a superscript: ``l``, ``{l+1}``.

    >>> from symbackprop.engine.layer_rules import ell
    >>> layer_text(ell + 1), layer_text(ell)
    ('{l+1}', 'l')
    """
    text = str(layer).replace(" ", "")
    return text if len(text) == 1 else "{" + text + "}"


def _subscript(indices: tuple) -> str:
    text = "".join(str(index) for index in indices)
    return text if len(text) == 1 else "{" + text + "}"


def _split(item: Indexed) -> tuple[str, sympy.Expr | None, tuple]:
    """An indexed name's base, layer (None for t and y) and unit indices."""
    base = str(item.base)
    if base in ("t", "y"):
        return base, None, item.indices
    return base, item.indices[0], item.indices[1:]


class IndexPrinter(PlainPrinter):
    """Index form in the plain syntax: ``f'(net^l_i)*sum_k(W^{l+1}_{ki}*delta^{l+1}_k)``."""

    def _print(self, expr, **kwargs):
        # Indexed prints itself (``_sympystr``) before a printer's own method is asked.
        return self._print_Indexed(expr) if isinstance(expr, Indexed) else super()._print(expr, **kwargs)

    def _print_Indexed(self, expr):
        base, layer, indices = _split(expr)
        top = f"^{layer_text(layer)}" if layer is not None else ""
        return f"{base}{top}_{_subscript(indices)}"

    def _print_Sum(self, expr):
        (index, _, _), body = expr.limits[0], expr.function
        return f"sum_{index}({self._print(body)})"

    def _print_Derivative(self, expr):
        return f"f'({self._print(expr.expr.args[0])})"

    def _print_Function(self, expr):
        if expr.func == n:
            return f"n^{layer_text(expr.args[0])}"
        return super()._print_Function(expr)


class IndexLatexPrinter(LatexPrinter):
    """Index form in LaTeX, as lecture 001 writes it: ``\\sum_{k=1}^{n^{l+1}} W^{l+1}_{ki} \\delta^{l+1}_{k}``."""

    def _print_Indexed(self, expr):
        base, layer, indices = _split(expr)
        top = "^{" + layer_text(layer).strip("{}") + "}" if layer is not None else ""
        return f"{LATEX_NAMES[base]}{top}_{{{''.join(str(index) for index in indices)}}}"

    def _print_Sum(self, expr):
        (index, low, high), body = expr.limits[0], expr.function
        return rf"\sum_{{{index}={self._print(low)}}}^{{{self._print(high)}}} {self._print(body)}"

    def _print_Derivative(self, expr):
        return rf"f'\left({self._print(expr.expr.args[0])}\right)"

    def _print_Function(self, expr, exp=None):
        if expr.func == n:
            return "n^{" + layer_text(expr.args[0]).strip("{}") + "}"
        return super()._print_Function(expr, exp)


def index_plain(expr: sympy.Expr) -> str:
    """A rule's right side in index form, plain syntax."""
    return IndexPrinter().doprint(expr)


def index_latex(expr: sympy.Expr) -> str:
    """A rule's right side in index form, LaTeX."""
    return IndexLatexPrinter().doprint(expr)


def lhs(rule: Rule, style: str, matrix: bool = False) -> str:
    """The rule's left side: δ^L_i, ∂L/∂W^l_{ij}, ∂L/∂b^l_i (without indices in matrix form)."""
    layer = layer_text(rule.layer)
    if style == "latex":
        top = "^{" + layer.strip("{}") + "}"
        name = {"delta": r"\delta", "dW": "W", "db": "b"}[rule.kind]
        sub = "" if matrix else ("_{ij}" if rule.kind == "dW" else "_{i}")
        return (
            f"{name}{top}{sub}"
            if rule.kind == "delta"
            else rf"\frac{{\partial \mathcal{{L}}}}{{\partial {name}{top}{sub}}}"
        )
    sub = "" if matrix else ("_{ij}" if rule.kind == "dW" else "_i")
    name = {"delta": "delta", "dW": "W", "db": "b"}[rule.kind]
    return f"{name}^{layer}{sub}" if rule.kind == "delta" else f"dL/d{name}^{layer}{sub}"


# ---------------------------------------------------------------------------------------------
# Matrix form, read off the index form's structure: factors indexed by i are vectors and
# multiply elementwise (⊙), Σ_k W_{ki} δ_k is Wᵀδ, a factor indexed by j is the row of an
# outer product.
# ---------------------------------------------------------------------------------------------

_HADAMARD = {"plain": " .* ", "latex": r" \odot "}
_DIVIDE = {"plain": " ./ ", "latex": r" \oslash "}


def _vector(item: Indexed, style: str) -> str:
    base, layer, _ = _split(item)
    if style == "latex":
        name = LATEX_NAMES[base]
        return name if layer is None else f"{name}^{{{layer_text(layer).strip('{}')}}}"
    return base if layer is None else f"{base}^{layer_text(layer)}"


def _transposed(text: str, style: str) -> str:
    return rf"\left({text}\right)^\top" if style == "latex" else f"({text})^T"


def matrix_form(expr: sympy.Expr, style: str = "plain") -> str:
    """A rule's right side in matrix form: Hadamard products, transposes, outer products.

    >>> from symbackprop.engine.layer_rules import DELTA, X, ell
    >>> matrix_form(-DELTA[ell, i] * X[ell - 1, j])
    '-delta^l (x^{l-1})^T'
    """
    if isinstance(expr, sympy.Add):
        terms = [matrix_form(term, style) for term in lecture_order(list(expr.args))]
        text = terms[0]
        for term in terms[1:]:
            text += f" - {term[1:]}" if term.startswith("-") else f" + {term}"
        return text
    coefficient, factors = expr.as_coeff_mul()
    scalars, under, columns, denominators, rows = [], [], [], [], []
    for factor in factors:
        base, power = factor.as_base_exp()
        if power == -1 and base.has(i):
            denominators.append(_element(base, style))
        elif factor.has(j):
            rows.append(_transposed(_element(factor, style), style))
        elif factor.has(i):
            columns.append(_element(factor, style))
        elif power == -1:
            under.append(_scalar(base, style))
        else:
            scalars.append(_scalar(factor, style))
    text = _HADAMARD[style].join(columns) or "1"
    if denominators:
        text += _DIVIDE[style] + _group(_HADAMARD[style].join(denominators), len(denominators) > 1, style)
    text = " ".join([text, *rows])
    sign = "-" if coefficient < 0 else ""
    top = " ".join([str(abs(coefficient.p))] * (abs(coefficient.p) != 1) + scalars)
    bottom = " ".join([str(coefficient.q)] * (coefficient.q != 1) + under)
    if bottom and style == "latex":
        factor = rf"\frac{{{top or 1}}}{{{bottom}}} "
    elif bottom:
        factor = f"{top or 1}/{_group(bottom, len(under) + (coefficient.q != 1) > 1, style)} "
    else:
        factor = f"{top} " if top else ""
    return sign + factor + text


def _group(text: str, needed: bool, style: str) -> str:
    if not needed:
        return text
    return rf"\left({text}\right)" if style == "latex" else f"({text})"


def _element(expr: sympy.Expr, style: str) -> str:
    """One elementwise factor as a vector: y − t, f′(net^L), Wᵀδ."""
    if isinstance(expr, Indexed):
        return _vector(expr, style)
    if isinstance(expr, Derivative):
        inner = _vector(expr.expr.args[0], style)
        return rf"f'\left({inner}\right)" if style == "latex" else f"f'({inner})"
    if isinstance(expr, Sum):
        weight, delta = sorted(expr.function.atoms(Indexed), key=lambda item: str(item.base))
        return f"{_transposed(_vector(weight, style), style)} {_vector(delta, style)}"
    if isinstance(expr, sympy.Add):
        return _group(matrix_form(expr, style), True, style)
    return matrix_form(expr, style)


def _scalar(expr: sympy.Expr, style: str) -> str:
    """A factor the same for every unit: 1/n^L, Σ_k t_k."""
    if isinstance(expr, Sum):
        return r"\left(\sum_{k} t_{k}\right)" if style == "latex" else "sum(t)"
    return index_latex(expr) if style == "latex" else index_plain(expr)


def rule_forms(rule: Rule) -> dict[str, str]:
    """A rule's name and its index, matrix and LaTeX forms (the fields of ``derive --json``)."""
    index = f"{lhs(rule, 'plain')} = {index_plain(rule.expr)}"
    matrix = f"{lhs(rule, 'plain', matrix=True)} = {matrix_form(rule.expr)}"
    latex = f"{lhs(rule, 'latex')} = {index_latex(rule.expr)}"
    matrix_latex = f"{lhs(rule, 'latex', matrix=True)} = {matrix_form(rule.expr, 'latex')}"
    return {"name": rule.name, "index": index, "matrix": matrix, "latex": latex, "matrix_latex": matrix_latex}
