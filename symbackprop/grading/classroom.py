"""A class graded: every row of an answers file in worker processes, missing answers, carried-forward credit.

Each answer is graded under a wall-clock timeout and a memory cap (:mod:`symbackprop.grading.workers`),
unless ``jobs`` is 0, which grades here with neither bound.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from symbackprop.errors import SymbackpropError
from symbackprop.grading import workers
from symbackprop.grading.answers import Row
from symbackprop.grading.grader import Grader
from symbackprop.grading.questions import Question
from symbackprop.grading.verdict import FEEDBACK_LIMIT, Verdict, echo

if TYPE_CHECKING:
    from symbackprop.grading.variants import StudentPoint  # sympy's sampler: imported only with variants


@dataclass(frozen=True, slots=True)  # one per answer: a large class holds millions
class GradedAnswer:
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
    entries: list[GradedAnswer]
    variants: dict[str, str] = field(default_factory=dict)  # student → the variant graded at (grade --variants)

    def students(self) -> list[str]:
        """The students, in the order the file first names them."""
        return list(dict.fromkeys(entry.student for entry in self.entries))


# (index, question key, answer), and with variants the variant whose point the answer is graded at
Task = tuple[int, str, str | None] | tuple[int, str, str | None, str]
Progress = Callable[[int, int], None]  # (done, total)


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
    grader: Grader,
    tasks: Sequence[Task],
    *,
    jobs: int,
    timeout: float,
    memory: int | None = None,
    progress: Progress | None = None,
    at: Graders | None = None,
) -> dict[int, tuple[Verdict, float]]:
    """Grade ``tasks`` (index, question, answer) in ``jobs`` worker processes (see :func:`workers.run`).

    An answer stopped by the timeout or the memory cap gets the verdict ``timeout``; with
    ``jobs`` 0 the tasks run here, one after another, with neither bound. With ``at``, a task's
    fourth item names the variant whose grader grades it.
    """
    return workers.run(
        lambda task: _grade_safely(at(task[3]) if at is not None else grader, task[1], task[2]),
        tasks,
        stopped=lambda task, why: _not_graded(grader, task[1], why),
        jobs=jobs,
        timeout=timeout,
        memory=memory,
        progress=progress,
    )


class Graders:
    """The grader at each variant's point, made when first needed (in each worker: the forked base is shared)."""

    def __init__(self, grader: Grader, points: Mapping[str, Mapping[str, object]]):
        self.grader = grader
        self.points = points  # variant id → the values it sets
        self._made: dict[str, Grader] = {}

    def __call__(self, variant: str) -> Grader:
        """The grader at the variant's point."""
        if variant not in self._made:
            self._made[variant] = self.grader.moved((self.grader.exercise.point or {}) | dict(self.points[variant]))
        return self._made[variant]


def _not_graded(grader: Grader, key: str, why: str) -> Verdict:
    """The verdict of an answer stopped by a bound (time, memory) before it was graded."""
    question = grader.question(key)
    return Verdict("timeout", 0.0, question.points if question else 0.0, feedback=f"not graded: {why}")


def grade_class(
    grader: Grader,
    rows: Sequence[Row],
    *,
    jobs: int = 2,
    timeout: float = workers.TIMEOUT,
    progress: Progress | None = None,
    variants: Mapping[str, StudentPoint] | None = None,
) -> ClassReport:
    """Grade every row of an answers file (:func:`symbackprop.grading.answers.read_answers`).

    Identical answers to one question are graded once. Every row gets one entry; a question a
    student did not answer gets a ``missing`` entry; numeric answers are then checked for
    credit carried forward from the student's own earlier values. With ``variants`` (student →
    variant id and the values it sets, for every student of ``rows``), each student is graded
    at their own point.
    """
    if variants is not None:
        from symbackprop.grading.variants import check_every_student_has_one  # sympy's sampler: only with variants

        check_every_student_has_one([row.student for row in rows], variants)
    at = Graders(grader, {point.variant: point.values for point in variants.values()}) if variants else None
    variant_of = {student: point.variant for student, point in (variants or {}).items()}
    unique: dict[tuple[str, str, str | None], int] = {}
    for row in rows:
        if not row.unreadable:
            unique.setdefault((variant_of.get(row.student, ""), row.question, row.answer), len(unique))
    tasks = [(index, question, answer, variant) for (variant, question, answer), index in unique.items()]
    results = run_tasks(grader, tasks, jobs=jobs, timeout=timeout, progress=progress, at=at)
    # The last answer to a question counts, whichever key spells it (a question id or its quantity).
    answers_to = {key: grader.answers_to(key) for key in dict.fromkeys(row.question for row in rows)}
    last = {(row.student, answers_to[row.question]): position for position, row in enumerate(rows)}
    entries = []
    for position, row in enumerate(rows):
        verdict, seconds = (
            (_unreadable(grader, row), 0.0)
            if row.unreadable
            else results[unique[variant_of.get(row.student, ""), row.question, row.answer]]
        )
        counted = last[row.student, answers_to[row.question]] == position
        if not counted:
            verdict = replace(verdict, points=0.0, feedback=f"{verdict.feedback} (not counted: answered again later)")
        asked = answers_to[row.question]
        entries.append(GradedAnswer(row.row, row.student, row.question, row.answer, verdict, counted, seconds, asked))
    student_grader = (lambda student: at(variant_of[student])) if at is not None else (lambda student: grader)
    carried = _carry_forward(student_grader, entries, jobs=jobs, timeout=timeout)
    entries = [_unasked(grader, entry) for entry in carried]
    answered = {(e.student, e.asked) for e in entries}
    for student in dict.fromkeys(e.student for e in entries):
        for qid, question in grader.questions.items():
            if (student, qid) not in answered:
                entries.append(
                    GradedAnswer(
                        None, student, qid, None, Verdict("missing", 0.0, question.points, feedback="no answer")
                    )
                )
    return ClassReport(grader.exercise.id, grader.questions, entries, variant_of)


def _unreadable(grader: Grader, row: Row) -> Verdict:
    """The verdict of an answer the file holds no faithful value for (a JSON 1e400 or NaN)."""
    question = grader.question(row.question)
    points = question.points if question else 0.0
    return Verdict("unparsable", 0.0, points, feedback=f"cannot read the answer: {row.unreadable}")


def _unasked(grader: Grader, entry: GradedAnswer) -> GradedAnswer:
    """An answer to a quantity the exercise does not ask: graded, and said to be worth no points."""
    if entry.asked in grader.questions or grader.question(entry.question) is None:
        return entry
    return replace(entry, verdict=replace(entry.verdict, feedback=f"{entry.verdict.feedback} (not asked: no points)"))


def _carry_forward(
    grader_of: Callable[[str], Grader], entries: list[GradedAnswer], *, jobs: int, timeout: float
) -> list[GradedAnswer]:
    """Each student's wrong numbers checked against the student's own other answers (at the student's point).

    The search recomputes gradient descent with the student's values put in, up to step 100:
    it runs in the workers, one task per student, under the same timeout as an answer.
    """
    by_student: dict[str, list[int]] = {}
    for position, entry in enumerate(entries):
        if entry.counted:
            by_student.setdefault(entry.student, []).append(position)
    tasks = []
    for index, (student, positions) in enumerate(by_student.items()):
        graded = [(entries[p].question, entries[p].verdict, p) for p in positions]
        # Credit needs a wrong number to explain and another wrong value to explain it: most students need nothing.
        if sum(v.verdict == "wrong" and v.value is not None for _, v, _ in graded) >= 2:
            tasks.append((index, graded, student))
    results: dict[int, tuple[dict[int, Verdict] | str, float]] = workers.run(
        lambda task: _carried_for_student(grader_of(task[2]), task[1]),
        tasks,
        stopped=lambda task, why: why,
        jobs=jobs,
        timeout=timeout,
    )
    result = list(entries)
    for index, graded, _ in tasks:
        found, _ = results[index]
        if not isinstance(found, dict):  # stopped: the answers keep their verdicts, and say why nothing was carried
            for _, verdict, position in graded:
                if verdict.verdict == "wrong" and verdict.value is not None:
                    note = f"{verdict.feedback} (no carried-forward check: {found})"
                    result[position] = replace(entries[position], verdict=replace(verdict, feedback=note))
            continue
        for position, verdict in found.items():
            result[position] = replace(entries[position], verdict=verdict)
    return result


def _carried_for_student(grader: Grader, graded: list[tuple[str, Verdict, int]]) -> dict[int, Verdict]:
    """The verdicts of one student's answers that the student's own earlier values turn into carried_forward."""
    asked = [(grader.question(key), verdict, position) for key, verdict, position in graded]
    known = [(q, v, p) for q, v, p in asked if q is not None]
    updated = {}
    for question, verdict, position in known:
        others = [(q, v) for q, v, p in known if p != position]
        found = grader.carried_forward(question, verdict, others)
        if found is not verdict:
            updated[position] = found
    return updated
