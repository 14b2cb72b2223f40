"""Per-student variants: a diagnosable point for each student, and the variants file that records them.

A point is diagnosable when, for every question at its significant figures, the right value
is not 0 and no mistake of the catalog (:mod:`symbackprop.judge.mistakes`) gives the right
value: otherwise a student who made that mistake would be marked right. A layer-rule question
(``ask = "rule:NAME"``) is not checked: it is a formula over the whole net, judged at the
exercise's point and at seeded random points whatever the draw, so no draw makes it
undiagnosable (see :data:`RULE_UNCHECKED`). A draw that is not
is redrawn with the next draw number (or the RNG's next numbers), so the result is still
determined by the student's inputs alone.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import sympy

from symbackprop.engine.evaluation import Pass
from symbackprop.errors import SymbackpropError
from symbackprop.exercise import catalog
from symbackprop.exercise.model import Exercise, exact_number
from symbackprop.exercise.variants import (
    Chooser,
    RandomSource,
    VariantSpace,
    exact_text,
    hash_chooser,
    read_variants,
    rng_chooser,
    variant_id,
)
from symbackprop.grading.grader import Grader, within_tolerance
from symbackprop.grading.questions import Question, load_for_grading
from symbackprop.grading.roster import Student, csv_records, named_few, read_csv_text, rows_under_header
from symbackprop.grading.spreadsheet import FORMULA_STARTS, csv_text, safe_cell
from symbackprop.judge.equivalence import within_relative
from symbackprop.judge.mistakes import Variant, first_match, quantity_value
from symbackprop.judge.precision import decimal_significant

MAX_DRAWS = 100  # draws tried for one student before the sample space is called undiagnosable
ZERO = 1e-12  # a right value this small is 0 (a float's noise around an exact 0)
RULE_UNCHECKED = (
    "a layer rule is a formula over the whole net, judged at several points whatever the draw: "
    "no draw can make it undiagnosable, so it is not checked"
)


@dataclass(frozen=True)
class Refusal:
    """Why a draw is not diagnosable: the question, and the mistake (its kinds) that gives the right value."""

    question: str
    kinds: tuple[str, ...]
    reason: str

    def __str__(self) -> str:
        return f"{self.question}: {self.reason}"


@dataclass(frozen=True)
class Draw:
    """A student's variant: its values, how many draws it took and why each earlier draw was refused."""

    exercise_id: str
    values: dict[str, sympy.Expr]
    draws: int
    refused: tuple[tuple[dict[str, sympy.Expr], Refusal], ...] = ()
    unchecked: tuple[tuple[str, str], ...] = ()  # (question, why the draw was not checked for it)

    @property
    def variant(self) -> str:
        """The short id of the exercise and the values."""
        return variant_id(self.exercise_id, self.values)


def load_with_variants(reference: str | Path) -> tuple[Exercise, dict[str, Question], VariantSpace]:
    """The exercise, its questions and its ``[variants]`` (the exercise loader has checked them)."""
    exercise, questions = load_for_grading(reference)
    path = catalog.find(str(reference))
    space = read_variants(exercise, catalog.read_toml(path).get("variants"), source=str(path))
    return exercise, questions, space


class Diagnosability:
    """Whether a point is diagnosable, for one exercise's questions; the mistakes are listed once, checked per point."""

    def __init__(self, grader: Grader):
        self.grader = grader
        self.unchecked = tuple((qid, RULE_UNCHECKED) for qid, q in grader.questions.items() if q.rule is not None)
        checked = {qid: q for qid, q in grader.questions.items() if q.rule is None}
        # A "mistake" equal to the right value at every point (dE/dy for dE/ds4 when y = s4) is no
        # mistake: no point tells it apart, and grading cannot either. Only the others are checked.
        probes = grader.symbolic_points[1:]
        # In the order grading tries them (Grader._numeric): the catalog's mistakes, then another name's gradient.
        self.mistakes = {
            qid: [
                v
                for v in [*grader.variants(q.quantity, numeric=True), *grader.other_quantity_variants(q.quantity)]
                if not _always_right(q, v.value, probes)
            ]
            for qid, q in checked.items()
        }
        self._known: dict[str, Refusal | None] = {}

    def refusal(self, values: Mapping[str, sympy.Expr]) -> Refusal | None:
        """Why the exercise's point with ``values`` put in is not diagnosable, or None when it is."""
        key = variant_id(self.grader.exercise.id, values)
        if key not in self._known:
            moved = self.grader.moved((self.grader.exercise.point or {}) | dict(values))
            self._known[key] = next(
                filter(None, (self._question(moved, q) for q in self.grader.questions.values() if q.rule is None)), None
            )
        return self._known[key]

    def _question(self, grader: Grader, question: Question) -> Refusal | None:
        try:
            point = grader.step_point(question.quantity.step)
            right = quantity_value(question.quantity, point)
        except (SymbackpropError, ArithmeticError, ValueError) as error:
            return Refusal(question.id, (), f"no value at this point ({error})")
        if abs(right) < ZERO or _alike(question, 0.0, right):  # 0 would be right (within a tolerance)
            return Refusal(question.id, (), "the right value is 0")

        def alike(value: float) -> bool:
            return _alike(question, value, right)

        found: Variant | None = first_match(self.mistakes[question.id], lambda v: alike(v.value(point)))
        if found is None:
            return None
        return Refusal(question.id, found.kinds, f"{found.feedback} gives the right value {right:.{question.sigfigs}g}")

    def draw(self, space: VariantSpace, chooser: Callable[[int], Chooser], who: str) -> Draw:
        """The first diagnosable draw, ``chooser(k)`` picking the values of draw k; an error after MAX_DRAWS."""
        refused: list[tuple[dict[str, sympy.Expr], Refusal]] = []
        for number in range(MAX_DRAWS):
            values = space.draw(chooser(number))
            refusal = self.refusal(values)
            if refusal is None:
                return Draw(self.grader.exercise.id, values, number + 1, tuple(refused), self.unchecked)
            refused.append((values, refusal))
        raise SymbackpropError(
            f"no diagnosable point in {MAX_DRAWS} draws for {who} (the last: {refused[-1][1]}): widen the ranges",
            source=self.grader.exercise.path,
            key="variants",
        )


def _always_right(question: Question, rule: Callable[[Pass], float], points: Sequence[Pass]) -> bool:
    """Whether a value rule gives the question's right value at every one of ``points`` (two at least)."""
    if len(points) < 2:
        return False
    try:
        return all(within_relative(rule(p), quantity_value(question.quantity, p), 1e-9) for p in points)
    except (ArithmeticError, ValueError, KeyError):
        return False


def _alike(question: Question, value: float, right: float) -> bool:
    """Whether a mistaken value cannot be told from the right one at the question's precision."""
    by_tolerance = within_tolerance(question, value, right)
    if by_tolerance is not None:
        return by_tolerance
    return decimal_significant(value, question.sigfigs) == decimal_significant(right, question.sigfigs)


def student_variants(
    check: Diagnosability, space: VariantSpace, students: Sequence[Student], salt: str
) -> dict[str, Draw]:
    """Each student's diagnosable variant, from (salt, exercise id, student id) alone."""
    exercise_id = check.grader.exercise.id

    def chooser(student: str) -> Callable[[int], Chooser]:
        return lambda draw: hash_chooser(salt, exercise_id, student, draw)

    return {s.student: check.draw(space, chooser(s.student), repr(s.student)) for s in students}


def draw_variant(grader: Grader, space: VariantSpace, rng: RandomSource) -> Draw:
    """One diagnosable variant drawn with a seeded RNG (PrairieLearn's ``generate``), the sampler ``variants`` uses.

    >>> import random
    >>> from symbackprop.exercise.model import from_equations
    >>> from symbackprop.exercise.variants import read_variants
    >>> from symbackprop.grading.questions import read_questions
    >>> ex = from_equations({"f": "w*x"}, params=["w"], at={"w": 2, "x": 5})
    >>> space = read_variants(ex, {"x": {"choice": [0, 3]}})
    >>> grader = Grader(ex, read_questions(ex, None))  # each df/dP
    >>> draw_variant(grader, space, random.Random(4)).values  # x = 0 makes df/dw 0
    {'x': 3}
    """
    return Diagnosability(grader).draw(space, lambda k: rng_chooser(rng), "this variant")


# -- the variants file ---------------------------------------------------------------------


def read_cell(cell: str) -> str:
    """A cell's text as it was before :func:`symbackprop.grading.spreadsheet.safe_cell` put a ' in front.

    >>> read_cell("'=cmd()"), read_cell("'-pi/2"), read_cell("-0.75"), read_cell("'ana")
    ('=cmd()', '-pi/2', '-0.75', "'ana")
    """
    if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS):
        return cell[1:]
    return cell


def variants_csv(space: VariantSpace, draws: Mapping[str, Draw]) -> str:
    """The variants file: ``student,variant,<each sampled name>``, one row per student in roster order.

    Every cell is safe to open in a spreadsheet; a student id that could not be read back as
    written (``'=x``, which reads as ``=x``) is an error rather than a file that names another student.
    """
    rows: list[list[str]] = [["student", "variant", *space.names]]
    for student, draw in draws.items():
        if read_cell(safe_cell(student)) != student:
            raise SymbackpropError(f"the student id {student!r} would read back as {read_cell(student)!r}")
        rows.append([student, draw.variant, *(exact_text(draw.values[name]) for name in space.names)])
    return csv_text(rows)


def variants_report(space: VariantSpace, draws: Mapping[str, Draw], salt: str) -> dict:
    """``variants --json``: each student's values, how many draws they took, why each refused draw was,
    and the questions no draw is checked for (layer rules), with the reason."""
    unchecked = dict(pair for draw in draws.values() for pair in draw.unchecked)
    return {
        "exercise": space.exercise_id,
        "salt": salt,
        "names": list(space.names),
        "unchecked": [{"question": question, "reason": reason} for question, reason in unchecked.items()],
        "students": [
            {
                "student": student,
                "variant": draw.variant,
                "values": _texts(draw.values),
                "draws": draw.draws,
                "refused": [
                    {
                        "variant": variant_id(space.exercise_id, values),
                        "values": _texts(values),
                        "question": refusal.question,
                        "mistake": list(refusal.kinds),
                        "reason": refusal.reason,
                    }
                    for values, refusal in draw.refused
                ],
            }
            for student, draw in draws.items()
        ],
    }


def _texts(values: Mapping[str, sympy.Expr]) -> dict[str, str]:
    return {name: exact_text(value) for name, value in values.items()}


@dataclass(frozen=True)
class StudentPoint:
    """A student's row of a variants file: the variant id and the values it sets."""

    variant: str
    values: dict[str, sympy.Expr]


def read_variants_file(path: str | Path, exercise: Exercise) -> dict[str, StudentPoint]:
    """A variants file (as ``symbackprop variants`` writes it) checked against the exercise: student → point."""
    source = str(path)
    records = csv_records(read_csv_text(path, "a variants file"), source=source)
    if not records or [cell.strip() for cell in records[0][:2]] != ["student", "variant"]:
        raise SymbackpropError("expected the header student,variant,<names> (symbackprop variants writes it)",
                               source=source)  # fmt: skip
    names = [cell.strip() for cell in records[0][2:]]
    leaves = [name for name in exercise.graph.leaves if name not in exercise.data]
    for name in names:
        if name not in leaves or names.count(name) > 1:
            why = "appears twice" if name in leaves else f"is not an input or param of {exercise.id}"
            raise SymbackpropError(f"the column {name!r} {why}", source=source)
    found: dict[str, StudentPoint] = {}
    for number, record in rows_under_header(records, source=source):
        student, variant = read_cell(record[0]), record[1].strip()
        if student in found:
            raise SymbackpropError(f"row {number}: student {student!r} has a variant already", source=source)
        values = {
            name: exact_number(read_cell(cell.strip()), source=source, key=f"row {number}: {name}")
            for name, cell in zip(names, record[2:], strict=True)
        }
        if variant != variant_id(exercise.id, values):
            raise SymbackpropError(
                f"row {number}: the variant id {variant!r} is not that of {exercise.id} at the row's values: "
                "drawn for another exercise or edited",
                source=source,
            )
        found[student] = StudentPoint(variant, values)
    return found


def sheet_name(student: str) -> str:
    """A student's sheet's file name: the id where it is a safe file name, else its safe letters and a hash.

    >>> sheet_name("ana"), sheet_name("../x y")
    ('ana.tex', '_x_y-46c740c6.tex')
    """
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", student)[:100]
    if safe != student or safe.startswith("."):  # "..", ".hidden", a slash: never a path out of the folder
        safe = f"{safe.lstrip('.') or '_'}-{hashlib.sha256(student.encode()).hexdigest()[:8]}"
    return f"{safe}.tex"


def check_every_student_has_one(students: Sequence[str], points: Mapping[str, object]) -> None:
    """A student with answers and no variant cannot be graded at their point: name them, grade nobody."""
    missing = list(dict.fromkeys(student for student in students if student not in points))
    if missing:
        raise SymbackpropError(f"no variant for {named_few(missing)}, who answered")
