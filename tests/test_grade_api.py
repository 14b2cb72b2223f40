"""``grade_answer``: one answer graded under its own timeout and memory cap (PrairieLearn, notebooks)."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from conftest import EXAMPLES
from test_grade import sigma

import symbackprop
from symbackprop.errors import SymbackpropError
from symbackprop.exercise.model import from_equations
from symbackprop.grading.grader import Grader

TWO_BRANCH = EXAMPLES / "two-branch-grading.toml"


def test_import_symbackprop_stays_cheap_and_grade_answer_is_exported_lazily():
    code = (
        "import sys, symbackprop; assert 'grade_answer' in symbackprop.__all__; "
        "print(sorted(m for m in sys.modules if m == 'sympy' or m.startswith('symbackprop.grading')))"
    )
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "[]"


def test_a_right_formula_gets_the_questions_points():
    # q2 asks dE/dw3 for 2 points: −(y_t − y)·w5·h3(1 − h3)·h1, as lecture 003 writes it (in LaTeX here).
    result = symbackprop.grade_answer(str(TWO_BRANCH), "q2", r"-(y_t - y) w_5 h_3 (1-h_3) h_1")
    assert (result.verdict, result.points, result.max_points, result.diagnoses) == ("correct", 2.0, 2.0, ())


def test_a_wrong_formula_is_diagnosed_with_partial_credit():
    # Without σ′ = h3(1 − h3) the local factor is missing: q2 gives half of its 2 points for that.
    result = symbackprop.grade_answer(TWO_BRANCH, "q2", "-(y_t - y)*w5*h1")
    assert (result.verdict, result.points, result.diagnoses) == ("wrong", 1.0, ("missing_factor",))
    assert "h3*(1 - h3)" in result.feedback


def test_at_grades_at_the_students_own_point():
    # With w4 = 2 instead of 1.5: y = 2·h2 − 0.5·h3 and dE/dy = −(1 − y), worked out here.
    h1 = sigma(1.0)
    h2, h3 = sigma(0.5 * h1), sigma(-h1)
    own = -(1 - (2 * h2 - 0.5 * h3))
    usual = -(1 - (1.5 * h2 - 0.5 * h3))
    assert abs(own - usual) > 0.1
    answer = f"{own:.4f}"
    assert symbackprop.grade_answer(TWO_BRANCH, "q4", answer, at={"w4": 2}).verdict == "correct_rounding"
    assert symbackprop.grade_answer(TWO_BRANCH, "q4", answer).verdict == "wrong"


def test_an_exercise_object_asks_every_gradient():
    exercise = from_equations({"E": "(t - w*x)**2/2"}, params=["w"], at={"w": 1, "x": 2, "t": 1})
    # dE/dw = −(t − w·x)·x
    result = symbackprop.grade_answer(exercise, "dE/dw", "-(t - w*x)*x")
    assert (result.verdict, result.points) == ("correct", 1.0)
    assert symbackprop.grade_answer(exercise, "dE/dw", None).verdict == "missing"


def test_a_hostile_answer_is_cut_off_at_the_timeout():
    # 300 sines of numbers of thousands of digits: SymPy takes seconds over them (about 2 s here).
    hostile = "+".join(f"sin(10^{4000 - k})" for k in range(300))
    started = time.monotonic()
    result = symbackprop.grade_answer(TWO_BRANCH, "q1", hostile, timeout=0.2)
    elapsed = time.monotonic() - started
    assert (result.verdict, result.points, result.max_points) == ("timeout", 0.0, 2.0)
    assert result.feedback == "not graded: took longer than 0.2 s"
    assert elapsed < 1.5


def test_an_answer_that_never_ends_costs_only_the_timeout(monkeypatch):
    def forever(self, key, answer):
        while True:
            pass

    monkeypatch.setattr(Grader, "grade", forever)  # the forked worker inherits it
    started = time.monotonic()
    result = symbackprop.grade_answer(TWO_BRANCH, "q3", "-(y_t - y)*h2", timeout=0.5)
    assert result.verdict == "timeout" and 0.5 <= time.monotonic() - started < 3


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the memory cap is enforced on Linux only")
def test_an_answer_that_takes_too_much_memory_is_stopped_at_the_cap(monkeypatch):
    def hungry(self, key, answer):
        return bytearray(8 << 30)  # 8 GB: past any worker's cap (at most 2 GB)

    monkeypatch.setattr(Grader, "grade", hungry)
    result = symbackprop.grade_answer(TWO_BRANCH, "q3", "-(y_t - y)*h2", timeout=30)
    assert (result.verdict, result.feedback) == ("timeout", "not graded: needed more memory than grading may use")


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((TWO_BRANCH, "q9", "1"), {}, "'q9' is not a question of two-branch-grading (it asks q1, q2"),
        ((TWO_BRANCH, "q4", "1"), {"timeout": 0}, "expected seconds from 0 to"),
        ((TWO_BRANCH, "q4", "1"), {"timeout": float("nan")}, "expected seconds from 0 to"),
        ((TWO_BRANCH, "q4", 1.5), {}, "expected the answer as text, not float"),
        ((TWO_BRANCH, "q4", "1"), {"at": {"nope": 1}}, "'nope' is not an input or param"),
        ((TWO_BRANCH, "q4", "1"), {"at": [1, 2]}, "expected a mapping of names to values, not list"),
        (("no-such-exercise", "q4", "1"), {}, "no-such-exercise"),
    ],
)
def test_bad_calls_raise_the_librarys_error(args, kwargs, message):
    with pytest.raises(SymbackpropError) as raised:
        symbackprop.grade_answer(*args, **kwargs)
    assert message in str(raised.value)
