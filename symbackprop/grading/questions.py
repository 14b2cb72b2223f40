"""``[questions]``: what an exercise asks, in which form, for how many points.

A key of an answers file is read against them too (:func:`question_for`): a question's id,
or the quantity a question asks however it is spelled, or a quantity of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from symbackprop.errors import SymbackpropError, is_finite_number, refuse_unknown_keys
from symbackprop.exercise import catalog
from symbackprop.exercise.model import Exercise, from_toml
from symbackprop.exercise.quantities import Quantity, parse_quantity
from symbackprop.judge.layer_mistakes import LAYER_KINDS
from symbackprop.judge.mistakes import KINDS

FORMS = ("symbolic", "numeric", "auto")
MODES = ("sigfigs", "relative", "absolute")
UNASKED_POINTS = 0.0  # what a key the exercise does not ask is worth
_QUESTION_KEYS = ("ask", "form", "mode", "partial", "points", "sigfigs", "tolerance")


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
    rule: str | None = None  # ask = "rule:delta_hidden": a layer rule, in index or matrix form


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
    refuse_unknown_keys(spec, _QUESTION_KEYS, source=source, prefix=key)
    ask = spec.get("ask")
    if not isinstance(ask, str):
        raise SymbackpropError('expected ask = a quantity key such as "dE/dw3"', source=source, key=f"{key}.ask")
    rule = _asked_rule(exercise, ask, source, key)
    try:
        # A rule question names no quantity of the graph: its key stands for itself.
        quantity = Quantity(ask, rule, gradient=False) if rule else parse_quantity(ask, exercise)
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
        (rule is None or form == "symbolic", "form", 'a layer rule is a formula: form = "symbolic"'),
    ]
    for ok, name, message in checks:
        if not ok:
            raise SymbackpropError(message, source=source, key=f"{key}.{name}")
    for kind, fraction in partial.items():
        if kind not in (*KINDS, *LAYER_KINDS) or not (_positive(fraction) or fraction == 0) or fraction > 1:
            raise SymbackpropError(
                f"expected a fraction from 0 to 1 for one of {', '.join((*KINDS, *LAYER_KINDS))}",
                source=source,
                key=f"{key}.partial.{kind}",
            )
    return Question(qid, quantity, form, float(points), mode, tolerance, sigfigs, dict(partial), rule)


def _asked_rule(exercise: Exercise, ask: str, source: str | None, key: str) -> str | None:
    """The layer rule ``ask = "rule:NAME"`` names (None for a quantity); an error unless the net has it."""
    from symbackprop.engine.layer_rules import derive_rules, rule_key

    name = rule_key(ask)
    if name is None:
        return None
    try:
        derive_rules(exercise).rule(name)  # the net's rules derive, and one of them is called name
    except SymbackpropError as error:
        raise SymbackpropError(error.message, source=source, key=f"{key}.ask") from None
    return name


def _positive(value: object) -> bool:
    return isinstance(value, (int, float)) and is_finite_number(value) and value > 0


def question_for(exercise: Exercise, questions: Mapping[str, Question], key: str) -> Question | None:
    """The question a key of an answers file asks: a ``[questions]`` id, the one question asking
    the same quantity however it is spelled (``w4@01`` for the q6 that asks ``w4@1``), else the
    quantity key as a question of its own worth no points; None for anything else.

    >>> from symbackprop.exercise.model import from_equations
    >>> ex = from_equations({"q": "x + y", "f": "q*z"}, at={"x": -2, "y": 5, "z": -4})
    >>> question_for(ex, {}, "df/dx").form, question_for(ex, {}, "dg/dx")
    ('auto', None)
    """
    if key in questions:
        return questions[key]
    try:
        quantity = parse_quantity(key, exercise)
    except SymbackpropError:
        return None
    if quantity.step > 0 and "lr" not in exercise.train:
        return None  # no step after the point without a learning rate
    # A [questions] entry asking the same quantity; not the default questions (each dL/dP, named
    # by its own key), which ask for formulas while a key like dE/dw@0 is answered as it is written.
    # Two entries may ask one quantity (as a formula and as a number): then neither is meant.
    same = [q for q in questions.values() if q.quantity.identity == quantity.identity and q.id != q.quantity.key]
    # A quantity nobody was asked for is graded for its feedback (and a later answer carried forward
    # from it) but worth nothing: one student's extra answers must not raise their own maximum.
    return same[0] if len(same) == 1 else Question(key, quantity, "auto", UNASKED_POINTS)
