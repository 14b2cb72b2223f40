"""Issue 17: every mistake named — two at once, a spurious local factor, another param's gradient,
an answer right only at the point — and feedback that says what it means.

The two-branch net (examples/two-branch-grading.toml): s1 = x_t·w1, h1 = σ(s1), s2 = h1·w2,
h2 = σ(s2), s3 = h1·w3, h3 = σ(s3), y = h2·w4 + h3·w5, E = (y_t - y)²/2, so
∂E/∂w4 = -(y_t - y)·h2, ∂E/∂w5 = -(y_t - y)·h3, ∂E/∂w3 = -(y_t - y)·w5·h3(1 - h3)·h1.
Each wrong answer below is that reference with the mistakes named, written out by hand.
"""

from __future__ import annotations

import pytest
from conftest import EXAMPLES

from symbackprop.exercise.model import from_equations, load
from symbackprop.grading.grader import Grader
from symbackprop.grading.questions import load_for_grading, read_questions


@pytest.fixture(scope="module")
def two_branch() -> Grader:
    return Grader(*load_for_grading(EXAMPLES / "two-branch-grading.toml"))


@pytest.mark.parametrize(
    ("key", "answer", "diagnoses", "points", "words"),
    [
        # ×2 and σ′ = h3(1 - h3) left out; q2 credits a missing factor (½) but not a factor 2: the smaller share, 0
        (
            "q2",
            "-2*(y_t - y)*w5*h1",
            ("missing_factor", "factor_2"),
            0.0,
            "h3*(1 - h3) is missing, and off by a factor of 2",
        ),
        # -1 and ×2 at once; q3 credits each with ½
        ("q3", "(y_t - y)*h2*2", ("sign", "factor_2"), 0.5, "off by a factor of 2"),
        # the other half of σ′ at h2 put beside the h2 already there
        ("q3", "-(y_t - y)*h2*(1 - h2)", ("extra_factor",), 0.0, "a spurious factor 1 - h2"),
        # ∂E/∂w5 given for ∂E/∂w4
        ("q3", "-(y_t - y)*h3", ("other_quantity",), 0.0, "this is dE/dw5, not dE/dw4"),
    ],
)
def test_mistakes_are_named(two_branch, key, answer, diagnoses, points, words):
    verdict = two_branch.grade(key, answer)
    assert (verdict.verdict, verdict.diagnoses, verdict.points) == ("wrong", diagnoses, points)
    assert words in verdict.feedback


def test_the_half_hint_only_when_the_loss_has_a_half(two_branch):
    """L = (f2 - y)² has no ½: ∂L/∂w2 = 2(f2 - y)·f2(1 - f2)·f1, and (f2 - y)·f2·f1 is σ′ written σ and ½ of it."""
    assert "(the ½ in the loss?)" in two_branch.grade("q3", "-2*(y_t - y)*h2").feedback
    exercise = load("two-layer-perceptron")
    verdict = Grader(exercise, read_questions(exercise, None)).grade("dL/dw2", "(f2-y)*f2*f1")
    assert verdict.diagnoses == ("activation_derivative", "factor_2")
    assert "½" in verdict.feedback and "loss" not in verdict.feedback


def test_an_answer_right_only_at_the_point_says_so_and_why(two_branch):
    """σ(w1) is h1 = σ(x_t·w1) only where x_t = 1, as it is at the point."""
    verdict = two_branch.grade("q2", "-(y_t - y)*w5*h3*(1 - h3)*sigmoid(w1)")
    assert verdict.verdict == "wrong"
    assert "at the exercise's point" in verdict.feedback and "but not in general" in verdict.feedback
    assert verdict.feedback.endswith("only because x_t = 1 there")


def test_a_step_quantity_keeps_its_step_in_feedback(two_branch):
    # w4 after one step is w4 - 0.1·∂E/∂w4 = 1.5 + 0.0163 = 1.5163; 1.6 is none of the catalog's mistakes
    assert two_branch.grade("q6", "1.60").feedback.startswith("not equal to w4@1: 1.6 at the point")


def test_a_missing_path_that_two_paths_explain_names_both():
    """E = a + b + c with a = b = w·x and c = w²: ∂E/∂w = 2x + 2w, and x + 2w lacks either of two equal paths."""
    exercise = from_equations({"a": "w*x", "b": "w*x", "c": "w*w", "E": "a + b + c"}, params=["w"], at={"w": 1, "x": 2})
    verdict = Grader(exercise, read_questions(exercise, None)).grade("dE/dw", "x + 2*w")
    assert verdict.diagnoses == ("missing_path",)
    assert verdict.feedback == "missing the path w → a → E or the path w → b → E (they have the same value)"


def test_rounded_too_early_is_decided_in_decimal_arithmetic(two_branch):
    """dE/dy = y - y_t with every node rounded to one figure as it is computed, on paper:
    h1 = σ(1) = 0.731 → 0.7; s2 = 0.7·0.5 = 0.35 → 0.4; h2 = σ(0.4) = 0.599 → 0.6; s3 = -0.7;
    h3 = σ(-0.7) = 0.332 → 0.3; y = 0.6·1.5 - 0.3·0.5 = 0.75 → 0.8; so dE/dy = 0.8 - 1 = -0.2.
    In floating point 0.35 and 0.75 sit just below their halves and went down, which made
    README's ben (-0.3000) look rounded too early. With two figures: h1 0.73, s2 0.365 → 0.37,
    h2 σ(0.37) = 0.591 → 0.59, h3 σ(-0.73) = 0.325 → 0.33, y = 0.885 - 0.165 = 0.72 → -0.28."""
    assert two_branch.grade("q4", "-0.3000").diagnoses == ()
    one = two_branch.grade("q4", "-0.2000")
    assert one.diagnoses == ("rounded_early",) and "1 significant figure" in one.feedback
    two = two_branch.grade("q4", "-0.2800")
    assert two.diagnoses == ("rounded_early",) and "2 significant figures" in two.feedback
