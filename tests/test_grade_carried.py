"""Carried-forward credit needs real work: never from a 0, never for writing down a given value.

Every expected number is worked out here from the two-branch network's equations (math only).
"""

from __future__ import annotations

import math

import pytest
from conftest import EXAMPLES
from test_grade import DE_DW4, DE_DY, H2  # the network's values by hand

from symbackprop.grading.answers import Row
from symbackprop.grading.classroom import grade_class
from symbackprop.grading.grader import Grader
from symbackprop.grading.questions import load_for_grading

W4_AFTER = 1.5 - 0.1 * DE_DW4  # the true w4@1


@pytest.fixture(scope="module")
def two_branch():
    return Grader(*load_for_grading(EXAMPLES / "two-branch-grading.toml"))


def verdicts(grader, answers: list[tuple[str, str]]):
    rows = [Row(n, "s", question, answer) for n, (question, answer) in enumerate(answers, start=2)]
    return {e.question: e.verdict for e in grade_class(grader, rows, jobs=0).entries if e.row is not None}


def test_the_issues_exploit_dE_dy_0_then_w4_unchanged_gets_no_credit(two_branch):
    # With dE/dy = 0, dE/dw4 = 0·h2 = 0 and w4@1 = 1.5 − 0.1·0 = 1.5: the weight as given.
    assert abs(W4_AFTER - 1.5) > 0.005  # 1.500 is wrong against the true update
    found = verdicts(two_branch, [("q4", "0"), ("q6", "1.500")])
    assert found["q6"].verdict == "wrong" and found["q6"].points == 0.0


@pytest.mark.parametrize("zero", ["0", "0.000", "-0"])
def test_no_question_carries_forward_from_an_earlier_0(two_branch, zero):
    # dE/dw4 = dE/dy·h2 and dE/dw3 = dE/dy·w5·h3(1−h3)·h1 are both 0 from dE/dy = 0; w4@1 is 1.5.
    found = verdicts(two_branch, [("q4", zero), ("q5", "0.000"), ("q7", "0.000"), ("q6", "1.500")])
    assert {q: v.verdict for q, v in found.items()} == {"q4": "wrong", "q5": "wrong", "q7": "wrong", "q6": "wrong"}
    assert sum(v.points for v in found.values()) == 0.0


def test_an_answer_equal_to_a_given_value_gets_no_credit(two_branch):
    # A wrong dE/dw4 = 5 gives w4@1 = 1.5 − 0.1·5 = 1.0, which is x_t, y_t and w1 as given:
    # the update done right from one's own value and the old number copied look the same.
    assert math.isclose(1.5 - 0.1 * 5.0, 1.0)
    found = verdicts(two_branch, [("q5", "5.000"), ("q6", "1.000")])
    assert found["q6"].verdict == "wrong" and found["q6"].points == 0.0
    assert "no carried-forward credit: x_t = 1 is given" in found["q6"].feedback


def test_the_same_update_from_a_value_that_is_not_given_is_credited(two_branch):
    # A wrong dE/dw4 = 4 gives w4@1 = 1.5 − 0.1·4 = 1.1, not a value the exercise gives: real work.
    assert abs(4.0 - DE_DW4) > 1 and math.isclose(1.5 - 0.1 * 4.0, 1.1)
    found = verdicts(two_branch, [("q5", "4.000"), ("q6", "1.100")])
    assert found["q6"].verdict == "carried_forward" and found["q6"].points == 1.0


def test_a_gradient_equal_to_the_learning_rate_is_not_carried_either(two_branch):
    # A wrong dE/dy = 0.1/h2 makes dE/dw4 = dE/dy·h2 = 0.1, the learning rate η as given.
    wrong_dy = 0.1 / H2
    assert abs(wrong_dy - DE_DY) > 0.1
    found = verdicts(two_branch, [("q4", f"{wrong_dy:.5f}"), ("q5", "0.1000")])
    assert found["q5"].verdict == "wrong"
    assert "the learning rate = 0.1 is given" in found["q5"].feedback
    # dE/dy = 0.2/h2 makes dE/dw4 = 0.2, given nowhere: credited.
    found = verdicts(two_branch, [("q4", f"{0.2 / H2:.5f}"), ("q5", "0.2000")])
    assert found["q5"].verdict == "carried_forward"


def test_an_unchanged_weight_is_named_as_itself_when_a_target_has_its_value(tmp_path):
    # y_t = 1.5 = w4 (as for a student's variant): w4@1 = 1.5 − 0.1·0.0001 = 1.49999 is the old w4
    # written down again at 4 figures, and the feedback names w4, not the target that happens to match.
    source = (EXAMPLES / "two-branch-grading.toml").read_text().replace("y_t = 1.0\n", "y_t = 1.5\n", 1)
    path = tmp_path / "ex.toml"
    path.write_text(source)
    assert round(1.5 - 0.1 * 0.0001, 4) == 1.5
    found = verdicts(Grader(*load_for_grading(path)), [("q5", "0.0001"), ("q6", "1.500")])
    assert found["q6"].verdict == "wrong" and "no carried-forward credit: w4 = 1.5 is given" in found["q6"].feedback
