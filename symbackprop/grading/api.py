"""One answer graded on its own, for PrairieLearn's ``grade()`` and notebooks: :func:`grade_answer`.

The parse and the judgement run in a forked worker process under their own timeout and memory
cap (:mod:`symbackprop.grading.workers`): a hostile answer that would keep SymPy busy for hours
costs the caller ``timeout`` seconds and gets the verdict ``timeout``, and the worker of the
course platform goes on. The exercise is trusted and prepared in the caller's process, once per
exercise and point (a few graders are kept), so that the forked worker inherits it.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from symbackprop.errors import SymbackpropError
from symbackprop.exercise.model import Exercise
from symbackprop.grading.classroom import run_tasks
from symbackprop.grading.grader import Grader
from symbackprop.grading.questions import Question, load_for_grading, read_questions
from symbackprop.grading.verdict import Verdict

GRADERS_KEPT = 8  # exercises (each at a point) whose grader is kept between calls
MAX_TIMEOUT = 86_400.0  # as ``grade --timeout``: a day, far beyond any answer


def grade_answer(
    exercise: str | Path | Exercise,
    question: str,
    answer: str | None,
    *,
    at: Mapping[str, object] | None = None,
    timeout: float = 5.0,
) -> Verdict:
    """Grade one answer: its ``verdict``, ``points``, ``max_points``, ``feedback`` and ``diagnoses``.

    ``exercise`` is a catalog id, a ``.toml`` file (its ``[questions]`` are read) or an
    :class:`Exercise` (every dL/dP a question). ``question`` is a question id or a quantity
    key such as ``dE/dw3``. ``at`` puts the student's own values (a variant) in place of the
    exercise's ``[at]`` ones. The answer is read by the whitelist parsers in a worker process
    stopped after ``timeout`` seconds or past its memory cap: then the verdict is ``timeout``.

    >>> result = grade_answer("fx-plus-y-times-z", "df/dz", "x + y")
    >>> result.verdict, result.points, result.max_points
    ('correct', 1.0, 1.0)
    >>> grade_answer("fx-plus-y-times-z", "df/dx", "q").feedback   # f = q*z: q is df/dz
    'this is df/dz, not df/dx'
    """
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= MAX_TIMEOUT:
        raise SymbackpropError(f"expected seconds from 0 to {MAX_TIMEOUT:g}, not {timeout!r}", key="timeout")
    if answer is not None and not isinstance(answer, str):
        raise SymbackpropError(f"expected the answer as text, not {type(answer).__name__}", key="answer")
    grader = _grader(exercise, at)
    if not isinstance(question, str) or grader.question(question) is None:
        known = ", ".join(grader.questions)
        raise SymbackpropError(f"{question!r} is not a question of {grader.exercise.id} (it asks {known})")
    [(verdict, _)] = run_tasks(grader, [(0, question, answer)], jobs=1, timeout=float(timeout)).values()
    return verdict


def _grader(exercise: str | Path | Exercise, at: Mapping[str, object] | None) -> Grader:
    """The grader of an exercise at a point: kept between calls for a file or catalog id."""
    if at is not None and not isinstance(at, Mapping):
        raise SymbackpropError(f"expected a mapping of names to values, not {type(at).__name__}", key="at")
    point = tuple(sorted((str(name), str(value)) for name, value in (at or {}).items()))
    if isinstance(exercise, Exercise):
        return _prepared(_at(exercise, point), read_questions(exercise, None))
    if not isinstance(exercise, (str, Path)):
        raise SymbackpropError(f"expected a catalog id, a .toml file or an Exercise, not {type(exercise).__name__}")
    path = Path(exercise)
    if not path.is_file():  # a catalog id
        return _kept_grader(str(exercise), None, point)
    # A file is known by its full path and its time: an edited exercise is read again.
    return _kept_grader(str(path.resolve()), path.stat().st_mtime_ns, point)


@functools.lru_cache(maxsize=GRADERS_KEPT)
def _kept_grader(reference: str, stamp: int | None, point: tuple[tuple[str, str], ...]) -> Grader:
    exercise, questions = load_for_grading(reference)
    return _prepared(_at(exercise, point), questions)


def _at(exercise: Exercise, point: tuple[tuple[str, str], ...]) -> Exercise:
    """The exercise with the given values in place of its ``[at]`` ones (a name not given keeps its value)."""
    if not point:
        return exercise
    # Exercise.at refuses an unknown name, a value that is not a finite number and a name left without one.
    return replace(exercise, point=exercise.at(dict(point)))


def _prepared(exercise: Exercise, questions: Mapping[str, Question]) -> Grader:
    grader = Grader(exercise, questions)
    grader.symbolic_points  # noqa: B018 — computed here once, inherited by every forked worker
    return grader
