r"""Worked solutions as LaTeX, typeset the way the lecture decks typeset them.

A derivation is written in labelled sections, one per form asked for (``--form``, as derive's):
per param an ``align*`` block with the chain rule with ∂-fractions along each path (from the
loss back to the param), the local factors substituted, one line per path, the paths' values
and their sum; then every node's error term δ once, from the loss back, and each param's
gradient from them; then the closed forms with their values (beside the other forms only the
short ones, and a note with the size and the bound for the others). Values appear only when
the derivation has a point.

The error terms follow the exercise's ``[conventions] delta_sign``: :math:`\delta_n = \partial L/\partial n`
by default, or lecture 001's :math:`\delta_n = -\partial L/\partial n`, with which the output
error of a squared loss reads :math:`\delta_y = y_t - y` and a weight's gradient
:math:`-\delta\,x`, as on its slides.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import sympy

from symbackprop.engine.derivation import Derivation, Gradient, gradients, values_to_show
from symbackprop.engine.symbolic import DeltaStep, Path, SymbolicDerivation, SymbolicGradient
from symbackprop.exercise.model import Exercise
from symbackprop.render.forms import selected_forms
from symbackprop.render.latex import LecturePrinter, delta_name, latex_name, printer
from symbackprop.render.latex_lines import break_lines
from symbackprop.render.plain import delta_negated, value_text

ALL_FORMS = selected_forms("all")


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


def _chain_and_paths(block: _Block, gradient: SymbolicGradient, forms: frozenset[str] = ALL_FORMS) -> None:
    """The chain rule per path, the local factors substituted, the paths' values and their sum."""
    tex = block.tex
    lhs = _partial(gradient.loss, gradient.wrt)
    chains = [path.chain_text(_partial, " ") for path in gradient.paths]
    omitted = []
    if gradient.paths_omitted:
        omitted = [rf"\dots \text{{ ({gradient.paths_omitted} more of {gradient.paths_total} paths not listed)}}"]
    # A single edge's chain rule would only say ∂f/∂z = ∂f/∂z: start from its factor, unless
    # the chain rule is all that was asked for.
    if "chain" in forms and not (gradient.single_edge and "paths" in forms):
        block.sum_lines(lhs, block.per_sample(chains + omitted) if gradient.paths else chains)
        lhs = ""
    if "paths" in forms and gradient.paths:
        products = [tex.product(list(reversed(path.factors))) for path in gradient.paths]
        block.sum_lines(lhs, block.per_sample(products + omitted))
        lhs = ""
        # The numbers put in, as lecture 004 writes "0.5843 × 0.2411 × 0.5069 = 0.0714"; not over
        # a data set, where the formula is one sample's, nor where each path is one number already.
        if isinstance(gradient, Gradient) and not block.over:
            numbers = [_numbers(tex, gradient.derivation, path) for path in gradient.paths]
            if any(r"\times" in product for product in numbers):
                block.sum_lines("", numbers + omitted)
        if isinstance(gradient, Gradient) and len(gradient.paths) > 1 and not omitted:
            block.add("", _signed_join([tex.number(value) for value in gradient.path_values]))
    if isinstance(gradient, Gradient) and not lhs:
        block.add("", tex.number(gradient.value))


def _numbers(tex: LecturePrinter, derivation: Derivation, path: Path) -> str:
    r"""A path's local factors at the point, from the loss back, joined by ×; a factor that is 1 is left out.

    >>> from symbackprop.engine.derivation import derive
    >>> from symbackprop.exercise.model import from_equations
    >>> d = derive(from_equations({"q": "x + y", "f": "q*z"}, at={"x": -2, "y": 5, "z": -4}))
    >>> _numbers(printer(), d, d.gradient("x").paths[0]), _numbers(printer(), d, d.gradient("z").paths[0])
    ('(-4)', '3')
    """
    edges = derivation.numeric.edges
    shown = [edges[edge] for edge, factor in zip(path.edges, path.factors, strict=True) if factor != 1]
    numbers = [tex.number(value) for value in reversed(shown)] or ["1"]
    return r" \times ".join(f"({number})" if number.startswith("-") else number for number in numbers)


def _delta_line(block: _Block, loss: str, step: DeltaStep, value: float | None, negated: bool, wrt: str) -> None:
    """One step of the δ recursion: a node's δ = ±∂L/∂n, or the param's ∂L/∂P from the δs."""
    tex = block.tex
    is_param = step.node == wrt
    symbols = {child: _Verbatim(delta_name(child)) for child, _ in step.terms if child != loss}
    terms = [_term(loss, child, local, symbols, negated, is_param=is_param) for child, local in step.terms]
    if len(terms) == 1 and step.terms[0][0] == loss:
        right = tex.doprint(sympy.Mul(*terms[0]))  # the loss's own local derivative, no product needed
    else:
        right = _signed_join([tex.product(factors) for factors in terms])
    if is_param:
        left = _partial(loss, step.node)
        right = block.per_sample([right])[0]
    else:
        left = delta_name(step.node)
        right = rf"{'-' if negated else ''}{_partial(loss, step.node)} = {right}"
        # Over a data set each δ is one sample's: a summed δ would not multiply out.
        value = None if value is None or block.over else (-value if negated else value)
    block.add(left, right if value is None else f"{right} = {tex.number(value)}")


def _deltas(block: _Block, gradient: SymbolicGradient) -> None:
    """The error terms δ backwards from the loss, then ∂L/∂P from them, under the exercise's δ sign."""
    negated = delta_negated(gradient.derivation.exercise.conventions.delta_sign)
    for step, value in zip(gradient.delta, values_to_show(gradient).delta, strict=True):
        _delta_line(block, gradient.loss, step, value, negated, gradient.wrt)


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


def _closed(block: _Block, gradient: SymbolicGradient, limit: int | None, asked: bool = True) -> None:
    """The closed form in inputs and params, then its value (exactly when that is short).

    A form over ``limit`` nodes is left out with a note that gives its size and the bound;
    not ``asked`` for alone, the bound is the short one of a handout and the note says so.
    """
    tex = block.tex
    closed = gradient.closed_within(limit)
    if closed is None:
        # The same field as the JSON's closed_size, and the bound that left the form out.
        size = rf"closed\_size = {gradient.closed_size}, over {limit} terms and factors"
        settable = not asked and gradient.closed_within(_asked_limit(tex)) is not None
        where = r"see \texttt{-{}-form closed}" if settable else r"left out; the $\delta$ form gives it"
        note = rf"\text{{({size}: {where})}}"
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


def _asked_limit(tex: LecturePrinter) -> int | None:
    """The bound of a closed form asked for (``--form closed``): past it pdflatex cannot set it."""
    return tex._settings["closed_max_nodes"]


def _short_limit(tex: LecturePrinter) -> int | None:
    """The bound of a closed form shown beside the other forms: a handout's, never above the asked one."""
    short, asked = tex._settings["closed_short_nodes"], _asked_limit(tex)
    if short is None or asked is None:
        return asked if short is None else short
    return min(short, asked)


def closed_bounds(limit: int) -> dict[str, int | None]:
    """The printer settings for ``--closed-limit N``: one bound, asked for or not (0: none).

    >>> closed_bounds(10), closed_bounds(0)
    ({'closed_max_nodes': 10, 'closed_short_nodes': 10}, {'closed_max_nodes': None, 'closed_short_nodes': None})
    """
    return {"closed_max_nodes": limit or None, "closed_short_nodes": limit or None}


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
    _closed(block, gradient, _asked_limit(block.tex))
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
    return assignments_latex(derivation.point, **settings)


def assignments_latex(point: Mapping[str, sympy.Expr], **settings: object) -> str:
    r"""Names and their values as inline math, the values as the user wrote them: ``$w_{1} = 0.5$, …``."""
    tex = printer(**settings)
    return ", ".join(f"${latex_name(name)} = {value_text(value, tex.doprint)}$" for name, value in point.items())


def _section(title: str) -> str:
    r"""A labelled section of the worked solution: ``\subsection*``, which every document class has."""
    return rf"\subsection*{{{title}}}"


def delta_heading(exercise: Exercise) -> str:
    r"""The δ section's title: which δ is in force, the exercise's ``[conventions] delta_sign``.

    >>> from symbackprop.exercise.model import from_equations
    >>> delta_heading(from_equations({"E": "w*x"}))
    'Error terms $\\delta_{n} = \\frac{\\partial E}{\\partial n}$ (delta\\_sign = dL/dnet, the default)'
    """
    sign = exercise.conventions.delta_sign
    negated = delta_negated(sign)
    definition = rf"\delta_{{n}} = {'-' if negated else ''}\frac{{\partial {latex_name(exercise.loss)}}}{{\partial n}}"
    whose = "lecture 001's" if negated else "the default"
    return rf"Error terms ${definition}$ (delta\_sign = {sign}, {whose})"


def _delta_section(derivation: SymbolicDerivation, found: list[SymbolicGradient], tex: LecturePrinter) -> str:
    """Every node's δ once, from the loss back, then each param's ∂L/∂P from them."""
    exercise = derivation.exercise
    block = _Block(tex, _over_samples(exercise))
    negated = delta_negated(exercise.conventions.delta_sign)
    steps: dict[str, tuple[DeltaStep, float | None]] = {}
    for gradient in found:  # a node's step is the same whichever param it is on the way from
        for step, value in zip(gradient.delta, values_to_show(gradient).delta, strict=True):
            if step.node != gradient.wrt:
                steps.setdefault(step.node, (step, value))
    backwards = {name: index for index, name in enumerate(reversed(exercise.graph.order))}
    for node in sorted(steps, key=backwards.__getitem__):
        _delta_line(block, exercise.loss, *steps[node], negated, wrt="")
    block.gap()
    for gradient in found:
        own = [(step, value) for step, value in zip(gradient.delta, values_to_show(gradient).delta, strict=True)]
        if own and own[-1][0].node == gradient.wrt:
            _delta_line(block, gradient.loss, *own[-1], negated, gradient.wrt)
    return block.render()


def _closed_section(found: list[SymbolicGradient], tex: LecturePrinter, asked: bool, over: str) -> str:
    """Each param's closed form and value, in one block; past the bound a note with its size."""
    block = _Block(tex, over)
    limit = _asked_limit(tex) if asked else _short_limit(tex)
    for gradient in found:
        _closed(block, gradient, limit, asked)
        block.gap()
    return block.render()


def derivation_latex(
    derivation: SymbolicDerivation, wrt: Iterable[str] | None = None, form: str = "all", **settings: object
) -> str:
    r"""The worked solution in labelled sections: chain rule and paths per param, the δs once, the closed forms.

    ``form`` is one of :data:`symbackprop.render.forms.FORMS`. Beside the other forms a closed
    form is set only when short (``closed_short_nodes``); asked for alone, up to ``closed_max_nodes``.
    """
    forms = selected_forms(form)
    tex = printer(**settings)
    parts = []
    point = point_latex(derivation, **settings)
    exercise = derivation.exercise
    if point and exercise.samples > 1:
        names = ", ".join(f"${latex_name(name)}$" for name in exercise.data)
        parts.append(f"At {point}, {exercise.gathered} over the {exercise.samples} samples of {names}:")
    elif point:
        parts.append(f"At {point}:")
    found = list(gradients(derivation, wrt).values())
    if forms & {"chain", "paths"}:
        parts.append(_section(_chain_title(forms)))
        for gradient in found:
            block = _Block(tex, _over_samples(exercise))
            _chain_and_paths(block, gradient, forms)
            parts.append(block.render())
    if "delta" in forms:
        parts += [_section(delta_heading(exercise)), _delta_section(derivation, found, tex)]
    if "closed" in forms:
        parts.append(_section("Closed forms, in inputs and params"))
        parts.append(_closed_section(found, tex, asked=forms == {"closed"}, over=_over_samples(exercise)))
    return "\n\n".join(parts) + "\n"


def _chain_title(forms: frozenset[str]) -> str:
    """The first section's title: what of the chain rule it shows."""
    if "paths" not in forms:
        return "Chain rule"
    return "Chain rule and paths" if "chain" in forms else "Paths"
