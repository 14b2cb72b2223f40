r"""Worked solutions as LaTeX, typeset the way the lecture decks typeset them.

Per param an ``align*`` block: the chain rule with ∂-fractions along each path (from the loss
back to the param), the local factors substituted, one line per path, the paths' values and
their sum, the error terms, the closed form and the value at the point.

The error terms follow lecture 001: :math:`\delta_n = -\partial L/\partial n`, so the output
error of a squared loss reads :math:`\delta_y = y_t - y` and a weight's gradient
:math:`-\delta\,x`, as on its slides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

import sympy
from sympy.printing.latex import LatexPrinter, greek_letters_set, tex_greek_dictionary
from sympy.printing.precedence import PRECEDENCE

from symbackprop.errors import SymbackpropError
from symbackprop.render.plain import has_more_nodes, layered_name, lecture_order, product, value_text

# Every option of the LaTeX output, in one place; pass any of them as keyword arguments.
SETTINGS: dict[str, object] = {
    "product_separator": " ",  # between the factors of a chain: "w_{4} h_{2}(1 - h_{2})"
    "heaviside": "cases",  # the unit step of a ReLU derivative: "cases" (the lecture's) or "iverson"
    "line_width": 50,  # a line longer than this many visible symbols breaks (at a + or −, else between factors)
    "digits": 6,  # significant digits of a value, as the terminal rounds
    # A closed form of more nodes than this is left out with a note (a dense net's runs to megabytes
    # of TeX that pdflatex cannot set); the δ form above it says the same step by step.
    "closed_max_nodes": 2000,
}

_INDEXED = re.compile(r"([A-Za-z]+?)_?(\d+)")
_SUBSCRIPTED = re.compile(r"([A-Za-z]+)_([A-Za-z0-9]+)")
_ACCENTS = {"tilde", "hat", "bar", "dot"}


def _stem(text: str) -> str:
    """A name's letters: Greek names as their letters (beta → \\beta, Gamma → \\Gamma), others as written."""
    if text in greek_letters_set:
        return f"\\{text}"
    return tex_greek_dictionary.get(text, text)


def latex_name(name: str) -> str:
    r"""A graph name as the lecture prints it.

    >>> [latex_name(n) for n in ("w1", "x_t", "y_t", "W1_12", "W1_1_10", "net1_2", "beta", "y_true", "y_tilde")]
    ['w_{1}', 'x_{t}', 'y_{t}', 'W^{1}_{12}', 'W^{1}_{1,10}', 'net^{1}_{2}', '\\beta', 'y_{true}', '\\tilde{y}']
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


class _Verbatim(sympy.Symbol):
    """A symbol printed exactly as its name: the error terms δ inside a product of factors."""


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

    def _print__Verbatim(self, expr):
        return expr.name

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
        r"""Factors from the loss back to the param, as :func:`symbackprop.render.plain.product` orders them.

        >>> y, t, w = sympy.symbols("y y_t w4")
        >>> LecturePrinter().product([sympy.Mul(-1, t - y, evaluate=False), w, 1 / (t + w) ** 2])
        '-\\frac{(y_{t} - y) w_{4}}{\\left(w_{4} + y_{t}\\right)^{2}}'
        """
        return product(factors, self.doprint, self._settings["product_separator"], fraction=_frac)

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


# ---------------------------------------------------------------------------------------------
# Breaking long lines: at a + or −, else between two factors of a product, closing and
# reopening \left … \right across the break.


@dataclass(frozen=True)
class _Cut:
    position: int  # index of the space before the + or −, or between the two factors
    depth: float  # parentheses open there, plus ½ between factors: shallower cuts read better
    open_lefts: int  # \left delimiters open there, to close with \right. and reopen with \left.
    continuation: str = ""  # what the next line starts with before the rest: \cdot between factors


_DELIMITER = re.compile(r"\\(left|right)(\\[{}]|\\[a-z]+|.)")
# After a space, what cannot start the next factor of a product: relations, the sum's
# \Bigl(, text and spacing, the closing halves of delimiters and environments.
_NOT_A_FACTOR = re.compile(r"[=<>+\-&]|\\\\|\\(right|end|Bigl|Bigr|text|dots|cdot|quad|approx|geq|leq|neq)\b")


def _between_factors(tex: str, index: int) -> bool:
    """Whether the space at ``index`` separates two factors of a product (w_{2} w_{3}, \frac{…}{…} \frac{…}{…})."""
    before, after = tex[index - 1], tex[index + 1 : index + 2]
    return (before.isalnum() or before in ")}") and bool(after) and not _NOT_A_FACTOR.match(tex, index + 1)


def _cuts(tex: str) -> list[_Cut]:
    """Where ``tex`` may break: a binary + or −, or a space between factors, outside braces and environments."""
    found = []
    braces = environments = lefts = parens = 0
    index = 0
    # Read in place (match and startswith at an index): slicing the rest at every character
    # made this quadratic, minutes for the closed form of a modest dense network.
    while index < len(tex):
        if match := _DELIMITER.match(tex, index):
            step = 1 if match.group(1) == "left" else -1
            lefts, parens = lefts + step, parens + step
            index = match.end()
            continue
        if tex.startswith(("\\{", "\\}", "\\\\", "\\(", "\\)"), index):
            index += 2
            continue
        environments += tex.startswith("\\begin{", index) - tex.startswith("\\end{", index)
        braces += {"{": 1, "}": -1}.get(tex[index], 0)
        parens += {"(": 1, ")": -1}.get(tex[index], 0)
        if index and braces == 0 and environments == 0:
            if tex.startswith((" + ", " - "), index):
                found.append(_Cut(index, parens, lefts))
            elif tex[index] == " " and _between_factors(tex, index):
                found.append(_Cut(index, parens + 0.5, lefts, continuation="\\cdot "))
        index += 1
    return found


def visible_width(tex: str) -> int:
    r"""Roughly how many symbols wide ``tex`` shows: a command is one glyph, a ∂-fraction four,
    a binary operator three (TeX sets it with space on both sides).

    >>> visible_width(r"\frac{\partial E}{\partial w_{1}} = -(y_{t} - y)")   # ∂∂∂∂ ␣=␣ -(yt ␣-␣ y)
    16
    """
    group = r"\{\\partial (?:[^{}]|\{[^{}]*\})*\}"
    tex = re.sub(rf"\\frac{group}{group}", "dddd", tex)
    tex = re.sub(r" [-+=] ", "ooo", tex)
    tex = re.sub(r"\\(left|right)\.|\\(left|right)|\\(begin|end)\{[a-z*]+\}|\\operatorname", "", tex)
    tex = re.sub(r"\\[A-Za-z]+", "x", tex)
    return len(re.sub(r"[{}_^ &]", "", tex))


def break_lines(tex: str, width: int, indent: str = r"&\quad ") -> str:
    r"""``tex`` with a line break wherever a line would run past ``width``: before a + or −, else
    between two factors, the next line starting with ·.

    A break inside ``\left( … \right)`` closes the delimiter with ``\right.`` and reopens it
    with ``\left.``, so that every line of the ``align*`` is valid on its own.

    >>> print(break_lines(r"a + \left(b + c\right) - d", 6))
    a + \left(b \right. \\
    &\quad \left. + c\right) \\
    &\quad - d
    >>> chain = r"\frac{\partial E}{\partial y} \frac{\partial y}{\partial s} \frac{\partial s}{\partial w}"
    >>> print(break_lines(chain, 8))
    \frac{\partial E}{\partial y} \frac{\partial y}{\partial s} \\
    &\quad \cdot \frac{\partial s}{\partial w}
    """
    cuts = _cuts(tex)
    lines, start, reopen, continuation = [], 0, 0, ""
    while visible_width(tex[start:]) > width:
        # A line cut down to a few symbols ("(y") reads worse than one that runs long. The cuts
        # are measured in order and only until one runs past the width: a line is short, the
        # whole expression may not be.
        ahead, fitting = [], []
        for cut in (cut for cut in cuts if cut.position > start):
            shown = visible_width(tex[start : cut.position])
            if shown < width // 4:
                continue
            ahead.append(cut)
            if shown > width:
                break
            fitting.append((cut, shown))
        if not ahead:
            break
        long_enough = [cut for cut, shown in fitting if shown >= width // 2]
        choice = long_enough or [cut for cut, _ in fitting]
        if choice:
            shallowest = min(cut.depth for cut in choice)
            cut = [cut for cut in choice if cut.depth == shallowest][-1]
        else:
            cut = ahead[0]
        lines.append(r"\left. " * reopen + continuation + tex[start : cut.position] + r" \right." * cut.open_lefts)
        start, reopen, continuation = cut.position + 1, cut.open_lefts, cut.continuation
    lines.append(r"\left. " * reopen + continuation + tex[start:])
    return f" \\\\\n{indent}".join(lines)


# ---------------------------------------------------------------------------------------------
# The worked solution of one gradient.


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


def _chain_and_paths(block: _Block, gradient) -> None:
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
    if gradient.value is None:
        return
    if len(gradient.paths) > 1 and not omitted:
        block.add("", _signed_join([tex.number(path.value) for path in gradient.paths]))
    block.add("", tex.number(gradient.value))


def _deltas(block: _Block, gradient) -> None:
    """The error terms δ = −∂L/∂n backwards from the loss, then ∂L/∂P from them (lecture 001)."""
    tex = block.tex
    symbols = {step.node: _Verbatim(delta_name(step.node)) for step in gradient.delta}
    for step in gradient.delta:
        is_param = step.node == gradient.wrt
        terms = [_term(gradient.loss, child, local, symbols, negated=not is_param) for child, local in step.terms]
        if len(terms) == 1 and step.terms[0][0] == gradient.loss:
            right = tex.doprint(sympy.Mul(*terms[0]))  # the loss's own local derivative, no product needed
        else:
            right = _signed_join([tex.product(factors) for factors in terms])
        value = step.value
        if is_param:
            left = _partial(gradient.loss, step.node)
            right = block.per_sample([right])[0]
        else:
            left = delta_name(step.node)
            right = rf"-{_partial(gradient.loss, step.node)} = {right}"
            # Over a data set each δ is one sample's: a summed δ would not multiply out.
            value = None if value is None or block.over else -value
        block.add(left, right if value is None else f"{right} = {tex.number(value)}")


def _term(loss: str, child: str, local: sympy.Expr, delta: dict, negated: bool) -> list[sympy.Expr]:
    """∂L/∂child · ∂child/∂n as factors from the loss back, with ∂L/∂child = −δ_child.

    ``negated`` for a δ, which is −∂L/∂n: −(−δ_c)·∂c/∂n = δ_c·∂c/∂n.
    """
    factors = [local] if child == loss else [sympy.Integer(-1), delta[child], local]
    return [sympy.Integer(-1), *factors] if negated else factors


def _closed(block: _Block, gradient) -> None:
    """The closed form in inputs and params, then its value (exactly when that is short)."""
    tex = block.tex
    limit = tex._settings["closed_max_nodes"]
    if has_more_nodes(gradient.closed, limit):
        note = rf"\text{{(left out: over {limit} terms; the $\delta$ form gives it)}}"
        block.add(_partial(gradient.loss, gradient.wrt), note)
    else:
        block.add(_partial(gradient.loss, gradient.wrt), block.per_sample([tex.doprint(gradient.closed)])[0])
    if gradient.value is None:
        return
    value = tex.number(gradient.value)
    exact = gradient.exact
    if exact is not None and not exact.is_Rational:  # 2π − 3 says more than 3.28319; −1/4 no more than −0.25
        value = rf"{tex.doprint(exact)} \approx {value}"
    block.add("", value)


def gradient_latex(gradient, **settings) -> str:
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


def _over_samples(exercise) -> str:
    """The sum (or mean) over a data set's samples that one sample's formulas sit inside."""
    samples = exercise.samples
    if samples <= 1:
        return ""
    total = rf"\sum_{{n=1}}^{{{samples}}}"
    return rf"\frac{{1}}{{{samples}}} {total}" if exercise.reduce == "mean" else total


def point_latex(derivation, **settings) -> str | None:
    r"""The point the derivation is evaluated at, as inline math; None when it has none.

    >>> from symbackprop.engine.derivation import derive
    >>> from symbackprop.exercise.model import from_equations
    >>> point_latex(derive(from_equations({"y": "w1*x_t"}, params=["w1"], at={"w1": 0.5, "x_t": "pi"})))
    '$w_{1} = 0.5$, $x_{t} = \\pi$'
    """
    if derivation.point is None:
        return None
    tex = printer(**settings)
    point = derivation.point.items()
    return ", ".join(f"${latex_name(name)} = {value_text(value, tex.doprint)}$" for name, value in point)


def derivation_latex(derivation, wrt=None, **settings) -> str:
    r"""Every gradient of a derivation (the params, or ``wrt``), each as an ``align*`` block."""
    from symbackprop.engine.derivation import gradients

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


# ---------------------------------------------------------------------------------------------
# The graph as a TikZ picture, and the standalone document.


def tikz_figure(exercise, edge_labels: bool = False, **settings) -> str:
    r"""The graph as a TikZ picture, left to right by depth; ``edge_labels`` adds the local derivatives.

    Params are shaded, the loss has a double border. Needs only ``\usepackage{tikz}``.

    >>> from symbackprop.exercise.model import from_equations
    >>> print(tikz_figure(from_equations({"t": "x + y", "z": "t**2"}, params=["x"]), edge_labels=True))
    \begin{tikzpicture}[x=2.4cm, y=1.3cm, var/.style={circle, draw, minimum size=8mm, inner sep=1pt},
      param/.style={var, fill=black!12}, loss/.style={var, double}, edge/.style={->, semithick},
      label/.style={midway, above, sloped, font=\scriptsize}]
    \node[param] (n0) at (0, 0.5) {$x$};
    \node[var] (n1) at (0, -0.5) {$y$};
    \node[var] (n2) at (1, 0) {$t$};
    \node[loss] (n3) at (2, 0) {$z$};
    \draw[edge] (n0) -- node[label] {$1$} (n2);
    \draw[edge] (n1) -- node[label] {$1$} (n2);
    \draw[edge] (n2) -- node[label] {$2 t$} (n3);
    \end{tikzpicture}
    """
    from symbackprop.engine.derivation import local_derivatives
    from symbackprop.render.dot import columns

    # A cases block does not fit on an edge: the compact [x > 0] there.
    tex = printer(**{"heaviside": "iverson", **settings})
    local = local_derivatives(exercise) if edge_labels else {}
    ids = {name: f"n{index}" for index, name in enumerate(exercise.graph.names)}
    lines = [
        r"\begin{tikzpicture}[x=2.4cm, y=1.3cm, var/.style={circle, draw, minimum size=8mm, inner sep=1pt},",
        r"  param/.style={var, fill=black!12}, loss/.style={var, double}, edge/.style={->, semithick},",
        r"  label/.style={midway, above, sloped, font=\scriptsize}]",
    ]
    placed = []
    layout = columns(exercise)
    column_of = {name: x for x, column in enumerate(layout) for name in column}
    height: dict[str, float] = {}
    for x, column in enumerate(layout):
        for row, name in enumerate(column):
            style = "param" if name in exercise.params else "loss" if name == exercise.loss else "var"
            y = (len(column) - 1) / 2 - row  # each column centred on the loss's row
            height[name] = y
            placed.append((name, rf"\node[{style}] ({ids[name]}) at ({x}, {y:g}) {{${latex_name(name)}$}};"))
    lines += [line for _, line in sorted(placed, key=lambda item: list(ids).index(item[0]))]
    for name in exercise.graph.nodes:
        for parent in exercise.graph.parents[name]:
            label = f" node[label] {{${tex.doprint(local[name, parent])}$}}" if edge_labels else ""
            # An edge that skips columns bows outwards, around the nodes between, which sit near the middle.
            span = column_of[name] - column_of[parent]
            side = "left" if height[name] + height[parent] >= 0 else "right"  # left of a rightward edge is up
            path = f"to[bend {side}={min(15 + 5 * (span - 2), 35)}]" if span > 1 else "--"
            lines.append(rf"\draw[edge] ({ids[parent]}) {path}{label} ({ids[name]});")
    lines.append(r"\end{tikzpicture}")
    return "\n".join(lines)


def figure_latex(exercise, edge_labels: bool = False, **settings) -> str:
    r"""The TikZ picture centred, a wide network scaled down to the line width, a small one left as drawn.

    Needs only ``\usepackage{tikz}``, which loads graphicx for ``\resizebox``.
    """
    picture = tikz_figure(exercise, edge_labels, **settings)
    return (
        "\\begin{center}\n\\resizebox{\\ifdim\\width>\\linewidth\\linewidth\\else\\width\\fi}{!}{%\n"
        + picture
        + "}\n\\end{center}"
    )


# Text (titles, sources) goes into LaTeX outside math: its special characters escaped, the
# lectures' symbols mapped to what pdflatex can set without extra packages.
_TEXT_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "#": r"\#",
    "$": r"\$",
    "%": r"\%",
    "&": r"\&",
    "_": r"\_",
    "^": r"\^{}",
    "~": r"\~{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "—": "---",
    "–": "--",
    "−": "$-$",
    "·": r"$\cdot$",
    "→": r"$\rightarrow$",
    "∂": r"$\partial$",
    "≥": r"$\geq$",
    "≤": r"$\leq$",
    "×": r"$\times$",
}


_ACCENTED = set("àáâãäåçèéêëìíîïñòóôõöùúûüýÿÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝßæÆøØœŒ")


def latex_text(text: str) -> str:
    r"""Plain text for a LaTeX document: specials escaped, σ and π as math, x² as a superscript.

    A character pdflatex cannot set (Korean, say) becomes ``?``.

    >>> latex_text("y = 1/(x + t), x = v² + w, v = eʷ — 100% σ")
    'y = 1/(x + t), x = v\\textsuperscript{2} + w, v = e\\textsuperscript{w} --- 100\\% $\\sigma$'
    """
    import unicodedata

    out = []
    for char in text:
        if char in _TEXT_SPECIALS:
            out.append(_TEXT_SPECIALS[char])
        elif char.isascii():
            out.append(char)
        elif (decomposition := unicodedata.decomposition(char)).startswith(("<super>", "<sub>")):
            command = "textsuperscript" if decomposition.startswith("<super>") else "textsubscript"
            out.append(rf"\{command}{{{latex_text(unicodedata.normalize('NFKC', char))}}}")
        elif unicodedata.name(char, "").startswith("GREEK SMALL LETTER "):
            letter = unicodedata.name(char).removeprefix("GREEK SMALL LETTER ").lower()
            out.append(rf"$\{letter}$" if letter in greek_letters_set else "?")
        elif char in _ACCENTED:
            out.append(char)  # pdflatex reads UTF-8 and sets these with the default fonts
        else:
            out.append("?")
    return "".join(out)


def document(derivation, wrt=None, figure: bool = False, edge_labels: bool = False, **settings) -> str:
    r"""A complete document that ``pdflatex`` compiles: title, source, the figure, every block."""
    exercise = derivation.exercise
    packages = [r"\usepackage{amsmath}"]
    # Ragged right: a long title then wraps at a word instead of running past the margin.
    body = [rf"\section*{{\raggedright {latex_text(exercise.title or exercise.id)}}}"]
    if exercise.source:
        body.append(rf"\noindent Source: {latex_text(exercise.source)}")
    if figure:
        packages += [r"\usepackage{tikz}"]
        body.append(figure_latex(exercise, edge_labels, **settings))
    body.append(derivation_latex(derivation, wrt, **settings).rstrip("\n"))
    return "\n".join(
        [
            r"\documentclass{article}",
            *packages,
            r"\allowdisplaybreaks",
            r"\begin{document}",
            "\n\n".join(body),
            r"\end{document}",
            "",
        ]
    )
