"""``latex --form layer``: lecture 001's general derivation of the layer rules, with one instance in numbers.

Case 1 (the output units), case 2 (a hidden unit, the chain rule through the units downstream),
the summary in index and matrix form, and one rule put to a unit of the exercise's net (at its
point, or at the point ``--at`` gives). Each step is the engine's: the local derivatives come from
differentiating the layer's definition.
"""

from __future__ import annotations

import sympy
from sympy import Derivative, Indexed

from symbackprop.engine.layer_forms import IndexLatexPrinter, index_latex, lhs, matrix_form
from symbackprop.engine.layer_rules import (
    DELTA,
    Instance,
    LayerRules,
    PointValues,
    downstream_local,
    ell,
    instantiate,
    layers_of,
    output_delta,
    weight_local,
)
from symbackprop.engine.layer_rules import (
    L as OUTPUT,
)
from symbackprop.exercise.model import Exercise
from symbackprop.render.latex import latex, latex_name, printer
from symbackprop.render.latex_document import latex_text, wrapped

LOSS = r"\mathcal{L}"
PARTIAL_L = r"\partial \mathcal{L}"


def _d(top: str, bottom: str) -> str:
    return rf"\frac{{\partial {top}}}{{\partial {bottom}}}"


def _net(layer: str, unit: str) -> str:
    return rf"\mathrm{{net}}^{{{layer}}}_{{{unit}}}"


def _gradient_of_net(layer: str, unit: str) -> str:
    return rf"\frac{{{PARTIAL_L}}}{{\partial {_net(layer, unit)}}}"


class NumberPrinter(IndexLatexPrinter):
    """A rule instance in LaTeX with each quantity replaced by its value at the point."""

    def __init__(self, values: dict[sympy.Expr, float]):
        super().__init__()
        self.values = values

    def _number(self, expr):
        value = self.values[expr]
        text = printer().number(value)
        return rf"\left({text}\right)" if value < 0 else text

    def _print_Indexed(self, expr):
        return self._number(expr) if expr in self.values else super()._print_Indexed(expr)

    def _print_Derivative(self, expr):
        return self._number(expr) if expr in self.values else super()._print_Derivative(expr)


def _sign_text(sign: int) -> str:
    return "" if sign > 0 else "-"


def layer_latex(rules: LayerRules, found: list[Instance] | None, values: PointValues | None) -> str:
    """The general derivation as lecture 001 presents it; ``values`` the point's quantities (None: no instance)."""
    sign = rules.sign
    bias = rules.net.bias
    s = _sign_text(sign)
    slope = dict(rules.derivatives)
    setting = latex_text(f'delta_sign = "{rules.convention}"')
    blocks = [
        rf"\paragraph{{Convention.}} $\delta^l_i = {s}{_gradient_of_net('l', 'i')}$"
        + (" (lecture 001's sign)" if sign < 0 else "")
        + rf".\par\noindent It is set by \texttt{{{setting}}} in \texttt{{[conventions]}}.",
        r"\paragraph{The layer.} Unit $i$ of layer $l$: "
        rf"${_net('l', 'i')} = \sum_{{j=1}}^{{n^{{l-1}}}} W^{{l}}_{{ij}} x^{{l-1}}_{{j}}"
        + (r" + b^{l}_{i}" if bias else "")
        + rf"$, $x^l_i = f^l({_net('l', 'i')})$, each layer's $f^l$ and its derivative:"
        + "\n"
        + _align(
            [
                rf"f^{{{layer}}} &= \text{{{latex_text(name)}}}"
                + ("" if name == "softmax" else rf", & f^{{{layer}}}{{}}'(\mathrm{{net}}) &= {latex(slope[name])}")
                + r" \\"
                for layer, name in enumerate(rules.net.activations, 1)
            ]
        ),
        _case_output(rules, sign),
    ]
    if any(rule.name == "delta_hidden" for rule in rules.rules):
        blocks.append(_case_hidden(rules, sign, bias))
    blocks.append(_summary(rules))
    if found and values is not None:
        blocks.append(_instance(rules, found, values))
    return "\n\n".join(blocks) + "\n"


def _case_output(rules: LayerRules, sign: int) -> str:
    weight = "W^{L}_{ij}"
    gradient = output_delta(rules.net.loss, rules.net.activations[-1] == "softmax", 1)
    lines = [
        rf"{_d(LOSS, weight)} &= {_gradient_of_net('L', 'i')} {_d(_net('L', 'i'), weight)}"
        rf" = {index_latex(weight_local(OUTPUT, rules.net.bias))} {_gradient_of_net('L', 'i')} \\",
        rf"{_gradient_of_net('L', 'i')} &= {index_latex(gradient)} \\",
    ]
    lines += [rf"{lhs(rule, 'latex')} &= {index_latex(rule.expr)} \\" for rule in rules.rules if rule.layer == OUTPUT]
    if rules.net.activations[-1] == "softmax":
        notes = (
            r"Here $y = \operatorname{softmax}(\mathrm{net}^L)$ with the cross-entropy; the second form of"
            r" $\delta^L$, $y - t$, holds only when $\sum_k t_k = 1$ (one-hot targets or a distribution)."
        )
    else:
        notes = f"The loss is {latex_text(rules.net.loss)}."
    return (
        r"\paragraph{Case 1: the output units.} $W^L_{ij}$ reaches the loss only through $"
        + _net("L", "i")
        + r"$. "
        + notes
        + "\n"
        + _align(lines)
    )


def _case_hidden(rules: LayerRules, sign: int, bias: bool) -> str:
    downstream = r"\mathrm{net}^{l+1}_{k}"
    lines = [
        rf"{_gradient_of_net('l', 'i')} &= \sum_{{k=1}}^{{n^{{l+1}}}} {_d(downstream, _net('l', 'i'))}"
        rf" {_gradient_of_net('l+1', 'k')} \\",
        rf"{_d(downstream, _net('l', 'i'))} &= {_d(downstream, 'x^{l}_{i}')} {_d('x^{l}_{i}', _net('l', 'i'))}"
        rf" = {index_latex(downstream_local(bias))} \\",
        rf"{_gradient_of_net('l+1', 'k')} &= {index_latex(sign * DELTA[ell + 1, sympy.Symbol('k')])} \\",
    ]
    lines += [rf"{lhs(rule, 'latex')} &= {index_latex(rule.expr)} \\" for rule in rules.rules if rule.layer == ell]
    return (
        r"\paragraph{Case 2: a hidden unit.} $"
        + _net("l", "i")
        + r"$ reaches the loss through every unit $k$ of layer $l+1$ it feeds (its downstream units):"
        + "\n"
        + _align(lines)
    )


def _summary(rules: LayerRules) -> str:
    lines = []
    for rule in rules.rules:
        lines.append(
            rf"{lhs(rule, 'latex')} &= {index_latex(rule.expr)} &"
            rf" {lhs(rule, 'latex', matrix=True)} &= {matrix_form(rule.expr, 'latex')} \\"
        )
    return r"\paragraph{Summary} (index form, matrix form; $\odot$ the elementwise product):" + "\n" + _align(lines)


def _instance(rules: LayerRules, found: list[Instance], values: PointValues) -> str:
    """One rule put to one unit: the hidden δ of the first unit below the output, else the output δ."""
    rule = next((r for r in rules.rules if r.name == "delta_hidden"), rules.rule("delta_output"))
    layer = layers_of(rule, rules.net)[-1]
    expr = instantiate(rule, rules.net, layer, 1)
    numbers = NumberPrinter({item: values(item) for item in expr.atoms(Indexed, Derivative)})
    number = printer().number
    lines = [
        rf"\delta^{{{layer}}}_{{1}} &= {index_latex(expr)} \\",
        rf"&= {numbers.doprint(expr)} \\",
        rf"&= {number(values(DELTA[layer, 1]))}",
    ]
    key = f"/dnet{layer}_1"
    engine = next(item.engine for item in found if item.quantity.endswith(key) and item.rule == rule.name)
    gradient = _gradient_of_net(str(layer), "1")
    check = rf"The scalar engine's chain rule gives ${'-' if rules.sign < 0 else ''}{gradient} = {number(engine)}$."
    return (
        rf"\paragraph{{An instance}} at {point_words(values)} (layer {layer}, unit 1):"
        + "\n"
        + _align(lines)
        + "\n"
        + check
    )


def point_words(values: PointValues) -> str:
    """The point an instance is worked at: the exercise's, or the exercise's with the values ``--at`` moved.

    >>> from symbackprop.engine.derivation import derive
    >>> from symbackprop.engine.layer_rules import derive_rules
    >>> from symbackprop.exercise.model import load
    >>> ex = load("lecture001-general-rules")
    >>> rules = derive_rules(ex)
    >>> point_words(PointValues(ex, rules, derive(ex)))
    "the exercise's point"
    >>> point_words(PointValues(ex, rules, derive(ex, at={"x0_1": 0.5, "W2_11": -1})))
    "the exercise's point with $x^{0}_{1} = 0.5$, $W^{2}_{11} = -1$"
    """
    given = values.exercise.point or {}
    moved = [name for name, value in given.items() if values.known.get(name) != float(value)]
    if not moved:
        return "the exercise's point"
    changes = (f"${latex_name(name)} = {printer().number(values.known[name])}$" for name in moved)
    return "the exercise's point with " + ", ".join(changes)


def _align(lines: list[str]) -> str:
    body = "\n".join(lines).rstrip("\\ \n")
    return "\\begin{align*}\n" + body + "\n\\end{align*}"


def layer_document(exercise: Exercise, body: str) -> str:
    """The derivation as a document ``pdflatex`` compiles: the exercise's title and source, then ``body``."""
    return wrapped(exercise, body, packages=("amsmath", "amssymb"))
