"""Grading answers: questions, one verdict per answer, carried-forward credit, the class report.

An answer is read by the whitelist parsers (plain or LaTeX), never evaluated as code. A
symbolic answer is the same as the reference when their values agree at the exercise's
point and at several seeded random points, every node name taking its value from the
graph there, so ``h3``, ``sigmoid(s3)`` and the closed form are all one answer. SymPy's
``simplify`` is asked only when the numbers cannot decide. A class is graded in worker
processes, each answer under a wall-clock timeout and a memory cap (:mod:`symbackprop.grading.workers`),
unless ``jobs`` is 0, which grades here with neither bound.
"""

from __future__ import annotations

import math
import random
import re
import zlib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

import sympy

from symbackprop.core.values import evaluate
from symbackprop.engine.derivation import derive
from symbackprop.engine.evaluation import Overrides, Pass, evaluate_pass, evaluate_sample, single_sample
from symbackprop.engine.train import passes
from symbackprop.errors import ParseError, SymbackpropError, is_finite_number
from symbackprop.exercise import catalog
from symbackprop.exercise.model import Exercise, from_toml
from symbackprop.exercise.quantities import Quantity, parse_quantity
from symbackprop.grading import workers
from symbackprop.judge.mistakes import (
    KINDS,
    ROUNDED_EARLY,
    Variant,
    gradient_variants,
    significant,
    value_variants,
)
from symbackprop.parse.latex import parse_any

VERDICTS = ("correct", "correct_rounding", "carried_forward", "wrong", "unparsable", "timeout", "missing")
RIGHT = ("correct", "correct_rounding", "carried_forward")
FORMS = ("symbolic", "numeric", "auto")
MODES = ("sigfigs", "relative", "absolute")
RANDOM_POINTS = 4
AGREE = 1e-8  # relative: the same expression evaluated two ways
DIFFER = 1e-5  # relative: certainly a different expression
SIMPLIFY_MAX_OPS = 400  # beyond this, simplify is not tried at all
ECHO_LIMIT = 200  # characters of an answer repeated in reports
FEEDBACK_LIMIT = 400  # characters of feedback per answer
# A student's own values tried as the source of a carried-forward answer, each a run of gradient
# descent in the parent process: a bound, so that a file of hundreds of answers cannot stall it.
CARRIED_SOURCES = 16
_DECIMAL = re.compile(r"\s*[-+−]?\s*(?P<int>[0-9]*)(?:\.(?P<frac>[0-9]*))?(?:[eE](?P<exp>[-+]?[0-9]{1,4}))?\s*\Z")
_QUESTION_KEYS = {"ask", "form", "points", "mode", "tolerance", "sigfigs", "partial"}


@dataclass(frozen=True)
class Question:
    """What a ``[questions.qN]`` table asks: a quantity, in which form, for how many points."""

    id: str
    quantity: Quantity
    form: str = "symbolic"
    points: float = 1.0
    mode: str = "sigfigs"  # numeric tolerance: as many significant figures as written, or relative/absolute
    tolerance: float | None = None
    sigfigs: int = 3  # the fewest significant figures a numeric answer may be written with
    partial: Mapping[str, float] = field(default_factory=dict)  # diagnosis → fraction of the points


@dataclass(frozen=True)
class Verdict:
    """The grade of one answer: verdict, points, diagnoses, one line of feedback."""

    verdict: str
    points: float
    max_points: float
    diagnoses: tuple[str, ...] = ()
    feedback: str = ""
    value: float | None = None  # a numeric answer's value, carried forward into later steps
    half_unit: float | None = None  # half a unit of its last written digit
    sigfigs: int | None = None  # its significant figures as written (None: an expression of numbers)


def load_for_grading(reference: str | Path) -> tuple[Exercise, dict[str, Question]]:
    """The exercise and its questions, from one read of the file.

    The exercise loader accepts ``[questions]`` but leaves it to grading, which reads and checks it here.
    """
    path = catalog.find(str(reference))
    data = catalog.read_toml(path)
    exercise = from_toml(data, source=str(path), default_id=path.stem)
    return exercise, read_questions(exercise, data.get("questions"), source=str(path))


def read_questions(exercise: Exercise, table: object, *, source: str | None = None) -> dict[str, Question]:
    """``[questions]`` as Question objects; with none, every dL/dP is a symbolic question worth 1.

    >>> from symbackprop.exercise.model import from_equations
    >>> ex = from_equations({"q": "x + y", "f": "q*z"}, at={"x": -2, "y": 5, "z": -4})
    >>> list(read_questions(ex, None))
    ['df/dx', 'df/dy', 'df/dz']
    """
    if table is None:
        return {
            f"d{exercise.loss}/d{p}": Question(
                f"d{exercise.loss}/d{p}", parse_quantity(f"d{exercise.loss}/d{p}", exercise)
            )
            for p in exercise.params
        }
    if not isinstance(table, dict):
        raise SymbackpropError("expected tables [questions.ID]", source=source, key="questions")
    return {qid: _question(exercise, qid, spec, source) for qid, spec in table.items()}


def _question(exercise: Exercise, qid: str, spec: object, source: str | None) -> Question:
    key = f"questions.{qid}"
    if not isinstance(spec, dict):
        raise SymbackpropError("expected a table with ask, form, points", source=source, key=key)
    for name in spec:
        if name not in _QUESTION_KEYS:
            raise SymbackpropError(
                f"unknown key (known: {', '.join(sorted(_QUESTION_KEYS))})", source=source, key=f"{key}.{name}"
            )
    ask = spec.get("ask")
    if not isinstance(ask, str):
        raise SymbackpropError('expected ask = a quantity key such as "dE/dw3"', source=source, key=f"{key}.ask")
    try:
        quantity = parse_quantity(ask, exercise)
    except SymbackpropError as error:
        raise SymbackpropError(error.message, source=source, key=f"{key}.ask") from None
    form = spec.get("form", "symbolic")
    mode = spec.get("mode", "sigfigs")
    points = spec.get("points", 1)
    tolerance = spec.get("tolerance")
    sigfigs = spec.get("sigfigs", 3)
    partial = spec.get("partial", {})
    checks = [
        (form in FORMS, "form", f"expected one of {', '.join(FORMS)}"),
        (mode in MODES, "mode", f"expected one of {', '.join(MODES)}"),
        (_positive(points), "points", "expected a positive number"),
        (tolerance is None or _positive(tolerance), "tolerance", "expected a positive number"),
        (
            isinstance(sigfigs, int) and not isinstance(sigfigs, bool) and sigfigs >= 1,
            "sigfigs",
            "expected a whole number ≥ 1",
        ),
        (mode == "sigfigs" or tolerance is not None, "tolerance", f"mode {mode!r} needs a tolerance"),
        (mode != "sigfigs" or tolerance is None, "tolerance", 'a tolerance needs mode = "relative" or "absolute"'),
        (
            form != "symbolic" or not {"mode", "tolerance", "sigfigs"} & set(spec),
            "form",
            "mode, tolerance and sigfigs are for numbers: a symbolic answer is exact",
        ),
        (quantity.step == 0 or "lr" in exercise.train, "ask", "a step after 0 needs a [train] lr in the exercise"),
        (isinstance(partial, dict), "partial", "expected a table of diagnosis = fraction"),
    ]
    for ok, name, message in checks:
        if not ok:
            raise SymbackpropError(message, source=source, key=f"{key}.{name}")
    for kind, fraction in partial.items():
        if kind not in KINDS or not (_positive(fraction) or fraction == 0) or fraction > 1:
            raise SymbackpropError(
                f"expected a fraction from 0 to 1 for one of {', '.join(KINDS)}",
                source=source,
                key=f"{key}.partial.{kind}",
            )
    return Question(qid, quantity, form, float(points), mode, tolerance, sigfigs, dict(partial))


def _positive(value: object) -> bool:
    return is_finite_number(value) and value > 0


@dataclass(frozen=True)
class Written:
    """A numeric answer's value and, when it is a plain decimal, the precision it was written with."""

    value: float
    sigfigs: int | None = None
    half_unit: float | None = None  # half a unit of the last digit written


def written_precision(text: str, value: float) -> Written:
    """The precision of a decimal as written: ``-0.0197`` has 3 significant figures, ±0.00005.

    >>> written_precision("-0.0197", -0.0197)
    Written(value=-0.0197, sigfigs=3, half_unit=5e-05)
    >>> written_precision("2*pi - 3", 3.28).sigfigs is None
    True
    """
    match = _DECIMAL.match(text)
    if not match or not (match["int"] or match["frac"]):
        return Written(value)
    digits = (match["int"] or "") + (match["frac"] or "")
    significant_digits = digits.lstrip("0") or "0"
    exponent = int(match["exp"] or 0) - len(match["frac"] or "")
    return Written(value, len(significant_digits), 0.5 * 10.0**exponent)


class Grader:
    """Everything one exercise needs to grade answers, computed once and shared by the workers."""

    def __init__(self, exercise: Exercise, questions: Mapping[str, Question], *, random_points: int = RANDOM_POINTS):
        self.exercise = exercise
        self.questions = dict(questions)
        self.derivation = derive(exercise)
        self.local = self.derivation.local
        self.random_points = random_points
        self._steps: dict[int, Pass] = {}

    # -- the points answers are checked at ------------------------------------------------

    @cached_property
    def symbolic_points(self) -> list[Pass]:
        """The exercise's point and seeded random points near it (one sample each)."""
        ex = self.exercise
        base = ex.sample_points(ex.at() or {})[0] if ex.at() is not None else {}
        leaves = {name: float(base.get(name, 0.5)) for name in ex.graph.leaves}
        rng = random.Random(zlib.crc32(ex.id.encode()))  # the same points every run: same report
        points = []
        candidates = [leaves] + [
            {name: value + (rng.random() - 0.5) * (0.5 + 0.5 * abs(value)) for name, value in leaves.items()}
            for _ in range(self.random_points * 5)
        ]
        for candidate in candidates:
            try:
                points.append(single_sample(ex, evaluate_sample(ex, self.local, candidate)))
            except (SymbackpropError, ArithmeticError, ValueError, TypeError):
                continue  # a point where the graph has no value (log of a negative)
            if len(points) > self.random_points:
                break
        return points

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
        """The question a key of an answers file asks: a ``[questions]`` id, the one question asking
        the same quantity however it is spelled (``w4@01`` for the q6 that asks ``w4@1``), else the
        quantity key as a question of its own worth 1 point; None for anything else.
        """
        if key in self.questions:
            return self.questions[key]
        try:
            quantity = parse_quantity(key, self.exercise)
        except SymbackpropError:
            return None
        if quantity.step > 0 and "lr" not in self.exercise.train:
            return None  # no step after the point without a learning rate
        # A [questions] entry asking the same quantity; not the default questions (each dL/dP, named
        # by its own key), which ask for formulas while a key like dE/dw@0 is answered as it is written.
        # Two entries may ask one quantity (as a formula and as a number): then neither is meant.
        same = [
            q for q in self.questions.values() if q.quantity.identity == quantity.identity and q.id != q.quantity.key
        ]
        return same[0] if len(same) == 1 else Question(key, quantity, "auto", 1.0)

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
        form = question.form
        if form == "auto":
            form = "numeric" if _looks_numeric(answer) else "symbolic"
        if form == "numeric":
            return self.grade_numeric(question, answer)
        return self.grade_symbolic(question, answer)

    def reference(self, quantity: Quantity, point: Pass) -> float:
        """The value a quantity has at a point."""
        if not quantity.gradient:
            return point.values[quantity.name]
        value = point.adjoints[quantity.name]
        return -value if quantity.negated else value

    def variants(self, quantity: Quantity, *, numeric: bool) -> list[Variant]:
        """The reference with each typical mistake made (see :mod:`symbackprop.judge.mistakes`)."""
        if not quantity.gradient:
            return value_variants(quantity.name)
        return gradient_variants(
            self.exercise, self.derivation.gradient(quantity.name), negated=quantity.negated, numeric=numeric
        )

    def grade_symbolic(self, question: Question, answer: str) -> Verdict:
        """A formula: equal on the graph, or wrong with what was done wrong."""
        try:
            expr = parse_any(answer, self.exercise.symbols)
        except ParseError as error:
            return Verdict("unparsable", 0.0, question.points, feedback=f"cannot read the answer: {error}")
        points = self.symbolic_points
        got = [_value_or_none(expr, self._env(p)) for p in points]
        want = [self.reference(question.quantity, p) for p in points]
        pairs = [(g, w) for g, w in zip(got, want, strict=True) if g is not None]
        if pairs and all(_close(g, w, AGREE) for g, w in pairs) and len(pairs) == len(points):
            return Verdict("correct", question.points, question.points, feedback="correct")
        if not pairs:  # sqrt(-1), log(-h1), 10^9999: nothing to compare, and nothing SymPy should chew on
            return Verdict("wrong", 0.0, question.points, feedback="it has no value at the exercise's point")
        # When the numbers cannot decide (no value at some points, or a near-miss), ask SymPy, bounded.
        undecided = not any(not _close(g, w, DIFFER) for g, w in pairs)
        if undecided and self._simplifies_to_zero(expr, question.quantity):
            return Verdict("correct", question.points, question.points, feedback="correct")
        checked = [i for i, g in enumerate(got) if g is not None]
        for variant in self.variants(question.quantity, numeric=False):
            try:
                if checked and all(_close(got[i], variant.value(points[i]), AGREE) for i in checked):
                    return self._wrong(question, variant)
            except (ArithmeticError, ValueError, KeyError):
                continue
        if expr.is_number and got[0] is not None and _close(got[0], want[0], 1e-3):
            return Verdict("wrong", 0.0, question.points, feedback="a number where a formula was asked")
        return Verdict("wrong", 0.0, question.points, feedback=_not_equal(question, got[0], want[0]))

    def _env(self, point: Pass) -> dict[sympy.Symbol, float]:
        return {
            self.exercise.symbols[name]: value for name, value in point.values.items() if name in self.exercise.symbols
        }

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
        want = self.reference(question.quantity, point)
        if _close(value, want, 1e-9):
            return Verdict("correct", question.points, question.points, feedback="correct", value=value)
        if self.precise_enough(question, written.sigfigs) and self.within(question, written, want):
            return Verdict(
                "correct_rounding",
                question.points,
                question.points,
                feedback=f"correct (exact value {want:.6g})",
                value=value,
            )
        if question.mode == "sigfigs" and written.sigfigs is not None and written.sigfigs < question.sigfigs:
            # Too few digits to tell one mistake from another: no diagnosis is trustworthy.
            if self.within(question, written, want):
                feedback = f"too few significant figures (at least {question.sigfigs})"
                return Verdict("wrong", 0.0, question.points, feedback=feedback)
            return Verdict("wrong", 0.0, question.points, feedback=_not_equal(question, value, want))
        for variant in self.variants(question.quantity, numeric=True):
            try:
                target = variant.value(point)
            except (ArithmeticError, ValueError, KeyError):
                continue
            if not _close(target, want, 1e-9) and self.within(question, written, target):
                return replace(self._wrong(question, variant), value=value)
        digits = self._rounded_early(question, written)
        if digits:
            figures = "figure" if digits == 1 else "figures"
            message = f"rounded too early: what node values rounded to {digits} significant {figures} give"
            found = Variant((ROUNDED_EARLY,), message, lambda p: 0.0)
            return replace(self._wrong(question, found), value=value)
        return Verdict("wrong", 0.0, question.points, feedback=_not_equal(question, value, want), value=value)

    def precise_enough(self, question: Question, sigfigs: int | None) -> bool:
        """Whether a number has the significant figures the question asks (an expression of numbers has)."""
        return question.mode != "sigfigs" or (sigfigs or question.sigfigs) >= question.sigfigs

    def within(self, question: Question, written: Written, target: float) -> bool:
        """Whether a written number stands for ``target`` under the question's tolerance."""
        difference = abs(written.value - target)
        if question.mode == "absolute":
            return difference <= question.tolerance
        if question.mode == "relative":
            return difference <= question.tolerance * abs(target)
        if written.half_unit is None:
            return _close(written.value, target, 1e-3)  # an expression of decimals: no digits to count
        return difference <= written.half_unit * (1 + 1e-9)

    def _rounded_early(self, question: Question, written: Written) -> int | None:
        """The d for which rounding every intermediate value to d figures gives the answer, if any."""
        if self.exercise.data or written.sigfigs is None:
            return None
        leaves = self._params_at(question.quantity.step)
        want = self.reference(question.quantity, self.step_point(question.quantity.step))
        for digits in range(1, 6):
            try:
                rounded = evaluate_sample(
                    self.exercise, self.local, leaves, rounding=lambda v, d=digits: significant(v, d)
                )
                point = single_sample(self.exercise, rounded)
                target = self.reference(question.quantity, point)
            except (SymbackpropError, ArithmeticError, ValueError):
                continue
            if not _close(target, want, 1e-9) and self.within(question, written, target):
                return digits
        return None

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
        # Only the student's own wrong values explain an answer.
        used = [
            (q, v)
            for q, v in others
            if v.value is not None
            and v.verdict == "wrong"
            and q.quantity.identity != question.quantity.identity
            and q.quantity.step <= question.quantity.step  # a later value cannot explain an earlier one
            and q.form != "symbolic"
        ][:CARRIED_SOURCES]
        if not used:
            return verdict
        want = self.reference(question.quantity, self.step_point(question.quantity.step))
        written = Written(verdict.value, None, verdict.half_unit)
        # The fewest of the student's values that explain the answer: each alone, then all together.
        for chosen in [[pair] for pair in used] + ([used] if len(used) > 1 else []):
            try:
                target = self._carried_value(question.quantity, chosen)
            except (SymbackpropError, ArithmeticError, ValueError, KeyError):
                continue
            if target is None or _close(target, want, 1e-9) or not self.within(question, written, target):
                continue
            names = ", ".join(f"{q.quantity.key} = {v.value:.6g}" for q, v in chosen)
            feedback = f"correct from your own earlier value {names}"
            return Verdict("carried_forward", question.points, question.points, (), feedback, verdict.value)
        return verdict

    def _carried_value(self, quantity: Quantity, used: Sequence[tuple[Question, Verdict]]) -> float | None:
        """The quantity recomputed with the student's own values put in where they were computed."""
        overrides: dict[int, Overrides] = {}
        for q, v in used:
            slot = overrides.setdefault(q.quantity.step, Overrides(values={}, adjoints={}))
            if q.quantity.gradient:
                slot.adjoints[q.quantity.name] = -v.value if q.quantity.negated else v.value
            else:
                slot.values[q.quantity.name] = v.value
        lr = self.exercise.train.get("lr")
        if quantity.step > 0 and lr is None:
            return None
        # Gradient descent as train runs it, the student's values in place of the computed ones.
        _, last = passes(self.exercise, float(lr or 0.0), quantity.step, overrides, local=self.local)[-1]
        return self.reference(quantity, last)


def _looks_numeric(answer: str) -> bool:
    """An answer with no letters but e and pi is a number (for questions with no declared form)."""
    letters = re.sub(r"\\?(pi|e|exp|frac|cdot|left|right|sqrt|times)", "", answer)
    return not re.search(r"[A-Za-z_]", letters)


def _value_or_none(expr: sympy.Expr, env: Mapping[sympy.Symbol, float]) -> float | None:
    try:
        value = evaluate(expr, env)
    except (SymbackpropError, ArithmeticError, ValueError, TypeError, KeyError, RecursionError):
        return None
    return value if math.isfinite(value) else None


def _close(a: float, b: float, rel: float) -> bool:
    return abs(a - b) <= rel * max(abs(a), abs(b)) + 1e-12


def _not_equal(question: Question, got: float | None, want: float) -> str:
    if got is None:
        return f"not equal to {question.quantity.label} (the answer has no value at the point)"
    return f"not equal to {question.quantity.label}: {got:.6g} at the point, expected {want:.6g}"


def mistakes(entries) -> Counter:
    """How often each diagnosis (or verdict, for answers without one) occurs among answers not right.

    An unanswered question is not counted as a mistake: the summary counts those apart.
    """
    found = Counter()
    for entry in entries:
        if entry.verdict.verdict in (*RIGHT, "missing"):
            continue
        for kind in entry.verdict.diagnoses or (entry.verdict.verdict,):
            found[kind] += 1
    return found


# -- a class: worker processes, timeouts, the report ------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One line of the report: an answer of the file (``row``) or a question left unanswered."""

    row: int | None
    student: str
    question: str
    answer: str | None
    verdict: Verdict
    counted: bool = True  # False for an earlier duplicate: the last answer to a question counts
    seconds: float = 0.0  # wall-clock time spent grading it (kept out of reports: they must repeat)
    answers: str = ""  # the question it answers, when the file spells it another way (w4@01 for q6)

    @property
    def asked(self) -> str:
        """The question this entry answers: a ``[questions]`` id, else the key as written."""
        return self.answers or self.question


@dataclass(frozen=True)
class ClassReport:
    """Every entry of a graded class, in file order, then the missing answers."""

    exercise: str
    questions: dict[str, Question]
    entries: list[Entry]

    def students(self) -> list[str]:
        """The students, in the order the file first names them."""
        return list(dict.fromkeys(entry.student for entry in self.entries))


Task = tuple[int, str, str | None]


def _grade_safely(grader: Grader, key: str, answer: str | None) -> Verdict:
    """A verdict whatever happens: a crash inside SymPy on a hostile answer is that answer's verdict."""
    try:
        verdict = grader.grade(key, answer)
    except MemoryError:  # over the worker's cap (see workers.limit_memory): a runaway, like a timeout
        return _not_graded(grader, key, "needed more memory than grading may use")
    except Exception as error:  # the answer is hostile: one crash must not stop the class
        question = grader.question(key)
        points = question.points if question else 0.0
        why = str(error) if isinstance(error, SymbackpropError) else f"{type(error).__name__}: {error}"
        verdict = Verdict("unparsable", 0.0, points, feedback=f"could not be graded: {why}")
    # A message may quote the answer (a 9 KB sum of sines once made 2.5 MB of feedback).
    return replace(verdict, feedback=echo(verdict.feedback, FEEDBACK_LIMIT))


def run_tasks(
    grader: Grader, tasks: list[Task], *, jobs: int, timeout: float, memory: int | None = None, progress=None
) -> dict[int, tuple[Verdict, float]]:
    """Grade ``tasks`` (index, question, answer) in ``jobs`` worker processes (see :func:`workers.run`).

    An answer stopped by the timeout or the memory cap gets the verdict ``timeout``; with
    ``jobs`` 0 the tasks run here, one after another, with neither bound.
    """
    return workers.run(
        lambda task: _grade_safely(grader, task[1], task[2]),
        tasks,
        stopped=lambda task, why: _not_graded(grader, task[1], why),
        jobs=jobs,
        timeout=timeout,
        memory=memory,
        progress=progress,
    )


def _not_graded(grader: Grader, key: str, why: str) -> Verdict:
    """The verdict of an answer stopped by a bound (time, memory) before it was graded."""
    question = grader.question(key)
    return Verdict("timeout", 0.0, question.points if question else 0.0, feedback=f"not graded: {why}")


def grade_class(grader: Grader, rows, *, jobs: int = 2, timeout: float = workers.TIMEOUT, progress=None) -> ClassReport:
    """Grade every row of an answers file (:func:`symbackprop.grading.answers.read_answers`).

    Identical answers to one question are graded once. Every row gets one entry; a question a
    student did not answer gets a ``missing`` entry; numeric answers are then checked for
    credit carried forward from the student's own earlier values.
    """
    unique: dict[tuple[str, str | None], int] = {}
    for row in rows:
        unique.setdefault((row.question, row.answer), len(unique))
    tasks = [(index, question, answer) for (question, answer), index in unique.items()]
    results = run_tasks(grader, tasks, jobs=jobs, timeout=timeout, progress=progress)
    # The last answer to a question counts, whichever key spells it (a question id or its quantity).
    answers_to = {key: grader.answers_to(key) for key in dict.fromkeys(row.question for row in rows)}
    last = {(row.student, answers_to[row.question]): position for position, row in enumerate(rows)}
    entries = []
    for position, row in enumerate(rows):
        verdict, seconds = results[unique[row.question, row.answer]]
        counted = last[row.student, answers_to[row.question]] == position
        if not counted:
            verdict = replace(verdict, points=0.0, feedback=f"{verdict.feedback} (not counted: answered again later)")
        asked = answers_to[row.question]
        entries.append(Entry(row.row, row.student, row.question, row.answer, verdict, counted, seconds, asked))
    entries = _carry_forward(grader, entries)
    answered = {(e.student, e.asked) for e in entries}
    for student in dict.fromkeys(e.student for e in entries):
        for qid, question in grader.questions.items():
            if (student, qid) not in answered:
                entries.append(
                    Entry(None, student, qid, None, Verdict("missing", 0.0, question.points, feedback="no answer"))
                )
    return ClassReport(grader.exercise.id, grader.questions, entries)


def _carry_forward(grader: Grader, entries: list[Entry]) -> list[Entry]:
    by_student: dict[str, list[int]] = {}
    for position, entry in enumerate(entries):
        if entry.counted:
            by_student.setdefault(entry.student, []).append(position)
    result = list(entries)
    for positions in by_student.values():
        graded = [(grader.question(entries[p].question), entries[p].verdict, p) for p in positions]
        graded = [(q, v, p) for q, v, p in graded if q is not None]
        for question, verdict, position in graded:
            others = [(q, v) for q, v, p in graded if p != position]
            updated = grader.carried_forward(question, verdict, others)
            if updated is not verdict:
                result[position] = replace(entries[position], verdict=updated)
    return result


def echo(text: str | None, limit: int = ECHO_LIMIT) -> str:
    """An answer as a report repeats it: printable, and at most ``limit`` characters.

    >>> echo("a\\x00b"), len(echo("x" * 5000))
    ('a\\ufffdb', 201)
    """
    if text is None:
        return ""
    shown = "".join(char if char.isprintable() else "\ufffd" for char in text[:limit])
    return shown + ("…" if len(text) > limit else "")


def _entry_key(entry: Entry, taken: set[str]) -> str:
    key = entry.question if entry.counted else f"{entry.question} (row {entry.row})"
    key = echo(key)
    while key in taken:
        key = f"{key} (row {entry.row})"
    taken.add(key)
    return key


def report_dict(report: ClassReport) -> dict:
    """``grade --json`` (SPEC §3): per student, total, max and every answer; plus rows and summary."""
    students = {}
    possible = sum(q.points for q in report.questions.values())
    by_student: dict[str, list[Entry]] = {}
    for entry in report.entries:
        by_student.setdefault(entry.student, []).append(entry)
    for student in report.students():
        mine = by_student[student]
        taken: set[str] = set()
        answers = {}
        for entry in mine:
            answers[_entry_key(entry, taken)] = {
                "question": echo(entry.question),
                "row": entry.row,
                "answer": echo(entry.answer),
                "verdict": entry.verdict.verdict,
                "diagnoses": list(entry.verdict.diagnoses),
                "points": entry.verdict.points,
                "max": entry.verdict.max_points,
                "feedback": entry.verdict.feedback,
                "counted": entry.counted,
            }
        total = sum(e.verdict.points for e in mine if e.counted)
        # A quantity key the exercise does not list as a question still counts, for whoever answered it.
        extra = sum(e.verdict.max_points for e in mine if e.counted and e.asked not in report.questions)
        name = echo(student)
        while name in students:  # two names that print alike (control characters) stay apart
            name += "\ufffd"
        students[name] = {"total": total, "max": possible + extra, "answers": answers}
    return {
        "exercise": report.exercise,
        "questions": {
            qid: {"ask": q.quantity.key, "form": q.form, "points": q.points} for qid, q in report.questions.items()
        },
        "students": students,
        "summary": summary(report),
    }


def summary(report: ClassReport) -> dict[str, dict]:
    """Per question: how many answered it, how many got it right, the most common mistake."""
    found = {}
    by_question: dict[str, list[Entry]] = {qid: [] for qid in report.questions}
    for entry in report.entries:
        by_question.setdefault(entry.asked, [])
        if entry.counted:
            by_question[entry.asked].append(entry)
    for qid, entries in by_question.items():
        common = mistakes(entries).most_common(1)
        found[echo(qid)] = {
            "answers": sum(e.verdict.verdict != "missing" for e in entries),
            "missing": sum(e.verdict.verdict == "missing" for e in entries),
            "right": sum(e.verdict.verdict in RIGHT for e in entries),
            "most_common_mistake": common[0][0] if common else None,
            "most_common_count": common[0][1] if common else 0,
        }
    return found


CSV_HEADER = ("student", "question", "row", "answer", "verdict", "points", "max", "diagnoses", "feedback", "counted")


def report_rows(report: ClassReport) -> list[list[str]]:
    """``grade --csv``: one row per entry, in the report's order."""
    rows = [list(CSV_HEADER)]
    for e in report.entries:
        v = e.verdict
        rows.append(
            [
                echo(e.student),
                echo(e.question),
                "" if e.row is None else str(e.row),
                echo(e.answer),
                v.verdict,
                f"{v.points:g}",
                f"{v.max_points:g}",
                " ".join(v.diagnoses),
                v.feedback,
                "yes" if e.counted else "no",
            ]
        )
    return rows


def json_text(report: ClassReport) -> str:
    """The JSON report as text."""
    import json

    return json.dumps(report_dict(report), indent=2, ensure_ascii=False) + "\n"


def csv_text(report: ClassReport) -> str:
    """The CSV report as text."""
    import csv
    import io

    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(report_rows(report))
    return buffer.getvalue()
