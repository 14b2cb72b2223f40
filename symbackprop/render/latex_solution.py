r"""Worked solutions as LaTeX, typeset the way the lecture decks typeset them.

Per param an ``align*`` block: the chain rule with ∂-fractions along each path (from the loss
back to the param), the local factors substituted, one line per path, the paths' values and
their sum, the error terms, the closed form and the value at the point (values only when the
derivation has a point).

The error terms follow the exercise's ``[conventions] delta_sign``: :math:`\delta_n = \partial L/\partial n`
by default, or lecture 001's :math:`\delta_n = -\partial L/\partial n`, with which the output
error of a squared loss reads :math:`\delta_y = y_t - y` and a weight's gradient
:math:`-\delta\,x`, as on its slides.
"""

from __future__ import annotations

from collections.abc import Iterable

import sympy

from symbackprop.engine.derivation import Derivation, Gradient, gradients, values_to_show
from symbackprop.engine.symbolic import SymbolicDerivation, SymbolicGradient
from symbackprop.exercise.model import Exercise
from symbackprop.render.latex import LecturePrinter, delta_name, latex_name, printer
from symbackprop.render.latex_lines import break_lines
from symbackprop.render.plain import delta_negated, value_text


class _Verbatim(sympy.Symbol):
    """A symbol printed exactly as its name: the error terms δ inside a product of factors."""

    def _latex(self, printer: object) -> str:
        return self.name  # SymPy's LaTeX printers ask an object's own _latex first


def _partial(top: str, bottom: str) -> str:
    return rf"\frac{{\partial {latex_name(top)}}}{{\partial {latex_name(bottom)}}}"


def _signed_join(terms: list[str]) -> str:
    """Terms joined with + and −, a leading minus of a term becoming the operator."""
    text = ""
    for term in terms:
        if not text:
            text = term
        elif term.startswith("-"):
            text += " - " + term[1:].lstrip()
        else:
            text += " + " + term
    return text or "0"


class _Block:
    """The lines of one ``align*`` block, each broken to the page width."""

    def __init__(self, tex: LecturePrinter, over: str = ""):
        self.tex = tex
        self.over = over  # "\\sum_{n=1}^{N}" when the formulas are one sample's of a data set
        self.lines: list[str] = []
        self.gaps: set[int] = set()

    def per_sample(self, terms: list[str]) -> list[str]:
        """Terms of one sample's formula, inside the sum over the samples when there are several."""
        if not self.over or not terms:
            return terms
        # \Bigl( … \Bigr), unlike \left … \right, may open and close on different lines.
        if len(terms) == 1:
            return [rf"{self.over} \Bigl({terms[0]}\Bigr)"]
        return [rf"{self.over} \Bigl({terms[0]}", *terms[1:-1], terms[-1] + r"\Bigr)"]

    def _broken(self, right: str) -> str:
        return break_lines(right, self.tex._settings["line_width"])

    def add(self, left: str, right: str) -> None:
        """``left &= right``, broken where it runs long."""
        self.lines.append(f"{left} &= {self._broken(right)}".lstrip())

    def more(self, right: str) -> None:
        r"""A continuation of the line above, ``&\quad + right`` (or ``-`` for a negative term)."""
        operator, right = ("-", right[1:].lstrip()) if right.startswith("-") else ("+", right)
        self.lines.append(rf"&\quad {operator} {self._broken(right)}")

    def sum_lines(self, left: str, terms: list[str]) -> None:
        """One line per term: the first after ``left &=``, the others as continuations."""
        for index, term in enumerate(terms or ["0"]):
            if index == 0:
                self.add(left, term)
            else:
                self.more(term)

    def gap(self) -> None:
        """A little space between the forms."""
        if self.lines:
            self.gaps.add(len(self.lines) - 1)

    def render(self) -> str:
        """The block as LaTeX."""
        ends = [r" \\[1ex]" if index in self.gaps else r" \\" for index in range(len(self.lines) - 1)]
        body = "".join(line + end + "\n" for line, end in zip(self.lines, [*ends, ""], strict=True))
        return "\\begin{align*}\n" + body + "\\end{align*}"


def _chain_and_paths(block: _Block, gradient: SymbolicGradient) -> None:
    """The chain rule per path, the local factors substituted, the paths' values and their sum."""
    tex = block.tex
    lhs = _partial(gradient.loss, gradient.wrt)
    chains = [path.chain_text(_partial, " ") for path in gradient.paths]
    omitted = []
    if gradient.paths_omitted:
        omitted = [rf"\dots \text{{ ({gradient.paths_omitted} more of {gradient.paths_total} paths not listed)}}"]
    # A single edge's chain rule would only say ∂f/∂z = ∂f/∂z: start from its factor.
    if not gradient.single_edge:
        block.sum_lines(lhs, block.per_sample(chains + omitted) if gradient.paths else chains)
        lhs = ""
    if not gradient.paths:
        return
    products = [tex.product(list(reversed(path.factors))) for path in gradient.paths]
    block.sum_lines(lhs, block.per_sample(products + omitted))
    if not isinstance(gradient, Gradient):
        return
    if len(gradient.paths) > 1 and not omitted:
        block.add("", _signed_join([tex.number(value) for value in gradient.path_values]))
    block.add("", tex.number(gradient.value))


def _deltas(block: _Block, gradient: SymbolicGradient) -> None:
    """The error terms δ backwards from the loss, then ∂L/∂P from them, under the exercise's δ sign."""
    tex = block.tex
    negated = delta_negated(gradient.derivation.exercise.conventions.delta_sign)
    symbols = {step.node: _Verbatim(delta_name(step.node)) for step in gradient.delta}
    for step, value in zip(gradient.delta, values_to_show(gradient).delta, strict=True):
        is_param = step.node == gradient.wrt
        terms = [_term(gradient.loss, child, local, symbols, negated, is_param=is_param) for child, local in step.terms]
        if len(terms) == 1 and step.terms[0][0] == gradient.loss:
            right = tex.doprint(sympy.Mul(*terms[0]))  # the loss's own local derivative, no product needed
        else:
            right = _signed_join([tex.product(factors) for factors in terms])
        if is_param:
            left = _partial(gradient.loss, step.node)
            right = block.per_sample([right])[0]
        else:
            left = delta_name(step.node)
            right = rf"{'-' if negated else ''}{_partial(gradient.loss, step.node)} = {right}"
            # Over a data set each δ is one sample's: a summed δ would not multiply out.
            value = None if value is None or block.over else (-value if negated else value)
        block.add(left, right if value is None else f"{right} = {tex.number(value)}")


def _term(
    loss: str, child: str, local: sympy.Expr, delta: dict[str, _Verbatim], negated: bool, is_param: bool
) -> list[sympy.Expr]:
    """One term of ∂L/∂n (of the param) or of δₙ = ±∂L/∂n, as factors from the loss back.

    With δ = −∂L/∂n (``negated``), ∂L/∂child = −δ_child: a δ's terms are then
    −(−δ_c)·∂c/∂n = δ_c·∂c/∂n, the param's −δ_c·∂c/∂P, and the loss's own −∂L/∂n.
    """
    if child == loss:
        return [sympy.Integer(-1), local] if negated and not is_param else [local]
    sign = [sympy.Integer(-1)] if negated and is_param else []
    return [*sign, delta[child], local]


def _closed(block: _Block, gradient: SymbolicGradient) -> None:
    """The closed form in inputs and params, then its value (exactly when that is short)."""
    tex = block.tex
    limit = tex._settings["closed_max_nodes"]
    closed = gradient.closed_within(limit)
    if closed is None:
        # The same field as the JSON's closed_size, and the bound that left the form out.
        size = rf"closed\_size = {gradient.closed_size}, over {limit} terms and factors"
        note = rf"\text{{({size}: left out; the $\delta$ form gives it)}}"
        block.add(_partial(gradient.loss, gradient.wrt), note)
    else:
        block.add(_partial(gradient.loss, gradient.wrt), block.per_sample([tex.doprint(closed)])[0])
    if not isinstance(gradient, Gradient):
        return
    value = tex.number(gradient.value)
    exact = gradient.exact
    if exact is not None and not exact.is_Rational:  # 2π − 3 says more than 3.28319; −1/4 no more than −0.25
        value = rf"{tex.doprint(exact)} \approx {value}"
    block.add("", value)


def gradient_latex(gradient: SymbolicGradient, **settings: object) -> str:
    r"""∂L/∂P as one ``align*`` block: chain rule, paths, their sum, δ form, closed form, value.

    >>> from symbackprop.engine.derivation import derive
    >>> from symbackprop.exercise.model import from_equations
    >>> d = derive(from_equations({"q": "x + y", "f": "q*z"}, at={"x": -2, "y": 5, "z": -4}))
    >>> print(gradient_latex(d.gradient("z")))
    \begin{align*}
    \frac{\partial f}{\partial z} &= q \\
    &= 3 \\[1ex]
    \frac{\partial f}{\partial z} &= q = 3 \\[1ex]
    \frac{\partial f}{\partial z} &= x + y \\
    &= 3
    \end{align*}
    """
    block = _Block(printer(**settings), _over_samples(gradient.derivation.exercise))
    _chain_and_paths(block, gradient)
    block.gap()
    _deltas(block, gradient)
    block.gap()
    _closed(block, gradient)
    return block.render()


def _over_samples(exercise: Exercise) -> str:
    """The sum (or mean) over a data set's samples that one sample's formulas sit inside."""
    samples = exercise.samples
    if samples <= 1:
        return ""
    total = rf"\sum_{{n=1}}^{{{samples}}}"
    return rf"\frac{{1}}{{{samples}}} {total}" if exercise.reduce == "mean" else total


def point_latex(derivation: SymbolicDerivation, **settings: object) -> str | None:
    r"""The point the derivation is evaluated at, as inline math; None when it has none.

    >>> from symbackprop.engine.derivation import derive
    >>> from symbackprop.exercise.model import from_equations
    >>> point_latex(derive(from_equations({"y": "w1*x_t"}, params=["w1"], at={"w1": 0.5, "x_t": "pi"})))
    '$w_{1} = 0.5$, $x_{t} = \\pi$'
    """
    if not isinstance(derivation, Derivation):
        return None
    tex = printer(**settings)
    point = derivation.point.items()
    return ", ".join(f"${latex_name(name)} = {value_text(value, tex.doprint)}$" for name, value in point)


def derivation_latex(derivation: SymbolicDerivation, wrt: Iterable[str] | None = None, **settings: object) -> str:
    r"""Every gradient of a derivation (the params, or ``wrt``), each as an ``align*`` block."""
    parts = []
    point = point_latex(derivation, **settings)
    exercise = derivation.exercise
    if point and exercise.samples > 1:
        names = ", ".join(f"${latex_name(name)}$" for name in exercise.data)
        parts.append(f"At {point}, {exercise.gathered} over the {exercise.samples} samples of {names}:")
    elif point:
        parts.append(f"At {point}:")
    parts += [gradient_latex(gradient, **settings) for gradient in gradients(derivation, wrt).values()]
    return "\n\n".join(parts) + "\n"
