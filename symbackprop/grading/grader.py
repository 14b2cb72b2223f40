"""Grading one answer: equal to the reference on the graph, or wrong with the mistake named.

An answer is read by the whitelist parsers (plain or LaTeX), never evaluated as code. A
symbolic answer is the same as the reference when their values agree at the exercise's
point and at seeded random points near it (:mod:`symbackprop.judge.equivalence`); SymPy's
``simplify`` is asked only when the numbers cannot decide. A wrong answer is diagnosed
from the catalog of :mod:`symbackprop.judge.mistakes`, and a number is read with the
precision it is written with (:mod:`symbackprop.judge.precision`).
"""

from __future__ import annotations

import copy
import functools
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from functools import cached_property

import sympy

from symbackprop.core.values import evaluate
from symbackprop.engine.evaluation import Overrides, Pass, evaluate_pass
from symbackprop.engine.symbolic import SymbolicDerivation
from symbackprop.engine.train import passes
from symbackprop.errors import ParseError, SymbackpropError
from symbackprop.exercise.model import Exercise
from symbackprop.exercise.quantities import Quantity
from symbackprop.grading.questions import Question, question_for
from symbackprop.grading.verdict import Verdict
from symbackprop.judge.equivalence import (
    AGREE,
    RANDOM_POINTS,
    certainly_different,
    comparison_points,
    same_values,
    values_at,
    within_relative,
)
from symbackprop.judge.layer_rule import LayerRuleJudge
from symbackprop.judge.mistakes import (
    FACTOR_2,
    MISSING_PATH,
    OTHER_QUANTITY,
    SIGN,
    Variant,
    first_match,
    gradient_variants,
    paired_variants,
    quantity_value,
    rounded_early,
    value_variants,
)
from symbackprop.judge.precision import Written, written_precision
from symbackprop.parse.forms import answer_body
from symbackprop.parse.latex import parse_any
from symbackprop.parse.layer_rule import parse_layer_rule

SIMPLIFY_MAX_OPS = 400  # beyond this, simplify is not tried at all
# A student's own values tried as the source of a carried-forward answer, each a run of gradient
# descent in the parent process: a bound, so that a file of hundreds of answers cannot stall it.
CARRIED_SOURCES = 16
MAX_FIXED_LEAVES = 20  # leaves tried, one at a time, as what makes an answer right only at the point


# The cached properties a grader works out at its exercise's point: a moved grader works them out again.
_AT_ITS_POINT = ("symbolic_points", "layer_judge")


class Grader:
    """Everything one exercise needs to grade answers, computed once and shared by the workers."""

    def __init__(self, exercise: Exercise, questions: Mapping[str, Question], *, random_points: int = RANDOM_POINTS):
        self.exercise = exercise
        self.questions = dict(questions)
        self.derivation = SymbolicDerivation(exercise)
        self.local = self.derivation.local
        self.random_points = random_points
        self._steps: dict[int, Pass] = {}
        # The mistakes of a quantity do not depend on the point: one list, shared with every moved() copy.
        self._variants: dict[tuple[Quantity, bool], list[Variant]] = {}

    def moved(self, point: Mapping[str, sympy.Expr]) -> Grader:
        """This grader at another point of the exercise (a student's variant), sharing the derivation."""
        moved = copy.copy(self)
        moved.exercise = replace(self.exercise, point=dict(point))
        moved._steps = {}  # (the mistakes' list, _variants, is the same at every point: shared)
        for cached in _AT_ITS_POINT:  # what this grader cached was worked at its own point
            moved.__dict__.pop(cached, None)
        return moved

    # -- the points answers are checked at ------------------------------------------------

    @cached_property
    def symbolic_points(self) -> list[Pass]:
        """The exercise's point and seeded random points near it (one sample each)."""
        return comparison_points(self.exercise, self.local, self.random_points)

    def step_point(self, step: int) -> Pass:
        """The numbers after ``step`` gradient-descent updates (step 0 is the ``[at]`` point)."""
        if step not in self._steps:
            self._steps[step] = evaluate_pass(self.exercise, self.local, self._params_at(step))
        return self._steps[step]

    def _params_at(self, step: int) -> dict[str, float]:
        """The inputs and params after ``step`` updates, as train takes them (with this grader's local derivatives)."""
        if step == 0:
            return {name: float(value) for name, value in (self.exercise.at() or {}).items()}
        lr = self.exercise.train.get("lr")
        if lr is None:  # questions and keys past step 0 are refused without one; this is a guard
            raise SymbackpropError(f"{self.exercise.id} has no [train] lr for step {step}")
        leaves, _ = passes(self.exercise, float(lr), step, local=self.local)[-1]
        return leaves

    # -- grading one answer ----------------------------------------------------------------

    def question(self, key: str) -> Question | None:
        """The question a key of an answers file asks (see :func:`question_for`)."""
        return question_for(self.exercise, self.questions, key)

    def answers_to(self, key: str) -> str:
        """The id of the question a key answers (the key itself when it names none)."""
        question = self.question(key)
        return question.id if question is not None else key

    def grade(self, key: str, answer: str | None) -> Verdict:
        """The verdict on one answer to the question ``key``.

        >>> from symbackprop.exercise.model import from_equations
        >>> g = Grader(from_equations({"h": "sigmoid(w*x)", "E": "(t - h)**2/2"}, params=["w"],
        ...     at={"w": 1, "x": 2, "t": 1}), {})
        >>> g.grade("dE/dw", "-(t - h)*h(1 - h)*x").verdict
        'correct'
        >>> g.grade("dE/dw", "-(t - h)*h*x").feedback
        'the derivative of sigmoid at h is h*(1 - h), not h'
        """
        question = self.question(key)
        if question is None:
            return Verdict("unparsable", 0.0, 0.0, feedback=f"{key[:40]!r} is not a question of {self.exercise.id}")
        if answer is None or not answer.strip():
            return Verdict("missing", 0.0, question.points, feedback="no answer")
        if question.rule is not None:
            return self.grade_rule(question, answer)
        # "dE/dw4 = …", "≈ -0.277", a trailing ";": only the formula or number after the last '=' is graded
        number = answer_body(answer, formula=False)
        form = question.form
        if form == "auto":
            form = "numeric" if _looks_numeric(number) else "symbolic"
        if form == "numeric":
            return self.grade_numeric(question, number)
        return self.grade_symbolic(question, answer_body(answer, formula=True))

    @cached_property
    def layer_judge(self) -> LayerRuleJudge:
        """The judge of layer-rule answers (see :mod:`symbackprop.judge.layer_rule`)."""
        return LayerRuleJudge(self.exercise)

    def grade_rule(self, question: Question, answer: str) -> Verdict:
        """A layer rule in index or matrix form: equal on the net at several points, or its mistake named."""
        try:
            tree = parse_layer_rule(answer)
        except ParseError as error:
            return Verdict("unparsable", 0.0, question.points, feedback=f"cannot read the answer: {error}")
        assert question.rule is not None
        judgement = self.layer_judge.judge(tree, self.layer_judge.rules.rule(question.rule))
        if judgement.correct:
            return Verdict("correct", question.points, question.points, feedback="correct")
        if judgement.kind is None:
            return Verdict("wrong", 0.0, question.points, feedback=judgement.feedback)
        return self._wrong(question, Variant((judgement.kind,), judgement.feedback, lambda _: 0.0))

    def variants(self, quantity: Quantity, *, numeric: bool) -> list[Variant]:
        """The reference with each typical mistake made (see :mod:`symbackprop.judge.mistakes`)."""
        key = (quantity, numeric)
        if key not in self._variants:
            self._variants[key] = (
                gradient_variants(
                    self.exercise, self.derivation.gradient(quantity.name), negated=quantity.negated, numeric=numeric
                )
                if quantity.gradient
                else value_variants(quantity.name)
            )
        return self._variants[key]

    def grade_symbolic(self, question: Question, answer: str) -> Verdict:
        """A formula: equal on the graph, or wrong with what was done wrong."""
        try:
            expr = parse_any(answer, self.exercise.symbols)
        except ParseError as error:
            return Verdict("unparsable", 0.0, question.points, feedback=f"cannot read the answer: {error}")
        points = self.symbolic_points
        got = values_at(expr, points, self.exercise.symbols)
        want = [quantity_value(question.quantity, p) for p in points]
        agrees = same_values(got, want)
        if agrees and None not in got:
            return Verdict("correct", question.points, question.points, feedback="correct")
        if agrees is None:  # sqrt(-1), log(-h1), 10^9999: nothing to compare, and nothing SymPy should chew on
            return Verdict("wrong", 0.0, question.points, feedback="it has no value at the exercise's point")
        # When the numbers cannot decide (no value at some points, or a near-miss), ask SymPy, bounded.
        if not certainly_different(got, want) and self._simplifies_to_zero(expr, question.quantity):
            return Verdict("correct", question.points, question.points, feedback="correct")
        singles = self.variants(question.quantity, numeric=False)
        found = first_match(singles, lambda v: self._same_where_defined(v, got))
        if found is not None:
            return self._wrong(question, self._named_alike(found, singles, got))
        found = self._other_quantity(question.quantity, points, lambda values: bool(same_values(got, values)))
        if found is None and question.quantity.gradient:
            found = first_match(self.pairs(question.quantity, singles), lambda v: self._same_where_defined(v, got))
        if found is not None:
            return self._wrong(question, found)
        if expr.is_number and got[0] is not None and within_relative(got[0], want[0], 1e-3):
            return Verdict("wrong", 0.0, question.points, feedback="a number where a formula was asked")
        if got[0] is not None and within_relative(got[0], want[0], AGREE):
            return Verdict("wrong", 0.0, question.points, feedback=self._only_at_the_point(question, expr, got[0]))
        return Verdict("wrong", 0.0, question.points, feedback=_not_equal(question, got[0], want[0]))

    def pairs(self, quantity: Quantity, singles: Sequence[Variant]) -> list[Variant]:
        """Two mistakes at once (see :func:`symbackprop.judge.mistakes.paired_variants`)."""
        gradient = self.derivation.gradient(quantity.name)
        edits = [v for v in singles if v.kinds[-1] not in (SIGN, FACTOR_2)]
        return paired_variants(self.exercise, gradient, negated=quantity.negated, edits=edits)

    def _named_alike(self, found: Variant, singles: Sequence[Variant], got: Sequence[float | None]) -> Variant:
        """A missing path that another path explains as well: both named (two paths of equal value)."""
        if found.kinds != (MISSING_PATH,):
            return found
        alike = [v for v in singles if v.kinds == found.kinds and v is not found and self._same_where_defined(v, got)]
        if not alike:
            return found
        either = " or ".join(v.feedback.removeprefix("missing ") for v in [found, *alike])
        return replace(found, feedback=f"missing {either} (they have the same value)")

    def _other_quantity(
        self, quantity: Quantity, points: Sequence[Pass], matches: Callable[[list[float]], bool]
    ) -> Variant | None:
        """The answer is the gradient for another name of the graph (params first): "this is ∂E/∂w2"."""
        found = first_match(self.other_quantity_variants(quantity), lambda v: matches([v.value(p) for p in points]))
        if found is None:
            return None
        return replace(found, feedback=f"{found.feedback}, not {_named(quantity)}")

    def other_quantity_variants(self, quantity: Quantity) -> list[Variant]:
        """The gradient for each other name of the graph (params first) taken for ``quantity``'s, one per name.

        >>> from symbackprop.exercise.model import from_equations
        >>> from symbackprop.exercise.quantities import parse_quantity
        >>> ex = from_equations({"f": "w*x"}, params=["w"], at={"w": 2, "x": 5})
        >>> grader = Grader(ex, {})
        >>> [v.feedback for v in grader.other_quantity_variants(parse_quantity("df/dw", ex))]
        ['this is df/dx']
        """
        if not quantity.gradient:
            return []
        sign = -1.0 if quantity.negated else 1.0
        loss = self.exercise.loss
        return [
            Variant((OTHER_QUANTITY,), f"this is d{loss}/d{name}", _scaled_adjoint(name, sign))
            for name in dict.fromkeys([*self.exercise.params, *self.exercise.graph.names])
            if name not in (quantity.name, loss)
        ]

    def _only_at_the_point(self, question: Question, expr: sympy.Expr, value: float) -> str:
        """Why an answer equal at the point is still wrong, and which value of the point makes it equal there."""
        said = f"agrees with {_named(question.quantity)} at the exercise's point ({value:.6g}) but not in general"
        for name in list(self.exercise.graph.leaves)[:MAX_FIXED_LEAVES]:
            points = comparison_points(self.exercise, self.local, self.random_points, fixed=(name,))
            got = values_at(expr, points, self.exercise.symbols)
            if same_values(got, [quantity_value(question.quantity, p) for p in points]):
                return f"{said}: only because {name} = {points[0].values[name]:g} there"
        return said

    def _same_where_defined(self, variant: Variant, got: Sequence[float | None]) -> bool:
        """Whether a variant has the answer's values at every point where the answer has one."""
        points = self.symbolic_points
        values = [None if g is None else variant.value(p) for g, p in zip(got, points, strict=True)]
        return bool(same_values(got, values))

    def _simplifies_to_zero(self, expr: sympy.Expr, quantity: Quantity) -> bool:
        closed = self.derivation.closed_nodes
        if quantity.gradient:
            reference = self.derivation.gradient(quantity.name).closed * (-1 if quantity.negated else 1)
        else:
            reference = self.exercise.symbols[quantity.name].xreplace(closed)
        difference = expr.xreplace(closed) - reference
        if sympy.count_ops(difference) > SIMPLIFY_MAX_OPS:
            return False
        return sympy.simplify(difference.rewrite(sympy.exp)) == 0

    def grade_numeric(self, question: Question, answer: str) -> Verdict:
        """A number: within the precision written (or the question's tolerance), else diagnosed."""
        try:
            expr = parse_any(answer, {})
            value = evaluate(expr, {})
        except SymbackpropError as error:
            return Verdict("unparsable", 0.0, question.points, feedback=f"cannot read a number: {error}")
        if not math.isfinite(value):
            return Verdict("unparsable", 0.0, question.points, feedback="not a finite number")
        written = written_precision(answer, value)
        verdict = self._numeric(question, written)
        return replace(verdict, value=value, half_unit=written.half_unit, sigfigs=written.sigfigs)

    def _numeric(self, question: Question, written: Written) -> Verdict:
        value = written.value
        point = self.step_point(question.quantity.step)
        want = quantity_value(question.quantity, point)
        if within_relative(value, want, 1e-9):
            return Verdict("correct", question.points, question.points, feedback="correct", value=value)
        if self.precise_enough(question, written.sigfigs) and self.within(question, written, want):
            feedback = f"correct (exact value {want:.6g})"
            return Verdict("correct_rounding", question.points, question.points, feedback=feedback, value=value)
        if question.mode == "sigfigs" and written.sigfigs is not None and written.sigfigs < question.sigfigs:
            # Too few digits to tell one mistake from another: no diagnosis is trustworthy.
            if self.within(question, written, want):
                feedback = f"too few significant figures (at least {question.sigfigs})"
                return Verdict("wrong", 0.0, question.points, feedback=feedback)
            return Verdict("wrong", 0.0, question.points, feedback=_not_equal(question, value, want))

        def stands_for(target: float) -> bool:
            """A value other than the right one that the answer, as written, stands for."""
            return not within_relative(target, want, 1e-9) and self.within(question, written, target)

        found = first_match(self.variants(question.quantity, numeric=True), lambda v: stands_for(v.value(point)))
        if found is None:
            found = self._other_quantity(question.quantity, [point], lambda values: stands_for(values[0]))
        if found is None and not self.exercise.data and written.sigfigs is not None:
            leaves = self._params_at(question.quantity.step)
            found = rounded_early(
                self.exercise, self.local, leaves, functools.partial(quantity_value, question.quantity), stands_for
            )
        if found is not None:
            return replace(self._wrong(question, found), value=value)
        return Verdict("wrong", 0.0, question.points, feedback=_not_equal(question, value, want), value=value)

    def precise_enough(self, question: Question, sigfigs: int | None) -> bool:
        """Whether a number has the significant figures the question asks (an expression of numbers has)."""
        return question.mode != "sigfigs" or (sigfigs or question.sigfigs) >= question.sigfigs

    def within(self, question: Question, written: Written, target: float) -> bool:
        """Whether a written number stands for ``target`` under the question's tolerance."""
        by_tolerance = within_tolerance(question, written.value, target)
        if by_tolerance is not None:
            return by_tolerance
        if written.half_unit is None:
            return within_relative(written.value, target, 1e-3)  # an expression of decimals: no digits to count
        return abs(written.value - target) <= written.half_unit * (1 + 1e-9)

    def _wrong(self, question: Question, variant: Variant) -> Verdict:
        fractions = [question.partial.get(kind, 0.0) for kind in variant.kinds]
        points = question.points * min(fractions) if fractions else 0.0
        return Verdict("wrong", points, question.points, variant.kinds, variant.feedback)

    # -- carried forward -------------------------------------------------------------------

    def carried_forward(
        self, question: Question, verdict: Verdict, others: Sequence[tuple[Question, Verdict]]
    ) -> Verdict:
        """``verdict`` turned into carried_forward when the student's own earlier values explain it."""
        if verdict.verdict != "wrong" or verdict.value is None or not self.precise_enough(question, verdict.sigfigs):
            return verdict
        # Only the student's own wrong values explain an answer, and a 0 is no work to carry on:
        # with dE/dy = 0 every later gradient is 0 and every updated weight its old value.
        used = [
            (q, v)
            for q, v in others
            if v.value is not None
            and v.value != 0
            and v.verdict == "wrong"
            and q.quantity.identity != question.quantity.identity
            and q.quantity.step <= question.quantity.step  # a later value cannot explain an earlier one
            and q.form != "symbolic"
        ][:CARRIED_SOURCES]
        if not used:
            return verdict
        want = quantity_value(question.quantity, self.step_point(question.quantity.step))
        written = Written(verdict.value, None, verdict.half_unit)
        # The fewest of the student's values that explain the answer: each alone, then all together.
        for chosen in [[pair] for pair in used] + ([used] if len(used) > 1 else []):
            try:
                target = self._carried_value(question.quantity, chosen)
            except (SymbackpropError, ArithmeticError, ValueError, KeyError):
                continue
            if target is None or within_relative(target, want, 1e-9) or not self.within(question, written, target):
                continue
            given = self._given_value(question, written)
            if given is not None:  # w4@1 = 1.5 when w4 = 1.5 is given: copying a number is not working on
                return replace(verdict, feedback=f"{verdict.feedback} (no carried-forward credit: {given})")
            names = ", ".join(f"{q.quantity.key} = {v.value:.6g}" for q, v in chosen)
            feedback = f"correct from your own earlier value {names}"
            return Verdict("carried_forward", question.points, question.points, (), feedback, verdict.value)
        return verdict

    def _given_value(self, question: Question, written: Written) -> str | None:
        """Which value the exercise gives (an ``[at]`` value, the learning rate) the answer stands for, or None."""
        given = {name: float(value) for name, value in (self.exercise.at() or {}).items()}
        if "lr" in self.exercise.train:
            given["the learning rate"] = float(self.exercise.train["lr"])
        # The quantity's own value first: w4@1 = 1.5 left as w4 = 1.5 is named w4, even when y_t = 1.5 too.
        own = question.quantity.name
        for name in sorted(given, key=lambda name: name != own):
            if self.within(question, written, given[name]):
                return f"{name} = {given[name]:g} is given"
        return None

    def _carried_value(self, quantity: Quantity, used: Sequence[tuple[Question, Verdict]]) -> float | None:
        """The quantity recomputed with the student's own values put in where they were computed."""
        values: dict[int, dict[str, float]] = {}
        adjoints: dict[int, dict[str, float]] = {}
        for q, v in used:
            if v.value is None:
                continue
            if q.quantity.gradient:
                adjoints.setdefault(q.quantity.step, {})[q.quantity.name] = -v.value if q.quantity.negated else v.value
            else:
                values.setdefault(q.quantity.step, {})[q.quantity.name] = v.value
        overrides = {
            step: Overrides(values=values.get(step, {}), adjoints=adjoints.get(step, {}))
            for step in values.keys() | adjoints.keys()
        }
        lr = self.exercise.train.get("lr")
        if quantity.step > 0 and lr is None:
            return None
        # Gradient descent as train runs it, the student's values in place of the computed ones.
        _, last = passes(self.exercise, float(lr or 0.0), quantity.step, overrides, local=self.local)[-1]
        return quantity_value(quantity, last)


def _looks_numeric(answer: str) -> bool:
    """An answer with no letters but e and pi is a number (for questions with no declared form).

    >>> _looks_numeric("2*pi - 3"), _looks_numeric("-0.5 w1")
    (True, False)
    """
    letters = re.sub(r"\\?(pi|e|exp|frac|cdot|left|right|sqrt|times)", "", answer)
    return not re.search(r"[A-Za-z_]", letters)


def within_tolerance(question: Question, value: float, target: float) -> bool | None:
    """Whether ``value`` is within the question's absolute or relative tolerance of ``target``; None without one.

    >>> from types import SimpleNamespace
    >>> within_tolerance(SimpleNamespace(mode="relative", tolerance=0.1), 10.5, 10.0)
    True
    >>> within_tolerance(SimpleNamespace(mode="absolute", tolerance=0.1), 10.5, 10.0)
    False
    >>> within_tolerance(SimpleNamespace(mode="sigfigs", tolerance=None), 10.5, 10.0) is None
    True
    """
    difference = abs(value - target)
    if question.mode == "absolute" and question.tolerance is not None:
        return difference <= question.tolerance
    if question.mode == "relative" and question.tolerance is not None:
        return difference <= question.tolerance * abs(target)
    return None


def _scaled_adjoint(name: str, sign: float) -> Callable[[Pass], float]:
    """The loss's gradient for ``name`` at a point, times ``sign``."""
    return lambda point: sign * point.adjoints[name]


def _named(quantity: Quantity) -> str:
    """A quantity as feedback names it: its key's label, with the step when there is one (dE/dw4@1)."""
    return f"{quantity.label}@{quantity.step}" if quantity.step else quantity.label


def _not_equal(question: Question, got: float | None, want: float) -> str:
    if got is None:
        return f"not equal to {_named(question.quantity)} (the answer has no value at the point)"
    return f"not equal to {_named(question.quantity)}: {got:.6g} at the point, expected {want:.6g}"
