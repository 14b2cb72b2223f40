r"""A questions-only sheet: the exercise as the student gets it, without the solution.

The graph's equations, the point, and what is asked: each question's quantity, the form of
answer it takes and its points (``[questions]``, or every ∂L/∂P when there are none). Nothing
the derivation gives (products, values, δ, closed forms) is on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol

import sympy

from symbackprop.errors import SymbackpropError
from symbackprop.exercise.model import Exercise
from symbackprop.exercise.quantities import Quantity
from symbackprop.render.latex import LecturePrinter, latex_name, printer
from symbackprop.render.latex_solution import assignments_latex
from symbackprop.render.plain import delta_negated

# How each answer form of a question reads on the sheet.
_ANSWER = {"symbolic": "a formula", "numeric": "a number", "auto": "a formula or a number"}


class Asked(Protocol):
    """What the sheet needs of a question (grading's Question has it): the quantity, the answer's form, the points."""

    @property
    def quantity(self) -> Quantity: ...

    @property
    def form(self) -> str: ...

    @property
    def points(self) -> float: ...


def quantity_latex(quantity: Quantity, loss: str) -> str:
    r"""What a quantity key names, as inline math and words: ``dE/dw1`` → ∂E/∂w₁, ``w2@1`` → w₂ after one step.

    >>> from symbackprop.exercise.quantities import Quantity
    >>> quantity_latex(Quantity("dE/dw1", "w1", gradient=True), "E")
    '$\\frac{\\partial E}{\\partial w_{1}}$'
    >>> quantity_latex(Quantity("w2@1", "w2", gradient=False, step=1), "E")
    '$w_{2}$ after 1 gradient-descent step'
    >>> quantity_latex(Quantity("-dL/dnet2_1", "net2_1", gradient=True, negated=True), "L")
    '$-\\frac{\\partial L}{\\partial \\mathrm{net}^{2}_{1}}$'
    """
    if quantity.gradient:
        math = rf"\frac{{\partial {latex_name(loss)}}}{{\partial {latex_name(quantity.name)}}}"
        math = f"-{math}" if quantity.negated else math
    else:
        math = latex_name(quantity.name)
    steps = quantity.step
    after = f" after {steps} gradient-descent step{'s' if steps != 1 else ''}" if steps else ""
    return f"${math}${after}"


# What each kind of layer rule gives, for the sheet: the left side's unit or weight, in words.
_RULE_WHAT = {"delta": "of {unit} unit", "dW": "for a weight into {layer}", "db": "for a bias of {unit} unit"}


def rule_question_latex(exercise: Exercise, quantity: Quantity) -> str | None:
    r"""What a layer-rule question (``ask = "rule:NAME"``) asks, in words and symbols; None for a quantity.

    >>> from symbackprop.exercise.model import load
    >>> from symbackprop.exercise.quantities import Quantity
    >>> ex = load("lecture001-general-rules")
    >>> print(rule_question_latex(ex, Quantity("rule:delta_hidden", "delta_hidden", gradient=False)))
    the rule for $\delta^{l}_{i}$ of a hidden unit (in index or matrix form)
    """
    from symbackprop.engine.layer_forms import lhs  # SymPy's layer rules: only a sheet that asks one needs them
    from symbackprop.engine.layer_rules import derive_rules, rule_key

    name = rule_key(quantity.key)
    if name is None:
        return None
    rule = derive_rules(exercise).rule(name)
    output = rule.name.endswith("_output")
    what = _RULE_WHAT[rule.kind].format(
        unit="an output" if output else "a hidden", layer="the output layer" if output else "a hidden layer"
    )
    return f"the rule for ${lhs(rule, 'latex')}$ {what} (in index or matrix form)"


def _convention_latex(exercise: Exercise) -> str:
    """The sign of δ a layer-rule answer is written under."""
    sign = "-" if delta_negated(exercise.conventions.delta_sign) else ""
    return rf"Here $\delta = {sign}\partial \mathcal{{L}} / \partial \mathrm{{net}}$."


def _points(points: float) -> str:
    """2.0 → "2 points", 0.5 → "0.5 points", 1 → "1 point"."""
    text = f"{points:g}"
    return f"{text} point{'' if points == 1 else 's'}"


def _graph(exercise: Exercise, tex: LecturePrinter) -> str:
    """The graph's equations, one ``align*`` line each, in the order they are defined."""
    lines = [f"{latex_name(node)} &= {tex.doprint(rhs)}" for node, rhs in exercise.equations.items()]
    return "\\begin{align*}\n" + " \\\\\n".join(lines) + "\n\\end{align*}"


def questions_latex(
    exercise: Exercise,
    questions: Mapping[str, Asked],
    wrt: Iterable[str] | None = None,
    at: Mapping[str, object] | None = None,
    **settings: object,
) -> str:
    r"""The questions of ``exercise`` without their answers: graph, point, and a numbered list of what is asked.

    ``wrt`` keeps the questions about those names; ``at`` moves the point as ``derive --at`` does.

    >>> from symbackprop.exercise.model import from_equations
    >>> from symbackprop.exercise.quantities import parse_quantity
    >>> from types import SimpleNamespace
    >>> ex = from_equations({"q": "x + y", "f": "q*z"}, at={"x": -2, "y": 5, "z": -4})
    >>> asked = {"q1": SimpleNamespace(quantity=parse_quantity("df/dx", ex), form="symbolic", points=2)}
    >>> print(questions_latex(ex, asked))
    The graph, with loss $f$:
    <BLANKLINE>
    \begin{align*}
    q &= x + y \\
    f &= q z
    \end{align*}
    <BLANKLINE>
    At $x = -2$, $y = 5$, $z = -4$:
    <BLANKLINE>
    \begin{enumerate}
    \item $\frac{\partial f}{\partial x}$, as a formula (2 points).
    \end{enumerate}
    <BLANKLINE>
    """
    tex = printer(**settings)
    keep = list(dict.fromkeys(wrt or ()))
    unasked = [name for name in keep if all(q.quantity.name != name for q in questions.values())]
    if unasked:
        raise SymbackpropError(f"no question of {exercise.id} asks about {', '.join(map(repr, unasked))}", key="--wrt")
    asked = [question for question in questions.values() if not keep or question.quantity.name in keep]
    parts = [f"The graph, with loss ${latex_name(exercise.loss)}$:", _graph(exercise, tex)]
    point = exercise.at(at)
    if point:
        where = f"At {assignments_latex(point, **settings)}"
        if exercise.samples > 1:
            names = ", ".join(f"${latex_name(name)}$" for name in exercise.data)
            where += f", the loss {exercise.gathered} over the {exercise.samples} samples of {names}"
        parts.append(where + ":")
    if any(question.quantity.step for question in asked) and "lr" in exercise.train:
        rate = tex.doprint(sympy.sympify(exercise.train["lr"]))
        parts.append(rf"Gradient descent takes steps of $\eta = {rate}$ against the gradient.")
    rules = {id(q): rule_question_latex(exercise, q.quantity) for q in asked}
    if any(rules.values()):
        parts.append(_convention_latex(exercise))
    items = [
        rf"\item {rules[id(q)] or quantity_latex(q.quantity, exercise.loss)}, as {_ANSWER[q.form]}"
        f" ({_points(q.points)})."
        for q in asked
    ]
    parts.append("\\begin{enumerate}\n" + "\n".join(items) + "\n\\end{enumerate}")
    return "\n\n".join(parts) + "\n"
